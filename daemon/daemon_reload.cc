// SIGHUP and what systemd is told: the part of the shell that rereads the
// configuration (daemon/reload.h) and describes the node in one line.
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include "core/logging.h"
#include "daemon/daemon.h"
#include "daemon/key_file.h"
#include "daemon/reload.h"
#include "daemon/secret_file.h"

namespace shoal::daemon {

void Daemon::RaiseKeysChanged(const std::string& text) {
  engine_->Raise(engine::EventType::kKeyRotated, config_.node_name, text,
                 {{"primary", fmt::format("{:08x}", keyring_.primary_id())},
                  {"keys", std::to_string(keyring_.ids().size())}});
}

void Daemon::ReloadSecrets() {
  const auto ids_before = keyring_.ids();
  const auto primary_before = keyring_.primary_id();
  auto s = GuardSecretFile(config_.key_file, "key file");
  if (s.ok()) s = ReloadKeyFile(config_.key_file, keyring_);
  if (s.ok()) {
    spdlog::info("reloaded {}: {} key(s), primary {:08x}", config_.key_file, keyring_.ids().size(),
                 keyring_.primary_id());
    if (engine_ && (keyring_.ids() != ids_before || keyring_.primary_id() != primary_before)) {
      RaiseKeysChanged(fmt::format("{} now holds {} key(s), primary {:08x} (was {:08x})", config_.key_file,
                                   keyring_.ids().size(), keyring_.primary_id(), primary_before));
    }
  } else {
    spdlog::error("key reload refused, keeping the current keys: {}", s.error().message);
  }
  LoadControlTokens();
  if (http_) http_->ReloadTokens(config_.control.tokens_file);
}

void Daemon::ApplyLive(const DaemonConfig& fresh, const std::vector<std::string>& keys) {
  for (const auto& key : keys) {
    if (key == "log_level") {
      config_.log_level = fresh.log_level;
      (void)SetLogLevel(fresh.log_level);  // checked when the configuration was read
    } else if (key == "seeds") {
      config_.seeds = fresh.seeds;
      config_.seed_addresses = fresh.seed_addresses;
      gossiper_->SetSeeds(config_.seed_addresses);
    } else if (key == "report_every_ms") {
      config_.report_every_ms = fresh.report_every_ms;
      report_timer_.cancel();
      ScheduleReport();
    } else if (key == "wall_clock_offset_ms") {
      config_.wall_clock_offset_ms = fresh.wall_clock_offset_ms;
      SetWallOffset(config_.wall_clock_offset_ms);
    } else if (key == "key_file") {
      config_.key_file = fresh.key_file;
    } else if (key == "control.tokens_file") {
      config_.control.tokens_file = fresh.control.tokens_file;
    }
  }
}

void Daemon::SetWallOffset(int64_t offset_ms) {
  if (offset_ms != 0) {
    spdlog::warn("the wall clock is stepped by {} ms (wall_clock_offset_ms): everything this node dates is off the "
                 "system's clock; for fault tests only",
                 offset_ms);
  } else if (wall_.offset_ms() != 0) {
    spdlog::info("the wall clock follows the system's again (wall_clock_offset_ms = 0)");
  }
  wall_.SetOffsetMs(offset_ms);
}

void Daemon::Reload() {
  notifier_->Reloading();
  if (reload_source_) {
    auto fresh = reload_source_();
    if (!fresh.ok()) {
      spdlog::error("configuration not reloaded, the running one stays: {}", fresh.error().message);
    } else {
      const ReloadPlan plan = PlanReload(config_, *fresh);
      // Said before it is done: a new log level may silence it.
      if (!plan.live.empty()) spdlog::info("reloaded: {}", fmt::join(plan.live, ", "));
      ApplyLive(*fresh, plan.live);
      if (!plan.restart.empty()) {
        spdlog::warn("changed but taken only at a restart: {}", fmt::join(plan.restart, ", "));
      }
    }
  }
  ReloadSecrets();
  notifier_->Ready();
}

std::string Daemon::StatusLine() const {
  const auto& policies = engine_->policies();
  const auto& members = gossiper_->membership();
  const std::string version = policies.version_text();
  return fmt::format("{} of {} members live; policy {} ({}){}", members.live_count(),
                     std::max(members.size(), members.live_count()), version.empty() ? "none" : version,
                     policies.mode_text(), leave_ticks_ >= 0 ? "; leaving" : "");
}

}  // namespace shoal::daemon
