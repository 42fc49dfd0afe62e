// The pool as one node sees it, as a table for people: every member with
// its name, address, state, age of the last sign of life and its server's
// facts. Used by shoald's periodic report (and the demo). Free function.
#pragma once

#include <string>

#include "daemon/engine/pool_view.h"
#include "gossip/gossiper.h"

namespace shoal::daemon {

std::string FormatPoolTable(const gossip::Gossiper& g, const engine::PoolView& pool, TimePoint now);

}  // namespace shoal::daemon
