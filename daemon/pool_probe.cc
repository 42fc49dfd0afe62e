#include "daemon/pool_probe.h"

#include "probe.pb.h"

namespace shoal::daemon {

PoolProbe::PoolProbe(gossip::Gossiper& g, Duration every, WallClock wall, Report report)
    : g_(g), every_(every), wall_(std::move(wall)), report_(std::move(report)) {}

Status PoolProbe::Register() {
  return g_.RegisterChannel(
      gossip::ChannelSpec{kProbeChannel, "probe", g_.config().period, 64},
      [this] { return Publish(); }, nullptr);
}

std::optional<std::string> PoolProbe::Publish() {
  const uint64_t now = wall_();
  if (every_ > Duration::zero() && now >= next_start_ns_) {
    // Report the previous probe, complete or not, before starting the next.
    if (auto it = echoes_.find(started_seq_); it != echoes_.end()) {
      ProbeResult r{started_seq_, it->second.size(), {}};
      for (const auto& [node, ms] : it->second) r.one_way_ms.push_back(ms);
      report_(r);
      echoes_.erase(it);
    }
    ++started_seq_;
    started_ns_ = now;
    next_start_ns_ = now + static_cast<uint64_t>(every_.count());
    echoes_[started_seq_];
    payload_.reset();
  }
  // Asked every period: serialised again only when it changed.
  if (!payload_) {
    wire::Probe p;
    p.set_started_seq(started_seq_);
    p.set_started_unix_ns(started_ns_);
    p.set_echo_origin(echo_origin_.value);
    p.set_echo_seq(echo_seq_);
    p.set_echo_received_unix_ns(echo_ns_);
    payload_ = p.SerializeAsString();
  }
  return payload_;
}

void PoolProbe::OnStored(uint32_t channel, NodeId origin) {
  if (channel != kProbeChannel || origin == g_.identity().id) return;
  const uint64_t now = wall_();
  const gossip::StoredEntry* e = g_.View(kProbeChannel).FindAny(origin);
  wire::Probe p;
  if (e == nullptr || !p.ParseFromArray(e->payload.view().data(), static_cast<int>(e->payload.size()))) return;
  // Echo the newest probe we have seen from anyone.
  if (p.started_seq() > 0 &&
      (origin != echo_origin_ || p.started_seq() > echo_seq_)) {
    echo_origin_ = origin;
    echo_seq_ = p.started_seq();
    echo_ns_ = now;
    payload_.reset();
  }
  // An echo of one of our probes.
  if (p.echo_origin() == g_.identity().id.value) {
    auto it = echoes_.find(p.echo_seq());
    if (it != echoes_.end() && p.echo_seq() == started_seq_ &&
        p.echo_received_unix_ns() >= started_ns_) {
      it->second[origin] =
          static_cast<double>(p.echo_received_unix_ns() - started_ns_) / 1e6;
    }
  }
}

}  // namespace shoal::daemon
