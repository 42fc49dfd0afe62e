#include "daemon/secret_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace shoal::daemon {

Status GuardSecretFile(const std::string& path, const char* what, FileTrust trust) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return MakeError("{} {}: {}", what, path, std::strerror(errno));
  if (!S_ISREG(st.st_mode)) return MakeError("{} {} is not a regular file", what, path);
  const unsigned mode = st.st_mode & 07777;
  if ((mode & (S_IWGRP | S_IWOTH)) != 0) {
    return MakeError("{} {} is writable by others (mode {:04o}), so its content cannot be trusted: check it, then "
                     "chmod {} {}",
                     what, path, mode, trust == FileTrust::kSecret ? "600" : "644", path);
  }
  if (trust == FileTrust::kSecret && (mode & (S_IRWXG | S_IRWXO)) != 0) {
    return MakeError("{} {} is readable by others (mode {:04o}): it holds secrets; if only its owner should have "
                     "seen them, chmod 600 {} (and if others did, make new ones)",
                     what, path, mode, path);
  }
  return Status::Ok();
}

Result<Tokens> LoadGuardedTokens(const std::string& path) {
  if (auto s = GuardSecretFile(path, "tokens file"); !s.ok()) return s.error();
  return Tokens::Load(path);
}

Status AppendSecretLine(const std::string& path, const std::string& line, const char* what) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return MakeError("cannot open {} {}: {}", what, path, std::strerror(errno));
  Status s = GuardSecretFile(path, what);
  if (s.ok() && ::write(fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
    s = MakeError("cannot write {} {}: {}", what, path, std::strerror(errno));
  }
  ::close(fd);
  return s;
}

}  // namespace shoal::daemon
