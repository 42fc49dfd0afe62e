#include "daemon/proc_reader.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <charconv>
#include <cstring>
#include <unordered_map>

#include <fmt/format.h>

#include "daemon/sys_file.h"

namespace shoal::daemon {
namespace {

using policy::ProcessInfo;
using policy::ProcSnapshot;
using policy::Protocol;
using policy::SocketInfo;

// One read of a /proc file relative to an open directory: the kernel
// produces these small files whole in one read. False if it cannot be opened.
bool ReadOnce(int dirfd, const char* path, std::string& out, size_t limit) {
  int fd = ::openat(dirfd, path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  out.resize(limit);
  ssize_t n;
  do {
    n = ::read(fd, out.data(), limit);
  } while (n < 0 && errno == EINTR);
  ::close(fd);
  out.resize(n > 0 ? static_cast<size_t>(n) : 0);
  return n >= 0;
}

template <typename T>
bool ParseNumber(std::string_view s, T& v, int base = 10) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  return ec == std::errc() && p == s.data() + s.size();
}

// Fields of /proc/PID/stat after the ")" closing the name, split on spaces.
bool ParseStat(const std::string& stat, ProcessInfo& p, bool& kernel_thread) {
  size_t open = stat.find('(');
  size_t close = stat.rfind(')');
  if (open == std::string::npos || close == std::string::npos || close < open) return false;
  p.name = stat.substr(open + 1, close - open - 1);
  std::vector<std::string_view> f;
  std::string_view rest(stat);
  rest.remove_prefix(close + 1);
  size_t i = 0;
  while (i < rest.size() && f.size() < 24) {
    while (i < rest.size() && rest[i] == ' ') ++i;
    size_t j = i;
    while (j < rest.size() && rest[j] != ' ' && rest[j] != '\n') ++j;
    if (j > i) f.push_back(rest.substr(i, j - i));
    i = j + 1;
  }
  // f[0] is the state (field 3); field k is f[k - 3].
  if (f.size() < 22) return false;
  uint64_t utime = 0, stime = 0, flags = 0;
  kernel_thread = ParseNumber(f[6], flags) && (flags & 0x00200000) != 0;  // PF_KTHREAD
  return ParseNumber(f[1], p.ppid) && ParseNumber(f[11], utime) && ParseNumber(f[12], stime) &&
         ParseNumber(f[19], p.start_time) && ParseNumber(f[21], p.rss_pages) &&
         (p.cpu_ticks = utime + stime, true);
}

// The effective id from a "Uid:" or "Gid:" line of /proc/PID/status.
bool EffectiveId(const std::string& status, const char* key, uint32_t& id) {
  size_t at = status.find(key);
  if (at == std::string::npos) return false;
  std::string_view line(status);
  line.remove_prefix(at + std::strlen(key));
  line = line.substr(0, line.find('\n'));
  // real, effective, saved, fs
  int field = 0;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    size_t j = i;
    while (j < line.size() && line[j] != ' ' && line[j] != '\t') ++j;
    if (j > i && field++ == 1) return ParseNumber(line.substr(i, j - i), id);
    i = j;
  }
  return false;
}

void ReadSockets(const std::string& root, const char* file, Protocol protocol, bool v6,
                 std::vector<SocketInfo>& out) {
  std::string text;
  if (!ReadSmall(root + "/net/" + file, text, 64 << 20)) return;
  size_t pos = text.find('\n');  // header
  while (pos != std::string::npos && pos + 1 < text.size()) {
    size_t end = text.find('\n', pos + 1);
    std::string_view line(text.data() + pos + 1, (end == std::string::npos ? text.size() : end) - pos - 1);
    pos = end;
    // sl local rem st tx:rx tr:when retr uid timeout inode
    std::vector<std::string_view> f;
    size_t i = 0;
    while (i < line.size() && f.size() < 10) {
      while (i < line.size() && line[i] == ' ') ++i;
      size_t j = i;
      while (j < line.size() && line[j] != ' ') ++j;
      if (j > i) f.push_back(line.substr(i, j - i));
      i = j;
    }
    if (f.size() < 10) continue;
    if (protocol == Protocol::kTcp && f[3] != "0A") continue;  // listening sockets only
    std::string_view local = f[1];
    size_t colon = local.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view addr = local.substr(0, colon);
    SocketInfo s;
    s.protocol = protocol;
    uint16_t port = 0;
    if (!ParseNumber(local.substr(colon + 1), port, 16) || !ParseNumber(f[9], s.inode)) continue;
    s.local_port = port;
    if (!v6) {
      uint32_t raw = 0;
      if (addr.size() != 8 || !ParseNumber(addr, raw, 16)) continue;
      s.local_ip = ntohl(raw);
    } else {
      // Four 32-bit words as printed; only :: and ::ffff:a.b.c.d are IPv4 for us.
      if (addr.size() != 32) continue;
      uint32_t w[4];
      bool ok = true;
      for (int k = 0; k < 4; ++k) ok = ok && ParseNumber(addr.substr(static_cast<size_t>(k) * 8, 8), w[k], 16);
      if (!ok) continue;
      if (w[0] == 0 && w[1] == 0 && w[2] == 0 && w[3] == 0) {
        s.local_ip = 0;
      } else if (w[0] == 0 && w[1] == 0 && ntohl(w[2]) == 0xffff) {
        s.local_ip = ntohl(w[3]);
      } else {
        continue;
      }
    }
    out.push_back(s);
  }
}

// The same from the kernel's socket diagnostics (netlink): it visits only
// the sockets asked for, where /proc/net/tcp walks the whole connection
// hash table (about 12 ms on a machine with a large one, however few
// sockets it holds). False if netlink is not available.
bool DiagSockets(uint8_t family, uint8_t protocol, uint32_t states, std::vector<SocketInfo>& out) {
  int fd = ::socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (fd < 0) return false;
  struct {
    nlmsghdr header;
    inet_diag_req_v2 request;
  } message{};
  message.header.nlmsg_len = sizeof message;
  message.header.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  message.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  message.request.sdiag_family = family;
  message.request.sdiag_protocol = protocol;
  message.request.idiag_states = states;
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (::sendto(fd, &message, sizeof message, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel) < 0) {
    ::close(fd);
    return false;
  }
  alignas(nlmsghdr) char buf[32768];
  bool done = false, ok = true;
  while (!done) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ok = false;
      break;
    }
    for (auto* h = reinterpret_cast<nlmsghdr*>(buf); NLMSG_OK(h, static_cast<unsigned>(n)); h = NLMSG_NEXT(h, n)) {
      if (h->nlmsg_type == NLMSG_DONE) {
        done = true;
        break;
      }
      if (h->nlmsg_type == NLMSG_ERROR) {
        done = true;
        ok = false;
        break;
      }
      if (h->nlmsg_len < NLMSG_LENGTH(sizeof(inet_diag_msg))) continue;
      const auto* m = static_cast<const inet_diag_msg*>(NLMSG_DATA(h));
      SocketInfo s;
      s.protocol = protocol == IPPROTO_TCP ? Protocol::kTcp : Protocol::kUdp;
      s.local_port = ntohs(m->id.idiag_sport);
      s.inode = m->idiag_inode;
      if (family == AF_INET) {
        s.local_ip = ntohl(m->id.idiag_src[0]);
      } else {
        const uint32_t* w = m->id.idiag_src;
        if (w[0] == 0 && w[1] == 0 && w[2] == 0 && w[3] == 0) {
          s.local_ip = 0;
        } else if (w[0] == 0 && w[1] == 0 && ntohl(w[2]) == 0xffff) {
          s.local_ip = ntohl(w[3]);
        } else {
          continue;  // a real IPv6 address: not an IPv4 flow
        }
      }
      out.push_back(s);
    }
  }
  ::close(fd);
  return ok;
}

}  // namespace

