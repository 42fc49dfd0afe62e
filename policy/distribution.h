// Pool-wide policy distribution. An operator pushes a document to any node;
// that node validates it (nothing is stamped if it has any error), stamps it
// with a version and activates it. Every node announces on a gossip channel
// the version it runs, with the document's digest and size; a node that
// sees a higher version announced fetches the document over a peer stream
// from a node announcing it, checks it against the digest, validates it
// and activates it, and then announces it too, so the document spreads
// from every node that has it. A node that joins later, or missed the news,
// catches up the same way. A fetch asks a live holder it has not seen fail
// (one it already has a connection to, if any),
// asks another one too each time the ones asked are slow (a holder
// stalled, or its connection stuck after a partition), and gives up on a
// holder at once when it leaves, fails or is suspected.
//
// Versions: a hybrid logical clock (milliseconds of wall time, never going
// backwards, and above every version seen) and the pushing node's id break
// ties, so the highest version wins everywhere: two pushes at once settle on
// the same winner on every node. The enforcement mode travels inside the
// document. Engine code: the clock, the gossip and the streams come from
// the owner. Not thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/random.h"
#include "gossip/gossiper.h"
#include "gossip/peer_streams.h"
#include "policy/parser.h"

namespace shoal::policy {

// A version's identity is (hlc, origin); `revision` is its label for
// people ("r12"): the pushing node numbers it one above the highest
// revision it has seen, and it travels in the announcement. Two pushes at
// once may carry the same number; the stamp tells them apart. 0: unknown
// (a document stored or announced before revisions existed).
struct PolicyVersion {
  uint64_t hlc = 0;  // wall-clock milliseconds << 16 | counter
  NodeId origin;
  uint32_t revision = 0;

  std::strong_ordering operator<=>(const PolicyVersion& o) const {
    if (auto c = hlc <=> o.hlc; c != 0) return c;
    return origin <=> o.origin;
  }
  bool operator==(const PolicyVersion& o) const { return hlc == o.hlc && origin == o.origin; }
  bool empty() const { return hlc == 0; }
  int64_t time_ms() const { return static_cast<int64_t>(hlc >> 16); }  // when it was stamped
  std::string ToString() const;  // "1732262400123.0@<origin>"
  // The inverse of ToString (revision 0: the text does not carry it).
  static std::optional<PolicyVersion> Parse(const std::string& text);
};

using Digest = std::array<uint8_t, 32>;
Digest DigestOf(std::string_view text);

struct PolicyAnnouncement {
  PolicyVersion version;
  Digest digest{};
  uint32_t size = 0;
};
std::string EncodeAnnouncement(const PolicyAnnouncement& a);
std::optional<PolicyAnnouncement> DecodeAnnouncement(std::string_view bytes);

struct DistributionCounters {
  uint64_t pushes = 0;
  uint64_t refused_pushes = 0;
  uint64_t fetches = 0;
  uint64_t fetch_failures = 0;  // the call failed (no answer, refused, not held there)
  uint64_t fetch_hedges = 0;     // holders asked while others were slow to answer
  uint64_t fetch_abandoned = 0;  // calls given up because their holder left, failed or was suspected
  uint64_t digest_mismatches = 0;
  uint64_t invalid_documents = 0;  // fetched but did not validate (or its signature did not check) here
  uint64_t activations = 0;
  uint64_t served = 0;
};

// What an envelope holds: the XML, and when it was signed (if it was).
struct OpenedPolicy {
  std::string text;
  std::optional<int64_t> issued_ms;
};

class PolicyDistributor {
 public:
  static constexpr uint32_t kChannel = gossip::channels::kPolicy;
  struct Options {
    Duration fetch_timeout = std::chrono::seconds(2);
    // A fetch unanswered this long asks another holder as well (up to
    // three at once); the first good answer wins.
    Duration hedge_after = std::chrono::milliseconds(500);
    Duration retry_after = std::chrono::milliseconds(200);
    ParseOptions parse;
    // The pool's CPU capacity now (millicores), for checking pushes; nullopt
    // when unknown. Documents fetched from peers are checked without it, so
    // every node accepts what the pushing node accepted.
    std::function<std::optional<double>()> pool_millicores;
    // The envelope a document travels and is stored in. Unset: the
    // document itself. shoald with admin keys: an admin's signature over
    // it (gossip/admin_auth.h), checked wherever it arrives; the version's
    // milliseconds must then be the signed issue time, so an old signed
    // document cannot be announced again under a new version.
    std::function<Result<OpenedPolicy>(const std::string& blob)> open;
  };
  // `blob`: the envelope, as it is to be stored.
  using Activated = std::function<void(const PolicyVersion&, const PolicyDocument&, const std::string& blob)>;

