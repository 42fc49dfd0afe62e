#include "policy/distribution.h"

#include <sodium.h>

#include <algorithm>
#include <cstdio>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/big_endian.h"

namespace shoal::policy {
namespace {

std::string EncodeVersion(const PolicyVersion& v) {
  std::string out;
  AppendBigEndian(out, v.hlc, 8);
  AppendBigEndian(out, v.origin.value, 8);
  return out;
}

std::optional<PolicyVersion> DecodeVersion(std::string_view in) {
  if (in.size() != 16) return std::nullopt;
  return PolicyVersion{GetBigEndian(in, 0, 8), NodeId{GetBigEndian(in, 8, 8)}};
}

}  // namespace

std::string PolicyVersion::ToString() const {
  return fmt::format("{}.{}@{}", hlc >> 16, hlc & 0xffff, origin.ToString());
}

std::optional<PolicyVersion> PolicyVersion::Parse(const std::string& text) {
  unsigned long long ms = 0, counter = 0, id = 0;
  int used = 0;
  if (std::sscanf(text.c_str(), "%llu.%llu@%16llx%n", &ms, &counter, &id, &used) != 3 ||
      static_cast<size_t>(used) != text.size() || counter > 0xffff || ms >= (1ull << 48)) {
    return std::nullopt;
  }
  return PolicyVersion{(ms << 16) | counter, NodeId{id}};
}

Digest DigestOf(std::string_view text) {
  Digest d;
  crypto_generichash(d.data(), d.size(), reinterpret_cast<const uint8_t*>(text.data()), text.size(), nullptr, 0);
  return d;
}

// version (16 bytes), digest (32), size (4), revision (4; absent in
// announcements from daemons older than revisions).
std::string EncodeAnnouncement(const PolicyAnnouncement& a) {
  std::string out = EncodeVersion(a.version);
  out.append(reinterpret_cast<const char*>(a.digest.data()), a.digest.size());
  AppendBigEndian(out, a.size, 4);
  AppendBigEndian(out, a.version.revision, 4);
  return out;
}

std::optional<PolicyAnnouncement> DecodeAnnouncement(std::string_view in) {
  if (in.size() != 16 + 32 + 4 && in.size() != 16 + 32 + 4 + 4) return std::nullopt;
  PolicyAnnouncement a;
  a.version = *DecodeVersion(in.substr(0, 16));
  std::copy(in.begin() + 16, in.begin() + 48, reinterpret_cast<char*>(a.digest.data()));
  a.size = static_cast<uint32_t>(GetBigEndian(in, 48, 4));
  if (in.size() > 52) a.version.revision = static_cast<uint32_t>(GetBigEndian(in, 52, 4));
  if (a.version.empty()) return std::nullopt;
  return a;
}

PolicyDistributor::PolicyDistributor(Options options, gossip::Gossiper& gossiper, gossip::PeerStreams& streams,
                                     Random& random, std::function<uint64_t()> wall_ms)
    : options_(std::move(options)),
      gossiper_(gossiper),
      streams_(streams),
      random_(random),
      wall_ms_(std::move(wall_ms)) {}

PolicyDistributor::~PolicyDistributor() {
  *alive_ = false;
  streams_.Serve(gossip::StreamService::kPolicyFetch,
                 [](const gossip::StreamPeer&, std::string, gossip::PeerStreams::Respond respond) {
                   respond(MakeError("no policy service here"));
                 });
}

Status PolicyDistributor::Register() {
  // Asked every tick: a version activated here is announced at the next
  // tick, not a period later (the payload changes only on activation, when
  // it is encoded).
  auto s = gossiper_.RegisterChannel(
      gossip::ChannelSpec{kChannel, "policy", gossiper_.config().period, 64, gossip::kNoFlags},
      [this]() -> std::optional<std::string> {
        if (active_.version.empty()) return std::nullopt;
        return announcement_;
      },
      [this](const gossip::ChannelView& view) { OnView(view); });
  if (!s.ok()) return s;
  gossiper_.AddMemberListener([this, alive = alive_](const gossip::MemberEvent& e) {
    if (*alive) OnMember(e);
  });
  streams_.Serve(gossip::StreamService::kPolicyFetch,
                 [this, alive = alive_](const gossip::StreamPeer&, std::string request,
                                        gossip::PeerStreams::Respond respond) {
                   if (!*alive) return respond(MakeError("shutting down"));
                   auto wanted = DecodeVersion(request);
                   if (!wanted) return respond(MakeError("malformed policy version request"));
                   if (*wanted != active_.version) {
                     return respond(MakeError("policy {} is not held here (running {})", wanted->ToString(),
                                              active_.version.empty() ? "none" : active_.version.ToString()));
                   }
                   ++counters_.served;
                   respond(active_blob_);
                 });
  return Status::Ok();
}

uint64_t PolicyDistributor::NextHlc() {
  last_hlc_ = std::max(last_hlc_ + 1, wall_ms_() << 16);
  return last_hlc_;
}

Result<OpenedPolicy> PolicyDistributor::Open(const std::string& blob) const {
  if (!options_.open) return OpenedPolicy{blob, std::nullopt};
  return options_.open(blob);
}

Result<PolicyDistributor::Valid> PolicyDistributor::Validate(const std::string& blob, const ParseOptions& parse,
                                                              const PolicyVersion* version) const {
  auto opened = Open(blob);
  if (!opened.ok()) return opened.error();
  if (version && opened->issued_ms && version->time_ms() != *opened->issued_ms) {
    return MakeError("version {} does not carry the document's signed issue time {}", version->ToString(),
                     *opened->issued_ms);
  }
  ParsedPolicy parsed = ParsePolicy(opened->text, parse);
  if (parsed.ok()) return Valid{std::move(opened->text), std::move(parsed.document)};
  std::string errors;
  for (const auto& e : parsed.errors) errors += (errors.empty() ? "" : "\n") + FormatPolicyError(e, "policy");
  return Error{errors};
}

bool PolicyDistributor::Activate(const PolicyVersion& version, std::string blob, const ParseOptions& parse,
                                 std::string* errors) {
  auto valid = Validate(blob, parse, &version);
  if (!valid.ok()) {
    if (errors != nullptr) *errors = valid.error().message;
    return false;
  }
  active_ = PolicyAnnouncement{version, DigestOf(blob), static_cast<uint32_t>(blob.size())};
  announcement_ = EncodeAnnouncement(active_);
  active_text_ = std::move(valid->text);
  active_blob_ = std::move(blob);
  active_doc_ = std::move(valid->document);
  last_hlc_ = std::max(last_hlc_, version.hlc);
  last_revision_ = std::max(last_revision_, version.revision);
  ++counters_.activations;
  if (listener_) listener_(active_.version, *active_doc_, active_blob_);
  return true;
}

Result<PolicyVersion> PolicyDistributor::Push(std::string blob) {
  ++counters_.pushes;
  auto opened = Open(blob);
  if (!opened.ok()) {
    ++counters_.refused_pushes;
    return opened.error();
  }
  PolicyVersion version{0, gossiper_.identity().id, last_revision_ + 1};
  if (opened->issued_ms) {
    // A signed document's version carries its issue time (see Options::open),
    // above every version seen.
    const auto issued = static_cast<uint64_t>(*opened->issued_ms);
    version.hlc = std::max(issued << 16, last_hlc_ + 1);
    if (version.hlc >> 16 != issued) {
      ++counters_.refused_pushes;
      return MakeError("the signed policy was issued at {} ms, before a policy this node has seen ({}): a "
                       "replay, or the signing machine's clock is behind",
                       issued, last_hlc_ >> 16);
    }
  } else {
    version.hlc = NextHlc();
  }
  std::string errors;
  if (!Activate(version, std::move(blob), PushOptions(), &errors)) {
    ++counters_.refused_pushes;
    return Error{errors};
  }
  return version;
}

ParseOptions PolicyDistributor::PushOptions() const {
  ParseOptions parse = options_.parse;
  if (options_.pool_millicores) parse.pool_millicores = options_.pool_millicores();
  return parse;
}

Result<PolicyDocument> PolicyDistributor::Check(const std::string& blob) const {
  auto valid = Validate(blob, PushOptions(), nullptr);
  if (!valid.ok()) return valid.error();
  return std::move(valid->document);
}

Status PolicyDistributor::Restore(const PolicyVersion& version, std::string blob) {
  if (version.empty()) return MakeError("stored policy has no version");
  std::string errors;
  if (!Activate(version, std::move(blob), options_.parse, &errors)) {
    return MakeError("stored policy {} does not validate:\n{}", version.ToString(), errors);
  }
  return Status::Ok();
}

std::map<NodeId, PolicyVersion> PolicyDistributor::Versions() const {
  std::map<NodeId, PolicyVersion> out;
  const auto view = gossiper_.View(kChannel);
  for (const auto m : gossiper_.membership().live_peers()) {
    PolicyVersion v;  // empty: it announces none yet
    if (const gossip::StoredEntry* e = view.Find(m.id)) {
      if (auto a = DecodeAnnouncement(e->payload)) v = a->version;
    }
    out[m.id] = v;
  }
  out[gossiper_.identity().id] = active_.version;
  return out;
}

void PolicyDistributor::OnView(const gossip::ChannelView& view) {
  std::optional<PolicyAnnouncement> best;
  std::vector<NodeId> holders;
  const NodeId self = gossiper_.identity().id;
  view.ForEach([&](NodeId origin, const gossip::StoredEntry& e) {
    if (origin == self) return;
    auto a = DecodeAnnouncement(e.payload);
    if (!a) return;
    last_hlc_ = std::max(last_hlc_, a->version.hlc);  // stamps stay above anything seen
    last_revision_ = std::max(last_revision_, a->version.revision);
    const gossip::Member* m = gossiper_.membership().Find(origin);
    if (m == nullptr || !m->endpoint.valid()) return;
    if (!best || a->version > best->version) {
      best = a;
      holders.clear();
    }
    if (a->version == best->version) holders.push_back(origin);
  });
  if (best && best->version > active_.version) {
    wanted_ = best;
    holders_ = std::move(holders);
    MaybeFetch();
  }
}

void PolicyDistributor::Tick() { MaybeFetch(); }

void PolicyDistributor::OnMember(const gossip::MemberEvent& e) {
  using Kind = gossip::MemberEvent::Kind;
  if (e.kind != Kind::kSuspected && e.kind != Kind::kFailed && e.kind != Kind::kLeft && e.kind != Kind::kReaped) {
    return;
  }
  const auto gone = std::erase_if(asking_, [&](const Asking& a) { return a.holder == e.id; });
  if (gone == 0) return;
  counters_.fetch_abandoned += gone;
  failed_.insert(e.id);
  spdlog::info("policy {}: holder {} at {} is {}; asking another", asking_for_.ToString(), e.id.ToString(),
               e.endpoint.ToString(), gossip::ToString(e.kind));
  MaybeFetch();
}

void PolicyDistributor::MaybeFetch() {
  if (!wanted_ || wanted_->version <= active_.version) {
    asking_.clear();
    return;
  }
  if (wanted_->version != asking_for_) {  // a newer version: calls for the old one are moot
    asking_.clear();
    failed_.clear();
    asking_for_ = wanted_->version;
  }
  const TimePoint now = gossiper_.Now();
  const bool wait = asking_.empty() ? now < retry_at_  // after a failure
                                    : asking_.size() >= kMaxAsking || now - asked_at_ < options_.hedge_after;
  if (wait) return;
  if (auto holder = PickHolder()) {
    if (!asking_.empty()) ++counters_.fetch_hedges;
    Ask(*holder, now);
  }
}

std::optional<NodeId> PolicyDistributor::PickHolder() {
  std::vector<NodeId> best;
  int best_rank = 4;
  for (NodeId id : holders_) {
    if (std::any_of(asking_.begin(), asking_.end(), [&](const Asking& a) { return a.holder == id; })) continue;
    const gossip::Member* m = gossiper_.membership().Find(id);
    if (m == nullptr || !m->endpoint.valid() || m->state == gossip::MemberState::kFailed ||
        m->state == gossip::MemberState::kLeft) {
      continue;
    }
    const int rank = (m->state == gossip::MemberState::kAlive ? 0 : 1) + (failed_.contains(id) ? 2 : 0);
    if (rank < best_rank) {
      best.clear();
      best_rank = rank;
    }
    if (rank == best_rank) best.push_back(id);
  }
  if (best.empty()) return std::nullopt;
  // Of those, one this node already has a connection to, if any: a new
  // one costs a handshake's round trip on every hop of the spread.
  std::vector<NodeId> connected;
  for (NodeId id : best) {
    if (streams_.Connected(gossiper_.membership().Find(id)->endpoint)) connected.push_back(id);
  }
  if (!connected.empty()) best = std::move(connected);
  return best[random_.Below(best.size())];
}

void PolicyDistributor::Ask(NodeId holder, TimePoint now) {
  const uint64_t call = next_call_++;
  asking_.push_back(Asking{call, holder});
  asked_at_ = now;
  ++counters_.fetches;
  const PolicyAnnouncement wanted = *wanted_;
  streams_.Call(gossiper_.membership().Find(holder)->endpoint, gossip::StreamService::kPolicyFetch,
                EncodeVersion(wanted.version), options_.fetch_timeout,
                [this, alive = alive_, holder, call, wanted](Result<std::string> r) {
                  if (*alive) OnFetched(holder, call, wanted, std::move(r));
                });
}

bool PolicyDistributor::Forget(uint64_t call) {
  return std::erase_if(asking_, [&](const Asking& a) { return a.call == call; }) > 0;
}

void PolicyDistributor::OnFetched(NodeId holder, uint64_t call, const PolicyAnnouncement& wanted,
                                  Result<std::string> r) {
  const bool current = Forget(call);
  const bool matches = r.ok() && DigestOf(*r) == wanted.digest && r->size() == wanted.size;
  if (!matches) {
    if (!current) return;  // abandoned or moot already
    ++(r.ok() ? counters_.digest_mismatches : counters_.fetch_failures);
    failed_.insert(holder);
    spdlog::info("policy {}: fetch from {} failed: {}", wanted.version.ToString(), holder.ToString(),
                 r.ok() ? "the document does not match its announced digest" : r.error().message);
    if (asking_.empty()) retry_at_ = gossiper_.Now() + options_.retry_after;
    return;
  }
  // A good answer, even to a call given up on, is used while it is news.
  if (wanted.version > active_.version && !Activate(wanted.version, std::move(*r), options_.parse, nullptr)) {
    // Valid where it was pushed, not here (another Shoal version?): do not
    // fetch it again; wait for a newer one.
    ++counters_.invalid_documents;
    if (wanted_ && wanted_->version == wanted.version) wanted_.reset();
  }
  MaybeFetch();  // the other call is moot now; a newer version may have been announced meanwhile
}

}  // namespace shoal::policy
