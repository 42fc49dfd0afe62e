#include "daemon/daemon.h"

#include <malloc.h>

#include <csignal>
#include <cstdio>
#include <filesystem>

#include <spdlog/spdlog.h>

#include "core/build_info.h"
#include "core/percentile.h"
#include "daemon/boot_counter.h"
#include "daemon/cpu_enforcer.h"
#include "daemon/engine/engine_detail.h"
#include "daemon/history_files.h"
#include "daemon/htb_enforcer.h"
#include "daemon/key_file.h"
#include "daemon/pool_table.h"
#include "daemon/secret_file.h"
#include "daemon/systemd_enforcer.h"
#include "daemon/trigger_actions.h"

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
  if (auto s = GuardSecretFile(path, "admin keys file", FileTrust::kPublic); !s.ok()) return s.error();
  auto keys = gossip::AdminVerifier::LoadKeys(path);
  if (!keys.ok()) return keys.error();
  spdlog::info("{} admin key(s) from {}", keys->size(), path);
  return std::make_unique<gossip::AdminVerifier>(std::move(*keys), [] { return WallClockMs(); });
}

// The CPU enforcer the configuration asks for; none for "off".
Result<std::unique_ptr<CpuEnforcer>> MakeEnforcer(const CpuConfig& cpu) {
  if (cpu.enforcer == "off") return std::unique_ptr<CpuEnforcer>();
  // Where systemd owns the cgroups it is asked, not bypassed.
  if (cpu.enforcer == "systemd" || (cpu.enforcer == "auto" && SystemdOwnsCgroups())) {
    auto e = MakeSystemdEnforcer();
    if (!e.ok()) return MakeError("cpu.enforcer {}: {}", cpu.enforcer, e.error().message);
    spdlog::info("CPU enforcer: systemd (units' CPUWeight and CPUQuota, scopes in shoal.slice)");
    return e;
  }
  EnforcerOptions o;
  o.kind = cpu.enforcer;
  o.parent = cpu.cgroup_parent;
  if (cpu.capacity_millicores > 0) o.capacity_millicores = cpu.capacity_millicores;
  auto e = MakeCpuEnforcer(o);
  if (!e.ok()) return MakeError("cpu.enforcer {}: {}", cpu.enforcer, e.error().message);
  spdlog::info("CPU enforcer: {}{}", (*e)->kind(),
               o.capacity_millicores ? fmt::format(", Shoal's groups capped at {} millicores", *o.capacity_millicores)
                                     : std::string());
  return e;
}

// The pipe enforcer the configuration asks for: none without [pipe.NAME]
// tables or with "off"; with "auto" a kernel that refuses netlink leaves
// this node out of the pipes (said once) rather than stopping it.
Result<std::unique_ptr<engine::PipeEnforcer>> MakePipeEnforcer(const BandwidthConfig& bw) {
  if (bw.pipes.empty() || bw.enforcer == "off") return std::unique_ptr<engine::PipeEnforcer>();
  // The guard is this very binary; resolved now, before anything could move it.
  std::error_code ec;
  const std::string self = std::filesystem::read_symlink("/proc/self/exe", ec).string();
  auto e = HtbEnforcer::Create(bw.pipes, self);
  if (!e.ok()) {
    if (bw.enforcer == "auto") {
      spdlog::warn("pipes: no HTB through netlink ({}): this node takes no part in the pipes", e.error().message);
      return std::unique_ptr<engine::PipeEnforcer>();
    }
    return MakeError("bandwidth.enforcer htb: {}", e.error().message);
  }
  for (const PipePlacement& p : bw.pipes) spdlog::info("pipe {} leaves by {}", p.pipe, p.interface);
  return std::unique_ptr<engine::PipeEnforcer>(std::move(*e));
}

// With admin keys: only documents an admin signed, wherever they come from.
std::function<Result<policy::OpenedPolicy>(const std::string&)> OpenSigned(gossip::AdminVerifier* admin) {
  if (!admin) return nullptr;
  return [admin](const std::string& blob) -> Result<policy::OpenedPolicy> {
    auto a = admin->CheckDocument(blob, "policy");
    if (!a.ok()) return a.error();
    return policy::OpenedPolicy{a->action(), a->issued_ms()};
  };
}

}  // namespace

