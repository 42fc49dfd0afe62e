// Fuzzes the history service's input, what peers send on the history
// stream: any bytes parsed as a request and handled by a real store (in a
// scratch directory) must be refused or applied without a crash, and a
// store that took them must still answer a query over everything it holds
// and run its upkeep. A copy's rows also go to a second store, of the
// sending peer, as rows got back after its store started afresh
// (RestoreRows; store/restorer.h): refused or written, and that store too
// must still answer and run its upkeep. The same bytes also go to the key
// decoder, whose answers must encode back to the same bytes, to the
// figures' decoder, whose answers protobuf must read the same, and to the
// decoder of a holder's answer to a query (rows or columns).
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "gossip/sim/sim_network.h"
#include "gossip/sim/sim_streams.h"
#include "store/history_service.h"

namespace {

struct Fixture {
  std::string path = (std::filesystem::temp_directory_path() / ("shoal-fuzz-history-" + std::to_string(::getpid())))
                         .string();
  std::unique_ptr<shoal::store::HistoryStore> store;
  std::unique_ptr<shoal::store::HistoryStore> peer;  // node 7, restoring
  shoal::ManualClock clock;
  std::unique_ptr<shoal::gossip::SimNetwork> net;
  std::unique_ptr<shoal::gossip::SimStreamHub> hub;
  std::unique_ptr<shoal::store::HistoryService> service;

  Fixture() {
    std::filesystem::remove_all(path);
    shoal::store::StoreOptions o;
    o.path = path;
    o.sync_replica_writes = false;
    auto opened = shoal::store::HistoryStore::Open(shoal::NodeId{1}, "fuzz", o);
    if (!opened.ok()) std::abort();
    store = std::move(*opened);
    o.path += "-peer";
    std::filesystem::remove_all(o.path);
    opened = shoal::store::HistoryStore::Open(shoal::NodeId{7}, "peer", o);
    if (!opened.ok()) std::abort();
    peer = std::move(*opened);
    // Its new store's first period: rows before it are restored.
    shoal::store::Period first;
    first.time_ms = 1'900'000'000'000;
    if (!peer->restoring() || !peer->Record(first).ok()) std::abort();
    net = std::make_unique<shoal::gossip::SimNetwork>(clock, 1);
    hub = std::make_unique<shoal::gossip::SimStreamHub>(*net);
    auto& streams = hub->Attach(shoal::Endpoint{0x0a000001, 1}, shoal::NodeId{1});
    service = std::make_unique<shoal::store::HistoryService>(*store, streams);
  }
  ~Fixture() {
    service.reset();
    store.reset();
    peer.reset();
    std::filesystem::remove_all(path);
    std::filesystem::remove_all(path + "-peer");
  }
};

// A holder's answer as the asking node reads it: refused, or rows that
// encode in columns and read back the same, and whose series offered to a
// taker (of odd origins) are all either taken or kept.
void CheckAnswer(shoal::store::wire::Response& answer) {
  using namespace shoal::store;
  auto rows = FromWire(std::move(*answer.mutable_result()));
  if (!rows.ok()) return;
  auto columns = ToWire(QueryAnswer(*rows), true);
  size_t taken = 0;
  auto again = FromWire(wire::QueryResult(columns));
  auto split = FromWire(std::move(columns), [&](shoal::NodeId origin, const std::string&,
                                                std::span<const SeriesBucket> buckets) {
    if (origin.value % 2 == 0) return false;
    taken += buckets.size();
    return true;
  });
  if (!again.ok() || again->rows != rows->rows) std::abort();
  if (!split.ok() || split->rows.size() + taken != rows->rows.size()) std::abort();
}

// Figures read by hand (store/wire_codec.h) as protobuf reads them.
void CheckFigures(const std::string& bytes, const shoal::store::Figures& mine) {
  shoal::store::wire::Figures w;
  if (!w.ParseFromString(bytes)) std::abort();
  const shoal::store::Figures theirs{w.samples(),        w.usage_sum(),      w.usage_peak(),   w.demand_sum(),
                                     w.demand_peak(),    w.booking_sum(),    w.allocation_sum(),
                                     w.capacity_sum(),   w.rss_kb_sum(),     w.processes_sum(), w.squeezed(),
                                     w.idle()};
  if (theirs != mine) std::abort();
  if (shoal::store::DecodeFigures(shoal::store::EncodeFigures(mine)) != mine) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace shoal;
  using namespace shoal::store;
  static Fixture f;
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  if (auto key = DecodeKey(bytes); key && EncodeKey(*key) != bytes) std::abort();
  if (auto mine = DecodeFigures(bytes)) CheckFigures(bytes, *mine);
  if (wire::Response answer; answer.ParseFromString(bytes) && answer.has_result()) CheckAnswer(answer);
  wire::Request request;
  if (!request.ParseFromString(bytes)) return 0;
  if (request.has_copy()) (void)f.peer->RestoreRows(FromWire(wire::Copy(request.copy())).rows);
  // As if from origin 7 (a peer): rows of origin 7 are the ones it may send.
  (void)f.service->Handle(NodeId{7}, std::move(request));
  SeriesQuery all;
  all.from_ms = 0;
  all.to_ms = INT64_MAX / 2;
  all.step_ms = INT64_MAX / 4;
  all.level = Level::kHour;
  for (HistoryStore* store : {f.store.get(), f.peer.get()}) {
    if (!store->Query(all).ok()) std::abort();
    if (!store->Maintain(1'800'000'000'000).ok()) std::abort();
  }
  return 0;
}
