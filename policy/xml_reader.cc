#include "policy/xml_reader.h"

#include <algorithm>
#include <charconv>
#include <tuple>

namespace shoal::policy {

std::vector<pugi::xml_node> Elements(pugi::xml_node n) {
  std::vector<pugi::xml_node> out;
  for (pugi::xml_node c : n.children()) {
    if (c.type() == pugi::node_element) out.push_back(c);
  }
  return out;
}

XmlReader::XmlReader(std::string_view text) : text_(text) {
  line_starts_.push_back(0);
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n') line_starts_.push_back(i + 1);
  }
}

std::vector<PolicyError> XmlReader::TakeErrors() {
  std::sort(errors_.begin(), errors_.end(), [](const PolicyError& a, const PolicyError& b) {
    return std::tie(a.line, a.column) < std::tie(b.line, b.column);
  });
  return std::move(errors_);
}

std::pair<int, int> XmlReader::Position(size_t offset) const {
  auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), offset);
  size_t line = static_cast<size_t>(it - line_starts_.begin());
  return {static_cast<int>(line), static_cast<int>(offset - line_starts_[line - 1] + 1)};
}

int XmlReader::LineOf(pugi::xml_node n) const {
  return Position(static_cast<size_t>(std::max<ptrdiff_t>(0, n.offset_debug()))).first;
}

void XmlReader::AddError(pugi::xml_node n, std::string message) {
  auto [line, column] = Position(static_cast<size_t>(std::max<ptrdiff_t>(0, n.offset_debug())));
  // offset_debug points at the name; the element starts at its '<'.
  errors_.push_back({line, std::max(1, column - 1), fmt::format("<{}>", n.name()), std::move(message)});
}

void XmlReader::ErrorAt(int line, const std::string& element, std::string message) {
  int column = 1;
  if (line >= 1 && static_cast<size_t>(line) <= line_starts_.size()) {
    size_t start = line_starts_[static_cast<size_t>(line) - 1];
    size_t end = text_.find('\n', start);
    std::string_view l = text_.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    size_t at = l.find(std::string_view(element).substr(0, element.size() - 1));  // "<name"
    if (at != std::string_view::npos) column = static_cast<int>(at) + 1;
  }
  errors_.push_back({line, column, element, std::move(message)});
}

void XmlReader::DocumentError(int line, int column, std::string element, std::string message) {
  errors_.push_back({line, column, std::move(element), std::move(message)});
}

void XmlReader::CheckAttributes(pugi::xml_node n, std::initializer_list<std::string_view> known) {
  for (pugi::xml_attribute a : n.attributes()) {
    bool ok = false;
    for (auto k : known) ok = ok || k == a.name();
    if (!ok) {
      std::string list;
      for (auto k : known) list += (list.empty() ? "" : ", ") + std::string(k);
      Error(n, "unknown attribute \"{}\" (known: {})", a.name(), list.empty() ? "none" : list);
    }
  }
  for (pugi::xml_node c : n.children()) {
    if (c.type() == pugi::node_pcdata || c.type() == pugi::node_cdata) {
      std::string_view t = c.value();
      if (t.find_first_not_of(" \t\r\n") != std::string_view::npos) Error(n, "text is not allowed here");
    }
  }
}

void XmlReader::NoChildren(pugi::xml_node n) {
  if (!Elements(n).empty()) Error(n, "<{}> cannot contain elements", n.name());
}

void XmlReader::UnknownChild(pugi::xml_node parent, pugi::xml_node c, std::string_view known) {
  Error(c, "unknown element inside <{}> (expected {})", parent.name(), known);
}

std::optional<std::string> XmlReader::Attr(pugi::xml_node n, const char* name) {
  pugi::xml_attribute a = n.attribute(name);
  if (!a) return std::nullopt;
  return std::string(a.value());
}

std::optional<std::string> XmlReader::Required(pugi::xml_node n, const char* name) {
  auto v = Attr(n, name);
  if (!v) Error(n, "missing attribute \"{}\"", name);
  return v;
}

std::optional<std::string> XmlReader::Name(pugi::xml_node n, const char* attr) {
  auto v = Required(n, attr);
  if (!v) return std::nullopt;
  if (v->empty() || v->size() > 100 ||
      v->find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") !=
          std::string::npos) {
    Error(n, "{}=\"{}\": use 1-100 letters, digits, '-', '_' or '.'", attr, *v);
    return std::nullopt;
  }
  return v;
}

std::optional<int64_t> XmlReader::Integer(pugi::xml_node n, const char* attr, int64_t lo, int64_t hi) {
  auto v = Attr(n, attr);
  if (!v) return std::nullopt;
  int64_t x = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), x);
  if (ec != std::errc() || p != v->data() + v->size() || x < lo || x > hi) {
    Error(n, "{}=\"{}\": expected a whole number from {} to {}", attr, *v, lo, hi);
    return std::nullopt;
  }
  return x;
}

std::optional<bool> XmlReader::Bool(pugi::xml_node n, const char* attr) {
  auto v = Attr(n, attr);
  if (!v) return std::nullopt;
  if (*v == "true") return true;
  if (*v == "false") return false;
  Error(n, "{}=\"{}\": expected true or false", attr, *v);
  return std::nullopt;
}

}  // namespace shoal::policy
