// The key layout of the history store (DESIGN.md section 7). Every row of
// history starts with its origin, so that one origin's rows form one range:
// replicated, copied to a new replica, deleted and archived as a whole.
// Inside it, series by kind, level and name, then time, so that "one
// application on one node over a period" is one short scan and "every
// application" a skip from name to name.
//
//   'D' origin(8) kind(1) level(1) name '\0' time_ms(8) [seq(8), events]
//
// kind: 'A' an application's instance, 'N' the node itself (empty name),
// 'P' a pipe, 'E' an event (name: the event's kind, level raw). Integers
// are big-endian, so keys sort by time. Bookkeeping rows live outside the
// 'D' range: 'S' the store's own sequence, 'L' seq its log of batches,
// 'H' origin what it holds of an origin, 'R' replica what a replica holds of
// it, 'W' origin level the roll-up watermark, 'M' path a mounted archive.
// Header and functions are thread-safe.
#pragma once

#include <cstdint>
#include <array>
#include <optional>
#include <string>
#include <string_view>

#include "core/node_id.h"

namespace shoal::store {

enum class SeriesKind : uint8_t { kApp = 'A', kNode = 'N', kPipe = 'P', kEvent = 'E' };
// The byte in a row's key. Five-minute rows came last, so the values are
// not in order of span: kByFineness is.
enum class Level : uint8_t { kRaw = 0, kMinute = 1, kHour = 2, kFiveMinutes = 3 };
inline constexpr int kLevels = 4;
inline constexpr std::array<Level, kLevels> kByFineness = {Level::kRaw, Level::kMinute, Level::kFiveMinutes,
                                                           Level::kHour};
// Five-minute rows are each holder's own index of the minute rows it holds
// (a day's question reads a fifth of the rows): rolled up from them, kept
// as long as they are, never sent to another node nor archived (a node of
// an earlier version would refuse them), never taken from one.
bool IsFiveMinuteRow(std::string_view key);

// The span one row of a level covers (raw: one sample, reported as 1 ms).
int64_t LevelSpanMs(Level level);
const char* LevelName(Level level);
std::optional<SeriesKind> ParseKind(uint8_t byte);

// Names (applications, pipes, event kinds): 1 to kMaxNameBytes bytes, no
// NUL, so that a name ends where '\0' is.
inline constexpr size_t kMaxNameBytes = 128;
bool ValidName(std::string_view name);

struct DataKey {
  NodeId origin;
  SeriesKind kind = SeriesKind::kApp;
  Level level = Level::kRaw;
  std::string name;
  int64_t time_ms = 0;  // >= 0
  uint64_t seq = 0;     // events only: several in one millisecond
};

std::string EncodeKey(const DataKey& key);
// Nullopt for anything that is not a well-formed data key (untrusted input
// from replication comes through here).
std::optional<DataKey> DecodeKey(std::string_view key);

// Prefixes, each the start of a range of EncodeKey's output.
std::string OriginPrefix(NodeId origin);
std::string KindPrefix(NodeId origin, SeriesKind kind, Level level);
std::string SeriesPrefix(NodeId origin, SeriesKind kind, Level level, std::string_view name);
// The series' key at `time_ms` (the first key at or after it).
std::string SeriesAt(NodeId origin, SeriesKind kind, Level level, std::string_view name, int64_t time_ms);
// The smallest key after every key that starts with `prefix`.
std::string PrefixEnd(std::string_view prefix);

// Bookkeeping keys.
std::string SeqKey();
std::string LogKey(uint64_t seq);
std::string LogPrefix();
std::string HeldKey(NodeId origin);
std::string HeldPrefix();
std::string ReplicaKey(NodeId replica);
std::string ReplicaPrefix();
std::string WatermarkKey(NodeId origin, Level level);
std::string MountKey(std::string_view path);
std::string MountPrefix();
// The id in a 'H', 'R' or 'L' key (the 8 bytes after the tag).
uint64_t IdOfKey(std::string_view key);

}  // namespace shoal::store
