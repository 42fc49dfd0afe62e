#include "store/rocks_logger.h"

#include <cstdarg>
#include <algorithm>
#include <cstdio>
#include <string_view>

#include <rocksdb/env.h>
#include <spdlog/spdlog.h>

namespace shoal::store {
namespace {

class RocksLogger final : public rocksdb::Logger {
 public:
  RocksLogger() : rocksdb::Logger(rocksdb::InfoLogLevel::WARN_LEVEL) {}

  void Logv(const char* format, va_list ap) override { Logv(rocksdb::InfoLogLevel::INFO_LEVEL, format, ap); }

  void Logv(const rocksdb::InfoLogLevel level, const char* format, va_list ap) override {
    if (level < GetInfoLogLevel() || level == rocksdb::InfoLogLevel::HEADER_LEVEL) return;
    char text[1024];
    va_list copy;
    va_copy(copy, ap);
    const int n = std::vsnprintf(text, sizeof text, format, copy);
    va_end(copy);
    std::string_view line(text, n < 0 ? 0 : std::min<size_t>(static_cast<size_t>(n), sizeof text - 1));
    while (!line.empty() && (line.back() == '\n' || line.back() == ' ')) line.remove_suffix(1);
    if (level >= rocksdb::InfoLogLevel::ERROR_LEVEL) {
      spdlog::error("history store (RocksDB): {}", line);
    } else {
      spdlog::warn("history store (RocksDB): {}", line);
    }
  }
};

}  // namespace

std::shared_ptr<rocksdb::Logger> NewRocksLogger() { return std::make_shared<RocksLogger>(); }

}  // namespace shoal::store
