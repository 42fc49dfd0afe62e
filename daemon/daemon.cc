#include "daemon/daemon.h"

#include <csignal>
#include <cstdio>
#include <filesystem>

#include <spdlog/spdlog.h>

#include "core/percentile.h"
#include "daemon/boot_counter.h"
#include "daemon/key_file.h"
#include "daemon/secret_file.h"
#include "daemon/node_facts.h"
#include "daemon/policy_store.h"
#include "daemon/pool_table.h"
#include "daemon/script_runner.h"

namespace shoal::daemon {

namespace {

// The admins' public keys; none (with a warning) when the file is missing.
Result<std::unique_ptr<gossip::AdminVerifier>> LoadAdminVerifier(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    spdlog::warn("no admin keys file {}: this node takes no history deletion or archiving, and takes policy "
                 "pushes unsigned, from any holder of the pool key",
                 path);
    return std::unique_ptr<gossip::AdminVerifier>();
  }
  if (auto s = GuardSecretFile(path, "admin keys file"); !s.ok()) return s.error();
  auto keys = gossip::AdminVerifier::LoadKeys(path);
  if (!keys.ok()) return keys.error();
  spdlog::info("{} admin key(s) from {}", keys->size(), path);
  return std::make_unique<gossip::AdminVerifier>(std::move(*keys), [] { return WallClockMs(); });
}

}  // namespace

Result<std::unique_ptr<Daemon>> Daemon::Create(const DaemonConfig& config) {
  if (auto s = GuardSecretFile(config.key_file, "key file"); !s.ok()) return s.error();
  auto keyring = LoadKeyFile(config.key_file);
  if (!keyring.ok()) return keyring.error();
  auto boot = NextBoot(config.state_dir);
  if (!boot.ok()) return boot.error();
  auto d = std::unique_ptr<Daemon>(new Daemon(config, std::move(*keyring), *boot));
  // Polled once per tick: one wake-up a period instead of one per
  // datagram. The kernel's receive timestamps age what a datagram says by
  // the time it waited for the tick (see GossipConfig::transit_allowance).
  auto transport = gossip::UdpTransport::Open(d->io_, config.bind, gossip::UdpTransport::Mode::kPolled);
  if (!transport.ok()) return transport.error();
  d->transport_ = std::move(*transport);
  // Peer streams listen on TCP at the same address and port as the gossip.
  const NodeId self = NodeId::FromName(config.node_name);
  auto streams = gossip::TcpStreams::Open(d->io_, d->transport_->local_endpoint(), d->keyring_, self);
  if (!streams.ok()) return streams.error();
  d->streams_ = std::move(*streams);
  d->streams_->Serve(gossip::StreamService::kEcho,
                     [](const gossip::StreamPeer&, std::string request, gossip::PeerStreams::Respond r) {
                       r(std::move(request));
                     });
  gossip::NodeIdentity identity{self, d->boot_, config.advertise};
  d->gossiper_ = std::make_unique<gossip::Gossiper>(config.gossip, identity, d->clock_, d->random_,
                                                    *d->transport_, d->keyring_);
  d->gossiper_->SetSeeds(config.seeds);
  d->identity_ = std::make_unique<gossip::IdentityCheck>(*d->gossiper_, *d->streams_, d->clock_);
  d->name_guard_ = std::make_unique<NameGuard>(config.node_name, d->boot_, d->clock_.Now());
  d->gossiper_->SetNameConflictListener([dp = d.get()](const gossip::Gossiper::NameConflict& c) {
    switch (dp->name_guard_->OnConflict(c, dp->clock_.Now())) {
      case NameGuard::Verdict::kQuiet: return;
      case NameGuard::Verdict::kReport:
        spdlog::error("{}", dp->name_guard_->message());
        dp->NoteEvent("conflict", dp->config_.node_name, dp->name_guard_->message());
        return;
      case NameGuard::Verdict::kStop:
        // No leave is announced: it would speak for the other daemon.
        spdlog::critical("{}", dp->name_guard_->message());
        dp->exit_code_ = 2;
        dp->Stop();
    }
  });
  d->gossiper_->SetMemberListener([dp = d.get()](const gossip::MemberEvent& ev) {
    if (ev.kind == gossip::MemberEvent::Kind::kFailed) ++dp->nodes_failed_;
    if (ev.kind != gossip::MemberEvent::Kind::kReaped) {
      dp->NoteEvent(std::string(gossip::ToString(ev.kind)), dp->NameOf(ev.id),
                    fmt::format("node {} at {} {}", ev.id.ToString(), ev.endpoint.ToString(), gossip::ToString(ev.kind)));
    }
    const auto level = ev.kind == gossip::MemberEvent::Kind::kFailed ? spdlog::level::warn
                                                                      : spdlog::level::info;
    spdlog::log(level, "node {} at {} {}", ev.id.ToString(), ev.endpoint.ToString(),
                gossip::ToString(ev.kind));
  });
  const std::string name = config.node_name;
  if (auto s = d->StartCpu(); !s.ok()) return s.error();
  d->probe_ = std::make_unique<PoolProbe>(
      *d->gossiper_, std::chrono::milliseconds(config.probe_every_ms),
      [] {
        return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                         std::chrono::system_clock::now().time_since_epoch())
                                         .count());
      },
      [g = d->gossiper_.get()](const ProbeResult& r) {
        std::vector<double> ms = r.one_way_ms;
        const double p50 = Percentile(ms, 50), p99 = Percentile(ms, 99);
        spdlog::info("probe {}: reached {} of {} peers, one-way p50 {:.1f} ms p99 {:.1f} ms max {:.1f} ms",
                     r.seq, r.nodes, g->membership().live_count() - 1, p50, p99,
                     ms.empty() ? 0.0 : ms.back());
      });
  if (auto ps = d->probe_->Register(); !ps.ok()) return ps.error();
  d->snapshots_ = std::make_unique<gossip::SnapshotService>(gossip::SnapshotConfig{}, *d->gossiper_,
                                                            *d->streams_, d->clock_);
  auto permit = config.triggers.scripts_dir.empty()
                    ? Result<ScriptPermit>(ScriptPermit::None())
                    : ScriptPermit::Make(config.triggers.scripts_dir, config.triggers.scripts_user);
  if (!permit.ok()) return permit.error();
  d->scripts_ = std::make_unique<ScriptRunner>(d->io_, std::move(*permit));
  auto admin = LoadAdminVerifier(config.control.admin_keys_file);
  if (!admin.ok()) return admin.error();
  d->admin_ = std::move(*admin);
  if (auto hs = d->StartHistory(); !hs.ok()) return hs.error();
  if (auto ps = d->StartPolicies(); !ps.ok()) return ps.error();
  if (auto cs = d->StartControl(); !cs.ok()) return cs.error();
  d->gossiper_->SetEntryObserver(
      [p = d->probe_.get()](uint32_t channel, NodeId origin, uint64_t) { p->OnStored(channel, origin); });
  spdlog::info("node {} ({}) boot {} listening on {} (UDP gossip, TCP peer streams), advertising {}, "
               "{} seed(s)", name, identity.id.ToString(), d->boot_, d->transport_->local_endpoint().ToString(),
               config.advertise.ToString(), config.seeds.size());
  return d;
}

