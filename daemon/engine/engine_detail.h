// What a node engine answers when asked for its detail (node_detail.h):
// its full status, its own rows, and the pool's figures while it
// represents the pool. One wiring for shoald and the simulator.
#pragma once

#include "daemon/engine/node_detail.h"
#include "daemon/engine/node_engine.h"

namespace shoal::engine {

// REQUIRES: `engine` outlives the DetailService made with it.
inline DetailService::Own DetailOf(const NodeEngine& engine) {
  return {
      [&engine] { return engine.OwnStatus(); },
      [&engine] { return RowOf(engine.cpu().plan(), engine.self(), engine.cpu().control().groups()); },
      [&engine] { return engine.figures() ? engine.figures()->whole() : std::string(); },
  };
}

}  // namespace shoal::engine
