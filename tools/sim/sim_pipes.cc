#include "tools/sim/sim_pipes.h"

#include <algorithm>
#include <cmath>

namespace shoal::sim {
namespace {

constexpr double kFrame = 1'514;

double Seconds(Duration d) { return std::chrono::duration<double>(d).count(); }

// Adds to the current step of an application's series (one entry per step
// since the start; an application seen late is padded with zeros).
void AddToStep(std::map<std::string, std::vector<uint64_t>>& series, const std::string& app, size_t steps,
               uint64_t bytes) {
  auto& v = series[app];
  v.resize(steps, 0);
  v.back() += bytes;
}

}  // namespace

// The engine's pipe enforcer over one node of SimPipes.
class SimPipeEnforcer final : public engine::PipeEnforcer {
 public:
  SimPipeEnforcer(SimPipes& pipes, size_t node) : pipes_(pipes), node_(node) {}
  // Gone without a Release (a crash): the classes fall back, as shoald's
  // guard process makes them.
  ~SimPipeEnforcer() override {
    if (!released_) (void)Set(fallback_);
  }
  const char* kind() const override { return "sim"; }
  bool Carries(const engine::PipeLane& lane) const override { return Find(lane) != nullptr; }
  Status SetDocument(const policy::PolicyDocument&) override { return Status::Ok(); }
  // Simulated traffic is offered per application: there are no packets to
  // classify by port.
  Status SetPorts(const std::vector<engine::AppPorts>&) override { return Status::Ok(); }
  Status Apply(const std::vector<engine::LaneSetting>& settings) override {
    // Lanes no longer listed are handed back: unlimited.
    for (size_t l = 0; l < pipes_.lanes_.size(); ++l) {
      const bool listed = std::any_of(settings.begin(), settings.end(),
                                      [&](const engine::LaneSetting& s) { return s.lane == pipes_.lanes_[l].id; });
      if (!listed) HandBack(pipes_.nodes_[node_][l]);
    }
    released_ = false;
    return Set(settings);
  }
  Status SetFallback(const std::vector<engine::LaneSetting>& settings) override {
    fallback_ = settings;
    return Status::Ok();
  }
  Result<std::vector<engine::LaneCounters>> Read() override {
    std::vector<engine::LaneCounters> out;
    for (size_t l = 0; l < pipes_.lanes_.size(); ++l) {
      const SimPipes::NodeLane& nl = pipes_.nodes_[node_][l];
      if (!nl.set) continue;
      engine::LaneCounters lc{pipes_.lanes_[l].id, {}};
      for (const auto& [app, cls] : nl.classes) {
        engine::ClassCounters c = cls.counters;
        c.app = app;
        c.backlog_bytes = static_cast<uint64_t>(cls.backlog);
        lc.classes.push_back(std::move(c));
      }
      out.push_back(std::move(lc));
    }
    return out;
  }
  Status Release() override {
    for (auto& nl : pipes_.nodes_[node_]) HandBack(nl);
    released_ = true;
    return Status::Ok();
  }

