#include "tools/ctl/table.h"

#include <algorithm>
#include <cassert>

namespace shoal::ctl {
namespace {

bool g_headers = true;

}  // namespace

void SetTableHeaders(bool on) { g_headers = on; }
bool TableHeaders() { return g_headers; }

Table::Table(std::vector<std::string> columns) {
  for (auto& c : columns) {
    bool right = !c.empty() && c.front() == '>';
    right_.push_back(right);
    header_.push_back(right ? c.substr(1) : c);
  }
}

void Table::Add(std::vector<std::string> row) {
  assert(row.size() == header_.size());
  row.resize(header_.size());
  rows_.push_back(std::move(row));
}

std::string Table::Render(const std::string& indent) const {
  std::vector<size_t> width(header_.size());
  for (size_t c = 0; c < header_.size(); ++c) width[c] = header_[c].size();
  for (const auto& row : rows_) {
    for (size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
  }
  std::string out;
  auto line = [&](const std::vector<std::string>& cells) {
    std::string text = indent;
    for (size_t c = 0; c < cells.size(); ++c) {
      std::string pad(width[c] - cells[c].size(), ' ');
      text += right_[c] ? pad + cells[c] : cells[c] + (c + 1 < cells.size() ? pad : "");
      if (c + 1 < cells.size()) text += "  ";
    }
    out += text + "\n";
  };
  if (g_headers) line(header_);
  for (const auto& row : rows_) line(row);
  return out;
}

}  // namespace shoal::ctl
