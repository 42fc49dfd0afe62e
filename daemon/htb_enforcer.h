// shoald's pipe enforcer (the engine's seam, daemon/engine/pipe_enforcer.h):
// for each pipe and direction an HTB tree, programmed through netlink
// (tc_netlink.h): outgoing traffic on the interface the [pipe.NAME] table
// names; incoming traffic on an IFB device "shoalin<ifindex>" that the
// interface's ingress qdisc redirects every IPv4 packet to:
//
//   5301:    htb root, unclassified traffic to 5301:fffe
//   5301:1   the whole interface, unlimited
//   5301:2     the node's share of the pipe (its credit)
//   5301:10+i    application i of the document; the last one: rogue;
//                each with a byte FIFO (5400+i:) of about 100 ms of its ceil;
//                booked ones (ClassLimit::first) borrow the node's spare first
//   5301:fffe  traffic outside the pipe, unlimited
//
// Filters (u32): traffic with an excluded network goes to fffe; traffic
// with the pipe's destinations on an application's flows (its local ports
// and protocol), or on a port its processes' sockets hold (SetPorts, from
// the sampler; at most kMaxPortsPerApp each), to its class; the rest with
// the pipe's destinations to the rogue class ("with": to it going out, from
// it coming in).
// An interface whose root qdisc is the kernel's default (handle 0:) or ours
// (left by an earlier run, adopted) is taken; one with a qdisc of its own
// is refused; so is one with an ingress qdisc unless our IFB shows it is
// ours. Release() deletes the root, the ingress qdisc and the IFB, and the
// kernel's defaults come back. The fallback (the classes' static share if
// shoald dies) is held by a guard process. An interface that goes, is
// renamed or replaced is reported, its lane handed back, and taken again
// when an interface of that name is there. One pipe per interface. Not
// thread-safe.
#pragma once

#include <map>
#include <tuple>
#include <set>
#include <memory>
#include <string>
#include <vector>

#include "daemon/engine/pipe_enforcer.h"
#include "daemon/pipe_config.h"
#include "daemon/pipe_guard.h"
#include "daemon/tc_netlink.h"

namespace shoal::daemon {

inline constexpr uint32_t kHtbMajor = 0x5301;
inline constexpr size_t kMaxPortsPerApp = 64;  // u32 filters are matched one by one

class HtbEnforcer final : public engine::PipeEnforcer {
 public:
  // `guard_exe`: shoald's binary, started as the pipe guard (pipe_guard.h)
  // once there is a fallback to hold; empty: no guard.
  static Result<std::unique_ptr<HtbEnforcer>> Create(std::vector<PipePlacement> placements,
                                                     std::string guard_exe = "");

  const char* kind() const override { return "htb"; }
  bool Carries(const engine::PipeLane& lane) const override;
  Status SetDocument(const policy::PolicyDocument& doc) override;
  Status SetPorts(const std::vector<engine::AppPorts>& ports) override;
  Status Apply(const std::vector<engine::LaneSetting>& settings) override;
  Status SetFallback(const std::vector<engine::LaneSetting>& settings) override;
  Result<std::vector<engine::LaneCounters>> Read() override;
  Status Release() override;
  // The guard process holding the fallback (0: none yet).
  pid_t guard_pid() const { return guard_ ? guard_->pid() : 0; }

 private:
  struct Taken {
    int ifindex = 0;     // where the tree is: the interface (out) or its IFB (in)
    int ingress_of = 0;  // in: the interface redirecting to the IFB
    bool built = false;  // root, classes and filters are in place
    std::map<uint32_t, std::tuple<uint64_t, uint64_t, uint32_t>> set;  // by handle: rate, ceil, prio the kernel holds
    std::map<uint32_t, uint32_t> queue;  // by class handle: the bytes its bfifo holds
    int port_chain = 0;                  // which of the two port priorities holds the ports' filters
  };
  using LaneKey = std::pair<std::string, policy::Direction>;
  // Sets a class unless the kernel already holds these figures.
  Status SetIfChanged(Taken& t, uint32_t parent, uint32_t handle, uint64_t rate, uint64_t ceil, uint32_t prio = 0);
  // Sizes the class's queue to its ceil (unless it already is).
  Status SetQueue(Taken& t, uint32_t class_handle, uint64_t ceil);
  HtbEnforcer(std::unique_ptr<TcNetlink> tc, std::vector<PipePlacement> placements, std::string guard_exe)
      : tc_(std::move(tc)), placements_(std::move(placements)), guard_exe_(std::move(guard_exe)) {}
  const PipePlacement* Find(const std::string& pipe) const;
  Status Take(const PipePlacement& p, policy::Direction dir, Taken& t);
  Status TakeIncoming(const PipePlacement& p, int ifindex, Taken& t);
  Status Build(const PipePlacement& p, policy::Direction dir, Taken& t);
  Status ApplyLane(const engine::LaneSetting& s, bool& built);
  // True if the guard had ended (it is forgotten: the next fallback starts another).
  bool RestartDeadGuard();
  // False while the lane's interface is missing (reported once); a lane
  // whose interface went, was renamed or replaced is handed back first.
  bool Present(const PipePlacement& p, policy::Direction dir, Taken& t);
  Status AddFilters(const PipePlacement& p, policy::Direction dir, const Taken& t);
  Status AddPortFilters(const PipePlacement& p, policy::Direction dir, const Taken& t, uint16_t prio);
  Status HandBack(const Taken& t);
  uint32_t Minor(const std::string& app) const;

  std::unique_ptr<TcNetlink> tc_;
  std::vector<PipePlacement> placements_;
  std::vector<policy::ApplicationSpec> apps_;  // the document's, in slot order
  std::vector<engine::AppPorts> ports_;        // the applications' sockets' ports
  std::set<std::string> missing_;              // interfaces reported missing
  std::vector<engine::LaneSetting> fallback_;  // the last SetFallback
  std::map<LaneKey, Taken> taken_;
  std::string guard_exe_;
  std::unique_ptr<PipeGuard> guard_;  // started with the first fallback
};

}  // namespace shoal::daemon
