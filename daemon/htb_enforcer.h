// shoald's pipe enforcer (the engine's seam, daemon/engine/pipe_enforcer.h):
// an HTB tree on the interface each [pipe.NAME] table names, for the pipe's
// outgoing traffic, programmed through netlink (tc_netlink.h):
//
//   5301:    htb root, unclassified traffic to 5301:fffe
//   5301:1   the whole interface, unlimited
//   5301:2     the node's share of the pipe (its credit)
//   5301:10+i    application i of the document; the last one: rogue
//   5301:fffe  traffic outside the pipe, unlimited
//
// Filters (u32): traffic to an excluded network goes to fffe; traffic to the
// pipe's destinations from an application's flows (its ports and protocol)
// to its class; the rest to the pipe's destinations to the rogue class.
// An interface whose root qdisc is the kernel's default (handle 0:) or ours
// (left by an earlier run, adopted) is taken; one with a qdisc of its own
// is refused. Release() deletes the root, and the kernel's default comes
// back. Incoming traffic (IFB) is not shaped yet: lanes "in" are not
// carried. One pipe per interface. Not thread-safe.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "daemon/engine/pipe_enforcer.h"
#include "daemon/pipe_config.h"
#include "daemon/tc_netlink.h"

namespace shoal::daemon {

inline constexpr uint32_t kHtbMajor = 0x5301;

class HtbEnforcer final : public engine::PipeEnforcer {
 public:
  static Result<std::unique_ptr<HtbEnforcer>> Create(std::vector<PipePlacement> placements);

  const char* kind() const override { return "htb"; }
  bool Carries(const engine::PipeLane& lane) const override;
  Status SetDocument(const policy::PolicyDocument& doc) override;
  Status Apply(const std::vector<engine::LaneSetting>& settings) override;
  Result<std::vector<engine::LaneCounters>> Read() override;
  Status Release() override;

 private:
  struct Taken {
    int ifindex = 0;
    bool built = false;  // root, classes and filters are in place
    std::map<uint32_t, std::pair<uint64_t, uint64_t>> set;  // by handle: the rate and ceil the kernel holds
  };
  // Sets a class unless the kernel already holds these figures.
  Status SetIfChanged(Taken& t, uint32_t parent, uint32_t handle, uint64_t rate, uint64_t ceil);
  HtbEnforcer(std::unique_ptr<TcNetlink> tc, std::vector<PipePlacement> placements)
      : tc_(std::move(tc)), placements_(std::move(placements)) {}
  const PipePlacement* Find(const std::string& pipe) const;
  Status Take(const PipePlacement& p, Taken& t);
  Status Build(const PipePlacement& p, Taken& t);
  Status AddFilters(const PipePlacement& p, const Taken& t);
  uint32_t Minor(const std::string& app) const;

  std::unique_ptr<TcNetlink> tc_;
  std::vector<PipePlacement> placements_;
  std::vector<policy::ApplicationSpec> apps_;  // the document's, in slot order
  std::map<std::string, Taken> taken_;         // by pipe
};

}  // namespace shoal::daemon
