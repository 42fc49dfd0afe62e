#include "tools/ctl/line_diff.h"

#include <algorithm>
#include <vector>

#include <fmt/format.h>

namespace shoal::ctl {
namespace {

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  size_t at = 0;
  while (at < text.size()) {
    size_t nl = text.find('\n', at);
    if (nl == std::string::npos) nl = text.size();
    out.push_back(text.substr(at, nl - at));
    at = nl + 1;
  }
  return out;
}

enum class Op : char { kSame = ' ', kDelete = '-', kInsert = '+' };
struct Edit {
  Op op;
  size_t a, b;  // line indexes in before / after (the one that applies)
};

// The furthest x on each diagonal k in [-d, d] after step d, per d.
using Trace = std::vector<std::vector<long>>;

// Myers' greedy forward search; false when more than `max_edits` are needed.
bool Search(const std::vector<std::string>& a, const std::vector<std::string>& b, size_t max_edits, Trace& trace) {
  const long n = static_cast<long>(a.size()), m = static_cast<long>(b.size());
  for (long d = 0; d <= static_cast<long>(max_edits); ++d) {
    std::vector<long> v(static_cast<size_t>(2 * d + 1));
    const std::vector<long>* prev = d > 0 ? &trace.back() : nullptr;
    auto at = [&](long k) { return (*prev)[static_cast<size_t>(k + d - 1)]; };  // diagonal k after step d-1
    for (long k = -d; k <= d; k += 2) {
      long x;
      if (d == 0) {
        x = 0;
      } else if (k == -d || (k != d && at(k - 1) < at(k + 1))) {
        x = at(k + 1);  // down: a line of `after` inserted
      } else {
        x = at(k - 1) + 1;  // right: a line of `before` deleted
      }
      long y = x - k;
      while (x < n && y < m && a[static_cast<size_t>(x)] == b[static_cast<size_t>(y)]) ++x, ++y;
      v[static_cast<size_t>(k + d)] = x;
      if (x >= n && y >= m) {
        trace.push_back(std::move(v));
        return true;
      }
    }
    trace.push_back(std::move(v));
  }
  return false;
}

std::vector<Edit> Backtrack(const Trace& trace, size_t n, size_t m) {
  std::vector<Edit> edits;
  long x = static_cast<long>(n), y = static_cast<long>(m);
  for (long d = static_cast<long>(trace.size()) - 1; d > 0; --d) {
    const auto& prev = trace[static_cast<size_t>(d - 1)];
    auto at = [&](long k) { return prev[static_cast<size_t>(k + d - 1)]; };
    const long k = x - y;
    const bool down = k == -d || (k != d && at(k - 1) < at(k + 1));
    const long prev_k = down ? k + 1 : k - 1;
    const long prev_x = at(prev_k), prev_y = prev_x - prev_k;
    while (x > prev_x + (down ? 0 : 1) && y > prev_y + (down ? 1 : 0)) {
      --x, --y;
      edits.push_back({Op::kSame, static_cast<size_t>(x), static_cast<size_t>(y)});
    }
    if (down) {
      edits.push_back({Op::kInsert, static_cast<size_t>(prev_x), static_cast<size_t>(prev_y)});
    } else {
      edits.push_back({Op::kDelete, static_cast<size_t>(prev_x), static_cast<size_t>(prev_y)});
    }
    x = prev_x, y = prev_y;
  }
  while (x > 0 && y > 0) {
    --x, --y;
    edits.push_back({Op::kSame, static_cast<size_t>(x), static_cast<size_t>(y)});
  }
  std::reverse(edits.begin(), edits.end());
  return edits;
}

// Everything deleted, then everything inserted.
std::vector<Edit> Replaced(size_t n, size_t m) {
  std::vector<Edit> edits;
  for (size_t i = 0; i < n; ++i) edits.push_back({Op::kDelete, i, 0});
  for (size_t j = 0; j < m; ++j) edits.push_back({Op::kInsert, n, j});
  return edits;
}

// "start,count" of a hunk's side, as diff -u writes it.
std::string Range(size_t first, size_t count) {
  if (count == 0) return fmt::format("{},0", first);
  return count == 1 ? fmt::format("{}", first + 1) : fmt::format("{},{}", first + 1, count);
}

// The index one past the last change of the hunk that starts with the
// change at `first`: changes whose unchanged gap is at most two contexts join it.
size_t LastChange(const std::vector<Edit>& edits, size_t first, size_t context) {
  size_t last = first;
  for (size_t j = first; j < edits.size();) {
    if (edits[j].op != Op::kSame) {
      last = j++;
      continue;
    }
    size_t run_end = j;
    while (run_end < edits.size() && edits[run_end].op == Op::kSame) ++run_end;
    if (run_end == edits.size() || run_end - j > 2 * context) break;
    j = run_end;
  }
  return last;
}

std::string Hunks(const std::vector<Edit>& edits, const std::vector<std::string>& a,
                  const std::vector<std::string>& b) {
  constexpr size_t kContext = 3;
  std::string out;
  size_t i = 0;
  for (;;) {
    while (i < edits.size() && edits[i].op == Op::kSame) ++i;
    if (i == edits.size()) break;
    const size_t start = i >= kContext ? i - kContext : 0;
    const size_t end = std::min(edits.size(), LastChange(edits, i, kContext) + 1 + kContext);
    size_t a_count = 0, b_count = 0;
    std::string body;
    for (size_t e = start; e < end; ++e) {
      const Edit& x = edits[e];
      a_count += x.op != Op::kInsert;
      b_count += x.op != Op::kDelete;
      body += static_cast<char>(x.op) + (x.op == Op::kInsert ? b[x.b] : a[x.a]) + "\n";
    }
    out += fmt::format("@@ -{} +{} @@\n", Range(edits[start].a, a_count), Range(edits[start].b, b_count)) + body;
    i = end;
  }
  return out;
}

}  // namespace

std::string UnifiedDiff(const std::string& before, const std::string& after, const std::string& before_label,
                        const std::string& after_label, size_t max_edits) {
  if (before == after) return "";
  const auto a = Lines(before), b = Lines(after);
  Trace trace;
  const auto edits = Search(a, b, max_edits, trace) ? Backtrack(trace, a.size(), b.size()) : Replaced(a.size(), b.size());
  const std::string hunks = Hunks(edits, a, b);
  if (hunks.empty()) return "";  // only a final newline differs
  return fmt::format("--- {}\n+++ {}\n", before_label, after_label) + hunks;
}

}  // namespace shoal::ctl
