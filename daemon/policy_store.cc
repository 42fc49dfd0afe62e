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

// "HLC ORIGIN [REVISION]": files written before revisions lack the third.
std::optional<policy::PolicyVersion> ParseHeader(std::string_view header) {
  policy::PolicyVersion v;
  const char* end = header.data() + header.size();
  auto r = std::from_chars(header.data(), end, v.hlc);
  if (r.ec != std::errc() || r.ptr == end || *r.ptr != ' ') return std::nullopt;
  r = std::from_chars(r.ptr + 1, end, v.origin.value, 16);
  if (r.ec != std::errc()) return std::nullopt;
  if (r.ptr != end) {
    if (*r.ptr != ' ') return std::nullopt;
    r = std::from_chars(r.ptr + 1, end, v.revision);
    if (r.ec != std::errc() || r.ptr != end) return std::nullopt;
  }
  if (v.empty()) return std::nullopt;
  return v;
}

}  // namespace

Status WritePolicyFile(const std::string& path, const policy::PolicyVersion& version, const std::string& blob) {
  const std::string tmp = path + ".tmp";
  std::string data =
      fmt::format("{}{} {:016x} {}\n", kMagic, version.hlc, version.origin.value, version.revision) + blob;
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

Result<std::optional<StoredPolicy>> ReadPolicyFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::optional<StoredPolicy>();
  std::stringstream s;
  s << in.rdbuf();
  std::string data = s.str();
  size_t nl = data.find('\n');
  std::string_view header(data.data(), nl == std::string::npos ? 0 : nl);
  if (nl == std::string::npos || header.substr(0, kMagic.size()) != kMagic) {
    return MakeError("{}: not a stored policy (bad header); remove it to start without one", path);
  }
  auto v = ParseHeader(header.substr(kMagic.size()));
  if (!v) return MakeError("{}: the version in its first line does not parse; remove it to start without one", path);
  return std::optional<StoredPolicy>(StoredPolicy{*v, data.substr(nl + 1)});
}

}  // namespace shoal::daemon
