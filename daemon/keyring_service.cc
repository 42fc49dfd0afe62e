#include "daemon/keyring_service.h"

#include <algorithm>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "daemon/control/keyring_action.h"
#include "daemon/key_file.h"
#include "gossip/fan_out.h"

namespace shoal::daemon {
namespace {

std::string Id(uint32_t id) { return fmt::format("{:08x}", id); }

bool Contains(const google::protobuf::RepeatedField<uint32_t>& ids, uint32_t id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

std::optional<gossip::Key> KeyOf(const std::string& bytes) {
  gossip::Key key;
  if (bytes.size() != key.size()) return std::nullopt;
  std::copy(bytes.begin(), bytes.end(), key.begin());
  return key;
}

std::string Join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

}  // namespace

std::optional<std::string> UnsafeKeyringChange(const control::KeyringChange& change,
                                               const control::KeyringAnswer& list) {
  std::vector<std::string> lacking, silent, primary, retiring;
  for (const auto& n : list.nodes()) {
    if (!n.error().empty()) silent.push_back(n.node());
    else if (!Contains(n.key_ids(), change.key_id())) lacking.push_back(n.node());
    else if (n.primary() == change.key_id()) primary.push_back(n.node());
    else if (Contains(n.retiring(), change.key_id())) retiring.push_back(n.node());
  }
  if (change.action() == "use" && !lacking.empty()) {
    return fmt::format("key {} is not held by {}: install it on every node first (shoalctl keyring install FILE)",
                       Id(change.key_id()), Join(lacking));
  }
  if (change.action() == "use" && !silent.empty()) {
    return fmt::format("{} did not answer: a node that misses the switch could no longer read the pool; try again "
                       "when every live node answers",
                       Join(silent));
  }
  if (change.action() == "remove" && !primary.empty()) {
    return fmt::format("key {} is the primary on {}: make another key the primary first (shoalctl keyring use ID)",
                       Id(change.key_id()), Join(primary));
  }
  if (change.action() == "remove" && !retiring.empty()) {
    return fmt::format("key {} was the primary on {} moments ago, and datagrams sealed with it may still be on "
                       "their way: try again in a few seconds",
                       Id(change.key_id()), Join(retiring));
  }
  return std::nullopt;
}

KeyringService::KeyringService(Context context) : c_(std::move(context)) {
  c_.streams.Serve(gossip::StreamService::kKeyring,
                   [this](const gossip::StreamPeer&, std::string request, gossip::PeerStreams::Respond respond) {
                     control::KeyringChange change;
                     if (!change.ParseFromString(request)) return respond(MakeError("a keyring change that does not parse"));
                     respond(Apply(change).SerializeAsString());
                   });
}

KeyringService::~KeyringService() {
  *alive_ = false;
  c_.streams.Serve(gossip::StreamService::kKeyring,
                   [](const gossip::StreamPeer&, std::string, gossip::PeerStreams::Respond respond) {
                     respond(MakeError("keyring changes are not served here"));
                   });
}

control::KeyringNode KeyringService::Describe() const {
  control::KeyringNode n;
  n.set_node(c_.name_of(c_.gossiper.identity().id));
  for (uint32_t id : c_.ring.ids()) n.add_key_ids(id);
  n.set_primary(c_.ring.primary_id());
  for (const auto& [id, when] : retired_) {
    if (c_.gossiper.Now() - when < kRetireGrace && c_.ring.Find(id)) n.add_retiring(id);
  }
  return n;
}

Status KeyringService::Change(const control::KeyringChange& change) {
  const std::string& a = change.action();
  if (a != "install" && a != "use" && a != "remove") return MakeError("unknown keyring action '{}'", a);
  const std::optional<gossip::Key> key = KeyOf(change.key());
  if (a == "install" && (!key || gossip::Keyring::IdOf(*key) != change.key_id())) {
    return MakeError("the key to install is not 32 bytes with the id given");
  }
  if (c_.admin) {
    auto signed_text = c_.admin->TakeOnce(change.signed_action(), "keyring");
    if (!signed_text.ok()) return MakeError("not taken: {}", signed_text.error().message);
    if (*signed_text != control::KeyringActionText(change)) return MakeError("the admin's signature is for another change");
  }
  const gossip::Keyring before = c_.ring;
  Status s = Status::Ok();
  if (a == "install") {
    c_.ring.Add(*key);
  } else if (a == "use") {
    const uint32_t was = c_.ring.primary_id();
    s = c_.ring.MakePrimary(change.key_id());
    if (s.ok() && was != change.key_id()) retired_[was] = c_.gossiper.Now();
  } else if (auto r = retired_.find(change.key_id());
             r != retired_.end() && c_.gossiper.Now() - r->second < kRetireGrace) {
    s = MakeError("key {:08x} was the primary here moments ago; try again in a few seconds", change.key_id());
  } else {
    s = c_.ring.Remove(change.key_id());
    retired_.erase(change.key_id());
  }
  if (s.ok()) s = WriteKeyFile(c_.key_file, c_.ring);
  if (!s.ok()) {
    c_.ring = before;  // the file and the ring stay alike
    return s;
  }
  const std::string text = fmt::format("keyring {} {}: {} key(s), primary {}", a, Id(change.key_id()),
                                       c_.ring.ids().size(), Id(c_.ring.primary_id()));
  spdlog::info("{} ({} rewritten)", text, c_.key_file);
  if (c_.changed) c_.changed(text);
  return Status::Ok();
}

control::KeyringNode KeyringService::Apply(const control::KeyringChange& change) {
  if (change.action() != "list") {
    if (auto s = Change(change); !s.ok()) {
      control::KeyringNode n = Describe();
      n.set_error(s.error().message);
      return n;
    }
  }
  return Describe();
}

void KeyringService::AskPool(const control::KeyringChange& change, Duration timeout, Done done) {
  const NodeId self = c_.gossiper.identity().id;
  std::vector<std::pair<gossip::FanOutMember, control::KeyringChange>> calls{{{self, Endpoint{}}, change}};
  for (const auto m : c_.gossiper.membership().live_peers()) calls.push_back({{m.id, m->endpoint}, change});
  auto answer = std::make_shared<control::KeyringAnswer>();
  answer->set_answered_by(c_.name_of(self));
  answer->set_action(change.action());
  auto each = [this, alive = alive_, answer](NodeId node, Result<control::KeyringNode> part) {
    if (part.ok()) {
      *answer->add_nodes() = std::move(*part);
      return;
    }
    auto* n = answer->add_nodes();
    n->set_node(*alive ? c_.name_of(node) : node.ToString());
    n->set_error(part.error().message);
  };
  auto after = [answer, done = std::move(done)] {
    auto& nodes = *answer->mutable_nodes();
    std::sort(nodes.begin(), nodes.end(), [](const auto& x, const auto& y) { return x.node() < y.node(); });
    done(std::move(*answer));
  };
  gossip::FanOutCalls<control::KeyringChange, control::KeyringNode>{
      std::move(calls), [this](const control::KeyringChange& r) { return Result<control::KeyringNode>(Apply(r)); },
      std::move(each), std::move(after)}
      .Start(c_.streams, self, gossip::StreamService::kKeyring, timeout);
}

void KeyringService::Run(const control::KeyringChange& change, Duration timeout, Done done) {
  if (change.action() != "use" && change.action() != "remove") return AskPool(change, timeout, std::move(done));
  control::KeyringChange list;
  list.set_action("list");
  AskPool(list, timeout, [this, alive = alive_, change, timeout, done = std::move(done)](Result<control::KeyringAnswer> keys) {
    if (!*alive) return done(MakeError("shutting down"));
    if (!keys.ok()) return done(keys.error());
    if (auto why = UnsafeKeyringChange(change, *keys)) return done(MakeError("{}", *why));
    AskPool(change, timeout, done);
  });
}

}  // namespace shoal::daemon
