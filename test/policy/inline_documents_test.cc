// Small policy documents carried in the gossip: the pieces' encoding, and
// on the simulated pool a push that reaches every node with no fetch, a
// large document that still goes by fetches, a pusher replaced, and a
// document refused where it does not validate.
#include <fstream>
#include <iterator>
#include <numeric>

#include <catch2/catch.hpp>

#include "policy/inline_documents.h"
#include "test/policy/push_pool.h"

using namespace shoal;
using namespace shoal::policy;
using shoal::policy::testing::Example;
using shoal::policy::testing::PushPool;
using namespace std::chrono_literals;

namespace {

const PolicyVersion kVersion{(uint64_t{1796380526296} << 16) | 3, NodeId{0xabc}, 12};

std::vector<std::optional<InlinePiece>> Decoded(const std::vector<std::string>& payloads) {
  std::vector<std::optional<InlinePiece>> out;
  for (const auto& p : payloads) out.push_back(DecodeInlinePiece(p));
  while (out.size() < kInlinePieces) out.push_back(std::nullopt);
  return out;
}

PushPool InlinePool(size_t n, std::function<PolicyDistributor::Options(size_t)> options_of =
                                  [](size_t) { return PolicyDistributor::Options{}; }) {
  return PushPool(n, std::move(options_of), 9, {}, true);
}

uint64_t Sum(const PushPool& p, uint64_t DistributionCounters::*field) {
  return std::accumulate(p.nodes.begin(), p.nodes.end(), uint64_t{0},
                         [&](uint64_t s, const PolicyDistributor* d) { return s + d->counters().*field; });
}

// Letters at random: they do not compress below 4.7 bits each.
std::string Noise(size_t n) {
  Random r(5);
  std::string out;
  for (size_t i = 0; i < n; ++i) out.push_back(static_cast<char>('a' + r.Below(26)));
  return out;
}

// full.xml with a comment that takes it past what the pieces can carry.
std::string LargeDocument() {
  std::string doc = Example("full.xml");
  const auto at = doc.find("?>") + 2;
  return doc.insert(at, "\n<!-- " + Noise(5000) + " -->");
}

}  // namespace

TEST_CASE("Inline pieces: a document splits and assembles again") {
  const std::string blob = Example("full.xml");
  const auto pieces = SplitInline(kVersion, blob);
  REQUIRE(pieces.size() == 2);  // 3.3 KB compressed to 1.2
  for (const auto& p : pieces) REQUIRE(p.size() <= kInlinePieceBytes);
  const auto decoded = Decoded(pieces);
  REQUIRE(decoded[1]->version == kVersion);
  REQUIRE(decoded[1]->version.revision == 12);
  REQUIRE(AssembleInline(kVersion, decoded) == blob);

  SECTION("a piece missing, or of another version, assembles nothing") {
    auto missing = decoded;
    missing[1].reset();
    REQUIRE_FALSE(AssembleInline(kVersion, missing));
    PolicyVersion other = kVersion;
    other.hlc += 1;
    auto mixed = decoded;
    mixed[1] = Decoded(SplitInline(other, blob))[1];
    REQUIRE_FALSE(AssembleInline(kVersion, mixed));
    REQUIRE_FALSE(AssembleInline(other, decoded));
  }
  SECTION("pieces in the wrong places assemble nothing") {
    auto swapped = decoded;
    std::swap(swapped[0], swapped[1]);
    REQUIRE_FALSE(AssembleInline(kVersion, swapped));
  }
  SECTION("too large for the pieces, or nothing: no pieces") {
    REQUIRE(SplitInline(kVersion, Noise(4400)).empty());
    REQUIRE(SplitInline(kVersion, Noise(3500)).size() == 4);
    REQUIRE(SplitInline(kVersion, std::string(100000, 'x')).size() == 1);
    REQUIRE(SplitInline(kVersion, std::string(kInlineMaxEnvelope + 1, 'x')).empty());
    REQUIRE(SplitInline(kVersion, "").empty());
  }
  SECTION("pieces that do not decompress to the size they claim assemble nothing") {
    auto payloads = pieces;
    payloads[0][28] = static_cast<char>(payloads[0][28] + 1);  // the envelope's size, low byte
    payloads[1][28] = payloads[0][28];
    REQUIRE_FALSE(AssembleInline(kVersion, Decoded(payloads)));
    payloads = pieces;
    payloads[1].back() = static_cast<char>(payloads[1].back() ^ 0x5a);  // the compressed bytes
    REQUIRE_FALSE(AssembleInline(kVersion, Decoded(payloads)) == blob);
  }
}

