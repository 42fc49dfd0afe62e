// The process source: the engine's seam for what the local machine runs.
// shoald's Sampler reads /proc (daemon/sampler.h); the simulator's
// applications follow scripted demand curves (tools/sim/). Not thread-safe.
#pragma once

#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "daemon/engine/instance.h"
#include "policy/model.h"

namespace shoal::engine {

class ProcessSource {
 public:
  virtual ~ProcessSource() = default;
  // A new policy document: which applications to look for, and how.
  virtual void SetDocument(const policy::PolicyDocument& doc) = 0;
  // The document's applications running here at `now`, each with its
  // figures since the previous sample (usage and demand in millicores;
  // zero at the first sample); `full` asks for a full rescan where that
  // costs more than an update. Applications with no process are left out.
  virtual Result<std::vector<LocalInstance>> Sample(TimePoint now, bool full) = 0;
  // The server's size, load and memory.
  virtual Result<HostFacts> Host() = 0;
};

}  // namespace shoal::engine
