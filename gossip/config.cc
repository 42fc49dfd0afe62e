#include "gossip/config.h"

#include <algorithm>
#include <cmath>

#include "gossip/channel.h"
#include "gossip/packet.h"
#include "gossip/seal.h"

namespace shoal::gossip {

GossipConfig GossipConfig::Lan() { return GossipConfig{}; }

GossipConfig GossipConfig::LocalTest() {
  GossipConfig c;
  c.period = std::chrono::milliseconds(50);
  c.seed_interval = std::chrono::seconds(2);
  return c;
}

uint32_t GossipConfig::SendsFor(size_t live_nodes) const {
  const double n = static_cast<double>(std::max<size_t>(live_nodes, 2));
  const double copies = std::log(n) + 6;
  const double per_send = static_cast<double>(fanout) * 0.95;
  const auto need = static_cast<uint32_t>(std::ceil(copies / per_send));
  return std::clamp(need, sends, uint32_t{16});
}

uint32_t GossipConfig::TtlFor(size_t live_nodes) const {
  const double n = static_cast<double>(std::max<size_t>(live_nodes, 2));
  const double depth = std::log(n) / std::log(static_cast<double>(fanout) + 1);
  const auto need = static_cast<uint32_t>(std::ceil(depth - 1e-9)) + 6;
  return std::clamp(need, max_ttl, kMaxTtl);
}

Duration GossipConfig::SeedIntervalFor(size_t live_nodes, size_t seeds) const {
  if (seeds == 0 || !(seed_contacts_per_s > 0)) return seed_interval;
  const double s = static_cast<double>(live_nodes) / (static_cast<double>(seeds) * seed_contacts_per_s);
  const auto stretched = std::chrono::duration_cast<Duration>(std::chrono::duration<double>(std::min(s, 86400.0)));
  return std::max(seed_interval, stretched);
}

GossipConfig GossipConfig::AtTimingFanout() const {
  GossipConfig c = *this;
  c.fanout = kTimingFanout;
  c.period = period * static_cast<int64_t>(kTimingFanout) / static_cast<int64_t>(std::max<size_t>(fanout, 1));
  return c;
}

Status GossipConfig::Validate() const {
  using std::chrono::milliseconds;
  if (period < milliseconds(5) || period > milliseconds(1000)) {
    return MakeError("gossip period {} ms: must be 5..1000 ms", ToMillis(period));
  }
  if (fanout < 1 || fanout > 16) return MakeError("fanout {}: must be 1..16", fanout);
  if (protocol.min < kMinProtocolVersion || protocol.max > kProtocolVersion || protocol.min > protocol.max) {
    return MakeError("protocol range {} to {}: this build speaks {} to {}", protocol.min, protocol.max,
                     kMinProtocolVersion, kProtocolVersion);
  }
  if (max_ttl < 1 || max_ttl > kMaxTtl) {
    return MakeError("max_ttl {}: must be 1..{}", max_ttl, kMaxTtl);
  }
  if (sends < 1 || sends > 16) return MakeError("sends {}: must be 1..16", sends);
  if (mtu < 256 || mtu > kMaxDatagramBytes) {
    return MakeError("mtu {}: must be 256..{}", mtu, kMaxDatagramBytes);
  }
  if (backoff_base <= Duration::zero() || backoff_max < backoff_base) {
    return MakeError("backoff: base must be > 0 and <= backoff_max");
  }
  if (catch_up_items > 16) return MakeError("catch_up_items {}: must be 0..16", catch_up_items);
  // The digest: the sender, the window, the catch-up items.
  const size_t digest_most = kMaxDigestItems - 1 - catch_up_items;
  if (digest_items_min < 1 || digest_items_max < digest_items_min || digest_items_max > digest_most) {
    return MakeError("digest items: need 1 <= min <= max <= {}", digest_most);
  }
  if (suspect_timeout < 4 * period || failure_timeout < suspect_timeout) {
    return MakeError(
        "timeouts: need 4 periods <= suspect timeout <= failure timeout "
        "(got {} ms and {} ms)",
        ToMillis(suspect_timeout), ToMillis(failure_timeout));
  }
  if (DigestBound(digest_items_max + 1 + catch_up_items) +
          EncodedEntryBound(channels::kHeartbeatMaxPayload) + kSealOverheadBytes + kPacketOverheadBound >
      mtu) {
    return MakeError("mtu {}: too small for a digest of {} items", mtu, digest_items_max);
  }
  if (transit_allowance < Duration::zero() || transit_allowance > std::chrono::seconds(1)) {
    return MakeError("transit allowance {} ms: must be 0..1000 ms", ToMillis(transit_allowance));
  }
  if (max_nodes < 2) return MakeError("max_nodes {}: must be at least 2", max_nodes);
  if (reap_after < failure_timeout) return MakeError("reap_after must be >= failure timeout");
  if (suspect_probe_interval < Duration::zero() || suspect_probe_interval > failure_timeout) {
    return MakeError("suspect probe interval {} ms: must be 0 (off) up to the failure timeout",
                     ToMillis(suspect_probe_interval));
  }
  if (probe_interval < Duration::zero() || probe_interval > std::chrono::seconds(60)) {
    return MakeError("probe interval {} ms: must be 0 (off) up to 60000 ms", ToMillis(probe_interval));
  }
  if (probe_timeout < 2 * period || probe_timeout > failure_timeout) {
    return MakeError("probe timeout {} ms: must be 2 periods ({} ms) up to the failure timeout ({} ms)",
                     ToMillis(probe_timeout), ToMillis(2 * period), ToMillis(failure_timeout));
  }
  if (stall_threshold <= period) return MakeError("stall threshold must exceed the period");
  return Status::Ok();
}

}  // namespace shoal::gossip