Result<std::unique_ptr<Daemon>> Daemon::Create(const DaemonConfig& config) {
  if (auto s = GuardSecretFile(config.key_file, "key file"); !s.ok()) return s.error();
  auto keyring = LoadKeyFile(config.key_file);
  if (!keyring.ok()) return keyring.error();
  auto boot = NextBoot(config.state_dir);
  if (!boot.ok()) return boot.error();
  auto d = std::unique_ptr<Daemon>(new Daemon(config, std::move(*keyring), *boot));
  d->SetWallOffset(config.wall_clock_offset_ms);  // before anything is dated
  if (auto s = d->OpenNetwork(); !s.ok()) return s.error();
  d->WatchIdentity();
  auto admin = LoadAdminVerifier(config.control.admin_keys_file);
  if (!admin.ok()) return admin.error();
  d->admin_ = std::move(*admin);
  auto history = OpenHistoryStore(config);
  if (!history.ok()) return history.error();
  d->history_ = std::move(*history);
  auto archive = PolicyArchive::Open(config.state_dir + "/policies");
  if (!archive.ok()) return archive.error();
  d->policy_archive_ = std::make_unique<PolicyArchive>(std::move(*archive));
  if (auto s = d->policy_archive_->Adopt(config.state_dir + "/policy.active"); !s.ok()) return s.error();
  if (auto s = d->StartEngine(); !s.ok()) return s.error();
  if (auto s = d->RestorePolicy(); !s.ok()) return s.error();
  if (auto s = d->StartControl(); !s.ok()) return s.error();
  if (auto s = d->StartHttp(); !s.ok()) return s.error();
  spdlog::info("node {} ({}) boot {} listening on {} (UDP gossip, TCP peer streams), advertising {}, "
               "{} seed(s)", config.node_name, d->gossiper_->identity().id.ToString(), d->boot_,
               d->transport_->local_endpoint().ToString(), config.advertise.ToString(), config.seed_addresses.size());
  return d;
}

Status Daemon::OpenNetwork() {
  // Polled once per tick: one wake-up a period instead of one per
  // datagram. The kernel's receive timestamps age what a datagram says by
  // the time it waited for the tick (see GossipConfig::transit_allowance).
  auto transport = gossip::UdpTransport::Open(io_, config_.bind, gossip::UdpTransport::Mode::kPolled);
  if (!transport.ok()) return transport.error();
  transport_ = std::move(*transport);
  auto tick = TickTimer::Open(io_, config_.gossip.period);
  if (!tick.ok()) return tick.error();
  tick_ = std::move(*tick);
  // Peer streams listen on TCP at the same address and port as the gossip.
  const NodeId self = NodeId::FromName(config_.node_name);
  auto streams = gossip::TcpStreams::Open(io_, transport_->local_endpoint(), keyring_, self);
  if (!streams.ok()) return streams.error();
  streams_ = std::move(*streams);
  streams_->Serve(gossip::StreamService::kEcho,
                  [](const gossip::StreamPeer&, std::string request, gossip::PeerStreams::Respond r) {
                    r(std::move(request));
                  });
  gossip::NodeIdentity identity{self, boot_, config_.advertise, BuildText()};
  gossiper_ = std::make_unique<gossip::Gossiper>(config_.gossip, identity, clock_, random_, *transport_, keyring_);
  gossiper_->SetSeeds(config_.seed_addresses);
  probe_ = std::make_unique<PoolProbe>(
      *gossiper_, std::chrono::milliseconds(config_.probe_every_ms),
      [] {
        return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                         std::chrono::system_clock::now().time_since_epoch())
                                         .count());
      },
      [g = gossiper_.get()](const ProbeResult& r) {
        std::vector<double> ms = r.one_way_ms;
        const double p50 = Percentile(ms, 50), p99 = Percentile(ms, 99);
        spdlog::info("probe {}: reached {} of {} peers, one-way p50 {:.1f} ms p99 {:.1f} ms max {:.1f} ms",
                     r.seq, r.nodes, g->membership().live_count() - 1, p50, p99,
                     ms.empty() ? 0.0 : ms.back());
      });
  if (auto s = probe_->Register(); !s.ok()) return s;
  gossiper_->SetEntryObserver(
      [p = probe_.get()](uint32_t channel, NodeId origin, uint64_t) { p->OnStored(channel, origin); });
  return Status::Ok();
}

