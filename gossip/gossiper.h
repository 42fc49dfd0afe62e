// The information exchange of one node: channels, entries with TTL and
// backoff, packet building with round-robin fairness and random-subset
// fan-out, sealing, replay protection and membership. A plain state machine:
// the owner calls Tick() once per period and the transport delivers
// datagrams into OnDatagram(); time, randomness and the network come from
// outside, so the same code runs in shoald and in the simulator.
// Not thread-safe: all calls (and the transport's receiver) on one thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <unordered_map>
#include <vector>

#include "core/clock.h"
#include "core/log_limit.h"
#include "core/endpoint.h"
#include "core/node_id.h"
#include "core/random.h"
#include "core/result.h"
#include "gossip/catch_up.h"
#include "gossip/channel.h"
#include "gossip/config.h"
#include "gossip/counters.h"
#include "gossip/entry_table.h"
#include "gossip/membership.h"
#include "gossip/packet.h"
#include "gossip/payload.h"
#include "gossip/peer_index.h"
#include "gossip/prober.h"
#include "gossip/replay_guard.h"
#include "gossip/seal.h"
#include "gossip/transport.h"

namespace shoal::gossip {

struct NodeIdentity {
  NodeId id;
  // Fresh per process start and increasing across restarts (shoald uses the
  // wall clock): it seeds entry versions and replay protection.
  uint64_t boot = 1;
  // Where peers reach this node; announced in its heartbeats.
  Endpoint advertise;
  // What the node runs ("0.1.0 (COMMIT)"), announced in its heartbeats
  // (at most kMaxBuildBytes; empty: not said).
  std::string build = {};
};

// Tables several Gossipers in one process may share: the simulator's
// thousands of nodes then keep one id-to-slot index and one copy of each
// payload version between them. A null one is the Gossiper's own (index)
// or none (payloads); shoald shares nothing.
struct SharedTables {
  PeerIndex* index = nullptr;       // max_ids at least config.max_nodes
  PayloadCache* payloads = nullptr;
};

class Gossiper {
 public:
  // Called for every entry stored as new, own ones included (the simulator
  // and shoald's pool probe measure dissemination with it). It may read
  // views; it must not call anything else of the Gossiper.
  using EntryObserver = std::function<void(uint32_t channel, NodeId origin, uint64_t version)>;

  // REQUIRES: config.Validate() is ok; keyring not empty; all references
  // outlive the Gossiper, and so do the shared tables. Installs itself as
  // the transport's receiver.
  Gossiper(const GossipConfig& config, const NodeIdentity& identity, Clock& clock, Random& random,
           Transport& transport, const Keyring& keyring, SharedTables shared = {});
  ~Gossiper();
  Gossiper(const Gossiper&) = delete;
  Gossiper& operator=(const Gossiper&) = delete;

  // Fails for a code in use or reserved, or a payload bound over the maximum.
  Status RegisterChannel(const ChannelSpec& spec, Publisher publisher, ViewSubscriber subscriber);

  // Peers to contact while no live peer is known (and now and then after).
  void SetSeeds(std::vector<Endpoint> seeds) { seeds_ = std::move(seeds); }
  // Every listener added hears every membership change, in the order added.
  void AddMemberListener(Membership::Listener l) { member_listeners_.push_back(std::move(l)); }
  // Another process speaks as this node: a packet sealed by this node's id
  // with another boot (from = its address), or an entry of this node's
  // newer than this node's own, from a newer boot or from this boot (the
  // other outbid us; from = invalid: it was forwarded). Two daemons started
  // with one name cut each other off; the owner decides who gives way.
  struct NameConflict {
    uint64_t boot = 0;
    Endpoint from;
  };
  void SetNameConflictListener(std::function<void(const NameConflict&)> l) { conflict_listener_ = std::move(l); }
  void SetEntryObserver(EntryObserver o) { observer_ = std::move(o); }

  // One period of work: publish due channels, run the failure detector,
  // notify subscribers, build and send one packet.
  void Tick();
  // The first part of Tick(), for a node whose own components tick between
  // the two: the subscribers of channels with news (due, or kPromptView)
  // see what this period's datagrams brought, so the components work from
  // it and what they publish leaves in this period's packet, not the next.
  void DeliverViews();
  // Announce a graceful leave; keep calling Tick for a few periods so it
  // spreads.
  void Leave();
  // A datagram from the transport.
  // `waited`: how long it waited at this node before being read.
  void OnDatagram(const Endpoint& from, std::span<const uint8_t> datagram,
                  Duration waited = Duration::zero());

  // Takes `peer`'s own current entries, on the channels both have, as a
  // full-state answer from it would bring them (stored, not forwarded),
  // and counts it as a sign of life. For simulations that start a pool
  // already formed; the network is not involved.
  void Adopt(const Gossiper& peer);

  // Has the channel's publisher asked at this tick (or the next) instead
  // of at its period: the caller has new figures. From then on the caller
  // leads: the channel publishes by itself only a period and a half after
  // the last publication, so a caller that asks once a period sets the
  // phase and the channel adds no publication of its own (nor a call of
  // its subscriber, but with kPromptView). No effect on unknown codes.
  void PublishNow(uint32_t code);

  ChannelView View(uint32_t code) const;  // REQUIRES: code registered
  const Membership& membership() const { return membership_; }
  const Counters& counters() const { return counters_; }
  // The protocol version this node's packets go out in now.
  uint32_t wire_version() const { return wire_version_; }
  const NodeIdentity& identity() const { return identity_; }
  const GossipConfig& config() const { return config_; }
  // The clock the exchange runs on, for components built on it.
  TimePoint Now() const { return clock_.Now(); }
  // Version of this node's own entry on a channel (0: none yet).
  uint64_t OwnVersion(uint32_t code) const;
  // Codes of the registered channels that carry `flag` (e.g. kSnapshot), ascending.
  std::vector<uint32_t> ChannelsWith(uint32_t flag) const;

