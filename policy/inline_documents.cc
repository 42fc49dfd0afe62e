#include "policy/inline_documents.h"

#include <spdlog/spdlog.h>
#include <zstd.h>

#include "core/big_endian.h"

namespace shoal::policy {
namespace {

constexpr uint8_t kFormat = 1;
// zstd's level: a document is compressed once per push, and at 19 a
// 20-application policy takes under a millisecond.
constexpr int kLevel = 19;
// Refused versions remembered; older ones can never be offered again anyway
// (an offer must be newer than the version running).
constexpr size_t kMaxRefused = 16;

}  // namespace

std::vector<std::string> SplitInline(const PolicyVersion& version, std::string_view blob, size_t piece_bytes) {
  if (blob.empty() || blob.size() > kInlineMaxEnvelope || piece_bytes <= kInlinePieceHeader) return {};
  std::string packed(ZSTD_compressBound(blob.size()), '\0');
  const size_t n = ZSTD_compress(packed.data(), packed.size(), blob.data(), blob.size(), kLevel);
  if (ZSTD_isError(n)) return {};
  packed.resize(n);
  const size_t room = piece_bytes - kInlinePieceHeader;
  const size_t count = (packed.size() + room - 1) / room;
  if (count > kInlinePieces) return {};
  std::vector<std::string> pieces;
  for (size_t i = 0; i < count; ++i) {
    std::string p(1, static_cast<char>(kFormat));
    AppendBigEndian(p, version.hlc, 8);
    AppendBigEndian(p, version.origin.value, 8);
    AppendBigEndian(p, version.revision, 4);
    AppendBigEndian(p, packed.size(), 4);
    AppendBigEndian(p, blob.size(), 4);
    p.push_back(static_cast<char>(i));
    p.push_back(static_cast<char>(count));
    p.append(std::string_view(packed).substr(i * room, room));
    pieces.push_back(std::move(p));
  }
  return pieces;
}

std::optional<InlinePiece> DecodeInlinePiece(std::string_view payload) {
  if (payload.size() <= kInlinePieceHeader || static_cast<uint8_t>(payload[0]) != kFormat) return std::nullopt;
  InlinePiece p;
  p.version.hlc = GetBigEndian(payload, 1, 8);
  p.version.origin = NodeId{GetBigEndian(payload, 9, 8)};
  p.version.revision = static_cast<uint32_t>(GetBigEndian(payload, 17, 4));
  p.packed = static_cast<uint32_t>(GetBigEndian(payload, 21, 4));
  p.size = static_cast<uint32_t>(GetBigEndian(payload, 25, 4));
  p.index = static_cast<uint8_t>(payload[29]);
  p.count = static_cast<uint8_t>(payload[30]);
  p.bytes = payload.substr(kInlinePieceHeader);
  if (p.version.empty() || p.count == 0 || p.count > kInlinePieces || p.index >= p.count ||
      p.bytes.size() > p.packed || p.size == 0 || p.size > kInlineMaxEnvelope) {
    return std::nullopt;
  }
  return p;
}

std::optional<std::string> AssembleInline(const PolicyVersion& version,
                                          const std::vector<std::optional<InlinePiece>>& pieces) {
  if (pieces.empty() || !pieces[0] || pieces[0]->version != version) return std::nullopt;
  const InlinePiece& first = *pieces[0];
  if (first.count > pieces.size()) return std::nullopt;
  std::string packed;
  for (size_t i = 0; i < first.count; ++i) {
    const auto& p = pieces[i];
    if (!p || p->version != version || p->index != i || p->count != first.count || p->packed != first.packed ||
        p->size != first.size || packed.size() + p->bytes.size() > first.packed) {
      return std::nullopt;
    }
    packed.append(p->bytes);
  }
  if (packed.size() != first.packed) return std::nullopt;
  std::string blob(first.size, '\0');
  const size_t n = ZSTD_decompress(blob.data(), blob.size(), packed.data(), packed.size());
  if (ZSTD_isError(n) || n != blob.size()) return std::nullopt;
  return blob;
}

InlineDocuments::InlineDocuments(gossip::Gossiper& gossiper, PolicyDistributor& distributor)
    : gossiper_(gossiper), distributor_(distributor) {}

Status InlineDocuments::Register() {
  if (gossiper_.LargestPayload() < kInlinePieceBytes) {
    spdlog::info("policy documents go by fetch only: the gossip MTU of {} bytes cannot carry a {}-byte piece",
                 gossiper_.config().mtu, kInlinePieceBytes);
    return Status::Ok();
  }
  for (size_t i = 0; i < kInlinePieces; ++i) {
    auto s = gossiper_.RegisterChannel(
        gossip::ChannelSpec{static_cast<uint32_t>(gossip::channels::kPolicyText + i),
                            "policy-text-" + std::to_string(i), gossiper_.config().period, kInlinePieceBytes,
                            gossip::kPromptView},
        [this, i] { return Publish(i); }, [this](const gossip::ChannelView&) { OnView(); });
    if (!s.ok()) return s;
  }
  // The announcements wait four periods: a document of two pieces reached
  // 32 simulated nodes in 145-160 ms, and with a lead of one or two periods
  // 5-31 of them fetched it first (none with four).
  distributor_.SetCourier(PolicyDistributor::Courier{
      [this](const PolicyVersion& v) { return Coming(v); },
      [](const PolicyVersion& v, std::string_view blob) { return !SplitInline(v, blob).empty(); },
      4 * gossiper_.config().period});
  return Status::Ok();
}

bool InlineDocuments::Coming(const PolicyVersion& version) const {
  return version == arriving_ && gossiper_.Now() - arriving_since_ < kInlineWait;
}

std::optional<std::string> InlineDocuments::Publish(size_t index) {
  const PolicyVersion& running = distributor_.active_version();
  if (running != pieces_of_) {
    pieces_of_ = running;
    pieces_.clear();
    if (!running.empty() && running.origin == gossiper_.identity().id) {
      pieces_ = SplitInline(running, distributor_.active_blob());
    }
  }
  if (index < pieces_.size()) {
    published_ = true;
    return pieces_[index];
  }
  // Nothing to carry: an empty payload replaces a piece published before.
  if (published_) return std::string();
  return std::nullopt;
}

std::vector<std::optional<InlinePiece>> InlineDocuments::PiecesOf(NodeId origin) const {
  std::vector<std::optional<InlinePiece>> pieces;
  for (size_t i = 0; i < kInlinePieces; ++i) {
    const gossip::StoredEntry* e = gossiper_.View(gossip::channels::kPolicyText + i).Find(origin);
    pieces.push_back(e ? DecodeInlinePiece(e->payload) : std::nullopt);
  }
  return pieces;
}

void InlineDocuments::OnView() {
  // The newest version on offer whose piece 0 comes from its own origin.
  std::optional<PolicyVersion> best;
  const NodeId self = gossiper_.identity().id;
  gossiper_.View(gossip::channels::kPolicyText).ForEach([&](NodeId origin, const gossip::StoredEntry& e) {
    if (origin == self) return;
    auto p = DecodeInlinePiece(e.payload);
    if (!p || p->version.origin != origin || refused_.contains(p->version)) return;
    if (!best || p->version > *best) best = p->version;
  });
  if (!best || *best <= distributor_.active_version()) return;
  auto blob = AssembleInline(*best, PiecesOf(best->origin));
  if (!blob) {  // not all pieces here yet
    if (*best != arriving_) {
      arriving_ = *best;
      arriving_since_ = gossiper_.Now();
    }
    return;
  }
  if (distributor_.Offer(*best, std::move(*blob))) return;
  spdlog::warn("policy {}: the document carried in the gossip does not validate here; not taking it",
               best->ToString());
  if (refused_.size() >= kMaxRefused) refused_.erase(refused_.begin());
  refused_.insert(*best);
}

}  // namespace shoal::policy
