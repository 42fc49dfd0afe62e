#include "daemon/policy_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

namespace shoal::daemon {
namespace {

constexpr std::string_view kMagic = "shoal-policy-version ";

std::string PathOf(const std::string& state_dir) { return state_dir + "/policy.active"; }

}  // namespace

Status SaveActivePolicy(const std::string& state_dir, const policy::PolicyVersion& version,
                        const std::string& text) {
  const std::string path = PathOf(state_dir);
  const std::string tmp = path + ".tmp";
  std::string data = fmt::format("{}{} {:016x}\n", kMagic, version.hlc, version.origin.value) + text;
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return MakeError("cannot write {}: {}", tmp, std::strerror(errno));
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int e = errno;
      ::close(fd);
      return MakeError("cannot write {}: {}", tmp, std::strerror(e));
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) return MakeError("cannot flush {}: {}", tmp, std::strerror(errno));
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return MakeError("cannot replace {}: {}", path, ec.message());
  return Status::Ok();
}

Result<std::optional<std::pair<policy::PolicyVersion, std::string>>> LoadActivePolicy(const std::string& state_dir) {
  const std::string path = PathOf(state_dir);
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::optional<std::pair<policy::PolicyVersion, std::string>>();
  std::stringstream s;
  s << in.rdbuf();
  std::string data = s.str();
  size_t nl = data.find('\n');
  std::string_view header(data.data(), nl == std::string::npos ? 0 : nl);
  if (nl == std::string::npos || header.substr(0, kMagic.size()) != kMagic) {
    return MakeError("{}: not a stored policy (bad header); remove it to start without one", path);
  }
  header.remove_prefix(kMagic.size());
  size_t space = header.find(' ');
  policy::PolicyVersion v;
  auto r1 = std::from_chars(header.data(), header.data() + (space == std::string_view::npos ? 0 : space), v.hlc);
  auto r2 = space == std::string_view::npos
                ? std::from_chars_result{nullptr, std::errc::invalid_argument}
                : std::from_chars(header.data() + space + 1, header.data() + header.size(), v.origin.value, 16);
  if (r1.ec != std::errc() || r2.ec != std::errc() || r2.ptr != header.data() + header.size() || v.empty()) {
    return MakeError("{}: the version in its first line does not parse; remove it to start without one", path);
  }
  return std::optional<std::pair<policy::PolicyVersion, std::string>>(std::make_pair(v, data.substr(nl + 1)));
}

}  // namespace shoal::daemon
