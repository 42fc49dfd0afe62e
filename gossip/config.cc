#include "gossip/config.h"

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

Status GossipConfig::Validate() const {
  using std::chrono::milliseconds;
  if (period < milliseconds(5) || period > milliseconds(1000)) {
    return MakeError("gossip period {} ms: must be 5..1000 ms", ToMillis(period));
  }
  if (fanout < 1 || fanout > 16) return MakeError("fanout {}: must be 1..16", fanout);
  if (max_ttl < 1 || max_ttl > kMaxTtl) {
    return MakeError("max_ttl {}: must be 1..{}", max_ttl, kMaxTtl);
  }
  if (mtu < 256 || mtu > kMaxDatagramBytes) {
    return MakeError("mtu {}: must be 256..{}", mtu, kMaxDatagramBytes);
  }
  if (backoff_base <= Duration::zero() || backoff_max < backoff_base) {
    return MakeError("backoff: base must be > 0 and <= backoff_max");
  }
  if (heartbeat_interval < period) {
    return MakeError("heartbeat interval {} ms: must be at least the period ({} ms)",
                     ToMillis(heartbeat_interval), ToMillis(period));
  }
  if (heartbeat_budget <= 0) return MakeError("heartbeat budget must be > 0");
  if (suspect_timeout < heartbeat_interval || failure_timeout < suspect_timeout) {
    return MakeError(
        "timeouts: need heartbeat interval <= suspect timeout <= failure timeout "
        "(got {} ms, {} ms, {} ms)",
        ToMillis(heartbeat_interval), ToMillis(suspect_timeout), ToMillis(failure_timeout));
  }
  if (reap_after < failure_timeout) return MakeError("reap_after must be >= failure timeout");
  if (stall_threshold <= period) return MakeError("stall threshold must exceed the period");
  return Status::Ok();
}

}  // namespace shoal::gossip
