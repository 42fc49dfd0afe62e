#include "daemon/engine/figure_planner.h"

#include <spdlog/spdlog.h>

#include "daemon/engine/figures_codec.h"

namespace shoal::engine {

FigurePlanner::FigurePlanner(const gossip::RollupConfig& config, gossip::Gossiper& gossiper,
                             gossip::PeerStreams& streams, Clock& clock)
    : gossiper_(gossiper),
      clock_(clock),
      rollup_(config, gossiper, streams, clock,
              [this](std::span<const std::string* const> parts) {
                return MergeFigureParts(parts, &counters_.parts_refused);
              },
              [this](const std::string& whole) { OnWhole(whole); }) {}

Status FigurePlanner::Register() {
  return gossiper_.RegisterChannel(
      gossip::ChannelSpec{gossip::channels::kLevels, "levels", gossiper_.config().period, gossip::kMaxPayloadBytes},
      [this]() -> std::optional<std::string> {
        if (!publish_changed_) return std::nullopt;
        publish_changed_ = false;
        return publish_;
      },
      [this](const gossip::ChannelView& view) { OnLevels(view); });
}

policy::RowPlan FigurePlanner::Plan(const policy::PlanNode& self, std::span<const policy::PlanInstance> own,
                                    std::vector<policy::CpuPolicy> policies, const policy::PlannerOptions& options) {
  policies_ = std::move(policies);
  options_ = options;
  fresh_ = false;
  policy::PoolLevels levels;
  if (!heard_.empty()) {
    auto decoded = DecodeLevels(heard_, policies_, options_);
    if (decoded.ok()) {
      levels = std::move(*decoded);
    } else {
      ++counters_.levels_refused;
      heard_.clear();
    }
  }
  policy::RowPlan row = policy::PlanRow(levels, self, own);
  if (heard_.empty()) {
    levels_.reset();
  } else {
    levels_ = std::move(levels);
  }
  rollup_.SetOwn(EncodeFigures(row.figures));
  return row;
}

void FigurePlanner::Tick() {
  if (stopped_) {
    stopped_ = false;
    OnLevels(gossiper_.View(gossip::channels::kLevels));
  }
  if (!rollup_.represents_pool()) {
    whole_.clear();
    if (!publish_.empty()) Publish(std::string());  // withdrawn
  }
  rollup_.Tick();
}

void FigurePlanner::Stop() {
  stopped_ = true;
  heard_.clear();
  levels_.reset();
  whole_.clear();
  fresh_ = false;
  if (!publish_.empty()) Publish(std::string());
}

void FigurePlanner::OnWhole(const std::string& whole) {
  auto figures = DecodeFigures(whole);
  if (!figures.ok()) return;  // merged here from decoded parts: cannot happen
  whole_ = whole;
  std::string levels = EncodeLevels(policy::PlanLevels(*figures, policies_, options_));
  if (levels.size() > gossip::kMaxPayloadBytes) {
    ++counters_.levels_too_large;
    if (auto held = too_large_log_.Allow(clock_.Now())) {
      spdlog::error("the pool's levels take {} bytes, over a gossip entry's {}: not published ({} applications; "
                    "{} more times since the last line)",
                    levels.size(), gossip::kMaxPayloadBytes, figures->apps.size(), *held);
    }
    return;
  }
  ++counters_.levels_published;
  Publish(std::move(levels));
}

void FigurePlanner::Publish(std::string levels) {
  publish_ = std::move(levels);
  publish_changed_ = true;
}

void FigurePlanner::OnLevels(const gossip::ChannelView& view) {
  if (stopped_) return;
  const gossip::StoredEntry* e = view.Find(rollup_.pool_rep());
  if (e == nullptr || e->payload.empty() || e->payload == heard_) return;
  heard_ = e->payload;
  fresh_ = true;
  ++counters_.levels_heard;
}

}  // namespace shoal::engine
