// Fuzzes the roll-up's stream service (gossip/rollup.h), what members send
// on StreamService::kRollup: any bytes, sent by a member of a simulated
// pool to the pool's representative and to a node below it, must be
// refused (and counted) or taken without a crash. Parts go through the
// daemon's own merge (daemon/engine/figures_codec.h), so every whole the
// representative hands over must decode; a version sent down that a node
// takes must reach its owner byte for byte. Zones and senders are hashes
// a fuzzer would not guess: a part for level 0 (the pool's zone) whose
// child prefix is below 8 is aimed at the pool zone's child of that
// number, and a version down from node 1 comes from the representative.
// A part's delta is also decoded on its own (FuzzDelta).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/big_endian.h"
#include "daemon/engine/figures_codec.h"
#include "gossip/part_delta.h"
#include "gossip/rollup.h"
#include "gossip/rollup_tree.h"
#include "gossip/sim/sim_pool.h"
#include "rollup.pb.h"

namespace {

using namespace shoal;
using namespace shoal::gossip;

constexpr size_t kNodes = 8;

struct Fixture {
  SimPool pool{[] {
    SimPoolOptions o;
    o.nodes = kNodes;
    o.seed = 5;
    return o;
  }()};
  std::vector<std::shared_ptr<Rollup>> rollups{kNodes};
  std::vector<std::string> heard{kNodes};  // the last version each node took down the tree
  std::string whole;

  Fixture() {
    pool.AddComponent([this](size_t i, Gossiper& g, PeerStreams& streams) {
      auto r = std::make_shared<Rollup>(
          RollupConfig{}, g, streams, pool.clock(),
          [](std::span<const std::string* const> parts) { return engine::MergeFigureParts(parts); },
          [this](const std::string& w) { whole = w; });
      policy::PoolFigures own;
      own.nodes = 1;
      own.capacity = 1000.0 * static_cast<double>(i + 1);
      r->SetOwn(engine::EncodeFigures(own));
      r->SetDown([this, i](const std::string& bytes) { heard[i] = bytes; });
      rollups[i] = r;
      return std::function<void()>([r] { r->Tick(); });
    });
    pool.StartFormed();
    pool.RunFor(std::chrono::seconds(3));
    if (!engine::DecodeFigures(whole).ok()) std::abort();
  }

  size_t Top() const {
    for (size_t i = 0; i < kNodes; ++i) {
      if (rollups[i]->represents_pool()) return i;
    }
    return 0;
  }

  // The zones right under the pool's, as `top` sees them.
  std::vector<ZoneKey> UnderPool(size_t top) {
    std::vector<NodeId> live;
    for (size_t i = 0; i < kNodes; ++i) live.push_back(pool.id(i));
    std::vector<ZoneLink> chain = ZoneChain(pool.id(top), live);
    return chain.back().children;
  }

  void Aim(wire::RollupPart& msg, size_t top) {
    if (msg.down_from() == 1) msg.set_down_from(pool.id(top).value);
    if (msg.parent_level() != 0 || msg.child_prefix() >= 8) return;
    const std::vector<ZoneKey> under = UnderPool(top);
    if (under.empty()) return;
    const ZoneKey& child = under[msg.child_prefix() % under.size()];
    msg.set_child_level(child.level);
    msg.set_child_prefix(child.prefix);
  }

  void Send(size_t from, size_t to, const std::string& request) {
    pool.streams(from).Call(pool.node(to).identity().advertise, StreamService::kRollup, request,
                            std::chrono::seconds(1), [](Result<std::string>) {});
  }
};

// A part's delta (gossip/part_delta.h) decoded against the message's own
// part as its base, named as the decoder expects (the fuzzer would not
// find the hash); what decodes must encode back to a delta that rebuilds
// it. The message itself, carrying both, is refused by the pool.
void FuzzDelta(const wire::RollupPart& msg) {
  if (msg.part_delta().size() < 8) return;
  std::string delta = msg.part_delta();
  PutBigEndian(reinterpret_cast<uint8_t*>(delta.data()), PartHash(msg.part()), 8);
  Result<std::string> part = ApplyDelta(msg.part(), delta, 1 << 16);
  if (!part.ok()) return;
  std::optional<std::string> again = EncodeDelta(msg.part(), *part);
  if (!again) return;
  Result<std::string> back = ApplyDelta(msg.part(), *again, 1 << 16);
  if (!back.ok() || *back != *part) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Fixture f;
  const size_t top = f.Top();
  const size_t below = (top + 1) % kNodes, sender = (top + 2) % kNodes;
  std::string request(reinterpret_cast<const char*>(data), size);
  wire::RollupPart msg;
  const bool parsed = msg.ParseFromString(request);
  if (parsed) {
    FuzzDelta(msg);
    f.Aim(msg, top);
    request = msg.SerializeAsString();
  }
  const uint64_t heard_before = f.rollups[below]->counters().down_heard;
  f.Send(sender, top, request);
  f.Send(sender, below, request);
  f.pool.RunFor(std::chrono::milliseconds(40));
  // Taken down the tree: the owner got exactly what was sent.
  if (f.rollups[below]->counters().down_heard > heard_before && parsed && msg.down_from() != 0 &&
      f.heard[below] != msg.down()) {
    // Only if no newer version came from the representative meanwhile
    // (it sends none here: this pool's owner never calls SendDown).
    std::abort();
  }
  f.pool.RunFor(std::chrono::milliseconds(100));
  if (!f.whole.empty() && !engine::DecodeFigures(f.whole).ok()) std::abort();
  return 0;
}
