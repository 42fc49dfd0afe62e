// The kernel's traffic control through netlink (libnl-route-3), never by
// spawning tc: an HTB root qdisc on an interface, its classes (rate and
// ceil changed in place, queued packets kept), u32 filters, the classes'
// counters, and the root qdisc removed again. Handles are major:minor as
// tc writes them. Not thread-safe; one socket per object.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "core/result.h"

struct nl_sock;

namespace shoal::daemon {

struct TcCounters {
  uint64_t bytes = 0, packets = 0, drops = 0, backlog_bytes = 0;
};

// What a u32 filter matches, on IPv4 packets; an unset part matches all.
struct TcMatch {
  uint32_t dst = 0, dst_mask = 0;  // host byte order
  uint16_t sport = 0, sport_mask = 0;  // at offset 20: no IP options
  uint8_t protocol = 0;            // 6 tcp, 17 udp, 0 any
};

class TcNetlink {
 public:
  static Result<std::unique_ptr<TcNetlink>> Open();
  ~TcNetlink();
  TcNetlink(const TcNetlink&) = delete;
  TcNetlink& operator=(const TcNetlink&) = delete;

  // The interface's index; an error names a missing interface.
  Result<int> Index(const std::string& interface);
  // The root qdisc's kind and handle major ("" and 0 if none).
  Result<std::pair<std::string, uint32_t>> Root(int ifindex);
  // Replaces the root qdisc by an HTB one with this major, unclassified
  // traffic going to `default_minor`.
  Status AddHtbRoot(int ifindex, uint32_t major, uint32_t default_minor);
  // Deletes the root qdisc (the kernel puts its default back).
  Status DeleteRoot(int ifindex);
  // Creates or changes an HTB class (bytes per second).
  Status SetClass(int ifindex, uint32_t parent, uint32_t handle, uint64_t rate, uint64_t ceil);
  // Adds a u32 filter under the root qdisc `major`, sending matches to `classid`.
  Status AddFilter(int ifindex, uint32_t major, uint16_t prio, const TcMatch& match, uint32_t classid);
  // Every class's counters on the interface, by handle.
  Result<std::map<uint32_t, TcCounters>> Counters(int ifindex);

 private:
  explicit TcNetlink(nl_sock* sock) : sock_(sock) {}
  nl_sock* sock_;
};

// tc's handle from a major and a minor.
constexpr uint32_t TcHandle(uint32_t major, uint32_t minor) { return (major << 16) | (minor & 0xffff); }

}  // namespace shoal::daemon
