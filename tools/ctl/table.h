// Plain-text tables for shoalctl's human output: a header row and aligned
// columns, numbers right-aligned. Thread-compatible; SetTableHeaders once,
// before any table is rendered.
#pragma once

#include <string>
#include <vector>

namespace shoal::ctl {

// Whether tables print their header row (shoalctl --no-headers turns it
// off for the whole run, for scripts).
void SetTableHeaders(bool on);
bool TableHeaders();

class Table {
 public:
  // A column whose name starts with '>' is right-aligned (the '>' is dropped).
  explicit Table(std::vector<std::string> columns);
  void Add(std::vector<std::string> row);  // REQUIRES: one cell per column
  bool empty() const { return rows_.empty(); }
  // Each line prefixed by `indent`, ending in '\n'.
  std::string Render(const std::string& indent = "") const;

 private:
  std::vector<std::string> header_;
  std::vector<bool> right_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace shoal::ctl