Status Daemon::StartPolicies() {
  policy::PolicyDistributor::Options options;
  // The live nodes' CPUs, from their node facts, to refuse impossible bookings.
  options.pool_millicores = [this]() -> std::optional<double> {
    const auto view = gossiper_->View(kNodeChannel);
    double millicores = 0;
    view.ForEach([&](NodeId, const gossip::StoredEntry& e) {
      if (auto f = DecodeNodeFacts(e.payload); f.ok()) millicores += f->capacity_m;
    });
    return millicores > 0 ? std::optional<double>(millicores) : std::nullopt;
  };
  if (admin_) {
    // Only documents an admin signed, wherever they come from.
    options.open = [this](const std::string& blob) -> Result<policy::OpenedPolicy> {
      auto a = admin_->CheckDocument(blob, "policy");
      if (!a.ok()) return a.error();
      return policy::OpenedPolicy{a->action(), a->issued_ms()};
    };
  }
  policies_ = std::make_unique<policy::PolicyDistributor>(
      options, *gossiper_, *streams_, random_, [] { return static_cast<uint64_t>(WallClockMs()); });
  if (auto s = policies_->Register(); !s.ok()) return s;
  policies_->SetListener([this](const policy::PolicyVersion& v, const policy::PolicyDocument& doc,
                                const std::string& text) {
    spdlog::info("policy {} active: mode {}, {} application(s), {} policy(ies)", v.ToString(),
                 doc.mode == policy::Mode::kEnforce ? "enforce" : "monitor", doc.applications.size(),
                 doc.policies.size());
    triggers_ = std::make_unique<policy::TriggerEngine>(doc);
    NoteEvent("policy", v.ToString(),
              fmt::format("policy {} active: mode {}, {} application(s)", v.ToString(),
                          doc.mode == policy::Mode::kEnforce ? "enforce" : "monitor", doc.applications.size()));
    OnPolicy(doc);
    if (auto s = SaveActivePolicy(config_.state_dir, v, text); !s.ok()) {
      spdlog::error("policy {} is active but not stored: {}", v.ToString(), s.error().message);
    }
  });
  auto stored = LoadActivePolicy(config_.state_dir);
  if (!stored.ok()) return stored.error();
  if (stored->has_value()) {
    if (auto s = policies_->Restore((*stored)->first, std::move((*stored)->second)); !s.ok()) {
      spdlog::warn("not restoring the stored policy: {}", s.error().message);
    }
  }
  return Status::Ok();
}

