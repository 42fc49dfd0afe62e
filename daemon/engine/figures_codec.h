// The pool's figures and levels on the wire (pool_figures.proto): a zone's
// part going up the roll-up tree (gossip/rollup.h) and the levels coming
// back down to every node (policy/row_planner.h). Amounts travel in 1/16
// millicores. Decoders take untrusted bytes and refuse, naming what is
// wrong, anything an encoder would not produce: bins out of order or out of
// range, a bin's mean outside it, applications out of order or repeated,
// more than the limits below. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "core/result.h"
#include "policy/pool_figures.h"
#include "policy/row_planner.h"

namespace shoal::engine {

inline constexpr size_t kMaxFigureApps = 4096;
inline constexpr size_t kMaxAppNameBytes = 256;

std::string EncodeFigures(const policy::PoolFigures& figures);
Result<policy::PoolFigures> DecodeFigures(std::string_view bytes);

// The roll-up's merge: the parts decoded, merged and encoded again; a part
// that does not decode is left out (it came from a peer that holds the
// pool key, so it is a bug or a newer build, and is logged by the caller's
// counters: `refused`, when not null, is incremented).
std::string MergeFigureParts(std::span<const std::string* const> parts, uint64_t* refused = nullptr);

// Levels carry what planning a row needs, for the applications with a
// policy: not the policies (the receiver attaches its own document's,
// policy::AttachPolicies, with `policies` and `options`), not the pool's
// totals (requested, demand, usage, booked, allocated arrive as zero: they
// travel apart, below, so that levels fit one gossip entry), not the
// rogue applications.
std::string EncodeLevels(const policy::PoolLevels& levels);
// Encoded levels with `version` added (the representative's number for
// them), and the version of encoded levels (0: none). DecodeLevels
// ignores the version.
std::string VersionLevels(std::string encoded, uint64_t version);
Result<uint64_t> LevelsVersion(std::string_view bytes);
Result<policy::PoolLevels> DecodeLevels(std::string_view bytes, std::span<const policy::CpuPolicy> policies,
                                        const policy::PlannerOptions& options);

// The pool's totals per application with a policy (requested, demand,
// usage, booked, allocated), and their application to decoded levels:
// applications the levels do not name are passed over.
std::string EncodeTotals(const policy::PoolLevels& levels);
Status ApplyTotals(std::string_view bytes, policy::PoolLevels& levels);

}  // namespace shoal::engine
