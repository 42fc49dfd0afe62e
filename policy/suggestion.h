// Suggested policies from recorded demand: for each application the active
// document defines and history recorded, a CPU booking from a percentile of
// its pool-wide demand per period plus headroom; a cap where its demand
// above that booking coincided with other applications being squeezed;
// priorities, detection rules, pipes, schedules and triggers kept from the
// active document; and the pairs of applications whose peaks do not
// coincide, with what stacking them would save. Pure functions on values;
// thread-compatible.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "policy/model.h"
#include "policy/replay.h"

namespace shoal::policy {

struct SuggestOptions {
  double percentile = 95;  // of each application's pool-wide demand per period
  double headroom = 0.2;   // added to that percentile
};

// Two applications whose peaks do not coincide: booked apart they need
// `apart` millicores, stacked (the percentile of their summed demand) `stacked`.
struct Complementary {
  std::string a, b;
  double apart = 0, stacked = 0;
  double saving() const { return apart - stacked; }
};

struct Suggestion {
  PolicyDocument document;
  std::map<std::string, std::string> comments;  // per application: what its policy is based on
  std::string summary;                          // for the document's head
  std::vector<Complementary> complementary;     // the largest savings first
  std::vector<std::string> notes;               // applications left as they were, and why
};

// What a suggestion rests on, gathered a period at a time (a long window
// need not be held whole): per application its pool-wide demand and
// whether an instance of it was squeezed, per period; the pool's capacity.
struct DemandSeries {
  std::map<std::string, std::vector<double>> demand;
  std::map<std::string, std::vector<bool>> squeezed;
  std::vector<double> capacity;
  void Add(const RecordedPeriod& period);
  size_t periods() const { return capacity.size(); }
};

// Errors when no application the active document defines has figures.
Result<Suggestion> Suggest(DemandSeries series, const PolicyDocument& active, const SuggestOptions& options);

// The suggestion as a policy document, each policy preceded by its comment.
std::string WriteSuggestion(const Suggestion& s);

}  // namespace shoal::policy
