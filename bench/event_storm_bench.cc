// The cost of the event sinks under a storm: one io_context, as in shoald,
// with a tick timer every --tick-ms (the gossip period) whose lateness is
// measured, and the sinks a daemon would have: the journal line, a webhook
// to a dead endpoint (connection refused), a webhook to an endpoint that
// accepts and never answers (each attempt waits for its timeout), SNMP
// traps to a port nobody reads. First --quiet-s seconds without events,
// then --storm-s seconds with --rate events a second raised through the
// engine's EventLog. Prints tick lateness p50/p99/max for both phases, the
// process's RSS before and after the storm, and each sink's counters.
#include <unistd.h>

#include <fstream>
#include <iostream>

#include <CLI/CLI.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <fmt/format.h>

#include "bench/self_rss.h"
#include "core/logging.h"
#include "core/percentile.h"
#include "daemon/engine/events.h"
#include "daemon/events/event_sinks.h"

using namespace shoal;
namespace asio = boost::asio;
using Steady = std::chrono::steady_clock;

namespace {

uint16_t UnusedPort(asio::io_context& io) {
  asio::ip::tcp::acceptor a(io, {asio::ip::address_v4::loopback(), 0});
  return a.local_endpoint().port();  // closed again when `a` goes
}

struct Ticker {
  asio::steady_timer timer;
  std::chrono::milliseconds period;
  Steady::time_point due;
  std::vector<double>* lateness_ms = nullptr;

  void Start() {
    due = Steady::now() + period;
    Arm();
  }
  void Arm() {
    timer.expires_at(due);
    timer.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      if (lateness_ms) lateness_ms->push_back(std::chrono::duration<double, std::milli>(Steady::now() - due).count());
      due += period;
      Arm();
    });
  }
};

std::string Summary(std::vector<double> v) {
  const double max = v.empty() ? 0 : *std::max_element(v.begin(), v.end());
  return fmt::format("ticks {}, lateness p50 {:.3f} ms, p99 {:.3f} ms, max {:.3f} ms", v.size(), Percentile(v, 50),
                     Percentile(v, 99), max);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("Event sinks under a storm: tick lateness and memory with dead and silent endpoints.");
  int rate = 1000, quiet_s = 10, storm_s = 10, tick_ms = 100, queue = 1000;
  app.add_option("--rate", rate, "events a second during the storm (default 1000)");
  app.add_option("--quiet-s", quiet_s, "seconds without events first (default 10)");
  app.add_option("--storm-s", storm_s, "seconds of storm (default 10)");
  app.add_option("--tick-ms", tick_ms, "the measured tick's period (default 100, shoald's gossip period)");
  app.add_option("--queue", queue, "each webhook's queue (default 1000, the shipped default)");
  CLI11_PARSE(app, argc, argv);
  (void)SetupLogging("info", "storm", "text");

  asio::io_context io;
  // An endpoint that accepts connections and never answers.
  asio::ip::tcp::acceptor silent(io, {asio::ip::address_v4::loopback(), 0});
  silent.listen(4096);
  std::vector<std::unique_ptr<asio::ip::tcp::socket>> held;
  std::function<void()> accept = [&] {
    auto s = std::make_unique<asio::ip::tcp::socket>(io);
    auto* raw = s.get();
    silent.async_accept(*raw, [&, s = std::move(s)](const boost::system::error_code& ec) mutable {
      if (!ec) held.push_back(std::move(s));
      accept();
    });
  };
  accept();

  daemon::EventsConfig config;
  daemon::WebhookConfig dead, mute;
  dead.url = fmt::format("http://127.0.0.1:{}/dead", UnusedPort(io));
  mute.url = fmt::format("http://127.0.0.1:{}/silent", silent.local_endpoint().port());
  dead.queue = mute.queue = queue;
  config.webhooks = {dead, mute};
  config.traps = {daemon::TrapConfig{fmt::format("127.0.0.1:{}", UnusedPort(io)), "public", {}}};
  auto sinks = daemon::EventSinks::Create(io, config, nullptr);
  if (!sinks.ok()) {
    std::cerr << sinks.error().message << "\n";
    return 1;
  }
  SystemWallClock wall;
  engine::EventLog log("storm", wall);
  log.AddSink([&](const engine::Event& e) { (*sinks)->Offer(e); });

  std::vector<double> quiet, storm;
  Ticker ticker{asio::steady_timer(io), std::chrono::milliseconds(tick_ms), {}, &quiet};
  ticker.Start();
  io.run_for(std::chrono::seconds(quiet_s));
  const uint64_t rss_before = bench::SelfRssKb();
  ticker.lateness_ms = &storm;
  // The storm: a batch every 10 ms.
  asio::steady_timer raiser(io);
  const int per_batch = std::max(1, rate / 100);
  uint64_t raised = 0;
  auto due = Steady::now();
  std::function<void()> raise = [&] {
    for (int i = 0; i < per_batch; ++i, ++raised) {
      log.Raise(EventType::kNodeFailed, fmt::format("node-{}", raised % 128), "node failed in a storm",
                {{"address", "10.0.0.1:7946"}});
    }
    due += std::chrono::milliseconds(10);
    raiser.expires_at(due);
    raiser.async_wait([&](const boost::system::error_code& ec) {
      if (!ec) raise();
    });
  };
  raise();
  io.run_for(std::chrono::seconds(storm_s));
  raiser.cancel();
  const uint64_t rss_after = bench::SelfRssKb();

  fmt::print("event storm: {} events/s for {} s ({} raised), tick every {} ms, webhook queues {}\n", rate, storm_s,
             raised, tick_ms, queue);
  fmt::print("  quiet: {}\n  storm: {}\n", Summary(quiet), Summary(storm));
  fmt::print("  RSS {} KiB before the storm, {} KiB after ({:+} KiB)\n", rss_before, rss_after,
             static_cast<int64_t>(rss_after) - static_cast<int64_t>(rss_before));
  for (const auto& s : (*sinks)->sinks()) {
    const auto c = s->counters();
    fmt::print("  {}: delivered {}, failed attempts {}, dropped {}, queued {}\n", s->name(), c.delivered, c.failures,
               c.dropped, c.queued);
  }
  return 0;
}