// Another live process with this node's name: reported, or this one stops.
void Daemon::WatchIdentity() {
  identity_ = std::make_unique<gossip::IdentityCheck>(*gossiper_, *streams_, clock_);
  name_guard_ = std::make_unique<NameGuard>(config_.node_name, boot_, clock_.Now());
  gossiper_->SetNameConflictListener([this](const gossip::Gossiper::NameConflict& c) {
    switch (name_guard_->OnConflict(c, clock_.Now())) {
      case NameGuard::Verdict::kQuiet: return;
      case NameGuard::Verdict::kReport:
        spdlog::error("{}", name_guard_->message());
        if (engine_) engine_->Raise(engine::EventType::kNameConflict, config_.node_name, name_guard_->message());
        return;
      case NameGuard::Verdict::kStop:
        // No leave is announced: it would speak for the other daemon.
        spdlog::critical("{}", name_guard_->message());
        exit_code_ = 2;
        Stop();
    }
  });
}

Status Daemon::StartEngine() {
  sampler_ = std::make_unique<Sampler>("/proc", policy::IdResolver::System());
  auto enforcer = MakeEnforcer(config_.cpu);
  if (!enforcer.ok()) return enforcer.error();
  auto pipes = MakePipeEnforcer(config_.bandwidth);
  if (!pipes.ok()) return pipes.error();
  auto permit = config_.triggers.scripts_dir.empty()
                    ? Result<ScriptPermit>(ScriptPermit::None())
                    : ScriptPermit::Make(config_.triggers.scripts_dir, config_.triggers.scripts_user);
  if (!permit.ok()) return permit.error();
  scripts_ = std::make_unique<ScriptRunner>(io_, std::move(*permit));

  engine::EngineConfig ec;
  ec.node_name = config_.node_name;
  ec.capacity_millicores = config_.cpu.capacity_millicores;
  ec.sample_every = std::chrono::milliseconds(config_.cpu.sample_every_ms);
  ec.full_scan_every = config_.cpu.full_scan_every;
  ec.planning = {*engine::ParsePlanFrom(config_.cpu.plan_from), static_cast<size_t>(config_.cpu.figures_at_nodes)};
  ec.policy.open = OpenSigned(admin_.get());
  ec.history.copies = config_.history.copies;
  ec.history.archive_dir = config_.history.archive_dir;
  ec.history.admin = admin_.get();
  ec.pipes.interval = std::chrono::milliseconds(config_.bandwidth.interval_ms);
  ec.pipes.divide_after = std::chrono::milliseconds(config_.bandwidth.divide_after_ms);
  engine::EngineHooks hooks;
  hooks.trigger = [this](const policy::FiredAction& f) { CarryOut(f, *scripts_, *engine_); };
  hooks.policy_activated = [this](const policy::PolicyVersion& v, const std::string& blob) {
    if (auto s = policy_archive_->Add(v, blob); !s.ok()) {
      spdlog::error("policy r{} ({}) is active but not stored: {}", v.revision, v.ToString(), s.error().message);
    }
  };
  auto e = engine::NodeEngine::Create(
      std::move(ec),
      engine::EngineSeams{clock_, wall_, random_, *gossiper_, *streams_, *sampler_, std::move(*enforcer),
                          std::move(*pipes), history_.get()},
      std::move(hooks));
  if (!e.ok()) return e.error();
  engine_ = std::move(*e);
  detail_ = std::make_unique<engine::DetailService>(engine::DetailOf(*engine_), *gossiper_, *streams_);
  auto sinks = EventSinks::Create(io_, config_.events, scripts_.get());
  if (!sinks.ok()) return sinks.error();
  event_sinks_ = std::move(*sinks);
  engine_->events().AddSink([this](const engine::Event& ev) { event_sinks_->Offer(ev); });
  sampler_->SetGroupUsage([this](const std::string& app) -> std::optional<uint64_t> {
    const auto& control = engine_->cpu().control();
    if (!control.enforcer() || !control.groups().count(app)) return std::nullopt;
    return control.enforcer()->UsageNs(app);
  });
  return Status::Ok();
}