 private:
  struct Channel {
    Channel(const GossipConfig& c, PeerIndex& index, VersionSums& sums) : table(index, c.max_ttl, c.sends, &sums) {}
    ChannelSpec spec;
    Publisher publisher;
    ViewSubscriber subscriber;
    EntryTable table;
    TimePoint next_due;
    bool phased = false;   // the second publication came at a random phase of the period
    bool changed = false;  // since the subscriber was last called
    bool led = false;      // publications asked by PublishNow
  };

  Channel* FindChannel(uint32_t code);
  // Asks the channel's publisher and stores a changed payload as this node's entry.
  void Publish(Channel& ch, TimePoint now);
  // Hands a channel with news to its subscriber when its view is due (or
  // the channel asks for prompt views).
  void Notify(Channel& ch, bool due);
  void PublishHeartbeat(TimePoint now);
  void StoreEntry(Channel& ch, WireEntry&& e, TimePoint now);
  void NoteNameConflict(uint64_t boot, const Endpoint& from);
  // Appends `e` unless it is there already (target lists are a few entries).
  static void AddOnce(std::vector<Endpoint>& list, const Endpoint& e);
  // Fills one packet from the hot entries, round-robin over channels.
  Packet BuildPacket();
  void SendSealed(const Packet& packet, std::span<const Endpoint> targets);
  std::vector<Endpoint> PickTargets(TimePoint now);
  void AnswerSync(const Endpoint& to);
  // Sum of the low 32 bits of the versions held of origin's entries, plus
  // one per entry, modulo 2^32.
  uint32_t VersionSum(NodeId origin) const;
  // Sends the entries that digests showed a peer to be missing.
  void SendRepairs();
  // Whether digests carry catch-up items: the pool is too large for the
  // window to list every node within kCatchUpCycle periods.
  bool CatchUpActive() const;
  static constexpr size_t kCatchUpCycle = 25;
  // Sends this tick's probes: the suspects (a round every
  // suspect_probe_interval) and the peers the Prober is probing; accuses
  // the peers that did not answer the Prober in time.
  void SendProbes(TimePoint now);
  // Republishes the heartbeat if this node was accused (taking a newer
  // incarnation refutes it) or its own accusations changed.
  void UpdateHeartbeat(TimePoint now);
  uint64_t VersionFloor() const { return identity_.boot << 32; }
  // The protocol this node's packets are in: the highest it speaks that
  // every live member speaks too (members of a newer build step down to
  // an older one's; one that speaks nothing this node does gets this
  // node's oldest, and drops them).
  uint32_t WireVersion() const;

  GossipConfig config_;
  NodeIdentity identity_;
  Clock& clock_;
  Random& random_;
  Transport& transport_;
  const Keyring& keyring_;
  // Before every table that holds slots of it.
  std::unique_ptr<PeerIndex> own_index_;
  PeerIndex& index_;
  PayloadCache* payloads_;

  VersionSums version_sums_;  // of every channel's table
  std::vector<std::unique_ptr<Channel>> channels_;  // sorted by code
  std::unordered_map<uint32_t, Channel*> by_code_;
  size_t round_robin_ = 0;

  Membership membership_;
  ReplayGuard replay_;
  CatchUp catch_up_;
  Counters counters_;
  EntryObserver observer_;
  std::vector<Membership::Listener> member_listeners_;
  std::function<void(const NameConflict&)> conflict_listener_;
  LogLimit refused_log_;
  std::vector<Endpoint> seeds_;

  uint64_t sequence_ = 0;
  uint32_t wire_version_ = kMinProtocolVersion;  // until the members are known (WireVersion)
  // boot << 32 plus the refutations made since the boot: it grows with each
  // refutation and across restarts.
  uint64_t incarnation_;
  std::vector<Accusation> accusations_published_;  // in the heartbeat now
  Prober prober_;
  // Whether the Prober draws new peers (Membership::AccusationsFaster),
  // set with the spread at each membership tick: it changes with the pool.
  bool probe_draws_ = false;
  bool leaving_ = false;
  bool heartbeat_published_ = false;
  bool synced_ = false;  // a full-state answer arrived
  // Requests for a full state, one node at a time, every half sync_cooldown.
  // A pool's first node has nobody to answer it, so it stops asking after
  // kMaxSyncAsks.
  static constexpr int kMaxSyncAsks = 10;
  int sync_asks_ = 0;
  TimePoint next_sync_ask_ = TimePoint::min();
  TimePoint last_tick_ = TimePoint::min();
  TimePoint next_membership_tick_ = TimePoint::min();
  TimePoint next_seed_contact_ = TimePoint::min();
  std::vector<Endpoint> sync_answers_due_;
  // (peer, origin) pairs to repair at the next tick; bounded per tick.
  static constexpr size_t kMaxRepairsPerTick = 64;
  std::vector<std::pair<Endpoint, NodeId>> repairs_;
  std::unordered_map<Endpoint, TimePoint> sync_answered_at_;
  // Suspect probes: a round probes at most kMaxProbesPerRound suspects,
  // rotating; the nodes that probed us get our next packet too (at most
  // kMaxProbeAnswers per tick).
  static constexpr size_t kMaxProbesPerRound = 16;
  static constexpr size_t kMaxProbeAnswers = 32;
  TimePoint next_probe_round_ = TimePoint::min();
  size_t probe_cursor_ = 0;
  std::vector<Endpoint> probe_answers_due_;
};

}  // namespace shoal::gossip
