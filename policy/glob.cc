#include "policy/glob.h"

namespace shoal::policy {
namespace {

// Matches the class starting at pattern[p] ('[') against c; sets `end` to
// the index after ']'.
bool ClassMatches(std::string_view pattern, size_t p, char c, size_t& end) {
  size_t i = p + 1;
  bool negate = i < pattern.size() && (pattern[i] == '!' || pattern[i] == '^');
  if (negate) ++i;
  bool hit = false;
  bool first = true;
  while (i < pattern.size() && (pattern[i] != ']' || first)) {
    first = false;
    char lo = pattern[i];
    if (lo == '\\' && i + 1 < pattern.size()) lo = pattern[++i];
    char hi = lo;
    if (i + 2 < pattern.size() && pattern[i + 1] == '-' && pattern[i + 2] != ']') {
      hi = pattern[i + 2];
      if (hi == '\\' && i + 3 < pattern.size()) hi = pattern[++i + 2];
      i += 2;
    }
    if (c >= lo && c <= hi) hit = true;
    ++i;
  }
  end = i + 1;
  return hit != negate;
}

}  // namespace

Status CheckGlob(std::string_view pattern) {
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '\\') {
      if (i + 1 == pattern.size()) return MakeError("glob \"{}\" ends with a lone backslash", pattern);
      ++i;
    } else if (pattern[i] == '[') {
      size_t j = i + 1;
      if (j < pattern.size() && (pattern[j] == '!' || pattern[j] == '^')) ++j;
      if (j < pattern.size() && pattern[j] == ']') {
        return MakeError("glob \"{}\" has an empty class at position {}", pattern, i + 1);
      }
      bool closed = false;
      for (; j < pattern.size(); ++j) {
        if (pattern[j] == '\\') {
          ++j;
          continue;
        }
        if (pattern[j] == ']') {
          closed = true;
          break;
        }
        if (j + 2 < pattern.size() && pattern[j + 1] == '-' && pattern[j + 2] != ']' &&
            pattern[j + 2] != '\\' && pattern[j + 2] < pattern[j]) {
          return MakeError("glob \"{}\" has a reversed range {}-{}", pattern, pattern[j], pattern[j + 2]);
        }
      }
      if (!closed) return MakeError("glob \"{}\" has a '[' at position {} that is never closed", pattern, i + 1);
      i = j;
    }
  }
  return Status::Ok();
}

bool GlobMatch(std::string_view pattern, std::string_view text) {
  // Iterative matcher with one backtrack point for the last '*'.
  size_t p = 0, t = 0;
  size_t star = std::string_view::npos, star_t = 0;
  while (t < text.size()) {
    if (p < pattern.size()) {
      char pc = pattern[p];
      if (pc == '*') {
        star = p++;
        star_t = t;
        continue;
      }
      if (pc == '?') {
        ++p;
        ++t;
        continue;
      }
      if (pc == '[') {
        size_t end = p;
        if (ClassMatches(pattern, p, text[t], end)) {
          p = end;
          ++t;
          continue;
        }
      } else {
        if (pc == '\\' && p + 1 < pattern.size()) pc = pattern[p + 1];
        if (pc == text[t]) {
          p += pattern[p] == '\\' ? 2 : 1;
          ++t;
          continue;
        }
      }
    }
    if (star == std::string_view::npos) return false;
    p = star + 1;
    t = ++star_t;
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

}  // namespace shoal::policy
