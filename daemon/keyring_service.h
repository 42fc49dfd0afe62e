// Pool-wide rotation of the gossip keys (shoalctl keyring list | install |
// use | remove), as serf's keys command does it: the node asked carries a
// change to every live node over a peer stream (StreamService::kKeyring,
// sealed under the pool key); each node checks the admin's signature when
// it has admin keys, changes its keyring and rewrites its key file, so a
// restart keeps the change (daemon/key_file.h).
//
// Safety, checked by the node asked from every live node's answer before
// anything changes: `use` makes a key the primary (the one new packets are
// sealed with) only when every live node holds it, or the nodes without it
// could no longer read the pool; `remove` never takes a node's primary,
// nor a key that was one less than kRetireGrace ago (datagrams sealed with
// it may still wait in a receiver's socket buffer).
// Nodes down during a change keep their old file: give them the new key
// (a current key file) before removing the old one. Use from the
// io_context's thread.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "core/clock.h"
#include "gossip/admin_auth.h"
#include "gossip/gossiper.h"
#include "gossip/peer_streams.h"
#include "gossip/seal.h"
#include "keyring.pb.h"

namespace shoal::daemon {

class KeyringService {
 public:
  static constexpr Duration kRetireGrace = std::chrono::seconds(2);

  struct Context {
    gossip::Keyring& ring;
    std::string key_file;
    gossip::Gossiper& gossiper;
    gossip::PeerStreams& streams;
    gossip::AdminVerifier* admin = nullptr;  // none: no admin keys, changes taken unsigned
    std::function<std::string(NodeId)> name_of;
    std::function<void(const std::string& text)> changed;  // after a change here (for an event)
  };
  // References must outlive this object. Serves kKeyring.
  explicit KeyringService(Context context);
  ~KeyringService();
  KeyringService(const KeyringService&) = delete;
  KeyringService& operator=(const KeyringService&) = delete;

  using Done = std::function<void(Result<control::KeyringAnswer>)>;
  // Lists every live node's keys, or checks `change` against them and then
  // applies it everywhere; each node asked answers within `timeout`.
  void Run(const control::KeyringChange& change, Duration timeout, Done done);
  // Applies `change` on this node (a list changes nothing).
  control::KeyringNode Apply(const control::KeyringChange& change);

 private:
  void AskPool(const control::KeyringChange& change, Duration timeout, Done done);
  Status Change(const control::KeyringChange& change);
  control::KeyringNode Describe() const;

  Context c_;
  std::map<uint32_t, TimePoint> retired_;  // key -> when it stopped being the primary here
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

// Why `change` must not go ahead, given every live node's keys (`list`);
// nullopt when it may.
std::optional<std::string> UnsafeKeyringChange(const control::KeyringChange& change,
                                               const control::KeyringAnswer& list);

}  // namespace shoal::daemon
