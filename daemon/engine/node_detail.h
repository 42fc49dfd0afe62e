// One node's detail on demand. A pool that plans from its figures
// (planning_way.h) publishes only cards (node_status.h), so what an
// operator asks per node (its load, instances and rows) or per application
// pool-wide (the pool's totals, held whole only by the pool's
// representative, figure_planner.h) is asked of the nodes holding it, over
// peer streams (StreamService::kDetail, node_detail.proto), at most
// kInFlight calls at a time. Engine code, no Asio: the shell creates it
// with what this node answers and its control API asks. Answers are
// untrusted: bounded and decoded as node_status.h and figures_codec.h do.
// Not thread-safe; the gossiper's thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "daemon/engine/cpu_control.h"
#include "daemon/engine/node_status.h"
#include "gossip/gossiper.h"
#include "gossip/peer_streams.h"
#include "policy/cpu_planner.h"
#include "policy/pool_figures.h"

namespace shoal::engine {

// What a node's plan gives one of its instances.
struct RowEntry {
  std::string app;
  double booking_m = 0, allocation_m = 0;
  int64_t millicores = 0;
  uint32_t weight = 1;
  int64_t quota_us = 0;  // 0: no quota
  int64_t period_us = 0;
  std::string cgroup;  // its group's path, when enforced
  bool operator==(const RowEntry&) const = default;
};

struct NodeDetail {
  NodeStatus status;  // in full
  std::vector<RowEntry> row;
  bool operator==(const NodeDetail&) const = default;
};

inline constexpr size_t kMaxRowEntries = 4096;

// The instances of `plan` on `self`, with their groups' paths.
std::vector<RowEntry> RowOf(const policy::CpuPlan& plan, NodeId self, const std::map<std::string, LocalGroup>& groups);

// The answer on the wire; `pool_figures` encoded by figures_codec.h (empty: none).
std::string EncodeDetail(const NodeDetail& detail, const std::string& pool_figures);
struct DecodedDetail {
  NodeDetail detail;
  std::optional<policy::PoolFigures> pool_figures;
};
// Refuses, naming what is wrong, what EncodeDetail would not write.
Result<DecodedDetail> DecodeDetail(std::string_view bytes);

class DetailService {
 public:
  static constexpr size_t kInFlight = 64;
  // What this node answers with.
  struct Own {
    std::function<NodeStatus()> status;
    std::function<std::vector<RowEntry>()> row;
    std::function<std::string()> pool_figures;  // encoded; empty: this node does not hold them
  };
  struct Answers {
    std::map<NodeId, NodeDetail> details;
    std::map<NodeId, std::string> failures;  // nodes that did not answer, and why
    size_t asked = 0;
  };
  using NodesDone = std::function<void(Answers)>;
  using FiguresDone = std::function<void(Result<policy::PoolFigures>)>;

  // Serves StreamService::kDetail; the references outlive this object.
  DetailService(Own own, gossip::Gossiper& gossiper, gossip::PeerStreams& streams);
  ~DetailService();
  DetailService(const DetailService&) = delete;
  DetailService& operator=(const DetailService&) = delete;

  // Every live node's detail, this node's included, each call within `timeout`.
  void AskNodes(Duration timeout, NodesDone done);
  // The pool's figures from `rep`, the node representing the pool (this
  // node's own when it is that node).
  void AskPoolFigures(NodeId rep, Duration timeout, FiguresDone done);

 private:
  std::string Answer(bool with_figures) const;

  Own own_;
  gossip::Gossiper& gossiper_;
  gossip::PeerStreams& streams_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace shoal::engine