 private:
  // Sets the lanes listed, leaving the others as they are.
  Status Set(const std::vector<engine::LaneSetting>& settings) {
    for (const auto& s : settings) {
      SimPipes::NodeLane* nl = Find(s.lane);
      if (nl == nullptr) return MakeError("pipe {} is not carried here", s.lane.pipe);
      nl->node_ceil = s.node_ceil;
      nl->set = true;
      for (const auto& c : s.classes) {
        auto& cls = nl->classes[c.app];
        cls.rate = c.rate;
        cls.ceil = c.ceil;
      }
    }
    return Status::Ok();
  }
  static void HandBack(SimPipes::NodeLane& nl) {
    nl.node_ceil = 0;
    nl.set = false;
    for (auto& [app, cls] : nl.classes) cls.rate = cls.ceil = 0;
  }
  SimPipes::NodeLane* Find(const engine::PipeLane& lane) const {
    for (size_t l = 0; l < pipes_.lanes_.size(); ++l) {
      if (pipes_.lanes_[l].id == lane) return &pipes_.nodes_[node_][l];
    }
    return nullptr;
  }
  SimPipes& pipes_;
  size_t node_;
  std::vector<engine::LaneSetting> fallback_;
  bool released_ = false;
};

SimPipes::SimPipes(size_t nodes, std::vector<SimLane> lanes, Duration step, uint64_t queue_bytes)
    : lanes_(std::move(lanes)),
      step_(step),
      queue_bytes_(queue_bytes),
      nodes_(nodes, std::vector<NodeLane>(lanes_.size())),
      carried_(lanes_.size()),
      offered_(lanes_.size()),
      carried_of_(lanes_.size()),
      offered_of_(lanes_.size()) {}

void SimPipes::Offer(size_t node, const engine::PipeLane& lane, const std::string& app, RateCurve curve) {
  for (size_t l = 0; l < lanes_.size(); ++l) {
    if (lanes_[l].id == lane) nodes_[node][l].classes[app].offer = std::move(curve);
  }
}

std::unique_ptr<engine::PipeEnforcer> SimPipes::Enforcer(size_t node) {
  return std::make_unique<SimPipeEnforcer>(*this, node);
}

const std::vector<uint64_t>& SimPipes::CarriedOf(size_t lane, const std::string& app) const {
  auto it = carried_of_[lane].find(app);
  return it == carried_of_[lane].end() ? empty_ : it->second;
}

const std::vector<uint64_t>& SimPipes::OfferedOf(size_t lane, const std::string& app) const {
  auto it = offered_of_[lane].find(app);
  return it == offered_of_[lane].end() ? empty_ : it->second;
}

std::vector<double> SimPipes::Rates(const std::vector<uint64_t>& series, TimePoint from, Duration window) const {
  const size_t steps = carried_.empty() ? 0 : carried_[0].size();
  const size_t pad = steps - std::min(steps, series.size());
  const auto first = static_cast<size_t>(std::max<int64_t>(0, (from - started_) / step_));
  const auto per = static_cast<size_t>(std::max<int64_t>(1, window / step_));
  std::vector<double> out;
  for (size_t w = first; w + per <= steps; w += per) {
    uint64_t sum = 0;
    for (size_t k = std::max(w, pad); k < w + per; ++k) sum += series[k - pad];
    out.push_back(static_cast<double>(sum) / Seconds(window));
  }
  return out;
}

void SimPipes::Start(gossip::SimNetwork& network) {
  started_ = network.clock().Now();
  Schedule(network, started_ + step_);
}

void SimPipes::Schedule(gossip::SimNetwork& network, TimePoint at) {
  network.Schedule(at, [this, &network, at] {
    Step(at);
    Schedule(network, at + step_);
  });
}

void SimPipes::Step(TimePoint now) {
  for (size_t l = 0; l < lanes_.size(); ++l) {
    carried_[l].push_back(0);
    offered_[l].push_back(0);
    for (auto& node : nodes_) StepNodeLane(l, node[l], now);
  }
}

// One step of one node's HTB tree on a lane, as a fluid: each class first
// sends up to its rate, then the node's spare is shared max-min among the
// classes that want more, each up to its ceil.
void SimPipes::StepNodeLane(size_t lane, NodeLane& nl, TimePoint now) {
  const double dt = Seconds(step_);
  struct Want {
    Class* cls;
    const std::string* app;
    double want, sent, room;
  };
  std::vector<Want> wants;
  for (auto& [app, cls] : nl.classes) {
    const double offered = cls.offer ? std::max(0.0, cls.offer(now)) * dt : 0.0;
    AddToStep(offered_of_[lane], app, offered_[lane].size(), static_cast<uint64_t>(offered));
    offered_[lane].back() += static_cast<uint64_t>(offered);
    const bool limited = nl.node_ceil > 0 && cls.ceil > 0;
    const double want = cls.backlog + offered;
    const double guaranteed = limited ? std::min(want, static_cast<double>(cls.rate) * dt) : want;
    const double room = limited ? std::max(0.0, static_cast<double>(cls.ceil) * dt - guaranteed) : 0.0;
    wants.push_back({&cls, &app, want, guaranteed, room});
  }
  if (nl.node_ceil > 0) {
    double spare = static_cast<double>(nl.node_ceil) * dt;
    for (const Want& w : wants) spare -= w.sent;
    // Max-min of the spare over what each still wants, up to its room.
    std::vector<Want*> rising;
    for (Want& w : wants) {
      if (w.want > w.sent && w.room > 0) rising.push_back(&w);
    }
    while (spare > 1e-9 && !rising.empty()) {
      const double each = spare / static_cast<double>(rising.size());
      std::vector<Want*> next;
      for (Want* w : rising) {
        const double take = std::min({each, w->want - w->sent, w->room});
        w->sent += take;
        w->room -= take;
        spare -= take;
        if (w->want - w->sent > 1e-9 && w->room > 1e-9) next.push_back(w);
      }
      rising = std::move(next);
    }
  }
  for (Want& w : wants) {
    Class& cls = *w.cls;
    const double left = w.want - w.sent;
    const double dropped = std::max(0.0, left - static_cast<double>(queue_bytes_));
    cls.backlog = left - dropped;
    cls.counters.bytes += static_cast<uint64_t>(w.sent);
    cls.counters.packets += static_cast<uint64_t>(std::ceil(w.sent / kFrame));
    cls.counters.drops += static_cast<uint64_t>(std::ceil(dropped / kFrame));
    const auto sent = static_cast<uint64_t>(w.sent);
    carried_[lane].back() += sent;
    AddToStep(carried_of_[lane], *w.app, carried_[lane].size(), sent);
  }
}

}  // namespace shoal::sim
