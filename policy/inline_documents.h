// Small policy documents carried by the gossip itself, so a push reaches
// the pool at the exchange's speed instead of hop by hop through fetches
// over peer streams (each a connection's handshake, a round trip and a
// wait for the next announcement). The node that stamped the running
// version (its origin) publishes the envelope, compressed (zstd), in up to
// kInlinePieces pieces of at most kInlinePieceBytes, one per channel
// (gossip/registry.h, kPolicyText and the next ones), for as long as it
// runs that version, and an empty payload after; other nodes publish
// nothing here. Pieces are kept small so that one fits a packet beside the
// liveness digest and other news. Every node assembles the pieces of the
// newest version it sees from that version's origin and offers the
// document to the distributor, which validates and activates it as it
// would a fetched one (PolicyDistributor::Offer). The origin announces
// its version a period after its pieces go out, and a node holding some
// pieces of a version waits up to kInlineWait for the rest before it
// fetches (PolicyDistributor::Courier). A document too large
// (about 2.4 KB compressed; a 20-application policy is 1.2 KB), and every
// node that missed the pieces, still goes by the announcement and a fetch.
//
// A piece: a format byte (1), the version (hlc 8, origin 8, revision 4),
// the compressed envelope's size (4), the envelope's size (4), the piece's
// index and the number of pieces (1 each), then its bytes. Engine code;
// not thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "gossip/gossiper.h"
#include "policy/distribution.h"

namespace shoal::policy {

inline constexpr size_t kInlinePieces = 4;
inline constexpr size_t kInlinePieceBytes = 640;  // a piece's payload, header included
inline constexpr size_t kInlinePieceHeader = 31;
// Envelopes larger than this are not carried (nor taken apart when a piece claims more).
inline constexpr size_t kInlineMaxEnvelope = 1 << 20;
inline constexpr Duration kInlineWait = std::chrono::milliseconds(300);

struct InlinePiece {
  PolicyVersion version;
  uint32_t packed = 0;  // the compressed envelope's size
  uint32_t size = 0;    // the envelope's size
  uint8_t index = 0;
  uint8_t count = 0;
  std::string_view bytes;
};

// The envelope compressed, in pieces of at most `piece_bytes` each; empty
// when it needs more than kInlinePieces of them (or is empty or too large).
std::vector<std::string> SplitInline(const PolicyVersion& version, std::string_view blob,
                                     size_t piece_bytes = kInlinePieceBytes);
// nullopt: not a well-formed piece (wrong size, format, index or count).
std::optional<InlinePiece> DecodeInlinePiece(std::string_view payload);
// The envelope, when `pieces` (one per channel, in order; nullopt where a
// channel holds nothing) are all the pieces of `version`, agree, and
// decompress to the size they claim.
std::optional<std::string> AssembleInline(const PolicyVersion& version,
                                          const std::vector<std::optional<InlinePiece>>& pieces);

class InlineDocuments {
 public:
  // References must outlive this object.
  InlineDocuments(gossip::Gossiper& gossiper, PolicyDistributor& distributor);
  InlineDocuments(const InlineDocuments&) = delete;
  InlineDocuments& operator=(const InlineDocuments&) = delete;

  // Registers the pieces' channels (none when the MTU cannot carry a piece:
  // documents then go by fetch only).
  Status Register();

 private:
  std::optional<std::string> Publish(size_t index);
  void OnView();
  // Some pieces of `version` are here and the rest may follow.
  bool Coming(const PolicyVersion& version) const;
  // The pieces origin `origin` holds, one per channel.
  std::vector<std::optional<InlinePiece>> PiecesOf(NodeId origin) const;

  gossip::Gossiper& gossiper_;
  PolicyDistributor& distributor_;
  // What this node publishes: the pieces of the version it stamped and
  // runs (none once it runs another; empty payloads then replace them).
  PolicyVersion pieces_of_;
  std::vector<std::string> pieces_;
  bool published_ = false;
  // Versions offered and refused here (did not validate): not offered again.
  std::set<PolicyVersion> refused_;
  // The newest version some of whose pieces are here, since when.
  PolicyVersion arriving_;
  TimePoint arriving_since_;
};

}  // namespace shoal::policy
