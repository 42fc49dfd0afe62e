// A small tmpfs for one test, mounted at a fresh directory and unmounted
// on the way out even when the test fails (lazily: a daemon still holding
// files there does not keep it). Needs root.
#pragma once

#include <sys/mount.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

#include "test/support/temp_dir.h"

namespace shoal::testing {

struct SmallTmpfs {
  TempDir dir;
  std::string path;
  SmallTmpfs(size_t bytes, std::string at = "") : path(at.empty() ? dir.File("mnt") : std::move(at)) {
    std::filesystem::create_directories(path);
    const std::string opts = "size=" + std::to_string(bytes) + ",mode=0700";
    if (::mount("shoal-test", path.c_str(), "tmpfs", 0, opts.c_str()) != 0) {
      throw std::runtime_error("mount tmpfs at " + path + ": " + std::strerror(errno));
    }
  }
  ~SmallTmpfs() { ::umount2(path.c_str(), MNT_DETACH); }
  SmallTmpfs(const SmallTmpfs&) = delete;
  SmallTmpfs& operator=(const SmallTmpfs&) = delete;

  // Fills what is left with a file; returns its path.
  std::string Fill() const {
    const std::string filler = path + "/filler";
    std::ofstream f(filler, std::ios::binary);
    const std::string mb(1 << 20, '\0');
    while (f.write(mb.data(), static_cast<std::streamsize>(mb.size()))) f.flush();
    return filler;
  }
};

}  // namespace shoal::testing
