#include "store/restorer.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include "gossip/fan_out.h"
#include "store/wire_codec.h"

namespace shoal::store {

// A holder whose calls fail this often in a row is left for the next round.
constexpr int kHolderFailures = 3;

Restorer::Restorer(HistoryStore& store, const gossip::Membership& membership, gossip::PeerStreams& streams,
                   Clock& clock, std::function<void()> done, RestorerOptions options)
    : store_(store), membership_(membership), streams_(streams), clock_(clock), done_(std::move(done)),
      options_(std::move(options)), next_round_(clock.Now() + options_.settle + SpreadOf(store.self())) {}

Duration Restorer::SpreadOf(NodeId self) const {
  const auto spread_ms = std::chrono::duration_cast<std::chrono::milliseconds>(options_.spread).count();
  if (spread_ms <= 0) return Duration::zero();
  const uint64_t mixed = self.value * 0x9E3779B97F4A7C15ULL;  // ids are often 1, 2, 3...: spread them out
  return std::chrono::milliseconds(static_cast<int64_t>((mixed >> 20) % static_cast<uint64_t>(spread_ms)));
}

Restorer::~Restorer() { *alive_ = false; }

void Restorer::Tick() {
  if (phase_ == Phase::kReading && call_.Ready(clock_.Now())) return ReadNext();
  if (phase_ != Phase::kIdle || !store_.restoring() || store_.restore_before_ms() == 0) return;
  if (clock_.Now() >= next_round_) Ask();
}

void Restorer::Ask() {
  phase_ = Phase::kAsking;
  ++rounds_;
  ++counters_.rounds;
  if (rounds_ == 1 || store_.restore_before_ms() != before_ms_ || store_.restore_from_ms() != from_ms_) {
    heard_.clear();  // a new restore, or another loss meanwhile: everyone again
    unanswered_.clear();
  }
  before_ms_ = store_.restore_before_ms();
  from_ms_ = store_.restore_from_ms();
  if (rounds_ == 1) {
    first_round_ = clock_.Now();
    spdlog::debug("history: {}'s store is new since {}; asking the pool for rows of its earlier stores",
                  store_.self_name(), before_ms_);
  }
  holders_.clear();
  // Failed peers may be partitioned away with rows nobody else holds: not
  // heard from until they answer, even once the membership reaps them.
  for (const auto m : membership_.failed_peers()) {
    if (heard_.count(m.id) == 0) unanswered_.insert(m.id);
  }
  wire::Request ask;
  ask.mutable_holdings();
  std::vector<std::pair<gossip::FanOutMember, wire::Request>> calls;
  for (const auto m : membership_.live_peers()) {
    if (!m->endpoint.valid() || heard_.count(m.id) != 0) continue;
    calls.push_back({{m.id, m->endpoint}, ask});
    unanswered_.insert(m.id);
  }
  gossip::FanOutCalls<wire::Request, wire::Response> fan{
      std::move(calls), [](const wire::Request&) -> Result<wire::Response> { return MakeError("not asked"); },
      [this, alive = alive_](NodeId peer, Result<wire::Response> answer) {
        if (*alive) OnHoldings(peer, std::move(answer));
      },
      [this, alive = alive_] {
        if (!*alive) return;
        phase_ = Phase::kReading;
        cursor_.clear();
        holder_failures_ = 0;
        ReadNext();
      },
      options_.max_in_flight};
  std::move(fan).Start(streams_, store_.self(), gossip::StreamService::kHistory, options_.call_timeout);
}

void Restorer::OnHoldings(NodeId peer, Result<wire::Response> answer) {
  if (!answer.ok() || !answer->has_holdings()) {
    ++counters_.failures;
    return;
  }
  unanswered_.erase(peer);
  for (const Holding& h : FromWire(answer->holdings())) {
    if (h.origin == store_.self() && !h.archive) {
      holders_.push_back(peer);
      return;  // heard once read to the end
    }
  }
  heard_.insert(peer);
}

void Restorer::ReadNext() {
  while (!holders_.empty()) {
    const gossip::Member* m = membership_.Find(holders_.front());
    if (m && membership_.IsLive(holders_.front()) && m->endpoint.valid()) {
      wire::Request request;
      request.mutable_restore()->set_cursor(cursor_);
      request.mutable_restore()->set_before_ms(before_ms_);
      request.mutable_restore()->set_from_ms(from_ms_);
      call_.SendForRows(streams_, m->endpoint, request, options_.call_timeout, clock_, options_.retry_after / 5,
                        alive_, [this](Result<wire::Copy> rows) { OnRows(std::move(rows)); });
      return;
    }
    unanswered_.insert(holders_.front());  // gone meanwhile: asked again next round
    NextHolder();
  }
  EndRound();
}

void Restorer::NextHolder() {
  holders_.erase(holders_.begin());
  cursor_.clear();
  holder_failures_ = 0;
}

void Restorer::OnRows(Result<wire::Copy> answer) {
  Result<uint64_t> written = MakeError("no rows");
  CopySlice slice;
  if (answer.ok()) {
    slice = FromWire(std::move(*answer));
    written = store_.RestoreRows(slice.rows);
  }
  if (!written.ok()) {
    ++counters_.failures;
    const std::string& why = answer.ok() ? written.error().message : answer.error().message;
    spdlog::debug("history: restoring rows from {}: {}", NameOf(holders_.front()), why);
    if (++holder_failures_ >= kHolderFailures) {
      spdlog::warn("history: {} did not give back {}'s rows: {}", NameOf(holders_.front()), store_.self_name(), why);
      unanswered_.insert(holders_.front());
      NextHolder();
    }
    return;  // Tick reads on once the call's wait is over
  }
  ++counters_.slices;
  counters_.rows += *written;
  round_rows_ += *written;
  cursor_ = std::move(slice.scanned_to);  // a span is always asked: the holder says where it looked
  if (slice.last) {
    heard_.insert(holders_.front());
    NextHolder();
  }
  ReadNext();
}

void Restorer::EndRound() {
  phase_ = Phase::kIdle;
  next_round_ = clock_.Now() + options_.retry_after;
  // Another loss meanwhile (Reincarnate): the rows before the new start too.
  const bool moved = store_.restore_before_ms() != before_ms_ || store_.restore_from_ms() != from_ms_;
  if (moved || (!unanswered_.empty() && clock_.Now() - first_round_ < options_.give_up_after)) return;
  std::vector<std::string> missing;
  for (NodeId id : unanswered_) missing.push_back(NameOf(id));
  if (!missing.empty()) {
    spdlog::warn("history: {} finishes getting back its earlier rows without an answer from {} after {} rounds in {} s",
                 store_.self_name(), fmt::join(missing, ", "), rounds_,
                 std::chrono::duration_cast<std::chrono::seconds>(clock_.Now() - first_round_).count());
  }
  done_();
  if (auto s = store_.FinishRestore(); !s.ok()) {
    spdlog::error("{}", s.error().message);
    return;
  }
  if (round_rows_ > 0) {
    spdlog::info("history: {} got back {} rows of its earlier stores", store_.self_name(), round_rows_);
  } else {
    spdlog::debug("history: no node holds rows of {} from before its store", store_.self_name());
  }
  ++counters_.finished;
  rounds_ = 0;
  round_rows_ = 0;
  heard_.clear();
}

}  // namespace shoal::store
