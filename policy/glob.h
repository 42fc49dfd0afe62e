// Shell-style globs for command-line rules: '*' any run of characters, '?'
// one character, '[abc]', '[a-z]' and '[!a-z]' classes, '\' escapes the
// next character. Free functions; thread-safe.
#pragma once

#include <string_view>

#include "core/result.h"

namespace shoal::policy {

// Refuses an unterminated class, an empty class, a reversed range or a
// trailing backslash, saying where.
Status CheckGlob(std::string_view pattern);
// REQUIRES: CheckGlob(pattern) is ok.
bool GlobMatch(std::string_view pattern, std::string_view text);

}  // namespace shoal::policy