  // `wall_ms`: milliseconds of wall-clock time (shoald: the system clock;
  // the simulator: virtual time). References must outlive this object.
  PolicyDistributor(Options options, gossip::Gossiper& gossiper, gossip::PeerStreams& streams,
                    Random& random, std::function<uint64_t()> wall_ms);
  PolicyDistributor(const PolicyDistributor&) = delete;
  PolicyDistributor& operator=(const PolicyDistributor&) = delete;
  ~PolicyDistributor();

  // Registers the announcement channel and the fetch service.
  Status Register();
  // Call every gossip tick: retries fetches that failed.
  void Tick();

  // Validates, stamps, activates and announces a document (in its
  // envelope, see Options::open). Errors list every problem
  // ("LINE:COLUMN: <element>: message", one per line).
  Result<PolicyVersion> Push(std::string blob);
  // Validates a document as Push would (against the pool's capacity now)
  // without stamping or activating it; errors as Push's.
  Result<PolicyDocument> Check(const std::string& blob) const;
  // Opens an envelope (Options::open): the document's text and issue time.
  Result<OpenedPolicy> Open(const std::string& blob) const;
  // A document an earlier run stored (its envelope), activated without a
  // new stamp.
  Status Restore(const PolicyVersion& version, std::string blob);

  void SetListener(Activated listener) { listener_ = std::move(listener); }
  const PolicyVersion& active_version() const { return active_.version; }
  const PolicyDocument* active() const { return active_doc_ ? &*active_doc_ : nullptr; }
  const std::string& active_text() const { return active_text_; }
  // The version every live node announces (empty: none yet), this node's included.
  std::map<NodeId, PolicyVersion> Versions() const;
  const DistributionCounters& counters() const { return counters_; }

 private:
  void OnView(const gossip::ChannelView& view);
  void OnMember(const gossip::MemberEvent& e);
  // Starts a fetch of wanted_, or asks another holder when the ones asked
  // are slow; retires calls for a version no longer wanted.
  void MaybeFetch();
  // A holder of wanted_ not being asked: alive before suspected, not seen
  // failing before seen failing; of equals, one this node has a stream
  // connection to (no handshake), random among those. nullopt: none.
  std::optional<NodeId> PickHolder();
  void Ask(NodeId holder, TimePoint now);
  void OnFetched(NodeId holder, uint64_t call, const PolicyAnnouncement& wanted, Result<std::string> r);
  // Takes a call off asking_; false if it was not there (abandoned or retired).
  bool Forget(uint64_t call);
  bool Activate(const PolicyVersion& version, std::string blob, const ParseOptions& parse, std::string* errors);
  uint64_t NextHlc();
  ParseOptions PushOptions() const;  // with the pool's capacity now
  struct Valid {
    std::string text;
    PolicyDocument document;
  };
  // Opens and parses a document; with `version`, also checks that a signed
  // one carries it. Errors one per line ("LINE:COLUMN: <element>: ...").
  Result<Valid> Validate(const std::string& blob, const ParseOptions& parse, const PolicyVersion* version) const;

  Options options_;
  gossip::Gossiper& gossiper_;
  gossip::PeerStreams& streams_;
  Random& random_;
  std::function<uint64_t()> wall_ms_;
  Activated listener_;

  PolicyAnnouncement active_;
  std::string announcement_;  // active_, encoded for the channel
  std::string active_text_;
  std::string active_blob_;  // what is served to fetchers and stored
  std::optional<PolicyDocument> active_doc_;
  uint64_t last_hlc_ = 0;
  uint32_t last_revision_ = 0;  // the highest revision seen
  // The best version announced by others, and who announces it.
  std::optional<PolicyAnnouncement> wanted_;
  std::vector<NodeId> holders_;
  // The fetch under way: calls by number, to whom (at most kMaxAsking, see
  // Options::hedge_after), of which version, the last asked when.
  static constexpr size_t kMaxAsking = 3;
  struct Asking {
    uint64_t call;
    NodeId holder;
  };
  std::vector<Asking> asking_;
  PolicyVersion asking_for_;
  TimePoint asked_at_;
  uint64_t next_call_ = 1;
  std::set<NodeId> failed_;  // holders whose fetch of asking_for_ failed
  TimePoint retry_at_ = TimePoint::min();
  DistributionCounters counters_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace shoal::policy