TEST_CASE("Inline pieces: the fuzzer's seed, written from the format's description, assembles") {
  std::ifstream in(SHOAL_SOURCE_DIR "/test/fuzz/corpus/policy/inline-piece", std::ios::binary);
  const std::string seed((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto piece = DecodeInlinePiece(seed);
  REQUIRE(piece);
  REQUIRE(piece->version == kVersion);
  REQUIRE(AssembleInline(kVersion, {piece, std::nullopt, std::nullopt, std::nullopt}) == Example("small.xml"));
}

TEST_CASE("Inline pieces: malformed payloads are not pieces") {
  const std::string good = SplitInline(kVersion, "<policy/>")[0];
  REQUIRE(DecodeInlinePiece(good));
  REQUIRE_FALSE(DecodeInlinePiece(""));
  REQUIRE_FALSE(DecodeInlinePiece(good.substr(0, kInlinePieceHeader)));  // no bytes
  auto with = [&](size_t at, char c) {
    std::string p = good;
    p[at] = c;
    return p;
  };
  REQUIRE_FALSE(DecodeInlinePiece(with(0, 2)));                                      // unknown format
  REQUIRE_FALSE(DecodeInlinePiece(with(30, 0)));                                     // no pieces
  REQUIRE_FALSE(DecodeInlinePiece(with(30, static_cast<char>(kInlinePieces + 1))));  // too many
  REQUIRE_FALSE(DecodeInlinePiece(with(29, 1)));                                     // index past the count
  REQUIRE_FALSE(DecodeInlinePiece(with(24, 2)));                                     // more bytes than packed
  REQUIRE_FALSE(DecodeInlinePiece(with(25, 1)));                                     // over the largest envelope
}

TEST_CASE("Inline documents: a small push reaches every node with no fetch") {
  PushPool p = InlinePool(32);
  p.pool.RunFor(3s);
  for (const char* doc : {"small.xml", "full.xml"}) {
    auto v = p.nodes[5]->Push(Example(doc));
    REQUIRE(v.ok());
    const Duration took = p.RunUntilEveryone(*v);
    INFO(doc << ": " << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms");
    REQUIRE(took < 500ms);
    for (auto* d : p.nodes) REQUIRE(d->active_blob() == Example(doc));
  }
  REQUIRE(Sum(p, &DistributionCounters::fetches) == 0);
  REQUIRE(Sum(p, &DistributionCounters::inline_activations) == 2 * 31);
}

TEST_CASE("Inline documents: a document too large for the pieces goes by fetch") {
  PushPool p = InlinePool(16);
  p.pool.RunFor(3s);
  auto v = p.nodes[2]->Push(LargeDocument());
  REQUIRE(v.ok());
  REQUIRE(p.RunUntilEveryone(*v) < 2s);
  REQUIRE(Sum(p, &DistributionCounters::inline_activations) == 0);
  REQUIRE(Sum(p, &DistributionCounters::fetches) >= 15);
}

TEST_CASE("Inline documents: a pusher that runs a newer version withdraws its pieces") {
  PushPool p = InlinePool(16);
  p.pool.RunFor(3s);
  auto first = p.nodes[5]->Push(Example("small.xml"));
  REQUIRE(first.ok());
  REQUIRE(p.RunUntilEveryone(*first) < 1s);
  auto second = p.nodes[9]->Push(Example("small-reversed.xml"));
  REQUIRE(second.ok());
  REQUIRE(p.RunUntilEveryone(*second) < 1s);
  p.pool.RunFor(1s);
  for (size_t i = 0; i < kInlinePieces; ++i) {
    const auto view = p.pool.node(0).View(gossip::channels::kPolicyText + i);
    const gossip::StoredEntry* e = view.Find(p.pool.id(5));
    REQUIRE(e != nullptr);  // node 5 published pieces once: an empty payload replaces them
    REQUIRE(std::string_view(e->payload).empty());
  }
  REQUIRE(Sum(p, &DistributionCounters::inline_activations) == 2 * 15);
}

TEST_CASE("Inline documents: a node where the document does not validate refuses it") {
  // Node 3 opens envelopes with a check every document fails here.
  PushPool p = InlinePool(16, [](size_t i) {
    PolicyDistributor::Options o;
    if (i == 3) o.open = [](const std::string&) -> Result<OpenedPolicy> { return MakeError("not signed"); };
    return o;
  });
  p.pool.RunFor(3s);
  auto v = p.nodes[0]->Push(Example("small.xml"));
  REQUIRE(v.ok());
  p.pool.RunFor(2s);
  for (size_t i = 0; i < 16; ++i) REQUIRE((p.nodes[i]->active_version() == *v) == (i != 3));
  REQUIRE(p.nodes[3]->counters().inline_activations == 0);
  REQUIRE(p.nodes[3]->counters().invalid_documents >= 1);
  REQUIRE(Sum(p, &DistributionCounters::inline_activations) == 14);
}
