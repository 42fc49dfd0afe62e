// The kernel's traffic control through netlink (libnl-route-3), never by
// spawning tc: an HTB root qdisc on an interface, its classes (rate and
// ceil changed in place, queued packets kept), u32 filters, the classes'
// counters, and the root qdisc removed again; for incoming traffic an IFB
// device, an ingress qdisc and a filter redirecting every IPv4 packet to
// the IFB, where an HTB tree shapes it. Handles are major:minor as tc
// writes them. Not thread-safe; one socket per object.
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
// Outgoing: the remote address is the destination and the local port the
// source port; incoming (`incoming`): the remote address is the source and
// the local port the destination port.
struct TcMatch {
  uint32_t remote = 0, remote_mask = 0;  // host byte order
  uint16_t port = 0, port_mask = 0;      // the local port (no IP options)
  uint8_t protocol = 0;                  // 6 tcp, 17 udp, 0 any
  bool incoming = false;
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
  // Creates or changes an HTB class (bytes per second); siblings with a
  // lower `prio` borrow their parent's spare first.
  Status SetClass(int ifindex, uint32_t parent, uint32_t handle, uint64_t rate, uint64_t ceil, uint32_t prio = 0);
  // Creates or changes the byte FIFO (bfifo) queueing class `parent`'s
  // packets: at most `limit` bytes wait, the rest is dropped.
  Status SetLeafFifo(int ifindex, uint32_t parent, uint32_t handle, uint32_t limit);
  // Adds a u32 filter under the root qdisc `major`, sending matches to `classid`.
  Status AddFilter(int ifindex, uint32_t major, uint16_t prio, const TcMatch& match, uint32_t classid);
  // Deletes every u32 filter of priority `prio` under the root qdisc `major`
  // (none: no error).
  Status DeleteFilters(int ifindex, uint32_t major, uint16_t prio);
  // Creates an IFB device (up) and gives its index; one left by an earlier
  // run under this name is taken as it is.
  Result<int> AddIfb(const std::string& name);
  // Deletes a link (its qdiscs go with it).
  Status DeleteLink(int ifindex);
  // True if the interface has an ingress qdisc.
  Result<bool> HasIngress(int ifindex);
  // Adds an ingress qdisc whose one filter redirects every IPv4 packet to
  // the device `to` (where it leaves through `to`'s root qdisc).
  Status AddIngressRedirect(int ifindex, int to);
  // Deletes the ingress qdisc and its filters.
  Status DeleteIngress(int ifindex);
  // Every class's counters on the interface, by handle.
  Result<std::map<uint32_t, TcCounters>> Counters(int ifindex);

 private:
  explicit TcNetlink(nl_sock* sock) : sock_(sock) {}
  nl_sock* sock_;
};

// tc's handle from a major and a minor.
constexpr uint32_t TcHandle(uint32_t major, uint32_t minor) { return (major << 16) | (minor & 0xffff); }

}  // namespace shoal::daemon
