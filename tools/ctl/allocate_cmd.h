// `shoalctl allocate FILE`: the priority fair-share allocator on a document
// an operator writes by hand, to check what it would give.
//
//   {"capacity": 10, "minimum": 0, "integer": false, "leftover": "reserve",
//    "consumers": [{"name": "web", "levels": [2, 4]},
//                  {"name": "batch", "levels": [0, 8], "minimum": 1}]}
//
// `minimum`, `integer` and `leftover` ("reserve" or "spread") are optional;
// a consumer's own `minimum` overrides the document's. levels[i] is the
// cumulative amount that satisfies priority levels 1..i+1. With `integer`
// the cumulative rounder turns the amounts (consumers in order, then the
// reserve) into whole numbers that keep the rounded capacity.
#pragma once

#include <string>
#include <vector>

#include "core/fair_share.h"
#include "core/result.h"
#include "tools/ctl/json_input.h"

namespace shoal::ctl {

struct AllocateInput {
  double capacity = 0;
  bool integer = false;
  Leftover leftover = Leftover::kReserve;
  std::vector<std::string> names;
  std::vector<FairShareRequest> consumers;
};

Result<AllocateInput> ReadAllocateInput(const Json& doc);

struct AllocateOutput {
  std::vector<std::string> names;
  std::vector<double> amounts;
  double reserve = 0;
};

AllocateOutput RunAllocate(const AllocateInput& input);

// One "NAME AMOUNT" line per consumer in input order, then "reserve AMOUNT".
std::string AllocateText(const AllocateOutput& out);
// {"allocations": {"NAME": AMOUNT, ...}, "reserve": AMOUNT}, names in input order.
std::string AllocateJson(const AllocateOutput& out);

}  // namespace shoal::ctl
