#include "store/keys.h"

#include "core/big_endian.h"

namespace shoal::store {
namespace {

constexpr char kData = 'D';
constexpr size_t kHead = 1 + 8 + 1 + 1;  // tag, origin, kind, level

}  // namespace

int64_t LevelSpanMs(Level level) {
  switch (level) {
    case Level::kRaw: return 1;
    case Level::kMinute: return 60'000;
    case Level::kHour: return 3'600'000;
    case Level::kFiveMinutes: return 300'000;
  }
  return 1;
}

const char* LevelName(Level level) {
  switch (level) {
    case Level::kRaw: return "raw";
    case Level::kMinute: return "minute";
    case Level::kHour: return "hour";
    case Level::kFiveMinutes: return "five minutes";
  }
  return "?";
}

bool IsFiveMinuteRow(std::string_view key) {
  return key.size() > kHead && key[0] == kData &&
         static_cast<uint8_t>(key[kHead - 1]) == static_cast<uint8_t>(Level::kFiveMinutes);
}

std::optional<SeriesKind> ParseKind(uint8_t byte) {
  switch (byte) {
    case 'A': return SeriesKind::kApp;
    case 'N': return SeriesKind::kNode;
    case 'P': return SeriesKind::kPipe;
    case 'E': return SeriesKind::kEvent;
    default: return std::nullopt;
  }
}

bool ValidName(std::string_view name) {
  return !name.empty() && name.size() <= kMaxNameBytes && name.find('\0') == std::string_view::npos;
}

std::string OriginPrefix(NodeId origin) {
  std::string k(1, kData);
  AppendBigEndian(k, origin.value, 8);
  return k;
}

std::string KindPrefix(NodeId origin, SeriesKind kind, Level level) {
  std::string k = OriginPrefix(origin);
  k.push_back(static_cast<char>(kind));
  k.push_back(static_cast<char>(level));
  return k;
}

std::string SeriesPrefix(NodeId origin, SeriesKind kind, Level level, std::string_view name) {
  std::string k = KindPrefix(origin, kind, level);
  k.append(name);
  k.push_back('\0');
  return k;
}

std::string SeriesAt(NodeId origin, SeriesKind kind, Level level, std::string_view name, int64_t time_ms) {
  std::string k = SeriesPrefix(origin, kind, level, name);
  AppendBigEndian(k, static_cast<uint64_t>(std::max<int64_t>(0, time_ms)), 8);
  return k;
}

std::string EncodeKey(const DataKey& key) {
  std::string k = SeriesAt(key.origin, key.kind, key.level, key.name, key.time_ms);
  if (key.kind == SeriesKind::kEvent) AppendBigEndian(k, key.seq, 8);
  return k;
}

std::optional<DataKey> DecodeKey(std::string_view k) {
  if (k.size() < kHead + 1 + 8 || k[0] != kData) return std::nullopt;
  DataKey key;
  key.origin = NodeId{GetBigEndian(k, 1, 8)};
  auto kind = ParseKind(static_cast<uint8_t>(k[9]));
  const auto level = static_cast<uint8_t>(k[10]);
  if (!key.origin.valid() || !kind || level >= kLevels) return std::nullopt;
  key.kind = *kind;
  key.level = static_cast<Level>(level);
  const size_t nul = k.find('\0', kHead);
  if (nul == std::string_view::npos) return std::nullopt;
  // The node's own series has no name; every other has one.
  key.name = std::string(k.substr(kHead, nul - kHead));
  if (key.kind == SeriesKind::kNode ? !key.name.empty() : !ValidName(key.name)) return std::nullopt;
  const size_t tail = key.kind == SeriesKind::kEvent ? 16 : 8;
  if (k.size() != nul + 1 + tail) return std::nullopt;
  const uint64_t t = GetBigEndian(k, nul + 1, 8);
  if (t > static_cast<uint64_t>(INT64_MAX)) return std::nullopt;
  key.time_ms = static_cast<int64_t>(t);
  if (key.kind == SeriesKind::kEvent) {
    if (key.level != Level::kRaw) return std::nullopt;
    key.seq = GetBigEndian(k, nul + 9, 8);
  }
  return key;
}

std::string PrefixEnd(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty()) {
    if (static_cast<uint8_t>(end.back()) != 0xff) {
      end.back() = static_cast<char>(static_cast<uint8_t>(end.back()) + 1);
      return end;
    }
    end.pop_back();
  }
  return std::string(64, '\xff');  // every key here is shorter
}

namespace {
std::string Tagged(char tag, uint64_t id) {
  std::string k(1, tag);
  AppendBigEndian(k, id, 8);
  return k;
}
}  // namespace

std::string SeqKey() { return "S"; }
std::string LogKey(uint64_t seq) { return Tagged('L', seq); }
std::string LogPrefix() { return "L"; }
std::string HeldKey(NodeId origin) { return Tagged('H', origin.value); }
std::string HeldPrefix() { return "H"; }
std::string ReplicaKey(NodeId replica) { return Tagged('R', replica.value); }
std::string ReplicaPrefix() { return "R"; }
std::string WatermarkKey(NodeId origin, Level level) {
  std::string k = Tagged('W', origin.value);
  k.push_back(static_cast<char>(level));
  return k;
}
std::string MountKey(std::string_view path) { return "M" + std::string(path); }
std::string MountPrefix() { return "M"; }
uint64_t IdOfKey(std::string_view key) { return key.size() >= 9 ? GetBigEndian(key, 1, 8) : 0; }

}  // namespace shoal::store
