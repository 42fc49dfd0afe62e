#include "policy/suggestion.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <set>
#include <tuple>

#include <fmt/format.h>

#include "core/percentile.h"
#include "core/squeeze.h"
#include "policy/units.h"
#include "policy/writer.h"

namespace shoal::policy {
namespace {

constexpr size_t kMaxComplementary = 5;
constexpr double kMinSaving = 0.10;  // of the pair's bookings apart
constexpr double kLeastCores = 0.01; // a booking of an application that wanted next to nothing

using Series = DemandSeries;

// Applications absent from the last periods get zeros there.
void Pad(Series& s) {
  for (auto& [app, d] : s.demand) d.resize(s.periods());
  for (auto& [app, q] : s.squeezed) q.resize(s.periods());
}

double PercentileOf(std::vector<double> values, double p) { return Percentile(values, p); }

// Millicores as cores, rounded up to a hundredth.
double Cores(double m) { return std::ceil(m / 10) / 100; }

// Whether `app` wanted more than `booking` in period t while another
// application with a policy was squeezed.
bool Hurt(const Series& s, const std::string& app, size_t t, double booking, const std::set<std::string>& booked) {
  if (s.demand.at(app)[t] <= booking) return false;
  for (const auto& [other, squeezed] : s.squeezed) {
    if (other != app && booked.count(other) && squeezed[t]) return true;
  }
  return false;
}

// Where `app`'s peaks hurt others in at least 1% of the periods: a cap at
// the highest demand it had when they did not (at least its booking), plus
// headroom; the periods counted.
std::pair<std::optional<double>, size_t> CapOf(const Series& s, const std::string& app, double booking,
                                               const std::set<std::string>& booked, double headroom) {
  const auto& demand = s.demand.at(app);
  size_t hurt = 0;
  double harmless = booking;
  for (size_t t = 0; t < demand.size(); ++t) {
    if (Hurt(s, app, t, booking, booked)) {
      ++hurt;
    } else {
      harmless = std::max(harmless, demand[t]);
    }
  }
  if (hurt == 0 || hurt * 100 < demand.size()) return {std::nullopt, hurt};
  return {harmless * (1 + headroom), hurt};
}

std::vector<Complementary> FindComplementary(const Series& s, const std::map<std::string, double>& bookings,
                                             double percentile) {
  std::vector<Complementary> out;
  for (auto a = bookings.begin(); a != bookings.end(); ++a) {
    for (auto b = std::next(a); b != bookings.end(); ++b) {
      const auto &da = s.demand.at(a->first), &db = s.demand.at(b->first);
      std::vector<double> sum(da.size());
      for (size_t t = 0; t < sum.size(); ++t) sum[t] = da[t] + db[t];
      Complementary c{a->first, b->first, PercentileOf(da, percentile) + PercentileOf(db, percentile),
                      PercentileOf(std::move(sum), percentile)};
      if (c.apart > 0 && c.saving() >= kMinSaving * c.apart) out.push_back(std::move(c));
    }
  }
  std::sort(out.begin(), out.end(), [](const Complementary& x, const Complementary& y) {
    return x.saving() != y.saving() ? x.saving() > y.saving() : std::tie(x.a, x.b) < std::tie(y.a, y.b);
  });
  if (out.size() > kMaxComplementary) out.resize(kMaxComplementary);
  return out;
}

int LeastImportant(const PolicyDocument& doc) {
  int p = 1;
  for (const auto& s : doc.policies) p = std::max(p, s.priority);
  return p;
}

// The bookings, scaled to fit the pool's smaller capacities if they do not.
double FitFactor(const Series& s, const std::map<std::string, double>& bookings) {
  double total = 0;
  for (const auto& [app, m] : bookings) total += m;
  const double pool = PercentileOf(s.capacity, 5);
  return total > pool && total > 0 ? pool / total : 1;
}

// Books `app` `m` millicores (capped where its peaks hurt others) in `doc`,
// at its priority in the active document or below all of them; returns
// the comment saying what the booking rests on.
std::string SuggestOne(const Series& s, const std::string& app, double m, double fit,
                       const std::set<std::string>& booked, const PolicyDocument& active,
                       const SuggestOptions& options, PolicyDocument& doc) {
  PolicySpec* spec = nullptr;
  for (auto& p : doc.policies) spec = p.application == app ? &p : spec;
  if (!spec) {
    spec = &doc.policies.emplace_back();
    spec->application = app;
    spec->priority = LeastImportant(active) + (active.policies.empty() ? 0 : 1);
  }
  const double booking = std::max(kLeastCores, Cores(m)) * 1000;
  CpuShare cpu{CpuKind::kCores, booking / 1000, std::nullopt, 0};
  const auto& demand = s.demand.at(app);
  const double peak = *std::max_element(demand.begin(), demand.end());
  const auto [cap, hurt] = CapOf(s, app, booking, booked, options.headroom);
  std::string capped;
  if (cap) {
    cpu.cap = Cores(*cap);
    capped = fmt::format("; capped at {} cores (its highest demand when harmless, plus headroom): in {} period(s) "
                         "its demand above the booking came while another application was squeezed",
                         FormatNumber(*cpu.cap), hurt);
  }
  spec->cpu = cpu;
  return fmt::format(
      "{}: {} cores booked = the {}th percentile of its pool-wide demand over {} period(s), {} cores, plus {}% "
      "headroom{}; its peak was {} cores{}; priority {}{}.",
      app, FormatNumber(cpu.amount), FormatNumber(options.percentile), demand.size(),
      FormatNumber(Cores(PercentileOf(demand, options.percentile))), FormatNumber(options.headroom * 100),
      fit < 1 ? fmt::format(", scaled by {:.2f} to fit the pool", fit) : "", FormatNumber(Cores(peak)), capped,
      spec->priority, active.FindPolicy(app) ? " as in the active policy" : " (it had no policy)");
}

std::string SummaryOf(size_t periods, const SuggestOptions& options, const std::vector<Complementary>& pairs) {
  std::string out = fmt::format("Suggested by shoalctl suggest from {} recorded period(s): bookings at the {}th "
                                "percentile of demand plus {}% headroom.",
                                periods, FormatNumber(options.percentile), FormatNumber(options.headroom * 100));
  for (const auto& c : pairs) {
    out += fmt::format(" {} and {} peak at different times: booked apart {} cores, stacked {} (saves {}).", c.a, c.b,
                       FormatNumber(Cores(c.apart)), FormatNumber(Cores(c.stacked)), FormatNumber(Cores(c.saving())));
  }
  return out;
}

}  // namespace

void DemandSeries::Add(const RecordedPeriod& period) {
  const size_t t = capacity.size(), n = t + 1;
  double pool = 0;
  for (const auto& node : period.nodes) pool += node.capacity;
  capacity.push_back(pool);
  for (const auto& i : period.instances) {
    auto& d = demand[i.app];
    auto& q = squeezed[i.app];
    d.resize(n);
    q.resize(n);
    d[t] += std::max(i.demand, i.usage);
    if (IsSqueezed(i.demand, i.usage, i.allocation)) q[t] = true;
  }
}

Result<Suggestion> Suggest(DemandSeries s, const PolicyDocument& active, const SuggestOptions& options) {
  Pad(s);
  const size_t periods = s.periods();
  Suggestion out;
  out.document = active;
  // Percentile bookings, for the applications the document can detect.
  std::map<std::string, double> bookings;
  for (const auto& [app, demand] : s.demand) {
    if (!active.FindApplication(app)) {
      out.notes.push_back(fmt::format("{}: recorded but not defined in the active policy; left out", app));
      continue;
    }
    bookings[app] = PercentileOf(demand, options.percentile) * (1 + options.headroom);
  }
  if (bookings.empty()) {
    return MakeError("no application of the active policy has figures over the {} period(s)", periods);
  }
  const double fit = FitFactor(s, bookings);
  std::set<std::string> booked;
  for (const auto& [app, m] : bookings) booked.insert(app);
  for (const auto& [app, m] : bookings) {
    out.comments[app] = SuggestOne(s, app, m * fit, fit, booked, active, options, out.document);
  }
  for (const auto& p : active.policies) {
    if (!bookings.count(p.application)) {
      out.notes.push_back(fmt::format("{}: no figures over the period; its policy is kept as it was", p.application));
    }
  }
  out.complementary = FindComplementary(s, bookings, options.percentile);
  out.summary = SummaryOf(periods, options, out.complementary);
  return out;
}

std::string WriteSuggestion(const Suggestion& s) { return WritePolicy(s.document, {s.summary, s.comments}); }

}  // namespace shoal::policy
