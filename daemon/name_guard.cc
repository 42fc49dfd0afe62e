#include "daemon/name_guard.h"

#include <fmt/format.h>

namespace shoal::daemon {

NameGuard::NameGuard(std::string name, uint64_t own_boot, TimePoint started, Duration grace, Duration report_every)
    : name_(std::move(name)), own_boot_(own_boot), started_(started), grace_(grace), report_every_(report_every) {}

NameGuard::Verdict NameGuard::OnConflict(const gossip::Gossiper::NameConflict& c, TimePoint now) {
  if (sightings_++ == 0) first_seen_ = now;
  if (now - first_seen_ < std::chrono::seconds(1)) return Verdict::kQuiet;
  const std::string who =
      c.from.valid() ? fmt::format("a daemon at {} (boot {})", c.from.ToString(), c.boot)
                     : fmt::format("another daemon (its entries come from boot {})", c.boot);
  // The other's boot is newer than ours: it is the newcomer, not us.
  const bool other_is_newer = c.boot > own_boot_;
  if (!other_is_newer && now - started_ < grace_) {
    message_ = fmt::format(
        "{} already runs as node '{}': two daemons with one node name cut each other off. This one stops; "
        "give it another node_name (or --name), or stop the other",
        who, name_);
    return Verdict::kStop;
  }
  if (reported_ && now - last_report_ < report_every_) return Verdict::kQuiet;
  reported_ = true;
  last_report_ = now;
  message_ = fmt::format(
      "{} also runs as node '{}' ({} sightings): the two cut each other off and the pool sees one node "
      "flapping. Stop one of them or give it another node_name",
      who, name_, sightings_);
  return Verdict::kReport;
}

}  // namespace shoal::daemon
