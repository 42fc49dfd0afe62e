#include "core/logging.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <utility>
#include <vector>

#include <fmt/chrono.h>
#include <nlohmann/json.hpp>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <systemd/sd-journal.h>

namespace shoal {
namespace {

thread_local std::vector<std::pair<std::string, std::string>> t_fields;
std::string g_format = "text";

// The journal's priorities are syslog's.
int Priority(spdlog::level::level_enum l) {
  switch (l) {
    case spdlog::level::trace:
    case spdlog::level::debug: return 7;
    case spdlog::level::info: return 6;
    case spdlog::level::warn: return 4;
    case spdlog::level::err: return 3;
    default: return 2;
  }
}

class JournalSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit JournalSink(std::string node) : node_(std::move(node)) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& m) override {
    std::vector<std::string> lines = {
        "MESSAGE=" + std::string(m.payload.data(), m.payload.size()),
        "PRIORITY=" + std::to_string(Priority(m.level)),
        "SYSLOG_IDENTIFIER=shoald",
        "SHOAL_NODE=" + node_,
    };
    for (const auto& [k, v] : t_fields) lines.push_back(k + "=" + v);
    std::vector<iovec> iov;
    for (auto& l : lines) iov.push_back({l.data(), l.size()});
    sd_journal_sendv(iov.data(), static_cast<int>(iov.size()));
  }
  void flush_() override {}

 private:
  std::string node_;
};

// SHOAL_PEER -> peer: JSON keys in the style of the others.
std::string JsonKey(std::string_view field) {
  if (field.starts_with("SHOAL_")) field.remove_prefix(6);
  std::string key(field);
  for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return key;
}

class JsonSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit JsonSink(std::string node) : node_(std::move(node)) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& m) override {
    nlohmann::json j;
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(m.time.time_since_epoch()).count() % 1000;
    j["time"] = fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03}Z", fmt::gmtime(std::chrono::system_clock::to_time_t(m.time)),
                            ms);
    j["level"] = std::string(spdlog::level::to_string_view(m.level).data(),
                             spdlog::level::to_string_view(m.level).size());
    j["node"] = node_;
    j["msg"] = std::string(m.payload.data(), m.payload.size());
    for (const auto& [k, v] : t_fields) j[JsonKey(k)] = v;
    const std::string line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    std::fwrite(line.data(), 1, line.size(), stderr);
  }
  void flush_() override { std::fflush(stderr); }

 private:
  std::string node_;
};

// systemd hands a service's standard error to the journal and names that
// stream "DEVICE:INODE" in $JOURNAL_STREAM.
bool StderrIsJournal() {
  const char* stream = std::getenv("JOURNAL_STREAM");
  struct stat st {};
  if (stream == nullptr || fstat(STDERR_FILENO, &st) != 0) return false;
  return fmt::format("{}:{}", st.st_dev, st.st_ino) == stream;
}

Result<spdlog::level::level_enum> ParseLevel(std::string_view level) {
  auto lvl = spdlog::level::from_str(std::string(level));
  if (lvl == spdlog::level::off && level != "off") {
    return MakeError("log level '{}' is not one of trace, debug, info, warn, error, critical, off", level);
  }
  return lvl;
}

}  // namespace

Status CheckLogSettings(std::string_view level, std::string_view format) {
  if (auto l = ParseLevel(level); !l.ok()) return l.error();
  if (format != "auto" && format != "text" && format != "json" && format != "journal") {
    return MakeError("log format '{}' is not one of auto, text, json, journal", format);
  }
  return Status::Ok();
}

Status SetupLogging(std::string_view level, std::string_view node_name, std::string_view format) {
  if (auto s = CheckLogSettings(level, format); !s.ok()) return s;
  const std::string name(node_name.empty() ? "shoal" : node_name);
  g_format = format == "auto" ? (StderrIsJournal() ? "journal" : "text") : std::string(format);
  std::shared_ptr<spdlog::logger> logger;
  if (g_format == "journal") {
    logger = std::make_shared<spdlog::logger>(name, std::make_shared<JournalSink>(name));
  } else if (g_format == "json") {
    logger = std::make_shared<spdlog::logger>(name, std::make_shared<JsonSink>(name));
  } else {
    spdlog::drop(name);
    logger = spdlog::stderr_color_mt(name);
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ [%n] %v");
  }
  logger->set_level(*ParseLevel(level));
  spdlog::set_default_logger(logger);
  return Status::Ok();
}

Status SetLogLevel(std::string_view level) {
  auto l = ParseLevel(level);
  if (!l.ok()) return l.error();
  spdlog::default_logger()->set_level(*l);
  return Status::Ok();
}

std::string_view LogFormatInUse() { return g_format; }

LogField::LogField(std::string_view name, std::string_view value) { t_fields.emplace_back(name, value); }
LogField::~LogField() { t_fields.pop_back(); }

}  // namespace shoal