Status Daemon::RestorePolicy() {
  auto stored = policy_archive_->Newest();
  if (!stored.ok()) return stored.error();
  if (!stored->has_value()) return Status::Ok();
  if (auto s = engine_->policies().distribution().Restore((*stored)->first, std::move((*stored)->second)); !s.ok()) {
    spdlog::warn("not restoring the stored policy: {}", s.error().message);
  }
  return Status::Ok();
}

Daemon::Daemon(const DaemonConfig& config, gossip::Keyring keyring, uint64_t boot)
    : config_(config),
      random_(Random::OsSeed()),
      keyring_(std::move(keyring)),
      boot_(boot),
      report_timer_(io_),
      trim_timer_(io_),
      signals_(io_, SIGINT, SIGTERM, SIGHUP) {}

// Members go in the reverse of their declaration: the control server and
// the engine before what they use.
Daemon::~Daemon() = default;

void Daemon::LoadControlTokens() {
  if (!control_) return;
  auto tokens = LoadGuardedTokens(config_.control.tokens_file);
  if (tokens.ok() && tokens->size() > 0) {
    spdlog::info("control API on {}: {} token(s) from {}", control_->local_endpoint().ToString(), tokens->size(),
                 config_.control.tokens_file);
    control_->SetTokens(std::move(*tokens), "");
    return;
  }
  const std::string why =
      tokens.ok() ? fmt::format("{} holds no token", config_.control.tokens_file) : tokens.error().message;
  spdlog::warn("control API on {} refuses every request: {}", control_->local_endpoint().ToString(), why);
  control_->SetTokens(std::nullopt, fmt::format("this daemon accepts no token: {} (create one with: shoald "
                                                "--add-token admin --tokens-file {}, then send shoald SIGHUP)",
                                                why, config_.control.tokens_file));
}

Status Daemon::StartControl() {
  // Served to peers whether or not this node has a control API of its own.
  keyring_service_ = std::make_unique<KeyringService>(KeyringService::Context{
      keyring_, config_.key_file, *gossiper_, *streams_, admin_.get(), [this](NodeId id) { return engine_->NameOf(id); },
      [this](const std::string& text) { RaiseKeysChanged(text); }});
  if (config_.control.listen.port == 0) return Status::Ok();
  control_api_ = std::make_unique<ControlApi>(
      ControlContext{config_, *engine_, detail_.get(), *gossiper_, *streams_, admin_.get(), history_.get(),
                     policy_archive_.get(), keyring_service_.get(), wall_});
  auto server = ControlServer::Open(io_, config_.control.listen, ControlServer::Options{},
                                    [this](const control::Request& r, Role role, ControlServer::Reply reply) {
                                      control_api_->Handle(r, role, std::move(reply));
                                    });
  if (!server.ok()) return server.error();
  control_ = std::move(*server);
  control_api_->SetServer(control_.get());
  LoadControlTokens();
  return Status::Ok();
}

Status Daemon::StartHttp() {
  if (!config_.http.listen.valid()) return Status::Ok();
  auto web = control_api_ ? std::make_unique<WebApi>(*control_api_, wall_) : nullptr;
  auto h = HttpEndpoint::Open(
      io_, config_.http.listen, config_.http.require_token,
      MetricsSources{*gossiper_, *engine_, streams_->counters(), control_ ? &control_->counters() : nullptr,
                     event_sinks_.get(), history_.get()},
      std::move(web));
  if (!h.ok()) return h.error();
  http_ = std::move(*h);
  http_->ReloadTokens(config_.control.tokens_file);
  return Status::Ok();
}

