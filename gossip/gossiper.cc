#include "gossip/gossiper.h"

#include <algorithm>
#include <cassert>

#include <spdlog/spdlog.h>

namespace shoal::gossip {

void Gossiper::AddOnce(std::vector<Endpoint>& list, const Endpoint& e) {
  if (std::find(list.begin(), list.end(), e) == list.end()) list.push_back(e);
}

Gossiper::Gossiper(const GossipConfig& config, const NodeIdentity& identity, Clock& clock,
                   Random& random, Transport& transport, const Keyring& keyring,
                   SharedTables shared)
    : config_(config),
      identity_(identity),
      clock_(clock),
      random_(random),
      transport_(transport),
      keyring_(keyring),
      // Every table is bounded by max_nodes; they may hold different ids.
      own_index_(shared.index ? nullptr : std::make_unique<PeerIndex>(2 * config.max_nodes)),
      index_(shared.index ? *shared.index : *own_index_),
      payloads_(shared.payloads),
      version_sums_(index_),
      membership_(identity.id, config, index_),
      replay_(index_),
      // A node behind for 3 periods was missed, not just reached late; a
      // wave is news for about a second.
      catch_up_(config.catch_up_items, 3 * config.period, std::chrono::seconds(1)),
      incarnation_(identity.boot << 32),
      prober_(config.probe_interval, config.probe_timeout) {
  assert(config.Validate().ok());
  assert(!keyring.empty());
  membership_.SetOwnIncarnation(incarnation_);
  auto hb = std::make_unique<Channel>(config_, index_, version_sums_);
  hb->spec = ChannelSpec{channels::kHeartbeat, "heartbeat", std::chrono::seconds(1),
                         channels::kHeartbeatMaxPayload, kNoFlags};
  by_code_[channels::kHeartbeat] = hb.get();
  channels_.push_back(std::move(hb));
  membership_.SetListener([this](const MemberEvent& ev) {
    // Liveness changes what every view shows.
    for (auto& ch : channels_) ch->changed = true;
    if (ev.kind == MemberEvent::Kind::kRecovered && ev.endpoint.valid()) {
      // It was cut off from us: it may have missed what did not change since.
      sync_answers_due_.push_back(ev.endpoint);
    }
    for (auto& l : member_listeners_) l(ev);
  });
  transport_.SetReceiver([this](const Endpoint& from, std::span<const uint8_t> d, Duration waited) {
    OnDatagram(from, d, waited);
  });
}

Gossiper::~Gossiper() { transport_.SetReceiver({}); }

Status Gossiper::RegisterChannel(const ChannelSpec& spec, Publisher publisher,
                                 ViewSubscriber subscriber) {
  if (spec.code < 2 || spec.code > 65535) {
    return MakeError("channel '{}': code {} is outside 2..65535", spec.name, spec.code);
  }
  if (by_code_.contains(spec.code)) {
    return MakeError("channel '{}': code {} is already registered", spec.name, spec.code);
  }
  if (spec.max_payload == 0 || spec.max_payload > kMaxPayloadBytes) {
    return MakeError("channel '{}': max payload {} is outside 1..{}", spec.name,
                     spec.max_payload, kMaxPayloadBytes);
  }
  if (EncodedEntryBound(spec.max_payload) + kSealOverheadBytes + kPacketOverheadBound >
      config_.mtu) {
    return MakeError("channel '{}': a {}-byte payload cannot fit the {}-byte MTU", spec.name,
                     spec.max_payload, config_.mtu);
  }
  auto ch = std::make_unique<Channel>(config_, index_, version_sums_);
  ch->spec = spec;
  ch->publisher = std::move(publisher);
  ch->subscriber = std::move(subscriber);
  ch->next_due = clock_.Now();
  by_code_[spec.code] = ch.get();
  auto at = std::lower_bound(channels_.begin(), channels_.end(), spec.code,
                             [](const auto& c, uint32_t code) { return c->spec.code < code; });
  channels_.insert(at, std::move(ch));
  return Status::Ok();
}

void Gossiper::Publish(Channel& ch, TimePoint now) {
  if (!ch.publisher || leaving_) return;
  auto payload = ch.publisher();
  if (!payload) return;
  if (payload->size() > ch.spec.max_payload) {
    spdlog::error("channel '{}': own payload of {} bytes exceeds its maximum {}; not sent", ch.spec.name,
                  payload->size(), ch.spec.max_payload);
  } else if (ch.table.PublishOwn(identity_.id, *payload, VersionFloor(), now)) {
    ch.changed = true;
    if (observer_) observer_(ch.spec.code, identity_.id, OwnVersion(ch.spec.code));
  }
}

void Gossiper::PublishNow(uint32_t code) {
  Channel* ch = FindChannel(code);
  if (ch == nullptr) return;
  ch->next_due = clock_.Now();  // at this tick, or the next
  ch->led = true;
}

Gossiper::Channel* Gossiper::FindChannel(uint32_t code) {
  auto it = by_code_.find(code);
  return it == by_code_.end() ? nullptr : it->second;
}

ChannelView Gossiper::View(uint32_t code) const {
  auto it = by_code_.find(code);
  assert(it != by_code_.end());
  return ChannelView(it->second->table, membership_);
}

std::vector<uint32_t> Gossiper::ChannelsWith(uint32_t flag) const {
  std::vector<uint32_t> codes;
  for (const auto& ch : channels_) {
    if ((ch->spec.flags & flag) != 0) codes.push_back(ch->spec.code);
  }
  return codes;
}

uint64_t Gossiper::OwnVersion(uint32_t code) const {
  auto it = by_code_.find(code);
  if (it == by_code_.end()) return 0;
  const StoredEntry* e = it->second->table.Find(identity_.id);
  return e == nullptr ? 0 : e->version;
}

void Gossiper::PublishHeartbeat(TimePoint now) {
  Channel& ch = *by_code_[channels::kHeartbeat];
  accusations_published_.clear();
  if (!leaving_) accusations_published_ = membership_.own_accusations();
  const std::string payload =
      EncodeHeartbeat(Heartbeat{incarnation_, identity_.advertise, leaving_, accusations_published_, config_.protocol,
                                identity_.build});
  if (ch.table.PublishOwn(identity_.id, payload, VersionFloor(), now) &&
      observer_) {
    observer_(channels::kHeartbeat, identity_.id, OwnVersion(channels::kHeartbeat));
  }
}

uint32_t Gossiper::WireVersion() const {
  uint32_t v = config_.protocol.max;
  membership_.ForEach([&](NodeId, const Member& m) {
    if (m.state == MemberState::kAlive || m.state == MemberState::kSuspect) v = std::min<uint32_t>(v, m.protocol.max);
  });
  return std::max<uint32_t>(v, config_.protocol.min);
}

void Gossiper::Leave() {
  leaving_ = true;
  PublishHeartbeat(clock_.Now());
}

void Gossiper::DeliverViews() {
  const TimePoint now = clock_.Now();
  for (auto& ch : channels_) Notify(*ch, now >= ch->next_due);
}

void Gossiper::Notify(Channel& ch, bool due) {
  if (!ch.changed || !ch.subscriber || (!due && (ch.spec.flags & kPromptView) == 0)) return;
  ch.changed = false;
  ch.subscriber(ChannelView(ch.table, membership_));
}

void Gossiper::Tick() {
  const TimePoint now = clock_.Now();
  if (last_tick_ != TimePoint::min() && now - last_tick_ > config_.stall_threshold) {
    // We were not running: the silence we saw was ours, not the peers'.
    membership_.ForgiveStall(now);
    prober_.Restart(now);
    ++counters_.stalls_forgiven;
  }
  last_tick_ = now;

  if (!heartbeat_published_) {
    // Changes only on a leave after this; re-armed by the backoff.
    PublishHeartbeat(now);
    heartbeat_published_ = true;
  }
  if (now >= next_membership_tick_) {
    // Alive all along, a reaped node would have sent a packet a tick for
    // reap_after at least: a quarter of that is the floor its replayed
    // packets cannot pass.
    const uint64_t min_sent = static_cast<uint64_t>(config_.reap_after / config_.period) / 4;
    for (NodeId gone : membership_.Tick(now)) {
      for (auto& ch : channels_) ch->table.Erase(gone);
      replay_.Retire(gone, membership_.TombstonedIncarnation(gone) >> 32, min_sent, now);
    }
    replay_.ExpireRetired(now);
    const size_t live = membership_.live_count();
    wire_version_ = WireVersion();
    const uint32_t ttl = config_.TtlFor(live);
    const uint32_t sends = config_.SendsFor(live);
    for (auto& ch : channels_) ch->table.set_spread(ttl, sends);
    probe_draws_ = membership_.AccusationsFaster();
    // Scanning every member each period would cost O(pool) per tick; a
    // tenth of the failure timeout is precise enough.
    next_membership_tick_ = now + std::max(config_.period, membership_.failure_timeout() / 10);
  }
  membership_.CheckAccusations(now);
  SendProbes(now);
  UpdateHeartbeat(now);
  for (auto& chp : channels_) {
    Channel& ch = *chp;
    const bool due = now >= ch.next_due;
    if (due) {
      // Half a tick of slack so a channel whose period equals the tick's is
      // not skipped by a tick that comes a little early. The first
      // publication is at once, the second at a random phase of the period:
      // nodes started together (a pool's boot) do not publish in step. A
      // channel whose publications a caller leads (PublishNow) waits a
      // period and a half, to be led again before then.
      ch.next_due = now + (ch.led ? ch.spec.period + ch.spec.period / 2 : ch.spec.period - config_.period / 2);
      if (!ch.phased && !ch.led && ch.spec.period > config_.period) {
        ch.next_due = now + std::chrono::duration_cast<Duration>(ch.spec.period * random_.Unit());
      }
      ch.phased = true;
      Publish(ch, now);
    }
    Notify(ch, due);
    // A publisher is asked every period, so a changed entry goes out anew
    // by then: the spent one is sent again no sooner (the pool's
    // representative re-sent its levels and totals, 1.7 KB, about three
    // times a second). The heartbeat, published on events, keeps the
    // exchange's backoff alone.
    const Duration after = ch.publisher ? ch.spec.period : Duration::zero();
    ch.table.RearmOwn(identity_.id, config_.backoff_base, config_.backoff_max, now, random_, after);
  }

  std::vector<Endpoint> answers;
  answers.swap(sync_answers_due_);
  for (const Endpoint& to : answers) AnswerSync(to);
  SendRepairs();

  const std::vector<Endpoint> targets = PickTargets(now);
  probe_answers_due_.clear();
  if (targets.empty()) return;
  // Sent even with no entries: its liveness digest is the pool's heartbeat.
  SendSealed(BuildPacket(), targets);
  if (!synced_ && sync_asks_ < kMaxSyncAsks && now >= next_sync_ask_) {
    // Ask one node at a time for the full state: asking in every packet
    // made a whole pool joining at once answer itself thousands of times.
    ++sync_asks_;
    next_sync_ask_ = now + config_.sync_cooldown / 2;
    Packet ask;
    ask.want_sync = true;
    const Endpoint one[1] = {targets[random_.Below(targets.size())]};
    SendSealed(ask, one);
  }
}

std::vector<Endpoint> Gossiper::PickTargets(TimePoint now) {
  std::vector<Endpoint> targets;
  const auto& live = membership_.live_peers();
  // Each target once: a second copy of a packet would only be a replay.
  auto add = [&](const Endpoint& e) {
    if (e != identity_.advertise) AddOnce(targets, e);
  };
  // Peers that suspect us hear from us directly, whatever else we do.
  for (const Endpoint& e : probe_answers_due_) add(e);
  if (live.empty()) {
    // Alone (just started, or cut off): knock on the seeds' doors.
    for (const Endpoint& s : seeds_) add(s);
    if (!synced_ || targets.empty()) return targets;
  }
  const size_t k = std::min(config_.fanout, live.size());
  if (k == live.size()) {
    for (const auto m : live) add(m->endpoint);
  } else {
    // k distinct random peers; k is small, so rejection is cheap.
    // Bounded: two live ids may share an address (a renamed node).
    for (size_t tries = 0; targets.size() < k && tries < 8 * k; ++tries) {
      add(live[random_.Below(live.size())]->endpoint);
    }
  }
  if (random_.Chance(config_.dead_probe_chance)) {
    const auto& failed = membership_.failed_peers();
    if (!failed.empty()) add(failed[random_.Below(failed.size())]->endpoint);
  }
  if (!seeds_.empty() && now >= next_seed_contact_) {
    // Jittered by half either way, so that nodes started together do not
    // knock on a seed's door together every interval.
    const Duration every = config_.SeedIntervalFor(live.size() + 1, seeds_.size());
    next_seed_contact_ = now + random_.Between(every / 2, every + every / 2);
    add(seeds_[random_.Below(seeds_.size())]);
  }
  return targets;
}

void Gossiper::SendProbes(TimePoint now) {
  std::vector<Endpoint> targets;
  const auto& suspects = membership_.suspects();
  if (config_.suspect_probe_interval != Duration::zero() && !suspects.empty() &&
      now >= next_probe_round_) {
    next_probe_round_ = now + config_.suspect_probe_interval;
    const size_t n = std::min(suspects.size(), kMaxProbesPerRound);
    for (size_t i = 0; i < n; ++i) {
      const Member* m = membership_.Find(suspects[(probe_cursor_ + i) % suspects.size()]);
      if (m == nullptr || m->state != MemberState::kSuspect || !m->endpoint.valid()) continue;
      AddOnce(targets, m->endpoint);
    }
    probe_cursor_ += n;
    counters_.suspect_probes_sent += targets.size();
  }
  std::vector<Endpoint> probed;
  std::vector<Prober::Unanswered> unanswered;
  prober_.Tick(now, membership_, random_, probed, unanswered, probe_draws_);
  for (const Endpoint& e : probed) AddOnce(targets, e);
  counters_.probes_sent += probed.size();
  for (const Prober::Unanswered& u : unanswered) {
    if (membership_.Accuse(u.id, u.since, now)) ++counters_.accusations_made;
  }
  if (targets.empty()) return;
  Packet probe;
  probe.probe = true;
  SendSealed(probe, targets);
}

void Gossiper::UpdateHeartbeat(TimePoint now) {
  bool republish = false;
  if (membership_.accused_self()) {
    membership_.SetOwnIncarnation(++incarnation_);
    ++counters_.refutations;
    spdlog::info(
        "a peer accused this node of not answering its probes: refuted with incarnation {:#x}",
        incarnation_);
    republish = true;
  }
  // Made, dropped (refuted, answered, forgotten) or the accused reaped.
  if (membership_.own_accusations() != accusations_published_) republish = true;
  if (republish && heartbeat_published_ && !leaving_) PublishHeartbeat(now);
}

bool Gossiper::CatchUpActive() const {
  return config_.catch_up_items > 0 &&
         membership_.live_count() > kCatchUpCycle * membership_.digest_items();
}

Packet Gossiper::BuildPacket() {
  Packet packet;
  const TimePoint now = clock_.Now();
  membership_.FillDigest(now, packet.liveness);
  if (CatchUpActive()) {
    auto still_behind = [&](NodeId id, uint32_t their_sum) {
      return static_cast<int32_t>(VersionSum(id) - their_sum) < 0;
    };
    catch_up_.Fill(now, still_behind, [&](NodeId id) {
      const Member* m = membership_.Find(id);
      packet.liveness.push_back(LivenessItem{id, m ? Membership::DigestAgeMs(*m, now) : kMaxDigestAgeMs, 0});
    });
  }
  for (LivenessItem& item : packet.liveness) item.versions = VersionSum(item.id);
  const size_t budget = config_.mtu - kSealOverheadBytes - kPacketOverheadBound;
  size_t used = DigestBound(packet.liveness.size());
  const size_t n = channels_.size();
  const size_t start = round_robin_++ % n;
  for (size_t i = 0; i < n && packet.entries.size() < kMaxEntriesPerPacket; ++i) {
    Channel& ch = *channels_[(start + i) % n];
    // A channel stops at its first entry that does not fit; the next
    // channel may still have smaller ones that do.
    ch.table.Draw(identity_.id, random_, [&](NodeId origin, const StoredEntry& e) {
      const size_t need = EncodedEntrySize(ch.spec.code, e.version, e.ttl, e.payload.size());
      if (packet.entries.size() >= kMaxEntriesPerPacket || used + need > budget) return false;
      used += need;
      packet.entries.push_back(WireEntry{origin, ch.spec.code, e.version, e.ttl, e.payload.str()});
      return true;
    });
  }
  return packet;
}

void Gossiper::SendSealed(const Packet& packet, std::span<const Endpoint> targets) {
  const std::string sealed = Seal(
      keyring_, SealHeader{identity_.id, identity_.boot, ++sequence_}, EncodePacket(packet, wire_version_));
  const auto* bytes = reinterpret_cast<const uint8_t*>(sealed.data());
  transport_.SendToAll(targets, std::span<const uint8_t>(bytes, sealed.size()));
  counters_.packets_sent += targets.size();
  counters_.bytes_sent += targets.size() * sealed.size();
}

}  // namespace shoal::gossip
