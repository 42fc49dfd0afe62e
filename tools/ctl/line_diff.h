// A unified diff of two texts, line by line (Myers' O(ND) algorithm), as
// `diff -u` prints it: "--- A", "+++ B", then hunks with three lines of
// context. For `shoalctl policy diff`. Pure functions.
#pragma once

#include <string>

namespace shoal::ctl {

// Empty when the texts are equal. Texts whose differences exceed
// `max_edits` lines are shown as wholly replaced (bounded time and memory).
std::string UnifiedDiff(const std::string& before, const std::string& after, const std::string& before_label,
                        const std::string& after_label, size_t max_edits = 4000);

}  // namespace shoal::ctl