Daemon::Daemon(const DaemonConfig& config, gossip::Keyring keyring, uint64_t boot)
    : config_(config),
      random_(Random::OsSeed()),
      keyring_(std::move(keyring)),
      boot_(boot),
      tick_timer_(io_),
      report_timer_(io_),
      trigger_timer_(io_),
      sample_timer_(io_),
      history_timer_(io_),
      signals_(io_, SIGINT, SIGTERM, SIGHUP) {}

Daemon::~Daemon() {
  control_.reset();
  custodian_.reset();   // these use the streams and the gossiper
  replicator_.reset();
  history_service_.reset();
  policies_.reset();  // uses the gossiper and the streams
  snapshots_.reset();
  gossiper_.reset();
}

void Daemon::ScheduleTick() {
  tick_timer_.expires_at(tick_timer_.expiry() + config_.gossip.period);
  tick_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    // A late timer (the process was stopped) does not try to catch up.
    if (tick_timer_.expiry() + config_.gossip.period < std::chrono::steady_clock::now()) {
      tick_timer_.expires_at(std::chrono::steady_clock::now());
    }
    transport_->Poll();
    gossiper_->Tick();
    snapshots_->Tick();
    policies_->Tick();
    if (history_service_) history_service_->Tick();
    if (replicator_) replicator_->Tick();
    if (custodian_) custodian_->Tick();
    // The plan follows the pool's status, at most every 100 ms.
    if (plan_dirty_ && clock_.Now() - planned_at_ >= std::chrono::milliseconds(100)) Replan();
    if (leave_ticks_ >= 0 && leave_ticks_-- == 0) {
      Stop();
      return;
    }
    ScheduleTick();
  });
}

void Daemon::ScheduleTriggers() {
  trigger_timer_.expires_after(std::chrono::seconds(1));
  trigger_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    RunTriggers();
    ScheduleTriggers();
  });
}

void Daemon::RunTriggers() {
  if (!triggers_) return;
  policy::TriggerInputs in;
  in.now_ms = WallClockMs();
  in.nodes_failed = std::exchange(nodes_failed_, 0);
  in.insufficient = unmet_;
  for (const auto& app : plan_.apps) {
    if (app.allocated > 0) in.usage_percent[app.name] = 100.0 * app.usage / app.allocated;
  }
  auto fired = triggers_->Evaluate(in);
  // Every node evaluates (the same overrides everywhere); side effects happen
  // once, on the lowest-id live node.
  if (fired.empty() || !snapshots_->leading()) return;
  for (const auto& f : fired) {
    switch (f.action.kind) {
      case policy::TriggerAction::Kind::kLog: {
        auto level = f.action.level == "error"   ? spdlog::level::err
                     : f.action.level == "warning" ? spdlog::level::warn
                                                   : spdlog::level::info;
        spdlog::log(level, "trigger {}: {}", f.trigger, f.action.message);
        break;
      }
      case policy::TriggerAction::Kind::kRun: {
        auto s = scripts_->Run(f.action.script, f.environment, std::chrono::milliseconds(f.action.timeout_ms),
                               [trigger = f.trigger](const ScriptResult& r) {
                                 if (r.timed_out) {
                                   spdlog::warn("trigger {}: {} ended after its timeout", trigger, r.script);
                                 } else if (r.exit_code != 0) {
                                   spdlog::warn("trigger {}: {} exited with {}", trigger, r.script, r.exit_code);
                                 } else {
                                   spdlog::info("trigger {}: {} done", trigger, r.script);
                                 }
                               });
        if (!s.ok()) {
          spdlog::error("trigger {}: {}", f.trigger, s.error().message);
          NoteEvent("refused", f.trigger, s.error().message);
        }
        break;
      }
      case policy::TriggerAction::Kind::kSetCpu:
        spdlog::info("trigger {}: {} set to a new CPU share (applied by the planner)", f.trigger,
                     f.action.application);
        break;
    }
  }
}

