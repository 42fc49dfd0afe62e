#include "policy/checks.h"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include "policy/units.h"

namespace shoal::policy {
namespace {

bool Overlap(uint16_t a_lo, uint16_t a_hi, uint16_t b_lo, uint16_t b_hi) { return a_lo <= b_hi && b_lo <= a_hi; }

bool NetworksOverlap(const std::pair<uint32_t, uint8_t>& a, const std::pair<uint32_t, uint8_t>& b) {
  const uint32_t mask = PrefixMask(std::min(a.second, b.second));
  return (a.first & mask) == (b.first & mask);
}

class Checker {
 public:
  Checker(const PolicyDocument& doc, std::optional<double> pool_millicores, const CheckError& error)
      : doc_(doc), pool_millicores_(pool_millicores), error_(error) {}

  void Run() {
    std::map<std::string, int> seen;
    auto unique = [&](const std::string& kind, const std::string& name, int line, const char* element) {
      auto [it, added] = seen.emplace(kind + "/" + name, line);
      if (!added) error_(line, element, fmt::format("{} \"{}\" is already defined on line {}", kind, name, it->second));
    };
    for (const auto& p : doc_.pipes) unique("pipe", p.name, p.line, "<pipe>");
    for (const auto& a : doc_.applications) unique("application", a.name, a.line, "<application>");
    for (const auto& t : doc_.triggers) unique("trigger", t.name, t.line, "<trigger>");
    for (const auto& p : doc_.policies) {
      unique("policy for application", p.application, p.line, "<policy>");
      if (!doc_.FindApplication(p.application)) {
        error_(p.line, "<policy>", fmt::format("no <application name=\"{}\"> in this document", p.application));
      }
      CheckBandwidth(p.bandwidth);
      if (p.schedule) {
        for (const auto& w : p.schedule->windows) CheckBandwidth(w.shares.bandwidth);
      }
      if (p.on_failure) CheckBandwidth(p.on_failure->shares.bandwidth);
    }
    for (const auto& t : doc_.triggers) {
      if (!t.application.empty() && !doc_.FindApplication(t.application)) {
        error_(t.line, "<trigger>", fmt::format("no <application name=\"{}\"> in this document", t.application));
      }
      for (const auto& a : t.actions) {
        if (a.kind == TriggerAction::Kind::kSetCpu && !doc_.FindApplication(a.application)) {
          error_(a.line, "<set-cpu>", fmt::format("no <application name=\"{}\"> in this document", a.application));
        }
      }
    }
    CheckPipeBookings();
    CheckCpuBookings();
    CheckRuleOverlaps();
  }

  // With the pool's capacity known: a booking of more cores than the pool.
  void CheckCpuBookings() {
    if (!pool_millicores_) return;
    const double pool_cores = *pool_millicores_ / 1000;
    auto check = [&](const std::optional<CpuShare>& cpu, const std::string& app) {
      if (cpu && cpu->kind == CpuKind::kCores && cpu->amount > pool_cores) {
        error_(cpu->line, "<cpu>", fmt::format("\"{}\" books {} cores; the whole pool has {}", app,
                                                FormatNumber(cpu->amount), FormatNumber(pool_cores)));
      }
    };
    for (const auto& p : doc_.policies) {
      check(p.cpu, p.application);
      if (p.schedule) {
        for (const auto& w : p.schedule->windows) check(w.shares.cpu, p.application);
      }
      if (p.on_failure) check(p.on_failure->shares.cpu, p.application);
    }
  }

  void CheckBandwidth(const std::vector<BandwidthShare>& shares) {
    std::set<std::pair<std::string, Direction>> once;
    for (const auto& b : shares) {
      const PipeSpec* pipe = doc_.FindPipe(b.pipe);
      if (pipe == nullptr) {
        error_(b.line, "<bandwidth>", fmt::format("no <pipe name=\"{}\"> in this document", b.pipe));
        continue;
      }
      const auto& capacity = b.direction == Direction::kIn ? pipe->in : pipe->out;
      if (!capacity) {
        error_(b.line, "<bandwidth>", fmt::format("pipe \"{}\" has no {} capacity", b.pipe,
                                                   b.direction == Direction::kIn ? "in" : "out"));
      }
      if (!once.insert({b.pipe, b.direction}).second) {
        error_(b.line, "<bandwidth>", fmt::format("a second share of pipe \"{}\" in the same direction", b.pipe));
      }
    }
  }

  // The policies' own bandwidth bookings must fit their pipe.
  void CheckPipeBookings() {
    for (const auto& pipe : doc_.pipes) {
      for (Direction d : {Direction::kIn, Direction::kOut}) {
        const auto& capacity = d == Direction::kIn ? pipe.in : pipe.out;
        if (!capacity) continue;
        double booked = 0;
        for (const auto& p : doc_.policies) {
          for (const auto& b : p.bandwidth) {
            if (b.pipe != pipe.name || b.direction != d) continue;
            booked += b.percent ? b.amount / 100 * static_cast<double>(*capacity) : b.amount;
          }
        }
        if (booked > static_cast<double>(*capacity) * (1 + 1e-9)) {
          error_(pipe.line, "<pipe>", fmt::format("policies book {} of pipe \"{}\" {}, which carries {}",
                                                   FormatRate(static_cast<uint64_t>(booked)), pipe.name,
                                                   d == Direction::kIn ? "in" : "out", FormatRate(*capacity)));
        }
      }
    }
  }

  // Two applications must not claim the same processes or flows.
  void CheckRuleOverlaps() {
    const auto& apps = doc_.applications;
    for (size_t i = 0; i < apps.size(); ++i) {
      for (size_t j = i + 1; j < apps.size(); ++j) {
        for (const auto& a : apps[i].processes) {
          for (const auto& b : apps[j].processes) {
            if (a.name == b.name && a.cmdline == b.cmdline && a.user == b.user && a.group == b.group &&
                a.parent == b.parent) {
              error_(b.line, "<process>", fmt::format("the same rule as application \"{}\" on line {}: a "
                                                       "process cannot belong to two applications",
                                                       apps[i].name, a.line));
            }
          }
        }
        for (const auto& a : apps[i].flows) {
          for (const auto& b : apps[j].flows) {
            bool protocol = a.protocol == Protocol::kAny || b.protocol == Protocol::kAny || a.protocol == b.protocol;
            bool ports = !a.ports || !b.ports ||
                         Overlap(a.ports->first, a.ports->second, b.ports->first, b.ports->second);
            bool address = !a.address || !b.address || NetworksOverlap(*a.address, *b.address);
            if (protocol && ports && address) {
              error_(b.line, "<flow>", fmt::format("overlaps the flow rule of application \"{}\" on line {}: "
                                                    "a flow cannot belong to two applications",
                                                    apps[i].name, a.line));
            }
          }
        }
      }
    }
  }

 private:
  const PolicyDocument& doc_;
  std::optional<double> pool_millicores_;
  const CheckError& error_;
};

}  // namespace

void CheckDocument(const PolicyDocument& doc, std::optional<double> pool_millicores, const CheckError& error) {
  Checker(doc, pool_millicores, error).Run();
}

}  // namespace shoal::policy
