#include "daemon/boot_counter.h"

#include <chrono>
#include <filesystem>
#include <fstream>

namespace shoal::daemon {

Result<uint64_t> NextBoot(const std::string& state_dir) {
  std::error_code ec;
  std::filesystem::create_directories(state_dir, ec);
  if (ec) return MakeError("cannot create state directory {}: {}", state_dir, ec.message());
  const std::string path = state_dir + "/boot";
  uint64_t last = 0;
  if (std::ifstream in(path); in) in >> last;
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  const uint64_t boot = std::max<uint64_t>(static_cast<uint64_t>(now), last + 1);
  // Versions are boot << 32: keep the boot below 2^31.
  if (boot >= (uint64_t{1} << 31)) return MakeError("boot number {} in {} is too large", boot, path);
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << boot << "\n";
    out.flush();
    if (!out) return MakeError("cannot write {}", tmp);
  }
  std::filesystem::rename(tmp, path, ec);
  if (ec) return MakeError("cannot replace {}: {}", path, ec.message());
  return boot;
}

}  // namespace shoal::daemon
