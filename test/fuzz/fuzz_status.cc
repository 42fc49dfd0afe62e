// Fuzzes the node status every daemon receives from its peers on the node
// channel: any bytes must be refused or decode to a status that encodes
// and decodes again to the same instances, and planning over it (with a
// second, well-formed node and policies naming its applications) must not
// crash. The same bytes as a pipe demand (pipe channel) must be refused or
// survive a round trip, and a pipe round over its lanes must never grant
// more than the interval. Also feeds the bytes to the tokens-file parser,
// to the web view's request decoder (as a path and query), to the event
// peer service (as an EventQuery against a kept log: never more than the
// limit, never an event before after_ms), to the webhook URL parser, and
// to the keyring service as a peer's change (its signed text) and as the
// pool's answers (a switch or removal judged safe never is unsafe). And as
// the pool's figures (a roll-up part) and levels: refused, or decoded to
// figures that survive a second trip and plan levels, and to levels a row
// planned from never allocates more than the node has. And as a node's
// detail answer: refused, or decoded to a detail that survives a second trip.
#include <cstddef>
#include <cstdint>
#include <algorithm>
#include <cstdlib>
#include <string>

#include "bwman/pipe_round.h"
#include "daemon/engine/figures_codec.h"
#include "daemon/engine/node_detail.h"
#include "daemon/engine/node_status.h"
#include "daemon/engine/pipe_demand.h"
#include "daemon/engine/pool_view.h"
#include "daemon/control/tokens.h"
#include "daemon/engine/events.h"
#include "daemon/control/keyring_action.h"
#include "daemon/events/event_config.h"
#include "daemon/keyring_service.h"
#include "daemon/web_api.h"

