#include "tools/ctl/json_input.h"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include <fmt/format.h>

namespace shoal::ctl {
namespace {

// Documents larger than this are refused before parsing.
constexpr size_t kMaxInputBytes = 64 << 20;

std::string TypeName(const Json& v) { return v.type_name(); }

[[noreturn]] void Fail(std::string message) { throw InputError{std::move(message)}; }

std::string BelowMinimum(const std::string& path, double x, double min) {
  if (min == 0) return fmt::format("{}: {} is negative; amounts are 0 or more", path, FormatAmount(x));
  return fmt::format("{}: {} is below the smallest allowed, {}", path, FormatAmount(x), FormatAmount(min));
}

std::string Where(const std::string& path) { return path.empty() ? "the document" : path; }

}  // namespace

Result<Json> ParseJsonText(std::string_view text, std::string_view source) {
  if (text.size() > kMaxInputBytes) {
    return MakeError("{}: {} bytes is more than the {} bytes accepted", source, text.size(),
                     kMaxInputBytes);
  }
  try {
    return Json::parse(text.begin(), text.end());
  } catch (const Json::exception& e) {
    // parse_error, or out_of_range for a number too large for a double.
    // nlohmann's message reads "[json.exception.parse_error.101] parse error at
    // line 3, column 5: ..."; keep the part after the bracket.
    std::string what = e.what();
    auto close = what.find("] ");
    if (close != std::string::npos) what = what.substr(close + 2);
    return MakeError("{}: not valid JSON: {}", source, what);
  }
}

Result<std::string> ReadInputFile(const std::string& path) {
  std::string text;
  if (path == "-") {
    std::ostringstream buffer;
    buffer << std::cin.rdbuf();
    text = buffer.str();
  } else {
    std::ifstream in(path, std::ios::binary);
    if (!in) return MakeError("{}: cannot open: {}", path, std::strerror(errno));
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    if (in.bad()) return MakeError("{}: read failed: {}", path, std::strerror(errno));
  }
  return text;
}

JsonObject::JsonObject(const Json& value, std::string path,
                       std::initializer_list<std::string_view> known)
    : value_(value), path_(std::move(path)) {
  if (!value_.is_object()) Fail(fmt::format("{}: expected an object, found {}", Where(path_), TypeName(value_)));
  for (const auto& [key, v] : value_.items()) {
    bool ok = false;
    for (std::string_view k : known) ok = ok || k == key;
    if (!ok) {
      std::string list;
      for (std::string_view k : known) list += fmt::format("{}{}", list.empty() ? "" : ", ", k);
      Fail(fmt::format("{}: unknown field (known: {})", Path(key), list));
    }
  }
}

bool JsonObject::Has(std::string_view key) const { return value_.contains(key); }

std::string JsonObject::Path(std::string_view key) const {
  return path_.empty() ? std::string(key) : fmt::format("{}.{}", path_, key);
}

const Json& JsonObject::Get(std::string_view key) const {
  auto it = value_.find(key);
  if (it == value_.end()) Fail(fmt::format("{}: missing", Path(key)));
  return *it;
}

double JsonObject::Number(std::string_view key, std::optional<double> fallback, double min,
                          double max) const {
  if (!Has(key) && fallback) return *fallback;
  const Json& v = Get(key);
  if (!v.is_number()) Fail(fmt::format("{}: expected a number, found {}", Path(key), TypeName(v)));
  double x = v.get<double>();
  if (!std::isfinite(x)) Fail(fmt::format("{}: not a finite number", Path(key)));
  if (x < min) Fail(BelowMinimum(Path(key), x, min));
  if (x > max) {
    Fail(fmt::format("{}: {} is above the largest allowed, {}", Path(key), FormatAmount(x),
                     FormatAmount(max)));
  }
  return x;
}

int64_t JsonObject::Integer(std::string_view key, std::optional<int64_t> fallback, int64_t min,
                            int64_t max) const {
  if (!Has(key) && fallback) return *fallback;
  const Json& v = Get(key);
  if (!v.is_number_integer()) {
    Fail(fmt::format("{}: expected a whole number, found {}", Path(key), v.dump()));
  }
  int64_t x = v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)
                  ? INT64_MAX
                  : v.get<int64_t>();
  if (x < min || x > max) Fail(fmt::format("{}: {} is outside {}..{}", Path(key), x, min, max));
  return x;
}

bool JsonObject::Bool(std::string_view key, bool fallback) const {
  if (!Has(key)) return fallback;
  const Json& v = Get(key);
  if (!v.is_boolean()) Fail(fmt::format("{}: expected true or false, found {}", Path(key), v.dump()));
  return v.get<bool>();
}

std::string JsonObject::Name(std::string_view key) const {
  const Json& v = Get(key);
  if (!v.is_string()) Fail(fmt::format("{}: expected a string, found {}", Path(key), TypeName(v)));
  std::string s = v.get<std::string>();
  if (s.empty()) Fail(fmt::format("{}: must not be empty", Path(key)));
  if (s.size() > 200) Fail(fmt::format("{}: longer than 200 characters", Path(key)));
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) Fail(fmt::format("{}: contains a control character", Path(key)));
  }
  return s;
}

std::string JsonObject::String(std::string_view key, std::string fallback) const {
  if (!Has(key)) return fallback;
  const Json& v = Get(key);
  if (!v.is_string()) Fail(fmt::format("{}: expected a string, found {}", Path(key), TypeName(v)));
  return v.get<std::string>();
}

JsonObject JsonObject::Child(std::string_view key,
                             std::initializer_list<std::string_view> known) const {
  return JsonObject(Get(key), Path(key), known);
}

const Json& JsonObject::Array(std::string_view key, bool optional) const {
  static const Json kEmpty = Json::array();
  if (!Has(key) && optional) return kEmpty;
  const Json& v = Get(key);
  if (!v.is_array()) Fail(fmt::format("{}: expected an array, found {}", Path(key), TypeName(v)));
  return v;
}

std::string ElementPath(const std::string& array_path, size_t index) {
  return fmt::format("{}[{}]", array_path, index);
}

double NumberAt(const Json& value, const std::string& path, double min) {
  if (!value.is_number()) Fail(fmt::format("{}: expected a number, found {}", path, TypeName(value)));
  double x = value.get<double>();
  if (!std::isfinite(x)) Fail(fmt::format("{}: not a finite number", path));
  if (x < min) Fail(BelowMinimum(path, x, min));
  return x;
}

std::string FormatAmount(double x) {
  std::string s = fmt::format("{:.6f}", x);
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  if (s == "-0") s = "0";
  return s;
}

Json AmountJson(double x) {
  double r = std::round(x * 1e6) / 1e6;
  if (r == std::floor(r) && std::abs(r) < 9e15) return static_cast<int64_t>(r);
  return r;
}

}  // namespace shoal::ctl
