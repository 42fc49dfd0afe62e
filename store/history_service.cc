#include "store/history_service.h"

#include <fmt/format.h>

#include "store/series_columns.h"

namespace shoal::store {

void HistoryService::Register() {
  streams_.Serve(gossip::StreamService::kHistory,
                 [this](const gossip::StreamPeer& from, std::string bytes, gossip::PeerStreams::Respond respond) {
                   wire::Request request;
                   if (!request.ParseFromString(bytes) || request.body_case() == wire::Request::BODY_NOT_SET) {
                     ++counters_.refused;
                     return respond(MakeError("history: a request that does not parse"));
                   }
                   const bool append = request.has_append(), replication = append || request.has_copy();
                   auto response = Handle(from.id, std::move(request));
                   if (!response.ok()) return respond(response.error());
                   if (replication) return Acknowledge(append, *response, std::move(respond));
                   respond(response->SerializeAsString());
                 });
}

void HistoryService::Acknowledge(bool append, const wire::Response& response, gossip::PeerStreams::Respond respond) {
  HeldAck ack{response.SerializeAsString(), std::move(respond)};
  if (append && clock_ != nullptr) {
    if (held_.empty()) held_since_ = clock_->Now();
    held_.push_back(std::move(ack));
    if (held_.size() >= kMaxHeld) Commit();
    return;
  }
  // Answered at once; the sync covers the held appends too.
  std::vector<HeldAck> now;
  now.swap(held_);
  counters_.held_answered += now.size();
  now.push_back(std::move(ack));
  SyncAndAnswer(std::move(now));
}

void HistoryService::Tick() {
  if (clock_ != nullptr && !held_.empty() && clock_->Now() - held_since_ >= window_) Commit();
}

void HistoryService::Commit() {
  if (held_.empty()) return;
  std::vector<HeldAck> held;
  held.swap(held_);
  ++counters_.commits;
  counters_.held_answered += held.size();
  SyncAndAnswer(std::move(held));
}

void HistoryService::EndGroupCommit() {
  Commit();
  clock_ = nullptr;
}

void HistoryService::SyncAndAnswer(std::vector<HeldAck> held) {
  const Status synced = store_.SyncLog();
  for (auto& h : held) {
    if (synced.ok()) {
      h.respond(std::move(h.response));
    } else {
      h.respond(synced.error());
    }
  }
}

Result<std::string> HistoryService::AdminAction(const wire::Request& request, std::string_view kind) {
  if (admin_ == nullptr) {
    return MakeError("history: this node trusts no admin key (control.admin_keys_file), so it takes no {}", kind);
  }
  auto action = admin_->TakeOnce(request.signed_action(), kind);
  if (!action.ok()) return MakeError("history: {}", action.error().message);
  return action;
}

Result<CopySlice> HistoryService::RestoreSlice(NodeId from, const wire::Restore& restore) {
  if (from == store_.self()) return MakeError("history: a node restores its rows from other nodes only");
  if (restore.before_ms() <= 0 || restore.from_ms() < 0 || restore.from_ms() >= restore.before_ms()) {
    return MakeError("history: a restore of the times from {} before {}", restore.from_ms(), restore.before_ms());
  }
  if (!restore.cursor().empty() && !restore.cursor().starts_with(OriginPrefix(from))) {
    return MakeError("history: a restore for {} from a key of another origin", from.ToString());
  }
  CopySlice slice;
  slice.origin = from;
  slice.rows = store_.RowsAfter(from, restore.cursor(), kRestoreSliceBytes, &slice.last,
                                {restore.from_ms(), restore.before_ms()}, &slice.scanned_to);
  return slice;
}

Result<wire::Response> HistoryService::Handle(NodeId from, wire::Request request) {
  wire::Response response;
  auto refuse = [&](Error e) -> Result<wire::Response> {
    ++counters_.refused;
    return e;
  };
  switch (request.body_case()) {
    case wire::Request::kAppend:
    case wire::Request::kCopy: {
      const uint64_t origin = request.has_append() ? request.append().origin() : request.copy().origin();
      // An origin replicates its own rows; once it is gone, its holders
      // copy them on (Custodian).
      const bool custody = request.has_copy() && origin_live_ && !origin_live_(NodeId{origin});
      if (origin != from.value && !custody) {
        return refuse(MakeError("history: {} sent rows of {}, which is alive: only an origin replicates its own rows",
                                from.ToString(), NodeId{origin}.ToString()));
      }
      auto applied = request.has_append() ? store_.ApplyAppend(FromWire(std::move(*request.mutable_append())))
                                          : store_.ApplyCopy(FromWire(std::move(*request.mutable_copy())));
      if (!applied.ok()) return refuse(applied.error());
      response.mutable_ack()->set_applied_seq(*applied);
      break;
    }
    case wire::Request::kHoldings:
      *response.mutable_holdings() = ToWire(request.holdings().archive() ? store_.ArchiveHoldings() : store_.Holdings());
      break;
    case wire::Request::kQuery: {
      auto query = FromWire(request.query());
      if (!query.ok()) return refuse(query.error());
      // Asked for columns: each series goes into them as it is read, no
      // rows made of it.
      const bool columns = request.query().columns();
      wire::QueryResult* out = response.mutable_result();
      const TakeSeries take = [out](NodeId origin, const std::string& name, std::span<const SeriesBucket> buckets) {
        AppendColumns(origin, name, buckets, out->mutable_series());
        return true;
      };
      auto result = store_.Query(*query, columns ? take : nullptr);
      if (!result.ok()) return refuse(result.error());
      AppendToWire(std::move(*result), columns, *out);
      break;
    }
    case wire::Request::kRestore: {
      auto slice = RestoreSlice(from, request.restore());
      if (!slice.ok()) return refuse(slice.error());
      *response.mutable_rows() = ToWire(std::move(*slice));
      break;
    }
    case wire::Request::kDelete: {
      auto action = AdminAction(request, "history-delete");
      if (!action.ok()) return refuse(action.error());
      wire::Delete d;
      if (!d.ParseFromString(*action)) return refuse(MakeError("history: a signed deletion that does not parse"));
      DeleteRequest del = FromWire(d);
      del.by = request.delete_().by();  // who relayed it, for the log
      auto rows = store_.Delete(del);
      if (!rows.ok()) return refuse(rows.error());
      if (on_delete_) on_delete_(from, del, *rows);
      response.mutable_deleted()->set_rows(*rows);
      break;
    }
    case wire::Request::kArchive: {
      if (archive_dir_.empty()) return refuse(MakeError("history: this node has no archive directory"));
      auto action = AdminAction(request, "history-archive");
      if (!action.ok()) return refuse(action.error());
      wire::ArchiveRequest a;
      if (!a.ParseFromString(*action)) return refuse(MakeError("history: a signed archive request that does not parse"));
      auto info = store_.Archive(a.before_ms(), archive_dir_);
      if (!info.ok()) return refuse(info.error());
      response.mutable_archived()->set_file(info->file);
      response.mutable_archived()->set_rows(info->rows);
      break;
    }
    default:
      return refuse(MakeError("history: an empty request"));
  }
  ++counters_.served;
  return response;
}

}  // namespace shoal::store
