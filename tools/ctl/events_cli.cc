// shoalctl events: the pool's recent events, asked of any shoald, which
// gathers every live node's (daemon/engine/event_service.h). --follow asks
// again every second and prints what is new. See cli.h.
#include <chrono>
#include <iostream>
#include <map>
#include <thread>

#include <fmt/format.h>

#include "daemon/control/event_format.h"
#include "tools/ctl/cli.h"
#include "core/clock.h"
#include "tools/ctl/history_cmd.h"
#include "tools/ctl/table.h"

namespace shoal::ctl {
namespace {

using daemon::control::Event;

struct EventArgs {
  std::string since = "1h";
  std::string type;
  uint32_t limit = 100;
  bool follow = false;
};

constexpr const char* kLineFormat = "{:<24}  {:<8} {:<24} {:<14} {}\n";

std::string EventLine(const Event& e, bool json) {
  if (json) return daemon::control::EventJson(e) + "\n";
  return fmt::format(kLineFormat, daemon::control::Rfc3339(e.time_ms()), e.severity(), e.type(), e.node(), e.text());
}

// Events already printed (node, seq), forgotten once older than the window
// asked again.
class Seen {
 public:
  bool Add(const Event& e) { return seen_.emplace(std::make_pair(e.node(), e.seq()), e.time_ms()).second; }
  void ForgetBefore(int64_t ms) { std::erase_if(seen_, [ms](const auto& kv) { return kv.second < ms; }); }

 private:
  std::map<std::pair<std::string, uint64_t>, int64_t> seen_;
};

int RunEvents(const ControlTarget& target, daemon::control::EventQuery q, const EventArgs& a, bool json) {
  // Nodes' clocks differ a little: a follow asks again from this far back.
  constexpr int64_t kOverlapMs = 10'000;
  Seen seen;
  int64_t newest = q.after_ms();
  if (!json && TableHeaders()) std::cout << fmt::format(kLineFormat, "TIME", "SEVERITY", "TYPE", "NODE", "TEXT");
  for (bool first = true;; first = false) {
    daemon::control::Request request;
    *request.mutable_events() = q;
    auto reply = CallControl(target, std::move(request));
    if (!reply.ok() && (first || !a.follow)) return Fail(reply.error().message);
    if (!reply.ok()) {
      std::cerr << "shoalctl: warning: " << reply.error().message << " (asking again)\n";
    } else {
      const auto& list = reply->events();
      if (first) {
        for (const auto& f : list.failures()) std::cerr << "shoalctl: warning: no answer from " << f << "\n";
      }
      for (const Event& e : list.events()) {
        newest = std::max(newest, e.time_ms());
        if (seen.Add(e)) std::cout << EventLine(e, json);
      }
      std::cout << std::flush;
    }
    if (!a.follow) return 0;
    std::this_thread::sleep_for(std::chrono::seconds(1));
    q.set_after_ms(std::max(q.after_ms(), newest - kOverlapMs));
    q.set_limit(0);
    seen.ForgetBefore(q.after_ms());
  }
}

}  // namespace

void AddEventCommands(CLI::App& app, std::shared_ptr<PoolOptions> pool, Run& run) {
  auto a = std::make_shared<EventArgs>();
  auto* c = app.add_subcommand(
      "events",
      "The pool's recent events, oldest first, gathered from every live node: nodes joining,\n"
      "suspected, failed, leaving; policies pushed, activated, refused; bookings unmet and met;\n"
      "applications squeezed or idle; triggers; enforcement errors; history replicas. Each\n"
      "node keeps its last 1,000 in memory (older ones: shoalctl history events).");
  Examples(c,
           "  shoalctl events                          the last hour's, up to 100\n"
           "  shoalctl events --follow                 and every new one as it happens\n"
           "  shoalctl events --type node. --since 1d  membership changes of the last day\n"
           "  shoalctl events --json | jq .subject     one JSON object per line");
  c->add_option("--since", a->since, "how far back (default 1h), e.g. 90s, 15m, 6h, 2d");
  c->add_option("--type", a->type, "only types starting with this, e.g. node. or booking.unmet");
  c->add_option("--limit", a->limit, "at most this many, the newest (default 100, at most 1000)")
      ->check(CLI::Range(1, 1000));
  c->add_flag("-f,--follow", a->follow, "keep asking every second and print new events until interrupted");
  pool->Add(c, true);
  c->callback([a, pool, &run] {
    run = [a, pool] {
      auto target = pool->Target();
      if (!target.ok()) return Fail(target.error().message);
      auto since = ParseDurationText(a->since);
      if (!since.ok()) return Fail("--since: " + since.error().message);
      daemon::control::EventQuery q;
      q.set_after_ms(WallClockMs() - *since);
      q.set_limit(a->limit);
      q.set_type_prefix(a->type);
      return RunEvents(*target, std::move(q), *a, pool->json());
    };
  });
}

}  // namespace shoal::ctl
