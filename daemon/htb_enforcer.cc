#include "daemon/htb_enforcer.h"

#include <sys/wait.h>

#include <algorithm>
#include <bit>

#include <spdlog/spdlog.h>

namespace shoal::daemon {
namespace {

constexpr uint32_t kWhole = 1, kNode = 2, kFirstApp = 0x10, kOutside = 0xfffe;
constexpr uint64_t kUnlimited = 12'500'000'000;  // 100 Gbit/s in bytes per second
constexpr uint32_t kFirstQueue = 0x5400;          // the major of application i's queue: 0x5400 + i
// Filter priorities: exclusions, flow rules, the applications' sockets'
// ports (two, so a new set is in place before the old one goes), the rest.
constexpr uint16_t kExcludePrio = 1, kFlowPrio = 2, kPortPrio[2] = {3, 4}, kRestPrio = 5;

// An application's queue holds about 100 ms of its ceil (a round), between
// 32 KiB and 8 MiB, as a power of two so that it changes seldom: when demand
// moves, a server the demand left stops sending within a round or so
// instead of draining a long queue (the kernel's default: 1,000 packets).
uint32_t QueueBytes(uint64_t ceil) {
  const uint64_t want = std::clamp<uint64_t>(ceil / 10, 32 * 1024, 8 * 1024 * 1024);
  return static_cast<uint32_t>(std::bit_ceil(want));
}

// [lo, hi] as value/mask blocks, as a u32 key matches them.
std::vector<std::pair<uint16_t, uint16_t>> PortBlocks(uint32_t lo, uint32_t hi) {
  std::vector<std::pair<uint16_t, uint16_t>> out;
  while (lo <= hi) {
    uint32_t size = 1;
    while ((lo & (size * 2 - 1)) == 0 && lo + size * 2 - 1 <= hi && size < 0x10000) size *= 2;
    out.emplace_back(static_cast<uint16_t>(lo), static_cast<uint16_t>(~(size - 1)));
    lo += size;
  }
  return out;
}

uint8_t ProtocolNumber(policy::Protocol p) {
  return p == policy::Protocol::kTcp ? 6 : p == policy::Protocol::kUdp ? 17 : 0;
}

// The IFB device that shapes what arrives on interface `ifindex`.
std::string IfbName(int ifindex) { return "shoalin" + std::to_string(ifindex); }

const char* Name(policy::Direction d) { return d == policy::Direction::kIn ? "incoming" : "outgoing"; }

}  // namespace

Result<std::unique_ptr<HtbEnforcer>> HtbEnforcer::Create(std::vector<PipePlacement> placements,
                                                         std::string guard_exe) {
  auto tc = TcNetlink::Open();
  if (!tc.ok()) return tc.error();
  return std::unique_ptr<HtbEnforcer>(new HtbEnforcer(std::move(*tc), std::move(placements), std::move(guard_exe)));
}

const PipePlacement* HtbEnforcer::Find(const std::string& pipe) const {
  auto it = std::find_if(placements_.begin(), placements_.end(), [&](const PipePlacement& p) { return p.pipe == pipe; });
  return it == placements_.end() ? nullptr : &*it;
}

bool HtbEnforcer::Carries(const engine::PipeLane& lane) const {
  return Find(lane.pipe) != nullptr;
}

Status HtbEnforcer::SetDocument(const policy::PolicyDocument& doc) {
  apps_ = doc.applications;
  // The filters follow the document's flows: rebuilt at the next Apply.
  for (auto& [lane, t] : taken_) t.built = false;
  return Status::Ok();
}

uint32_t HtbEnforcer::Minor(const std::string& app) const {
  for (size_t i = 0; i < apps_.size(); ++i) {
    if (apps_[i].name == app) return kFirstApp + static_cast<uint32_t>(i);
  }
  return kFirstApp + static_cast<uint32_t>(apps_.size());  // rogue
}

Status HtbEnforcer::Take(const PipePlacement& p, policy::Direction dir, Taken& t) {
  auto index = tc_->Index(p.interface);
  if (!index.ok()) return MakeError("pipe {}: {}", p.pipe, index.error().message);
  if (dir == policy::Direction::kIn) return TakeIncoming(p, *index, t);
  auto root = tc_->Root(*index);
  if (!root.ok()) return root.error();
  const auto& [kind, major] = *root;
  if (major != 0 && !(kind == "htb" && major == kHtbMajor)) {
    return MakeError("pipe {}: interface {} has a root qdisc of its own ({} {:x}:): not taken", p.pipe, p.interface,
                     kind, major);
  }
  if (kind == "htb" && major == kHtbMajor) spdlog::info("pipe {}: adopting the HTB tree on {}", p.pipe, p.interface);
  t.ifindex = *index;
  return Build(p, policy::Direction::kOut, t);
}

Status HtbEnforcer::TakeIncoming(const PipePlacement& p, int ifindex, Taken& t) {
  const std::string ifb = IfbName(ifindex);
  auto has_ingress = tc_->HasIngress(ifindex);
  if (!has_ingress.ok()) return has_ingress.error();
  const bool ours = tc_->Index(ifb).ok();
  if (*has_ingress && !ours) {
    return MakeError("pipe {}: interface {} has an ingress qdisc of its own: incoming traffic not taken", p.pipe,
                     p.interface);
  }
  if (*has_ingress) {
    spdlog::info("pipe {}: adopting the ingress redirect on {} to {}", p.pipe, p.interface, ifb);
    if (auto s = tc_->DeleteIngress(ifindex); !s.ok()) return s;
  }
  auto ifb_index = tc_->AddIfb(ifb);
  if (!ifb_index.ok()) return MakeError("pipe {}: {}", p.pipe, ifb_index.error().message);
  t.ifindex = *ifb_index;
  t.ingress_of = ifindex;
  if (auto s = Build(p, policy::Direction::kIn, t); !s.ok()) return s;
  return tc_->AddIngressRedirect(ifindex, *ifb_index);
}

Status HtbEnforcer::Build(const PipePlacement& p, policy::Direction dir, Taken& t) {
  // A fresh root: the old one (ours, from this run or an earlier one) goes
  // with its classes and filters.
  auto root_now = tc_->Root(t.ifindex);
  if (!root_now.ok()) return root_now.error();
  if (root_now->first == "htb" && root_now->second == kHtbMajor) {
    if (auto s = tc_->DeleteRoot(t.ifindex); !s.ok()) return s;
  }
  if (auto s = tc_->AddHtbRoot(t.ifindex, kHtbMajor, kOutside); !s.ok()) return s;
  const uint32_t root = TcHandle(kHtbMajor, kWhole);
  if (auto s = tc_->SetClass(t.ifindex, TcHandle(kHtbMajor, 0), root, kUnlimited, kUnlimited); !s.ok()) return s;
  if (auto s = tc_->SetClass(t.ifindex, root, TcHandle(kHtbMajor, kOutside), kUnlimited, kUnlimited); !s.ok()) return s;
  if (auto s = tc_->SetClass(t.ifindex, root, TcHandle(kHtbMajor, kNode), kUnlimited, kUnlimited); !s.ok()) return s;
  t.queue.clear();
  for (size_t i = 0; i <= apps_.size(); ++i) {
    const uint32_t handle = TcHandle(kHtbMajor, kFirstApp + static_cast<uint32_t>(i));
    if (auto s = tc_->SetClass(t.ifindex, TcHandle(kHtbMajor, kNode), handle, kUnlimited, kUnlimited); !s.ok()) return s;
    if (auto s = SetQueue(t, handle, kUnlimited); !s.ok()) return s;
  }
  if (auto s = AddFilters(p, dir, t); !s.ok()) return s;
  t.set.clear();
  t.built = true;
  return Status::Ok();
}

Status HtbEnforcer::HandBack(const Taken& t) {
  if (t.ingress_of != 0) {
    // The redirect first, so no packet is sent to a device that is going.
    if (auto s = tc_->DeleteIngress(t.ingress_of); !s.ok()) return s;
    return t.ifindex != 0 ? tc_->DeleteLink(t.ifindex) : Status::Ok();
  }
  return t.ifindex != 0 ? tc_->DeleteRoot(t.ifindex) : Status::Ok();
}

Status HtbEnforcer::AddFilters(const PipePlacement& p, policy::Direction dir, const Taken& t) {
  const bool in = dir == policy::Direction::kIn;
  for (const Ipv4Prefix& x : p.exclude) {
    TcMatch m{x.ip, Ipv4Prefix::Mask(x.length), 0, 0, 0, in};
    if (auto s = tc_->AddFilter(t.ifindex, kHtbMajor, kExcludePrio, m, TcHandle(kHtbMajor, kOutside)); !s.ok()) {
      return s;
    }
  }
  for (const Ipv4Prefix& d : p.destinations) {
    const uint32_t mask = Ipv4Prefix::Mask(d.length);
    for (size_t i = 0; i < apps_.size(); ++i) {
      const uint32_t classid = TcHandle(kHtbMajor, kFirstApp + static_cast<uint32_t>(i));
      for (const policy::FlowRule& f : apps_[i].flows) {
        const auto [lo, hi] = f.ports.value_or(std::pair<uint16_t, uint16_t>{0, 0xffff});
        for (const auto& [value, port_mask] : PortBlocks(lo, hi)) {
          TcMatch m{d.ip, mask, value, f.ports ? port_mask : uint16_t{0}, ProtocolNumber(f.protocol), in};
          if (auto s = tc_->AddFilter(t.ifindex, kHtbMajor, kFlowPrio, m, classid); !s.ok()) return s;
        }
      }
    }
    TcMatch rest{d.ip, mask, 0, 0, 0, in};
    if (auto s = tc_->AddFilter(t.ifindex, kHtbMajor, kRestPrio, rest, TcHandle(kHtbMajor, Minor(engine::kRogueClass)));
        !s.ok()) {
      return s;
    }
  }
  return AddPortFilters(p, dir, t, kPortPrio[t.port_chain]);
}

Status HtbEnforcer::AddPortFilters(const PipePlacement& p, policy::Direction dir, const Taken& t, uint16_t prio) {
  const bool in = dir == policy::Direction::kIn;
  for (const engine::AppPorts& a : ports_) {
    const uint32_t minor = Minor(a.app);
    if (minor == Minor(engine::kRogueClass)) continue;  // not an application of the document
    for (const Ipv4Prefix& d : p.destinations) {
      for (size_t k = 0; k < a.ports.size() && k < kMaxPortsPerApp; ++k) {
        TcMatch m{d.ip, Ipv4Prefix::Mask(d.length), a.ports[k].port, 0xffff, ProtocolNumber(a.ports[k].protocol), in};
        if (auto s = tc_->AddFilter(t.ifindex, kHtbMajor, prio, m, TcHandle(kHtbMajor, minor)); !s.ok()) return s;
      }
    }
  }
  return Status::Ok();
}

Status HtbEnforcer::SetPorts(const std::vector<engine::AppPorts>& ports) {
  ports_ = ports;
  for (const auto& a : ports_) {
    if (a.ports.size() > kMaxPortsPerApp) {
      spdlog::warn("pipes: {} holds {} ports; the first {} classify its traffic, the rest counts as rogue", a.app,
                   a.ports.size(), kMaxPortsPerApp);
    }
  }
  // Make before break: the new set under the other priority, then the old
  // one goes, so no packet of an application falls to rogue meanwhile.
  for (auto& [key, t] : taken_) {
    if (!t.built) continue;
    const PipePlacement* p = Find(key.first);
    const int next = 1 - t.port_chain;
    Status s = p != nullptr ? AddPortFilters(*p, key.second, t, kPortPrio[next]) : Status::Ok();
    if (!s.ok()) {
      (void)tc_->DeleteFilters(t.ifindex, kHtbMajor, kPortPrio[next]);
      return MakeError("pipe {} ({} traffic): the applications' ports: {}", key.first, Name(key.second),
                       s.error().message);
    }
    if (auto d = tc_->DeleteFilters(t.ifindex, kHtbMajor, kPortPrio[t.port_chain]); !d.ok()) return d;
    t.port_chain = next;
  }
  return Status::Ok();
}

Status HtbEnforcer::Apply(const std::vector<engine::LaneSetting>& settings) {
  // Lanes no longer listed (a new document without them) are handed back.
  for (auto it = taken_.begin(); it != taken_.end();) {
    const bool listed = std::any_of(settings.begin(), settings.end(), [&](const engine::LaneSetting& s) {
      return LaneKey{s.lane.pipe, s.lane.direction} == it->first;
    });
    if (listed) {
      ++it;
      continue;
    }
    if (auto st = HandBack(it->second); !st.ok()) return st;
    it = taken_.erase(it);
  }
  // One lane's trouble does not hold the others back: the first error is
  // returned once every lane was tried.
  Status result;
  bool built = RestartDeadGuard();
  for (const engine::LaneSetting& s : settings) {
    if (auto st = ApplyLane(s, built); !st.ok() && result.ok()) result = st;
  }
  // The guard holds classes by interface index: a lane built afresh is
  // added to (or corrected in) its table; a new guard gets all of it.
  if (built && !fallback_.empty()) {
    if (auto st = SetFallback(fallback_); !st.ok() && result.ok()) result = st;
  }
  return result;
}

Status HtbEnforcer::ApplyLane(const engine::LaneSetting& s, bool& built) {
  const PipePlacement* p = Find(s.lane.pipe);
  if (p == nullptr) return MakeError("pipe {} is not placed on this node", s.lane.pipe);
  Taken& t = taken_[LaneKey{p->pipe, s.lane.direction}];
  if (!Present(*p, s.lane.direction, t)) return Status::Ok();  // reported; taken when it is back
  if (!t.built) {
    auto st = t.ifindex == 0 ? Take(*p, s.lane.direction, t) : Build(*p, s.lane.direction, t);
    if (!st.ok()) return MakeError("{} ({} traffic)", st.error().message, Name(s.lane.direction));
    built = true;
  }
  const uint64_t node = s.node_ceil == 0 ? kUnlimited : s.node_ceil;
  const uint32_t root = TcHandle(kHtbMajor, kWhole), node_handle = TcHandle(kHtbMajor, kNode);
  if (auto st = SetIfChanged(t, root, node_handle, node, node); !st.ok()) return st;
  for (const engine::ClassLimit& c : s.classes) {
    const uint64_t rate = s.node_ceil == 0 ? kUnlimited : c.rate, ceil = s.node_ceil == 0 ? kUnlimited : c.ceil;
    const uint32_t handle = TcHandle(kHtbMajor, Minor(c.app));
    if (auto st = SetIfChanged(t, node_handle, handle, rate, ceil, c.first ? 0 : 1); !st.ok()) return st;
    if (auto st = SetQueue(t, handle, ceil); !st.ok()) return st;
  }
  return Status::Ok();
}

bool HtbEnforcer::Present(const PipePlacement& p, policy::Direction dir, Taken& t) {
  auto now = tc_->Index(p.interface);
  const int on = t.ingress_of != 0 ? t.ingress_of : t.ifindex;
  if (on != 0 && !(now.ok() && *now == on)) {
    // Removed, renamed, or replaced by another under the name: what is left
    // of the lane is handed back (the device may be gone: errors are
    // expected) and the lane is taken afresh.
    spdlog::warn("pipe {}: interface {} (index {}) is gone, renamed or replaced: its {} traffic is handed back", p.pipe,
                 p.interface, on, Name(dir));
    (void)HandBack(t);
    t = Taken{};
  }
  const bool missing = !now.ok();
  if (missing != missing_.contains(p.interface)) {
    if (missing) {
      spdlog::warn("pipe {}: {}; its traffic is not shaped until it is back", p.pipe, now.error().message);
      missing_.insert(p.interface);
    } else {
      spdlog::info("pipe {}: interface {} is back: taken again", p.pipe, p.interface);
      missing_.erase(p.interface);
    }
  }
  return !missing;
}

bool HtbEnforcer::RestartDeadGuard() {
  int status = 0;
  if (!guard_ || !guard_->Exited(status)) return false;
  // Killed by someone, or crashed: without it a dying shoald would leave
  // the last credit in the kernel for ever. A live guard is never replaced
  // (closing its socket would set the fallback behind the rates set since).
  spdlog::warn("pipes: the guard process ended ({}); starting another",
               WIFSIGNALED(status) ? fmt::format("signal {}", WTERMSIG(status))
                                   : fmt::format("exit status {}", WEXITSTATUS(status)));
  guard_.reset();
  return true;
}

Status HtbEnforcer::SetFallback(const std::vector<engine::LaneSetting>& settings) {
  fallback_ = settings;
  std::vector<GuardClass> table;
  const uint32_t root = TcHandle(kHtbMajor, kWhole), node = TcHandle(kHtbMajor, kNode);
  for (const engine::LaneSetting& s : settings) {
    auto it = taken_.find(LaneKey{s.lane.pipe, s.lane.direction});
    if (it == taken_.end() || !it->second.built || s.node_ceil == 0) continue;
    const int ifindex = it->second.ifindex;
    table.push_back({ifindex, root, node, s.node_ceil, s.node_ceil});
    for (const engine::ClassLimit& c : s.classes) {
      table.push_back({ifindex, node, TcHandle(kHtbMajor, Minor(c.app)), c.rate, c.ceil});
    }
  }
  if (guard_exe_.empty() || (table.empty() && !guard_)) return Status::Ok();
  if (!guard_) {
    auto g = PipeGuard::Start(guard_exe_);
    if (!g.ok()) return g.error();
    guard_ = std::move(*g);
    spdlog::info("pipes: guard process {} holds the classes' static share should shoald die", guard_->pid());
  }
  return guard_->Send(table);
}

Status HtbEnforcer::SetQueue(Taken& t, uint32_t class_handle, uint64_t ceil) {
  const uint32_t bytes = QueueBytes(ceil);
  auto it = t.queue.try_emplace(class_handle, 0).first;
  if (it->second == bytes) return Status::Ok();
  const uint32_t major = kFirstQueue + (class_handle & 0xffff) - kFirstApp;
  if (auto s = tc_->SetLeafFifo(t.ifindex, class_handle, TcHandle(major, 0), bytes); !s.ok()) {
    t.queue.erase(it);
    return s;
  }
  it->second = bytes;
  return Status::Ok();
}

Status HtbEnforcer::SetIfChanged(Taken& t, uint32_t parent, uint32_t handle, uint64_t rate, uint64_t ceil,
                                 uint32_t prio) {
  const std::tuple<uint64_t, uint64_t, uint32_t> want{rate, ceil, prio};
  auto [it, fresh] = t.set.try_emplace(handle, want);
  if (!fresh && it->second == want) return Status::Ok();
  if (auto s = tc_->SetClass(t.ifindex, parent, handle, rate, ceil, prio); !s.ok()) {
    t.set.erase(it);  // not known to the kernel: tried again next time
    return s;
  }
  it->second = want;
  return Status::Ok();
}

Result<std::vector<engine::LaneCounters>> HtbEnforcer::Read() {
  std::vector<engine::LaneCounters> out;
  for (const auto& [key, t] : taken_) {
    if (!t.built) continue;
    auto counters = tc_->Counters(t.ifindex);
    if (!counters.ok()) continue;  // its interface went: the next Apply reports it and hands the lane back
    engine::LaneCounters lane{{key.first, key.second}, {}};
    for (size_t i = 0; i <= apps_.size(); ++i) {
      auto it = counters->find(TcHandle(kHtbMajor, kFirstApp + static_cast<uint32_t>(i)));
      if (it == counters->end()) continue;
      const TcCounters& c = it->second;
      lane.classes.push_back({i < apps_.size() ? apps_[i].name : engine::kRogueClass, c.bytes, c.packets, c.drops,
                              c.backlog_bytes});
    }
    out.push_back(std::move(lane));
  }
  return out;
}

Status HtbEnforcer::Release() {
  Status result;
  for (auto& [lane, t] : taken_) {
    if (auto s = HandBack(t); !s.ok() && result.ok()) result = s;
  }
  if (guard_) {
    (void)guard_->Dismiss();
    guard_.reset();
  }
  taken_.clear();
  fallback_.clear();
  return result;
}

}  // namespace shoal::daemon
