#include "daemon/secret_file.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include <spdlog/spdlog.h>

namespace shoal::daemon {

Status GuardSecretFile(const std::string& path, const char* what) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return MakeError("{} {}: {}", what, path, std::strerror(errno));
  if (!S_ISREG(st.st_mode)) return MakeError("{} {} is not a regular file", what, path);
  const unsigned mode = st.st_mode & 07777;
  if ((mode & (S_IWGRP | S_IWOTH)) != 0) {
    return MakeError("{} {} is writable by others (mode {:04o}), so its content cannot be trusted: check it, then "
                     "chmod 600 {}",
                     what, path, mode, path);
  }
  if ((mode & (S_IRWXG | S_IRWXO)) != 0) {
    if (::chmod(path.c_str(), mode & S_IRWXU) != 0) {
      return MakeError("{} {} is readable by others (mode {:04o}) and cannot be made private: {}; chmod 600 {}",
                       what, path, mode, std::strerror(errno), path);
    }
    spdlog::warn("{} {} was readable by others (mode {:04o}): made it {:04o}", what, path, mode, mode & S_IRWXU);
  }
  return Status::Ok();
}

}  // namespace shoal::daemon
