// The daemon's history: the RocksDB the engine's history recorder writes
// (daemon/engine/history_recorder.h), and pool-wide questions answered for
// the control API. See store/.
#include <filesystem>

#include <spdlog/spdlog.h>

#include "daemon/daemon.h"
#include "store/pool_query.h"
#include "store/resolution.h"
#include "store/scan.h"
#include "store/series_sum.h"

namespace shoal::daemon {
namespace {

constexpr auto kPeerTimeout = std::chrono::seconds(5);

std::array<int64_t, store::kLevels> Retention(const HistoryConfig& h) {
  return {h.keep_raw_hours * store::kHourMs, h.keep_minutes_days * store::kDayMs, h.keep_hours_days * store::kDayMs};
}

}  // namespace

Status Daemon::OpenHistory() {
  if (!config_.history.enabled) {
    spdlog::info("history: off (history.enabled = false)");
    return Status::Ok();
  }
  store::StoreOptions o;
  o.path = config_.history.path;
  o.retention_ms = Retention(config_.history);
  o.event_retention_ms = config_.history.keep_events_days * store::kDayMs;
  std::error_code ec;
  std::filesystem::create_directories(o.path, ec);
  if (ec) return MakeError("history.path {}: cannot create it: {}", o.path, ec.message());
  auto opened = store::HistoryStore::Open(NodeId::FromName(config_.node_name), config_.node_name, o);
  if (!opened.ok()) return opened.error();
  history_ = std::move(*opened);
  spdlog::info("history: {} (sequence {}), {} cop{} on peers", o.path, history_->last_seq(), config_.history.copies,
               config_.history.copies == 1 ? "y" : "ies");
  return Status::Ok();
}

void Daemon::HandleHistory(const control::Request& request, ControlServer::Reply reply) {
  control::Response r;
  auto fail = [&](std::string message) {
    r.set_error(std::move(message));
    reply(std::move(r));
  };
  engine::HistoryRecorder* recorder = engine_->history();
  if (!recorder) return fail("history is off on this node (history.enabled = false): ask another node");
  std::vector<store::PoolMember> peers;
  for (const gossip::Member* m : gossiper_->membership().live_peers()) peers.push_back({m->id, m->endpoint});

  if (request.has_history_mount()) {
    const auto& m = request.history_mount();
    auto file = store::ArchiveFileIn(config_.history.archive_dir, m.file());
    if (!file.ok() && !m.unmount()) return fail(file.error().message);
    if (m.unmount()) {
      // An archive mounted before the directory check may lie elsewhere.
      if (auto s = history_->Unmount(file.ok() ? *file : m.file()); !s.ok()) return fail(s.error().message);
    } else if (auto mounted = history_->Mount(*file); !mounted.ok()) {
      return fail(mounted.error().message);
    }
    spdlog::info("history: archive {} {} through the control API", file.ok() ? *file : m.file(),
                 m.unmount() ? "unmounted" : "mounted");
    for (const auto& a : history_->Mounted()) {
      r.mutable_files()->add_files(fmt::format("{} ({} rows, {} to {} ms)", a.file, a.rows, a.first_ms, a.last_ms));
    }
    return reply(std::move(r));
  }
  if (request.has_history_delete() || request.has_history_archive()) {
    // Every node, this one too, applies what the admin signed, not these
    // fields (gossip/admin_auth.h); they only say who relayed it.
    store::wire::Request broadcast;
    const std::string by = fmt::format("shoalctl via {}", config_.node_name);
    if (request.has_history_delete()) {
      broadcast.mutable_delete_()->set_by(by);
    } else {
      broadcast.mutable_archive()->set_by(by);
    }
    broadcast.set_signed_action(request.signed_action());
    store::PoolQuery::Broadcast(
        recorder->service(), *streams_, std::move(peers), broadcast, kPeerTimeout,
        [this, reply, archive = request.has_history_archive()](store::NodeAnswers answers) {
          control::Response out;
          auto* deleted = archive ? nullptr : out.mutable_deleted();
          auto* files = archive ? out.mutable_files() : nullptr;
          for (const auto& [node, answer] : answers) {
            const std::string who = engine_->NameOf(node);
            if (!answer.ok()) {
              (archive ? files->add_failures() : deleted->add_failures())->assign(fmt::format("{}: {}", who, answer.error().message));
            } else if (archive) {
              files->add_files(fmt::format("{}: {} ({} rows)", who, answer->archived().file(), answer->archived().rows()));
            } else {
              deleted->set_rows(deleted->rows() + static_cast<double>(answer->deleted().rows()));
              deleted->set_nodes(deleted->nodes() + 1);
            }
          }
          reply(std::move(out));
        });
    return;
  }

  const auto& h = request.history();
  if (h.from_ms() < 0 || h.to_ms() < 0 || h.step_ms() < 0) {
    return fail(fmt::format("history: from_ms ({}), to_ms ({}) and step_ms ({}) must not be negative", h.from_ms(),
                            h.to_ms(), h.step_ms()));
  }
  const int64_t now = wall_.NowMs();
  const int64_t to = h.to_ms() > 0 ? h.to_ms() : now;
  const int64_t from = h.from_ms() > 0 ? h.from_ms() : to - store::kHourMs;
  if (from >= to) return fail(fmt::format("history: the period from {} to {} ms is empty", from, to));
  store::wire::Query q;
  const std::string& what = h.what();
  if (what == "app") {
    q.set_kind(static_cast<uint32_t>(store::SeriesKind::kApp));
    q.set_name(h.name());
    if (!h.node().empty()) q.add_origins(NodeId::FromName(h.node()).value);
  } else if (what == "node" || what == "pool") {
    q.set_kind(static_cast<uint32_t>(store::SeriesKind::kNode));
    if (what == "node" && !h.name().empty()) q.add_origins(NodeId::FromName(h.name()).value);
  } else if (what == "events") {
    q.set_kind(static_cast<uint32_t>(store::SeriesKind::kEvent));
    q.set_name(h.name());
    if (!h.node().empty()) q.add_origins(NodeId::FromName(h.node()).value);
  } else {
    return fail(fmt::format("history: '{}' is not one of: app, node, pool, events", what));
  }
  if (!q.name().empty() && !store::ValidName(q.name())) return fail("history: a bad name");
  const auto res = store::ChooseResolution(from, to, now, h.step_ms(), Retention(config_.history));
  if ((to - from) / res.step_ms > store::kMaxBuckets) {
    return fail(fmt::format("history: {} buckets of {} ms over the period (at most {}): choose a larger --step",
                            (to - from) / res.step_ms, res.step_ms, store::kMaxBuckets));
  }
  q.set_from_ms(from);
  q.set_to_ms(to);
  q.set_archive(h.archive());
  q.set_step_ms(res.step_ms);
  q.set_level(static_cast<uint32_t>(res.level));
  const bool per_node = h.per_node() || (what == "node");
  auto progress = [reply](size_t done, size_t total) {
    control::Response p;
    p.mutable_progress()->set_done(static_cast<uint32_t>(done));
    p.mutable_progress()->set_total(static_cast<uint32_t>(total));
    reply(std::move(p));
  };
  store::PoolQuery::Run(
      recorder->service(), *streams_, std::move(peers), q, kPeerTimeout, progress,
      [this, reply, res, from, to, per_node](Result<store::PoolAnswer> a) {
        control::Response out;
        if (!a.ok()) {
          out.set_error(a.error().message);
          return reply(std::move(out));
        }
        auto* ans = out.mutable_history();
        ans->set_from_ms(from);
        ans->set_to_ms(to);
        ans->set_step_ms(res.step_ms);
        ans->set_level(store::LevelName(res.level));
        auto name = [&](uint64_t origin) {
          auto it = a->names.find(origin);
          return it != a->names.end() && !it->second.empty() ? it->second : engine_->NameOf(NodeId{origin});
        };
        for (const auto& s : store::SumSeries(a->result, per_node)) {
          auto* p = ans->add_points();
          p->set_series(s.series);
          if (s.origin) p->set_node(name(s.origin));
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
        for (const auto& e : a->result.events()) {
          auto* ev = ans->add_events();
          ev->set_time_ms(e.time_ms());
          ev->set_node(name(e.origin()));
          ev->set_kind(e.kind());
          ev->set_subject(e.event().subject());
          ev->set_text(e.event().text());
        }
        for (const auto& [node, why] : a->failures) ans->add_failures(fmt::format("{}: {}", engine_->NameOf(node), why));
        for (const auto& [origin, holder] : a->holder) {
          if (holder != origin) ans->add_sources(fmt::format("{} from {}", name(origin), name(holder)));
        }
        reply(std::move(out));
      });
}

}  // namespace shoal::daemon
