// Catching up on a wave that missed this node. The push wave reaches
// almost every node; one it misses learns of it from a digest whose
// version sums differ, and in a large pool a digest lists a given origin
// only once per cycle of its rotating window (seconds at 10,000 nodes).
// Two things shorten that:
//  - a node also lists, in each digest, a few origins it received a new
//    entry of lately (`OnStored`), so a node the wave missed soon sees a
//    peer ahead of it;
//  - a node that sees a peer ahead of it on an origin, and is still behind
//    a little later (a wave in flight catches up by itself), lists that
//    origin in its own next digest with its sums: the peers that get the
//    packet and hold newer entries send them back (the Gossiper's repair).
// Bounded: a few dozen ids at most. Pure state; not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/clock.h"
#include "core/node_id.h"

namespace shoal::gossip {

class CatchUp {
 public:
  // per_packet: ids added to each digest (0: off); settle: how long a node
  // stays behind before it asks; recent_for: how long a received entry is
  // listed as recent.
  CatchUp(size_t per_packet, Duration settle, Duration recent_for);

  // A newer entry of `origin` arrived in a wave.
  void OnStored(NodeId origin, TimePoint now);
  // A peer's digest showed it holding entries of `origin` whose sum is
  // `their_sum`, newer than ours.
  void OnBehind(NodeId origin, uint32_t their_sum, TimePoint now);

  // Calls list(id) for up to per_packet ids to list in the next digest:
  // first the origins this node has been behind on for `settle` and still
  // is (still_behind(id, their_sum)), then recent ones, round-robin.
  template <typename StillBehind, typename List>
  void Fill(TimePoint now, StillBehind&& still_behind, List&& list);

  size_t behind_count() const { return behind_.size(); }

  static constexpr size_t kMaxBehind = 32;
  static constexpr size_t kMaxRecent = 128;

 private:
  struct Behind {
    NodeId id;
    uint32_t their_sum;
    TimePoint since;
  };
  struct Recent {
    NodeId id;
    TimePoint at;
  };

  size_t per_packet_;
  Duration settle_;
  Duration recent_for_;
  std::vector<Behind> behind_;
  std::vector<Recent> recent_;  // a ring of kMaxRecent
  size_t recent_next_ = 0;      // where the next one is written
  size_t recent_cursor_ = 0;    // where listing resumes
};

template <typename StillBehind, typename List>
void CatchUp::Fill(TimePoint now, StillBehind&& still_behind, List&& list) {
  size_t added = 0;
  for (size_t i = 0; i < behind_.size() && added < per_packet_;) {
    const Behind& b = behind_[i];
    if (now - b.since < settle_) {
      ++i;
      continue;
    }
    if (still_behind(b.id, b.their_sum)) {
      list(b.id);
      ++added;
    }
    // Asked once; if the repair is lost, the next digest that shows it
    // behind asks again.
    behind_[i] = behind_.back();
    behind_.pop_back();
  }
  for (size_t k = 0; k < recent_.size() && added < per_packet_; ++k) {
    const Recent& r = recent_[recent_cursor_];
    recent_cursor_ = (recent_cursor_ + 1) % recent_.size();
    if (now - r.at > recent_for_) continue;
    list(r.id);
    ++added;
  }
}

}  // namespace shoal::gossip