namespace {

void PipeDemandFigures(const std::string& bytes) {
  using namespace shoal;
  auto d = engine::DecodePipeDemand(bytes);
  if (!d.ok()) return;
  auto encoded = engine::EncodePipeDemand(*d);
  if (!encoded.ok()) return;  // too big once re-encoded densely is refused, not a crash
  auto again = engine::DecodePipeDemand(*encoded);
  if (!again.ok() || !(*again == *d)) std::abort();
  bwman::RoundInput in;
  in.interval_bytes = 1'000'000;
  in.apps.resize(engine::kMaxSlots);
  in.apps[0].booked = 100'000;
  for (const auto& lane : d->lanes) in.demand.push_back(lane.bytes);
  const bwman::Round r = bwman::DivideRound(in);
  uint64_t total = 0;
  for (const auto& c : r.nodes.credits) total += c.total();
  if (total > in.interval_bytes) std::abort();
}

void WebRequest(const std::string& bytes) {
  using namespace shoal;
  const size_t cut = bytes.find('?');
  const std::string path = "/api/" + bytes.substr(0, cut);
  const std::string query = cut == std::string::npos ? "" : bytes.substr(cut + 1);
  const int64_t now_ms = 1'796'000'000'000;
  auto r = daemon::ParseWebRequest(path, query, now_ms);
  if (!r.ok()) return;
  if (r->command_case() == daemon::control::Request::COMMAND_NOT_SET) std::abort();
  if (r->has_history() && (r->history().from_ms() > r->history().to_ms() || r->history().step_ms() < 0)) std::abort();
  if (r->has_events() && (r->events().limit() > 1000 || r->events().after_ms() > now_ms)) std::abort();
  if (r->has_app() && r->app().name().empty()) std::abort();
}

class FixedWall final : public shoal::WallClock {
 public:
  int64_t NowMs() const override { return 5'000; }
};

void EventQueryFigures(const std::string& bytes) {
  using namespace shoal;
  engine::EventQuery q;
  if (!q.ParseFromString(bytes)) return;
  static FixedWall wall;
  static engine::EventLog* log = [] {
    auto* l = new engine::EventLog("fuzz", wall, 50);
    for (int i = 0; i < 60; ++i) l->Raise(i % 2 ? EventType::kNodeFailed : EventType::kAppIdle, "s", "t");
    return l;
  }();
  const auto got = log->Select(q);
  if ((q.limit() != 0 && got.size() > q.limit()) || got.size() > 1000 || got.size() > log->kept()) std::abort();
  for (const auto& e : got) {
    if (e.time_ms() < q.after_ms() || !e.type().starts_with(q.type_prefix())) std::abort();
  }
}

void FigureBytes(const std::string& bytes) {
  using namespace shoal;
  const std::vector<policy::CpuPolicy> policies = {{"web", policy::CpuShareKind::kPoolPercent, 30, 50.0, 1},
                                                   {"db", policy::CpuShareKind::kServerPercent, 20, std::nullopt, 2}};
  if (auto figures = engine::DecodeFigures(bytes); figures.ok()) {
    auto again = engine::DecodeFigures(engine::EncodeFigures(*figures));
    if (!again.ok() || again->apps.size() != figures->apps.size() || again->nodes != figures->nodes) std::abort();
    (void)policy::PlanLevels(*figures, policies, {});
  }
  auto levels = engine::DecodeLevels(bytes, policies, {});
  if (!levels.ok()) return;
  policy::PoolLevels with_totals = *levels;
  (void)engine::ApplyTotals(bytes, with_totals);
  const std::vector<policy::PlanInstance> own = {{"web", NodeId{1}, 3000, 100}, {"db", NodeId{1}, 900, 100}};
  const policy::RowPlan row = policy::PlanRow(*levels, {NodeId{1}, "n1", 4000}, own);
  int64_t total = row.plan.nodes.front().reserve;
  for (const auto& i : row.plan.instances) total += i.millicores;
  if (total != 4000) std::abort();
}


void KeyringFigures(const std::string& bytes) {
  using namespace shoal::daemon;
  control::KeyringChange change;
  if (change.ParseFromString(bytes)) (void)control::KeyringActionText(change);
  control::KeyringAnswer list;
  if (!list.ParseFromString(bytes)) return;
  change.set_key_id(list.nodes_size() > 0 && list.nodes(0).key_ids_size() > 0 ? list.nodes(0).key_ids(0) : 7);
  for (const char* action : {"use", "remove"}) {
    change.set_action(action);
    if (UnsafeKeyringChange(change, list)) continue;
    for (const auto& n : list.nodes()) {
      const bool holds = std::find(n.key_ids().begin(), n.key_ids().end(), change.key_id()) != n.key_ids().end();
      if (change.action() == "use" && (!n.error().empty() || !holds)) std::abort();
      if (change.action() == "remove" && n.error().empty() && holds && n.primary() == change.key_id()) std::abort();
    }
  }
}

void DetailBytes(const std::string& bytes) {
  using namespace shoal;
  auto d = engine::DecodeDetail(bytes);
  if (!d.ok()) return;
  const std::string figures = d->pool_figures ? engine::EncodeFigures(*d->pool_figures) : std::string();
  auto again = engine::DecodeDetail(engine::EncodeDetail(d->detail, figures));
  if (!again.ok() || again->detail.row != d->detail.row || again->detail.status.name != d->detail.status.name ||
      again->pool_figures.has_value() != d->pool_figures.has_value()) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace shoal;
  using namespace shoal::daemon;
  using namespace shoal::engine;
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  (void)Tokens::Parse(bytes, "fuzz");
  WebRequest(bytes);
  EventQueryFigures(bytes);
  (void)ParseHttpUrl(bytes);
  PipeDemandFigures(bytes);
  KeyringFigures(bytes);
  FigureBytes(bytes);
  DetailBytes(bytes);
  auto facts = DecodeNodeStatus(bytes);
  if (!facts.ok()) return 0;
  auto again = DecodeNodeStatus(EncodeNodeStatus(*facts));
  if (!again.ok() || again->name != facts->name ||
      again->instances.size() + again->instances_left_out != facts->instances.size() + facts->instances_left_out) {
    std::abort();
  }
  policy::PlanInput in;
  AddToPlanInput(NodeId{1}, *facts, in);
  NodeStatus other;
  other.name = "other";
  other.capacity_m = 4000;
  other.instances = {{"web", 500, 1500, 0, 1}};
  AddToPlanInput(NodeId{2}, other, in);
  int priority = 1;
  for (const auto& i : facts->instances) {
    in.policies.push_back({i.app, policy::CpuShareKind::kPoolPercent, 10, std::nullopt, priority++ % 3 + 1});
  }
  auto plan = policy::PlanCpu(in);
  double allocated = 0;
  for (const auto& n : plan.nodes) allocated += static_cast<double>(n.reserve);
  for (const auto& i : plan.instances) allocated += static_cast<double>(i.millicores);
  if (std::abs(allocated - plan.pool_capacity) > 1.0 * static_cast<double>(plan.nodes.size())) std::abort();
  return 0;
}