void Daemon::ScheduleReport() {
  if (config_.report_every_ms <= 0) return;
  report_timer_.expires_after(std::chrono::milliseconds(config_.report_every_ms));
  report_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    std::string report = FormatPoolTable(*gossiper_, clock_.Now());
    const auto& sc = streams_->counters();
    report += fmt::format("streams: sent {:.1f} KB, received {:.1f} KB, {} call(s), {} served\n",
                          sc.bytes_sent / 1000.0, sc.bytes_received / 1000.0, sc.calls, sc.served);
    if (const gossip::Snapshot* snap = snapshots_->current()) {
      report += fmt::format("snapshot epoch {} from {}{}, {} ms old, {} members\n", snap->epoch,
                            snap->leader.ToString(), snapshots_->leading() ? " (this node leads)" : "",
                            std::chrono::duration_cast<std::chrono::milliseconds>(clock_.Now() - snap->installed_at).count(),
                            snap->members.size());
    }
    std::fputs(report.c_str(), stdout);
    std::fflush(stdout);
    ScheduleReport();
  });
}

void Daemon::WaitForSignal() {
  signals_.async_wait([this](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    if (sig == SIGHUP) {
      auto s = GuardSecretFile(config_.key_file, "key file");
      if (s.ok()) s = ReloadKeyFile(config_.key_file, keyring_);
      if (s.ok()) {
        spdlog::info("reloaded {}: {} key(s), primary {:08x}", config_.key_file,
                     keyring_.ids().size(), keyring_.primary_id());
      } else {
        spdlog::error("key reload refused, keeping the current keys: {}", s.error().message);
      }
      LoadControlTokens();
      WaitForSignal();
      return;
    }
    if (leave_ticks_ >= 0) {
      Stop();  // a second signal: stop at once
      return;
    }
    spdlog::info("leaving the pool");
    gossiper_->Leave();
    // Peers' appends held for a group commit: answered while the loop
    // still runs to send the answers; later ones at once.
    if (history_service_) history_service_->EndGroupCommit();
    leave_ticks_ = 10;  // a few periods for the news to spread
    WaitForSignal();
  });
}

int Daemon::Run() {
  JoinUnlessNameTaken();
  ScheduleReport();
  ScheduleTriggers();
  ScheduleSample();
  ScheduleHistoryUpkeep();
  WaitForSignal();
  io_.run();
  cpu_->Release();
  spdlog::info("stopped");
  return exit_code_;
}

void Daemon::JoinUnlessNameTaken() {
  auto join = [this] {
    tick_timer_.expires_at(std::chrono::steady_clock::now());
    ScheduleTick();
  };
  if (config_.seeds.empty()) return join();
  auto after = [this](Duration d, std::function<void()> fn) {
    auto t = std::make_shared<boost::asio::steady_timer>(io_, d);
    t->async_wait([t, fn = std::move(fn)](const boost::system::error_code& ec) {
      if (!ec) fn();
    });
  };
  identity_->Ask(config_.seeds, config_.advertise, std::chrono::seconds(2), std::chrono::milliseconds(1500), after,
                 [this, join](std::optional<gossip::IdentityConflict> c) {
                   if (!c) return join();
                   spdlog::critical(
                       "node '{}' is already live at {} (seed {} heard from it {} ms ago): two daemons with one "
                       "node name cut each other off. This one does not join; give it another node_name (or "
                       "--name), or stop the other",
                       config_.node_name, c->at.ToString(), c->seed.ToString(), c->age_ms);
                   exit_code_ = 2;
                   Stop();
                 });
}

void Daemon::Stop() {
  tick_timer_.cancel();
  report_timer_.cancel();
  trigger_timer_.cancel();
  sample_timer_.cancel();
  history_timer_.cancel();
  signals_.cancel();
  io_.stop();
}

}  // namespace shoal::daemon