void Daemon::StartTicks() {
  tick_->Start([this](TimePoint due) {
    const TimePoint started = clock_.Now();
    transport_->Poll();
    // A tick's datagrams (probes, repairs, answers, the packet) leave in
    // one system call.
    transport_->Hold();
    // The engine works from what this tick brought, and what it publishes
    // (its status, a round's pipe figures) leaves in this tick's packet.
    gossiper_->DeliverViews();
    engine_->Tick();
    gossiper_->Tick();
    transport_->Flush();
    lateness_.Add(due, started, clock_.Now());
    if (leave_ticks_ >= 0 && leave_ticks_-- == 0) Stop();
  });
}

void Daemon::ScheduleReport() {
  if (config_.report_every_ms <= 0) return;
  report_timer_.expires_after(std::chrono::milliseconds(config_.report_every_ms));
  report_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    std::string report = FormatPoolTable(*gossiper_, engine_->pool(), clock_.Now());
    const auto& sc = streams_->counters();
    report += fmt::format("streams: sent {:.1f} KB, received {:.1f} KB, {} call(s), {} served\n",
                          sc.bytes_sent / 1000.0, sc.bytes_received / 1000.0, sc.calls, sc.served);
    report += lateness_.Take() + "\n";
    const auto& snapshots = engine_->snapshots();
    if (const gossip::Snapshot* snap = snapshots.current()) {
      report += fmt::format("snapshot epoch {} from {}{}, {} ms old, {} members\n", snap->epoch,
                            snap->leader.ToString(), snapshots.leading() ? " (this node leads)" : "",
                            std::chrono::duration_cast<std::chrono::milliseconds>(clock_.Now() - snap->installed_at).count(),
                            snap->members.size());
    }
    std::fputs(report.c_str(), stdout);
    std::fflush(stdout);
    ScheduleReport();
  });
}

// Every minute: what the history's roll-ups and compactions freed goes
// back to the system rather than stay in the allocator (2 MB or so a day),
// and an active policy a full disk kept from being stored is written.
void Daemon::ScheduleTrim() {
  trim_timer_.expires_after(std::chrono::minutes(1));
  trim_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    malloc_trim(0);
    if (auto stored = policy_archive_->RetryPending(); !stored.ok()) {
      spdlog::warn("the active policy is still not stored: {}", stored.error().message);
    } else if (*stored) {
      spdlog::info("policy r{} ({}) stored after all", (*stored)->revision, (*stored)->ToString());
    }
    ScheduleTrim();
  });
}

void Daemon::WaitForSignal() {
  signals_.async_wait([this](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    if (sig == SIGHUP) {
      Reload();
      WaitForSignal();
      return;
    }
    if (leave_ticks_ >= 0) {
      Stop();  // a second signal: stop at once
      return;
    }
    engine_->Leave();
    leave_ticks_ = 10;  // a few periods for the news to spread
    notifier_->Stopping();
    WaitForSignal();
  });
}

int Daemon::Run() {
  JoinUnlessNameTaken();
  ScheduleReport();
  if (history_) ScheduleTrim();
  WaitForSignal();
  notifier_ = std::make_unique<ServiceNotifier>(io_, [this] { return StatusLine(); });
  notifier_->Ready();
  notifier_->Start();
  io_.run();
  engine_->Release();
  spdlog::info("stopped");
  return exit_code_;
}

void Daemon::JoinUnlessNameTaken() {
  auto join = [this] { StartTicks(); };
  if (config_.seed_addresses.empty()) return join();
  auto after = [this](Duration d, std::function<void()> fn) {
    auto t = std::make_shared<boost::asio::steady_timer>(io_, d);
    t->async_wait([t, fn = std::move(fn)](const boost::system::error_code& ec) {
      if (!ec) fn();
    });
  };
  identity_->Ask(config_.seed_addresses, config_.advertise, std::chrono::seconds(2), std::chrono::milliseconds(1500), after,
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
  if (notifier_) notifier_->Cancel();
  if (tick_) tick_->Stop();
  report_timer_.cancel();
  trim_timer_.cancel();
  signals_.cancel();
  io_.stop();
}

}  // namespace shoal::daemon
