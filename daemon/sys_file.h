// Reading and writing the kernel's small files (/proc, cgroup control
// files) with plain system calls, so that a write's error is the kernel's
// own answer. Free functions; thread-safe.
#pragma once

#include <string>

#include "core/result.h"

namespace shoal::daemon {

// Reads a file whole, at most `limit` bytes; false if it cannot be opened.
bool ReadSmall(const std::string& path, std::string& out, size_t limit = 1 << 16);

// The same, with an error naming the file.
Result<std::string> ReadSmallFile(const std::string& path);

// One write() of `value`; the error names the file, the value and the
// kernel's reason.
Status WriteControl(const std::string& path, const std::string& value);

}  // namespace shoal::daemon
