// The pool as one node sees it, as a table for people: every member with
// its name, address, state, age of the last sign of life and its server's
// facts. Used by shoald's periodic report (and the demo). Free function.
#pragma once

#include <string>

#include "gossip/gossiper.h"

namespace shoal::daemon {

std::string FormatPoolTable(const gossip::Gossiper& g, TimePoint now);

}  // namespace shoal::daemon
