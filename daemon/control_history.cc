// The control API's history answers: archives mounted here, deletions and
// archives broadcast to every node, and pool-wide queries answered once
// per origin by its best holder. See daemon/control_api.h.
#include <algorithm>

#include <spdlog/spdlog.h>

#include "daemon/control_api.h"
#include "daemon/history_files.h"
#include "store/pool_query.h"
#include "store/resolution.h"
#include "store/scan.h"
#include "store/series_sum.h"

namespace shoal::daemon {
namespace {

constexpr auto kPeerTimeout = std::chrono::seconds(5);

control::Response Failure(std::string message) {
  control::Response r;
  r.set_error(std::move(message));
  return r;
}

std::vector<store::PoolMember> LivePeers(const gossip::Gossiper& g) {
  std::vector<store::PoolMember> peers;
  for (const auto m : g.membership().live_peers()) peers.push_back({m.id, m->endpoint});
  return peers;
}

// A history request as the store's query.
struct PlannedQuery {
  store::SeriesQuery query;
  store::Resolution res;
  int64_t from = 0, to = 0;
  bool per_node = false;
};

Status SetKind(const control::HistoryQuery& h, store::SeriesQuery& q) {
  const std::string& what = h.what();
  if (what == "app" || what == "events") {
    q.kind = what == "app" ? store::SeriesKind::kApp : store::SeriesKind::kEvent;
    q.name = h.name();
    if (!h.node().empty()) q.origins.push_back(NodeId::FromName(h.node()));
  } else if (what == "node" || what == "pool") {
    q.kind = store::SeriesKind::kNode;
    if (what == "node" && !h.name().empty()) q.origins.push_back(NodeId::FromName(h.name()));
  } else if (what == "pipe") {
    // "uplink", "uplink/out": every series under it; "uplink/out/web": that
    // one; no name: every pipe's.
    q.kind = store::SeriesKind::kPipe;
    q.name = h.name();
    q.name_prefix = !h.name().empty() && std::count(h.name().begin(), h.name().end(), '/') < 2;
    if (!h.node().empty()) q.origins.push_back(NodeId::FromName(h.node()));
  } else {
    return MakeError("history: '{}' is not one of: app, node, pool, pipe, events", what);
  }
  if (!q.name.empty() && !store::ValidName(q.name)) return MakeError("history: a bad name");
  return Status::Ok();
}

Result<PlannedQuery> PlanQuery(const control::HistoryQuery& h, int64_t now, const HistoryConfig& config) {
  if (h.from_ms() < 0 || h.to_ms() < 0 || h.step_ms() < 0) {
    return MakeError("history: from_ms ({}), to_ms ({}) and step_ms ({}) must not be negative", h.from_ms(),
                     h.to_ms(), h.step_ms());
  }
  PlannedQuery p;
  p.to = h.to_ms() > 0 ? h.to_ms() : now;
  p.from = h.from_ms() > 0 ? h.from_ms() : p.to - store::kHourMs;
  if (p.from >= p.to) return MakeError("history: the period from {} to {} ms is empty", p.from, p.to);
  if (auto s = SetKind(h, p.query); !s.ok()) return s.error();
  p.res = store::ChooseResolution(p.from, p.to, now, h.step_ms(), Retention(config));
  if ((p.to - p.from) / p.res.step_ms > store::kMaxBuckets) {
    return MakeError("history: {} buckets of {} ms over the period (at most {}): choose a larger --step",
                     (p.to - p.from) / p.res.step_ms, p.res.step_ms, store::kMaxBuckets);
  }
  p.query.from_ms = p.from;
  p.query.to_ms = p.to;
  p.query.archive = h.archive();
  p.query.step_ms = p.res.step_ms;
  p.query.level = p.res.level;
  p.per_node = h.per_node() || h.what() == "node";
  return p;
}

void AddPoint(const store::SeriesPoint& s, const std::string& node, control::HistoryAnswer& ans) {
  auto* p = ans.add_points();
  p->set_series(s.series);
  if (s.origin) p->set_node(node);
  p->set_time_ms(s.time_ms);
  p->set_usage_m(s.usage);
  p->set_usage_peak_m(s.usage_peak);
  p->set_demand_m(s.demand);
  p->set_demand_peak_m(s.demand_peak);
  p->set_booking_m(s.booking);
  p->set_allocation_m(s.allocation);
  p->set_capacity_m(s.capacity);
  p->set_rss_kb(s.rss_kb);
  p->set_squeezed(s.squeezed);
  p->set_idle(s.idle);
  p->set_samples(s.samples);
  p->set_nodes(s.nodes);
}

}  // namespace

void ControlApi::HistoryMount(const control::Request& request, ControlServer::Reply reply) {
  if (!c_.history) return reply(Failure("history is off on this node (history.enabled = false): ask another node"));
  const auto& m = request.history_mount();
  auto file = store::ArchiveFileIn(c_.config.history.archive_dir, m.file());
  if (!file.ok() && !m.unmount()) return reply(Failure(file.error().message));
  if (m.unmount()) {
    // An archive mounted before the directory check may lie elsewhere.
    if (auto s = c_.history->Unmount(file.ok() ? *file : m.file()); !s.ok()) return reply(Failure(s.error().message));
  } else if (auto mounted = c_.history->Mount(*file); !mounted.ok()) {
    return reply(Failure(mounted.error().message));
  }
  spdlog::info("history: archive {} {} through the control API", file.ok() ? *file : m.file(),
               m.unmount() ? "unmounted" : "mounted");
  control::Response r;
  for (const auto& a : c_.history->Mounted()) {
    r.mutable_files()->add_files(fmt::format("{} ({} rows, {} to {} ms)", a.file, a.rows, a.first_ms, a.last_ms));
  }
  reply(std::move(r));
}

void ControlApi::HistoryBroadcast(const control::Request& request, ControlServer::Reply reply) {
  engine::HistoryRecorder* recorder = c_.engine.history();
  if (!recorder) return reply(Failure("history is off on this node (history.enabled = false): ask another node"));
  // Every node, this one too, applies what the admin signed, not these
  // fields (gossip/admin_auth.h); they only say who relayed it.
  store::wire::Request broadcast;
  const std::string by = fmt::format("shoalctl via {}", c_.config.node_name);
  if (request.has_history_delete()) {
    broadcast.mutable_delete_()->set_by(by);
  } else {
    broadcast.mutable_archive()->set_by(by);
  }
  broadcast.set_signed_action(request.signed_action());
  store::PoolQuery::Broadcast(
      recorder->service(), c_.streams, LivePeers(c_.gossiper), broadcast, kPeerTimeout,
      [this, reply, archive = request.has_history_archive()](store::NodeAnswers answers) {
        control::Response out;
        auto* deleted = archive ? nullptr : out.mutable_deleted();
        auto* files = archive ? out.mutable_files() : nullptr;
        for (const auto& [node, answer] : answers) {
          const std::string who = c_.engine.NameOf(node);
          if (!answer.ok()) {
            (archive ? files->add_failures() : deleted->add_failures())
                ->assign(fmt::format("{}: {}", who, answer.error().message));
          } else if (archive) {
            files->add_files(fmt::format("{}: {} ({} rows)", who, answer->archived().file(), answer->archived().rows()));
          } else {
            deleted->set_rows(deleted->rows() + static_cast<double>(answer->deleted().rows()));
            deleted->set_nodes(deleted->nodes() + 1);
          }
        }
        reply(std::move(out));
      });
}

void ControlApi::HistoryQuery(const control::Request& request, ControlServer::Reply reply) {
  engine::HistoryRecorder* recorder = c_.engine.history();
  if (!recorder) return reply(Failure("history is off on this node (history.enabled = false): ask another node"));
  auto planned = PlanQuery(request.history(), c_.wall.NowMs(), c_.config.history);
  if (!planned.ok()) return reply(Failure(planned.error().message));
  auto progress = [reply](size_t done, size_t total) {
    control::Response p;
    p.mutable_progress()->set_done(static_cast<uint32_t>(done));
    p.mutable_progress()->set_total(static_cast<uint32_t>(total));
    reply(std::move(p));
  };
  store::PoolQuery::Run(
      recorder->service(), c_.streams, LivePeers(c_.gossiper), planned->query, kPeerTimeout, progress,
      [this, reply, p = *planned](Result<store::PoolAnswer> a) {
        if (!a.ok()) return reply(Failure(a.error().message));
        control::Response out;
        auto* ans = out.mutable_history();
        ans->set_from_ms(p.from);
        ans->set_to_ms(p.to);
        ans->set_step_ms(p.res.step_ms);
        ans->set_level(store::LevelName(p.res.level));
        auto name = [&](uint64_t origin) {
          auto it = a->names.find(origin);
          return it != a->names.end() && !it->second.empty() ? it->second : c_.engine.NameOf(NodeId{origin});
        };
        for (const auto& s : a->points) AddPoint(s, s.origin ? name(s.origin) : "", *ans);
        for (const auto& e : a->result.events) {
          auto* ev = ans->add_events();
          ev->set_time_ms(e.time_ms);
          ev->set_node(name(e.origin.value));
          ev->set_kind(e.event.kind);
          ev->set_subject(e.event.subject);
          ev->set_text(e.event.text);
        }
        for (const auto& [node, why] : a->failures) ans->add_failures(fmt::format("{}: {}", c_.engine.NameOf(node), why));
        for (const auto& [origin, holder] : a->holder) {
          if (holder != origin) ans->add_sources(fmt::format("{} from {}", name(origin), name(holder)));
        }
        reply(std::move(out));
      },
      planned->per_node ? store::KeepRows::kPerNodeSums : store::KeepRows::kPoolSums);
}

}  // namespace shoal::daemon
