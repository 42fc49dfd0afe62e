// "Did you mean" for shoalctl: the known name closest to a mistyped one.
// Pure functions.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace shoal::ctl {

// The name in `names` within two edits of `word` (the fewest; ties: the
// first), or that `word` is a prefix of when only one is; nullopt else.
std::optional<std::string> Closest(const std::string& word, const std::vector<std::string>& names);

// After a failed parse: "unknown command 'X'" with a suggestion, for the
// deepest command parsed whose next word is not one of its subcommands;
// empty when the failure was something else.
std::string UnknownCommand(const CLI::App& app);

}  // namespace shoal::ctl
