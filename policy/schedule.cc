#include "policy/schedule.h"

#include <fmt/format.h>

namespace shoal::policy {
namespace {

void Apply(const ShareOverride& o, EffectivePolicy& e) {
  if (o.cpu) e.cpu = o.cpu;
  for (const BandwidthShare& b : o.bandwidth) {
    auto same = [&](const BandwidthShare& x) { return x.pipe == b.pipe && x.direction == b.direction; };
    auto it = std::find_if(e.bandwidth.begin(), e.bandwidth.end(), same);
    if (it != e.bandwidth.end()) {
      *it = b;
    } else {
      e.bandwidth.push_back(b);
    }
  }
}

}  // namespace

Result<ScheduleEvaluator> ScheduleEvaluator::Create(const PolicyDocument& doc, const std::string& zoneinfo) {
  ScheduleEvaluator e;
  e.doc_ = doc;
  for (const PolicySpec& p : doc.policies) {
    if (!p.schedule || e.zones_.count(p.schedule->timezone) != 0) continue;
    auto zone = TimeZone::Load(p.schedule->timezone, zoneinfo);
    if (!zone.ok()) return zone.error();
    e.zones_.emplace(p.schedule->timezone, std::move(*zone));
  }
  return e;
}

std::vector<EffectivePolicy> ScheduleEvaluator::Evaluate(int64_t t, const PoolFacts& facts) const {
  std::vector<EffectivePolicy> out;
  out.reserve(doc_.policies.size());
  for (const PolicySpec& p : doc_.policies) {
    EffectivePolicy e{p.application, p.priority, p.cpu, p.bandwidth, "policy"};
    if (p.schedule) {
      const LocalTime local = zones_.at(p.schedule->timezone).At(t);
      for (const Window& w : p.schedule->windows) {
        if ((w.days & (1u << local.weekday)) && local.minute_of_day >= w.from_minute &&
            local.minute_of_day < w.to_minute) {
          Apply(w.shares, e);
          e.source = fmt::format("window on line {}", w.line);
          break;  // windows of one schedule do not overlap
        }
      }
    }
    if (p.on_failure && facts.failed_nodes >= p.on_failure->min_failed) {
      Apply(p.on_failure->shares, e);
      e.source = "on-failure";
    }
    out.push_back(std::move(e));
  }
  return out;
}

std::vector<CpuPolicy> ToPlannerPolicies(const std::vector<EffectivePolicy>& effective) {
  std::vector<CpuPolicy> out;
  for (const EffectivePolicy& e : effective) {
    if (!e.cpu) continue;
    CpuPolicy p;
    p.app = e.application;
    p.priority = e.priority;
    const bool cores = e.cpu->kind == CpuKind::kCores;
    p.kind = e.cpu->kind == CpuKind::kPoolPercent     ? CpuShareKind::kPoolPercent
             : e.cpu->kind == CpuKind::kServerPercent ? CpuShareKind::kServerPercent
                                                      : CpuShareKind::kMillicores;
    p.amount = cores ? e.cpu->amount * 1000 : e.cpu->amount;
    if (e.cpu->cap) p.cap = cores ? *e.cpu->cap * 1000 : *e.cpu->cap;
    out.push_back(p);
  }
  return out;
}

}  // namespace shoal::policy
