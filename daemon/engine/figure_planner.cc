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
              [this](const std::string& whole) { OnWhole(whole); }) {
  rollup_.SetDown([this](const std::string& levels) {  // from the pool's representative, as the roll-up checked
    if (!stopped_) Heard(inbox_.OfferFromTree(rollup_.pool_rep(), levels, clock_.Now()));
  });
}

std::optional<std::string> FigurePlanner::Outbox::Take() {
  if (!changed) return std::nullopt;
  changed = false;
  return bytes;
}

void FigurePlanner::Outbox::Set(std::string b) {
  if (b == bytes) return;
  bytes = std::move(b);
  changed = true;
}

Status FigurePlanner::Register() {
  auto s = gossiper_.RegisterChannel(
      gossip::ChannelSpec{gossip::channels::kLevels, "levels", kLevelsChannelPeriod, gossip::kMaxPayloadBytes},
      [this] { return levels_out_.Take(); }, [this](const gossip::ChannelView& view) { OnLevels(view); });
  if (!s.ok()) return s;
  // The totals change with every node's demand; once a second is enough
  // for triggers, the squeeze watch and metrics.
  return gossiper_.RegisterChannel(
      gossip::ChannelSpec{gossip::channels::kTotals, "totals", std::chrono::seconds(1), gossip::kMaxPayloadBytes},
      [this] { return totals_out_.Take(); },
      [this](const gossip::ChannelView& view) {
        if (const gossip::StoredEntry* e = view.Find(rollup_.pool_rep())) totals_ = e->payload;
      });
}

policy::RowPlan FigurePlanner::Plan(const policy::PlanNode& self, std::span<const policy::PlanInstance> own,
                                    std::vector<policy::CpuPolicy> policies, const policy::PlannerOptions& options,
                                    bool settling) {
  policies_ = std::move(policies);
  options_ = options;
  fresh_ = false;
  policy::PoolLevels levels;
  if (!inbox_.bytes().empty()) {
    auto decoded = DecodeLevels(inbox_.bytes(), policies_, options_);
    if (decoded.ok()) {
      levels = std::move(*decoded);
    } else {
      ++counters_.levels_refused;
      inbox_.Clear();
    }
  }
  policy::RowPlan row = policy::PlanRow(levels, self, own);
  if (inbox_.bytes().empty()) {
    levels_.reset();
  } else {
    if (!totals_.empty() && !ApplyTotals(totals_, levels).ok()) {
      ++counters_.totals_refused;
      totals_.clear();
    }
    levels_ = std::move(levels);
  }
  if (!settling) rollup_.SetOwn(EncodeFigures(row.figures));
  return row;
}

void FigurePlanner::Tick() {
  if (stopped_) {
    stopped_ = false;
    OnLevels(gossiper_.View(gossip::channels::kLevels));
  }
  if (!rollup_.represents_pool()) {  // withdrawn
    whole_.clear();
    numbering_.Reset();
    levels_out_.Set(std::string());
    totals_out_.Set(std::string());
  }
  rollup_.Tick();
}

void FigurePlanner::Stop() {
  stopped_ = true;
  inbox_.Clear();
  totals_.clear();
  levels_.reset();
  whole_.clear();
  numbering_.Reset();
  fresh_ = false;
  levels_out_.Set(std::string());
  totals_out_.Set(std::string());
}

void FigurePlanner::OnWhole(const std::string& whole) {
  auto figures = DecodeFigures(whole);
  if (!figures.ok()) return;  // merged here from decoded parts: cannot happen
  whole_ = whole;
  const policy::PoolLevels levels = policy::PlanLevels(*figures, policies_, options_);
  std::string totals = EncodeTotals(levels);
  std::optional<std::string> bytes = numbering_.Encode(levels, clock_.Now());
  const size_t levels_size = bytes ? bytes->size() : levels_out_.bytes.size();
  if (levels_size > gossip::kMaxPayloadBytes || totals.size() > gossip::kMaxPayloadBytes) {
    ++counters_.levels_too_large;
    numbering_.Reset();  // published once they fit
    if (auto held = too_large_log_.Allow(clock_.Now())) {
      spdlog::error("the pool's levels take {} bytes and its totals {}, over a gossip entry's {}: not published ({} "
                    "applications; {} more times since the last line)",
                    levels_size, totals.size(), gossip::kMaxPayloadBytes, figures->apps.size(), *held);
    }
    return;
  }
  totals_out_.Set(std::move(totals));
  if (!bytes) return;  // the levels did not change
  ++counters_.levels_published;
  rollup_.SendDown(*bytes);
  Heard(inbox_.OfferFromTree(rollup_.pool_rep(), *bytes, clock_.Now()));  // its own, at once
  levels_out_.Set(std::move(*bytes));
}

void FigurePlanner::OnLevels(const gossip::ChannelView& view) {
  if (stopped_) return;
  const gossip::StoredEntry* e = view.Find(rollup_.pool_rep());
  if (e != nullptr) Heard(inbox_.OfferFromChannel(rollup_.pool_rep(), e->payload, clock_.Now()));
}

void FigurePlanner::Heard(bool fresh) {
  if (!fresh) return;
  fresh_ = true;
  ++counters_.levels_heard;
}

}  // namespace shoal::engine
