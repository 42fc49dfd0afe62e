// Suspicions that spread (SWIM's idea, carried by this exchange's
// heartbeats). In a large pool, news of life about one node takes seconds
// to reach every other through the digests' rotating windows, so silence
// alone is slow to convict a dead node. Instead a node whose direct probes
// of a peer went unanswered accuses it: it lists the peer, with the
// incarnation it knows, in its own heartbeat, which spreads like any entry.
// Whoever hears an accusation suspects the peer at once. The accusation
// stands until the peer refutes it (a heartbeat with a newer incarnation:
// the accused node bumps its own when it hears) or news of life from after
// the accusation arrives; one that stands for the accusation timeout makes
// the peer failed.
//
// AccusationBook holds what each accuser's latest heartbeat said, by
// accused node, with the local time it was heard. Accusations are rare and
// short-lived, so this is a small hash table. Not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

#include "core/clock.h"
#include "core/node_id.h"

namespace shoal::gossip {

struct Accusation {
  NodeId id;                // the accused
  uint64_t incarnation = 0;  // of the accused, as the accuser knew it
  bool operator==(const Accusation&) const = default;
};

// Most accusations one heartbeat carries (and one node makes at a time).
inline constexpr size_t kMaxAccusations = 8;

class AccusationBook {
 public:
  // What `accuser` says now replaces what it said before; accusations it
  // repeats keep the time they were first heard.
  void Replace(NodeId accuser, std::span<const Accusation> list, TimePoint now);
  // Adds one accusation by `accuser`; false if it has kMaxAccusations
  // already or makes this one already.
  bool Add(NodeId accuser, const Accusation& a, TimePoint now);

  // When the earliest accusation against `id` that still stands was heard:
  // one that names `incarnation` or a newer one and was heard after
  // `last_seen` (the newest news of life). Accusations that no longer stand
  // never will again (incarnations and news of life only grow): they are
  // dropped.
  std::optional<TimePoint> Standing(NodeId id, uint64_t incarnation, TimePoint last_seen);
  // Whether an accusation against `id` naming `incarnation` or newer was
  // heard after `seen` (news of life from `seen` does not answer it).
  bool AccusedAfter(NodeId id, uint64_t incarnation, TimePoint seen) const;

  // What `accuser` says now, by id.
  std::vector<Accusation> By(NodeId accuser) const;
  // Forgets `id` as accused and as accuser (a reaped or departed node).
  void Forget(NodeId id);
  // The accused ids, in no set order.
  std::vector<NodeId> Accused() const;
  bool empty() const { return against_.empty(); }

 private:
  struct Held {
    NodeId accuser;
    uint64_t incarnation;
    TimePoint heard;
  };
  std::unordered_map<NodeId, std::vector<Held>> against_;
};

}  // namespace shoal::gossip
