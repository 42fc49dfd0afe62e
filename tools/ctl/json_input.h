// Strict reading of the JSON documents shoalctl takes from operators
// (`allocate`, `plan`). Every value is checked on the way in, and an error
// names the field by its path (`consumers[1].levels[0]`) and says what is
// wrong. Unknown fields are refused, so a misspelt key is not silently
// ignored. Thread-compatible.
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/result.h"

namespace shoal::ctl {

using Json = nlohmann::json;

// Thrown by the readers below; ReadJsonDocument's callers turn it into an
// Error at the top of the parse.
struct InputError {
  std::string message;
};

// Parses text (syntax errors name line and column; `source` names the file).
Result<Json> ParseJsonText(std::string_view text, std::string_view source);

// Reads a whole file, or standard input for "-".
Result<std::string> ReadInputFile(const std::string& path);
// How errors name what ReadInputFile read: the path, or "standard input".
inline std::string SourceName(const std::string& path) { return path == "-" ? "standard input" : path; }

// A view of one JSON object at `path` ("" for the document itself).
class JsonObject {
 public:
  // Throws InputError if `value` is not an object or has a key not in `known`.
  JsonObject(const Json& value, std::string path, std::initializer_list<std::string_view> known);

  bool Has(std::string_view key) const;
  std::string Path(std::string_view key) const;

  // A number >= min (and <= max). Without a fallback the key is required.
  double Number(std::string_view key, std::optional<double> fallback = std::nullopt,
                double min = 0, double max = 1e18) const;
  // A whole number in [min, max].
  int64_t Integer(std::string_view key, std::optional<int64_t> fallback, int64_t min,
                  int64_t max) const;
  bool Bool(std::string_view key, bool fallback) const;
  // A non-empty string of at most 200 printable characters.
  std::string Name(std::string_view key) const;
  std::string String(std::string_view key, std::string fallback) const;
  // The object at key, with its own known fields. REQUIRES: Has(key).
  JsonObject Child(std::string_view key, std::initializer_list<std::string_view> known) const;
  // The array at key (required unless `optional`; absent reads as empty).
  const Json& Array(std::string_view key, bool optional = false) const;

 private:
  const Json& Get(std::string_view key) const;

  const Json& value_;
  std::string path_;
};

// Element path inside an array: "consumers[3]".
std::string ElementPath(const std::string& array_path, size_t index);

// A number >= min read from an array element.
double NumberAt(const Json& value, const std::string& path, double min = 0);

// Formats an amount for people and scripts: at most 6 decimals, no trailing
// zeros ("6.5", "4", never "-0").
std::string FormatAmount(double x);
// The same rounding for JSON output: a whole number where it is one.
Json AmountJson(double x);

}  // namespace shoal::ctl
