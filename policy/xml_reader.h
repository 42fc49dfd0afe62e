// Reading an XML document element by element while collecting errors that
// name the line, column and element: what the policy parser needs from
// pugixml besides the policy's own elements. Typed attribute readers report
// a bad value and return nothing, so a reader goes on and reports every
// error of a document at once.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <pugixml.hpp>

#include "core/result.h"
#include "policy/parser.h"

namespace shoal::policy {

// The element children of a node, in order (comments and text skipped).
std::vector<pugi::xml_node> Elements(pugi::xml_node n);

class XmlReader {
 public:
  explicit XmlReader(std::string_view text);

  // The errors so far, by position in the document.
  std::vector<PolicyError> TakeErrors();

 protected:
  // Line and column (from 1) of a byte offset into the text.
  std::pair<int, int> Position(size_t offset) const;
  int LineOf(pugi::xml_node n) const;

  template <typename... Args>
  void Error(pugi::xml_node n, fmt::format_string<Args...> f, Args&&... args) {
    AddError(n, fmt::format(f, std::forward<Args>(args)...));
  }
  void AddError(pugi::xml_node n, std::string message);
  // An error found after parsing: the column is where the element opens on its line.
  void ErrorAt(int line, const std::string& element, std::string message);
  // An error of the whole document (its size, its well-formedness).
  void DocumentError(int line, int column, std::string element, std::string message);

  // Refuses attributes not in `known` and text content.
  void CheckAttributes(pugi::xml_node n, std::initializer_list<std::string_view> known);
  void NoChildren(pugi::xml_node n);
  void UnknownChild(pugi::xml_node parent, pugi::xml_node c, std::string_view known);

  std::optional<std::string> Attr(pugi::xml_node n, const char* name);
  std::optional<std::string> Required(pugi::xml_node n, const char* name);
  // A required name: 1-100 letters, digits, '-', '_' or '.'.
  std::optional<std::string> Name(pugi::xml_node n, const char* attr);
  // The value of `r`, or an error naming `attr`.
  template <typename T>
  std::optional<T> Check(pugi::xml_node n, const char* attr, Result<T> r) {
    if (!r.ok()) {
      Error(n, "{}: {}", attr, r.error().message);
      return std::nullopt;
    }
    return *r;
  }
  std::optional<int64_t> Integer(pugi::xml_node n, const char* attr, int64_t lo, int64_t hi);
  std::optional<bool> Bool(pugi::xml_node n, const char* attr);

  bool has_errors() const { return !errors_.empty(); }
  std::string_view text() const { return text_; }

 private:
  std::string_view text_;
  std::vector<size_t> line_starts_;
  std::vector<PolicyError> errors_;
};

}  // namespace shoal::policy
