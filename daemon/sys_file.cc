#include "daemon/sys_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace shoal::daemon {

bool ReadSmall(const std::string& path, std::string& out, size_t limit) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  out.clear();
  char buf[4096];
  while (out.size() < limit) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return true;
}

Result<std::string> ReadSmallFile(const std::string& path) {
  std::string out;
  if (!ReadSmall(path, out)) return MakeError("cannot read {}: {}", path, std::strerror(errno));
  return out;
}

Status WriteControl(const std::string& path, const std::string& value) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return MakeError("cannot open {}: {}", path, std::strerror(errno));
  ssize_t n = ::write(fd, value.data(), value.size());
  int err = errno;
  ::close(fd);
  if (n != static_cast<ssize_t>(value.size())) {
    return MakeError("writing \"{}\" to {}: {}", value, path, std::strerror(n < 0 ? err : EIO));
  }
  return Status::Ok();
}

}  // namespace shoal::daemon
