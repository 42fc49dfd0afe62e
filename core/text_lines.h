// The meaningful lines of the daemon's small text files (key file, tokens
// file): blank lines and lines starting with '#' are skipped. Free function.
#pragma once

#include <istream>
#include <string>

namespace shoal {

// Calls fn(line without leading blanks, 1-based line number) for each.
template <typename Fn>
void ForEachMeaningfulLine(std::istream& in, Fn&& fn) {
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    const auto start = line.find_first_not_of(" \t\r");
    if (start == std::string::npos || line[start] == '#') continue;
    fn(line.substr(start), number);
  }
}

}  // namespace shoal