namespace {

std::vector<int> ListPids(DIR* dir) {
  std::vector<int> pids;
  while (struct dirent* e = ::readdir(dir)) {
    int pid = 0;
    if (ParseNumber(std::string_view(e->d_name), pid) && pid > 0) pids.push_back(pid);
  }
  return pids;
}

// False if the process is gone (or its files do not parse).
bool ReadProcess(int root_fd, int pid, ProcessInfo& p, std::string& text) {
  char path[64];
  p.pid = pid;
  bool kernel_thread = false;
  std::snprintf(path, sizeof path, "%d/stat", pid);
  if (!ReadOnce(root_fd, path, text, 2048) || !ParseStat(text, p, kernel_thread)) return false;
  if (kernel_thread) return true;  // root, no command line
  std::snprintf(path, sizeof path, "%d/status", pid);
  if (!ReadOnce(root_fd, path, text, 8192) || !EffectiveId(text, "Uid:", p.uid) ||
      !EffectiveId(text, "Gid:", p.gid)) {
    return false;
  }
  std::snprintf(path, sizeof path, "%d/cmdline", pid);
  if (ReadOnce(root_fd, path, text, 4096)) {
    while (!text.empty() && text.back() == '\0') text.pop_back();
    for (char& c : text) {
      if (c == '\0') c = ' ';
    }
    p.cmdline = text;
  }
  return true;
}

// Adds to `owners` (socket inode -> pid) the sockets process `pid` holds.
void ReadSocketOwners(int root_fd, int pid, std::unordered_map<uint64_t, int>& owners) {
  char path[64];
  std::snprintf(path, sizeof path, "%d/fd", pid);
  int fd = ::openat(root_fd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;  // not ours to read, or gone
  DIR* fds = ::fdopendir(fd);
  if (fds == nullptr) {
    ::close(fd);
    return;
  }
  char link[64];
  while (struct dirent* e = ::readdir(fds)) {
    if (e->d_name[0] == '.') continue;
    ssize_t n = ::readlinkat(::dirfd(fds), e->d_name, link, sizeof link - 1);
    if (n <= 9 || std::memcmp(link, "socket:[", 8) != 0) continue;
    uint64_t inode = 0;
    if (ParseNumber(std::string_view(link + 8, static_cast<size_t>(n) - 9), inode)) owners.emplace(inode, pid);
  }
  ::closedir(fds);
}

}  // namespace

ProcScanner::ProcScanner(std::string root, ProcReadOptions options)
    : root_(std::move(root)), options_(options) {}

Result<ProcSnapshot> ProcScanner::Scan(bool full) {
  int root_fd = OpenRoot();
  if (root_fd < 0) return MakeError("cannot read {}: {}", root_, std::strerror(errno));
  DIR* dir = ::fdopendir(::dup(root_fd));
  if (dir == nullptr) {
    ::close(root_fd);
    return MakeError("cannot read {}: {}", root_, std::strerror(errno));
  }
  std::vector<int> pids = ListPids(dir);
  ::closedir(dir);

  ProcSnapshot snap;
  snap.processes.reserve(pids.size());
  std::unordered_map<int, ProcessInfo> known;
  known.reserve(pids.size());
  std::string text;
  for (int pid : pids) {
    auto it = known_.find(pid);
    if (!full && it != known_.end()) {
      known.emplace(pid, it->second);
      snap.processes.push_back(it->second);
      continue;
    }
    ProcessInfo p;
    if (!ReadProcess(root_fd, pid, p, text)) continue;  // exited meanwhile
    known.emplace(pid, p);
    snap.processes.push_back(std::move(p));
  }
  known_ = std::move(known);

  if (options_.sockets) {
    constexpr uint32_t kListen = 1u << 10;  // TCP_LISTEN
    constexpr uint32_t kAnyState = ~0u;
    bool from_kernel = root_ == "/proc" && DiagSockets(AF_INET, IPPROTO_TCP, kListen, snap.sockets) &&
                       DiagSockets(AF_INET6, IPPROTO_TCP, kListen, snap.sockets) &&
                       DiagSockets(AF_INET, IPPROTO_UDP, kAnyState, snap.sockets) &&
                       DiagSockets(AF_INET6, IPPROTO_UDP, kAnyState, snap.sockets);
    if (!from_kernel) {
      snap.sockets.clear();
      ReadSockets(root_, "tcp", Protocol::kTcp, false, snap.sockets);
      ReadSockets(root_, "tcp6", Protocol::kTcp, true, snap.sockets);
      ReadSockets(root_, "udp", Protocol::kUdp, false, snap.sockets);
      ReadSockets(root_, "udp6", Protocol::kUdp, true, snap.sockets);
    }
  }
  ::close(root_fd);
  // What was walked is remembered until the next full scan, but for
  // processes that exited, and until a socket appears that no known owner
  // holds: a process walked before it bound its port (a server binds after
  // it starts) is read again when next asked for.
  if (NewSocketWithoutOwner(snap) || full) walked_.clear();
  if (full) owners_.clear();
  std::erase_if(owners_, [&](const auto& o) { return known_.count(o.second) == 0; });
  std::erase_if(walked_, [&](int pid) { return known_.count(pid) == 0; });
  if (options_.sockets && options_.socket_owners) {
    FindOwners(snap, [](const SocketInfo&) { return true; });
  }
  return snap;
}

bool ProcScanner::NewSocketWithoutOwner(const ProcSnapshot& snap) {
  bool found = false;
  std::unordered_set<uint64_t> inodes;
  inodes.reserve(snap.sockets.size());
  for (const SocketInfo& s : snap.sockets) {
    inodes.insert(s.inode);
    found = found || (inodes_.count(s.inode) == 0 && owners_.count(s.inode) == 0);
  }
  inodes_ = std::move(inodes);
  return found;
}

int ProcScanner::OpenRoot() const { return ::open(root_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); }

void ProcScanner::Walk(int root_fd, int pid) {
  if (walked_.insert(pid).second) ReadSocketOwners(root_fd, pid, owners_);
}

void ProcScanner::SetOwners(ProcSnapshot& snap) const {
  for (SocketInfo& s : snap.sockets) {
    if (auto it = owners_.find(s.inode); it != owners_.end()) s.pid = it->second;
  }
}

void ProcScanner::OwnersOf(ProcSnapshot& snap, std::span<const int> pids) {
  if (snap.sockets.empty()) return;
  const int root_fd = OpenRoot();
  if (root_fd < 0) return;
  for (int pid : pids) Walk(root_fd, pid);
  ::close(root_fd);
  SetOwners(snap);
}

void ProcScanner::FindOwners(ProcSnapshot& snap, const std::function<bool(const SocketInfo&)>& wanted) {
  std::unordered_set<uint64_t> missing;
  for (const SocketInfo& s : snap.sockets) {
    if (owners_.count(s.inode) == 0 && wanted(s)) missing.insert(s.inode);
  }
  if (!missing.empty()) {
    const int root_fd = OpenRoot();
    if (root_fd < 0) return;
    for (const ProcessInfo& p : snap.processes) {
      if (walked_.count(p.pid) != 0) continue;
      Walk(root_fd, p.pid);
      std::erase_if(missing, [&](uint64_t inode) { return owners_.count(inode) != 0; });
      if (missing.empty()) break;
    }
    ::close(root_fd);
  }
  SetOwners(snap);
}

Result<ProcSnapshot> ReadProcSnapshot(const std::string& root, const ProcReadOptions& options) {
  return ProcScanner(root, options).Scan(true);
}

}  // namespace shoal::daemon
