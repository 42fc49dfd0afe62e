#include "gossip/identity_check.h"

#include <memory>

#include "core/big_endian.h"
#include "identity.pb.h"

namespace shoal::gossip {

struct IdentityCheck::Asking {
  std::vector<Endpoint> seeds;
  Endpoint self;
  Duration timeout, look_again;
  std::function<void(Duration, std::function<void()>)> after;
  Done done;
  bool looked_again = false;
};

IdentityCheck::IdentityCheck(Gossiper& gossiper, PeerStreams& streams, Clock& clock)
    : gossiper_(gossiper), streams_(streams), clock_(clock) {
  streams_.Serve(StreamService::kIdentity, [this](const StreamPeer&, std::string request, PeerStreams::Respond r) {
    if (request.size() != 8) return r(MakeError("an identity question is a node id of 8 bytes"));
    r(Answer(NodeId{GetBigEndian(reinterpret_cast<const uint8_t*>(request.data()), 8)}));
  });
}

std::string IdentityCheck::Answer(NodeId id) const {
  wire::IdentityAnswer a;
  const NodeIdentity& me = gossiper_.identity();
  if (id == me.id) {
    a.set_live(true);
    a.set_ip(me.advertise.ip);
    a.set_port(me.advertise.port);
  } else if (const Member* m = gossiper_.membership().Find(id); m != nullptr && m->endpoint.valid()) {
    a.set_live(gossiper_.membership().IsLive(id));
    a.set_ip(m->endpoint.ip);
    a.set_port(m->endpoint.port);
    a.set_age_ms(Membership::DigestAgeMs(*m, clock_.Now()));
    a.set_incarnation(m->incarnation);
  }
  return a.SerializeAsString();
}

void IdentityCheck::Ask(const std::vector<Endpoint>& seeds, const Endpoint& self, Duration timeout, Duration look_again,
                        std::function<void(Duration, std::function<void()>)> after, Done done) {
  auto a = std::make_shared<Asking>(Asking{seeds, self, timeout, look_again, std::move(after), std::move(done)});
  AskSeed(std::move(a), 0);
}

void IdentityCheck::AskSeed(std::shared_ptr<Asking> a, size_t seed) {
  if (seed >= a->seeds.size()) return a->done(std::nullopt);  // nobody answered
  std::string question;
  AppendBigEndian(question, gossiper_.identity().id.value, 8);
  const Endpoint to = a->seeds[seed];
  streams_.Call(to, StreamService::kIdentity, std::move(question), a->timeout, [this, a, seed, to](Result<std::string> r) {
    wire::IdentityAnswer answer;
    if (!r.ok() || !answer.ParseFromString(*r)) return AskSeed(a, seed + 1);
    const Endpoint at{answer.ip(), static_cast<uint16_t>(answer.port())};
    if (!answer.live() || at == a->self) return a->done(std::nullopt);
    const auto look_ms = std::chrono::duration_cast<std::chrono::milliseconds>(a->look_again).count();
    if (a->looked_again) {
      // Fresh news since the first look: something really lives there.
      if (answer.age_ms() < look_ms) return a->done(IdentityConflict{to, at, answer.age_ms()});
      return a->done(std::nullopt);
    }
    a->looked_again = true;
    a->after(a->look_again, [this, a, seed] { AskSeed(a, seed); });
  });
}

}  // namespace shoal::gossip
