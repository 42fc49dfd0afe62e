#include "core/file_limit.h"

#include <sys/resource.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace shoal {

Result<uint64_t> RaiseFileLimit(uint64_t want) {
  rlimit now{};
  if (getrlimit(RLIMIT_NOFILE, &now) != 0) {
    return MakeError("cannot read the open-file limit: {}", std::strerror(errno));
  }
  if (want == 0) want = now.rlim_max;
  rlimit next = now;
  const char* refused = nullptr;
  if (want > now.rlim_max) {
    next.rlim_max = want;
    next.rlim_cur = want;
    if (setrlimit(RLIMIT_NOFILE, &next) == 0) return want;
    refused = std::strerror(errno);
    next = now;
  }
  next.rlim_cur = std::max<rlim_t>(now.rlim_cur, std::min<rlim_t>(want, now.rlim_max));
  if (next.rlim_cur != now.rlim_cur && setrlimit(RLIMIT_NOFILE, &next) != 0) {
    return MakeError("cannot raise the open-file limit from {} to {}: {}", now.rlim_cur, next.rlim_cur,
                     std::strerror(errno));
  }
  if (refused != nullptr) {
    return MakeError("open-file limit {} asked, the hard limit {} could not be raised ({}); raise it with "
                     "`ulimit -Hn {}` or LimitNOFILE=",
                     want, now.rlim_max, refused, want);
  }
  return static_cast<uint64_t>(next.rlim_cur);
}

}  // namespace shoal
