// Decides what a daemon does when another process speaks under its node
// name (gossip's NameConflict): cloned VMs keep their host name, and two
// daemons with one node id cut each other off. The one that started last
// gives way: within its first `grace` after start, a conflict that is not
// plainly the other side's newer boot stops it (exit code 2, a message that
// names the other and says what to change). Otherwise the pair is reported
// loudly: an error line at most every `report_every`, and an event. A lone
// packet of this node's previous life still in flight after a quick restart
// is no conflict: sightings must span at least a second. Pure logic on the
// caller's clock; not thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "core/clock.h"
#include "gossip/gossiper.h"

namespace shoal::daemon {

class NameGuard {
 public:
  enum class Verdict { kQuiet, kReport, kStop };

  NameGuard(std::string name, uint64_t own_boot, TimePoint started, Duration grace = std::chrono::seconds(30),
            Duration report_every = std::chrono::seconds(30));

  Verdict OnConflict(const gossip::Gossiper::NameConflict& c, TimePoint now);
  // What to log and record for the last verdict that was not kQuiet.
  const std::string& message() const { return message_; }
  uint64_t sightings() const { return sightings_; }

 private:
  std::string name_;
  uint64_t own_boot_;
  TimePoint started_;
  Duration grace_, report_every_;
  TimePoint first_seen_{}, last_report_{};
  uint64_t sightings_ = 0;
  bool reported_ = false;
  std::string message_;
};

}  // namespace shoal::daemon
