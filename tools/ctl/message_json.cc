#include "tools/ctl/message_json.h"

#include <sodium.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <iterator>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "daemon/control/event_format.h"

namespace shoal::ctl {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

class Writer {
 public:
  explicit Writer(std::string& out) : out_(out) {}

  void Object(const Message& m) {
    const Reflection& r = *m.GetReflection();
    const auto& d = *m.GetDescriptor();
    out_ += '{';
    bool first = true;
    for (int i = 0; i < d.field_count(); ++i) {
      const FieldDescriptor& f = *d.field(i);
      if (!f.is_repeated() && f.has_presence() && !r.HasField(m, &f)) continue;
      if (!first) out_ += ',';
      first = false;
      Key(f.name());
      if (f.is_map()) {
        Map(m, f);
      } else if (f.is_repeated()) {
        Array(m, f);
      } else {
        Value(m, f, -1);
      }
      TimeSibling(m, f);
    }
    out_ += '}';
  }

 private:
  // After a time in milliseconds since the epoch, the same time in RFC
  // 3339 under the name without "_ms" (when above 0).
  void TimeSibling(const Message& m, const FieldDescriptor& f) {
    const std::string& name = f.name();
    const bool time = name == "time_ms" || name == "from_ms" || name == "to_ms" || name == "before_ms" ||
                      name == "after_ms";
    if (!time || f.is_repeated() || f.cpp_type() != FieldDescriptor::CPPTYPE_INT64) return;
    const int64_t ms = m.GetReflection()->GetInt64(m, &f);
    if (ms <= 0) return;
    out_ += ',';
    Key(name.substr(0, name.size() - 3));
    String(daemon::control::Rfc3339(ms));
  }

  void Key(const std::string& name) {
    String(name);
    out_ += ':';
  }

  void String(const std::string& s) {
    out_ += nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }

  void Array(const Message& m, const FieldDescriptor& f) {
    const int n = m.GetReflection()->FieldSize(m, &f);
    out_ += '[';
    for (int k = 0; k < n; ++k) {
      if (k > 0) out_ += ',';
      Value(m, f, k);
    }
    out_ += ']';
  }

  // A map field is a repeated message of key and value: written as an
  // object, its entries sorted by key (the wire keeps no order).
  void Map(const Message& m, const FieldDescriptor& f) {
    const Reflection& r = *m.GetReflection();
    const FieldDescriptor& key = *f.message_type()->map_key();
    const FieldDescriptor& value = *f.message_type()->map_value();
    std::vector<std::pair<std::string, const Message*>> entries;
    for (int k = 0; k < r.FieldSize(m, &f); ++k) {
      const Message& e = r.GetRepeatedMessage(m, &f, k);
      std::string text;  // keys are strings in JSON: a number's or a bool's text
      if (key.cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
        text = e.GetReflection()->GetString(e, &key);
      } else {
        Writer(text).Value(e, key, -1);
      }
      entries.emplace_back(std::move(text), &e);
    }
    std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    out_ += '{';
    for (size_t k = 0; k < entries.size(); ++k) {
      if (k > 0) out_ += ',';
      Key(entries[k].first);
      Value(*entries[k].second, value, -1);
    }
    out_ += '}';
  }

  void Double(double v) {
    if (std::isnan(v)) return String("NaN");
    if (std::isinf(v)) return String(v > 0 ? "Infinity" : "-Infinity");
    fmt::format_to(std::back_inserter(out_), "{}", v);
  }

  // Field f of m (element k when repeated).
  void Value(const Message& m, const FieldDescriptor& f, int k) {
    const Reflection& r = *m.GetReflection();
    const bool rep = k >= 0;
    auto put = [this](auto v) { fmt::format_to(std::back_inserter(out_), "{}", v); };
    switch (f.cpp_type()) {
      case FieldDescriptor::CPPTYPE_INT32: return put(rep ? r.GetRepeatedInt32(m, &f, k) : r.GetInt32(m, &f));
      case FieldDescriptor::CPPTYPE_INT64: return put(rep ? r.GetRepeatedInt64(m, &f, k) : r.GetInt64(m, &f));
      case FieldDescriptor::CPPTYPE_UINT32: return put(rep ? r.GetRepeatedUInt32(m, &f, k) : r.GetUInt32(m, &f));
      case FieldDescriptor::CPPTYPE_UINT64: return put(rep ? r.GetRepeatedUInt64(m, &f, k) : r.GetUInt64(m, &f));
      case FieldDescriptor::CPPTYPE_DOUBLE: return Double(rep ? r.GetRepeatedDouble(m, &f, k) : r.GetDouble(m, &f));
      case FieldDescriptor::CPPTYPE_FLOAT: return Double(rep ? r.GetRepeatedFloat(m, &f, k) : r.GetFloat(m, &f));
      case FieldDescriptor::CPPTYPE_BOOL:
        out_ += (rep ? r.GetRepeatedBool(m, &f, k) : r.GetBool(m, &f)) ? "true" : "false";
        return;
      case FieldDescriptor::CPPTYPE_ENUM: {
        const int n = rep ? r.GetRepeatedEnumValue(m, &f, k) : r.GetEnumValue(m, &f);
        if (const auto* v = f.enum_type()->FindValueByNumber(n)) return String(v->name());
        return put(n);
      }
      case FieldDescriptor::CPPTYPE_STRING: {
        std::string s = rep ? r.GetRepeatedString(m, &f, k) : r.GetString(m, &f);
        return String(f.type() == FieldDescriptor::TYPE_BYTES ? Base64(s) : s);
      }
      case FieldDescriptor::CPPTYPE_MESSAGE: return Object(rep ? r.GetRepeatedMessage(m, &f, k) : r.GetMessage(m, &f));
    }
  }

  static std::string Base64(const std::string& bytes) {
    constexpr int kVariant = sodium_base64_VARIANT_ORIGINAL;
    std::string out(sodium_base64_ENCODED_LEN(bytes.size(), kVariant), '\0');
    sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
                      kVariant);
    out.resize(out.size() - 1);  // the terminating NUL
    return out;
  }

  std::string& out_;
};

}  // namespace

std::string MessageJson(const Message& m) {
  std::string out;
  Writer(out).Object(m);
  out += '\n';
  return out;
}

}  // namespace shoal::ctl
