// When a node samples its local instances, and whether it is still
// settling. Samples come every period (at a random first phase, so that
// nodes started together do not publish in step), each `full_every`-th a
// full rescan; a document's activation takes a full scan at once and asks
// one more sample a quarter period later, so that the new rules' first
// usage figures (which take two samples) come within a fraction of a
// period while the regular samples keep their phase; a regular sample due
// sooner than that is taken then instead (no window under a quarter period). A node is settling
// from its start until two samples under a document have measured its
// instances, for at most `settle_max` (a node without a policy for that
// long settles anyway): peers plan it meanwhile from its last status
// (node_status.h). Plain value type; not thread-safe.
#pragma once

#include <optional>

#include "core/clock.h"

namespace shoal::engine {

class SampleCadence {
 public:
  enum class Due { kNone, kRegular, kQuick };

  SampleCadence(Duration every, int full_every, Duration settle_max = std::chrono::seconds(10));

  // The node starts at `now`; `first_phase` in [0, 1): the first regular
  // sample comes after (0.5 + first_phase) periods.
  void Start(TimePoint now, double first_phase);
  // The document's full scan was taken at `now`.
  void OnDocument(TimePoint now);
  // What is due at `now`; each due sample is handed out once.
  Due Next(TimePoint now);
  // Whether the regular sample just handed out is a full rescan.
  bool full() const { return full_; }
  bool settling(TimePoint now) const { return !measured_ && now - start_ < settle_max_; }

 private:
  Due Regular();
  void Taken();

  TimePoint start_{};
  Duration every_;
  int full_every_;
  Duration settle_max_;
  TimePoint next_{};
  std::optional<TimePoint> quick_;
  bool quick_regular_ = false;  // the quick sample's time takes a regular sample
  int regular_ = 0;           // regular samples since the last full scan
  int since_document_ = -1;   // samples since the document's scan (-1: no document yet)
  bool full_ = false;
  bool measured_ = false;     // two samples under a document have been taken
};

}  // namespace shoal::engine
