#include "daemon/engine/node_detail.h"

#include <cmath>

#include <fmt/format.h>

#include "daemon/engine/figures_codec.h"
#include "gossip/fan_out.h"
#include "node_detail.pb.h"

namespace shoal::engine {
namespace {

// Bounds the answer as a whole: a full status, a row per instance, the figures.
constexpr size_t kMaxDetailBytes = 4 << 20;

wire::DetailAnswer ToWire(const NodeDetail& d, const std::string& pool_figures) {
  wire::DetailAnswer w;
  w.set_status(EncodeNodeStatus(d.status));
  for (const RowEntry& r : d.row) {
    wire::RowEntry* e = w.add_row();
    e->set_app(r.app);
    e->set_booking_m(r.booking_m);
    e->set_allocation_m(r.allocation_m);
    e->set_millicores(r.millicores);
    e->set_weight(r.weight);
    e->set_quota_us(r.quota_us);
    e->set_period_us(r.period_us);
    e->set_cgroup(r.cgroup);
  }
  w.set_pool_figures(pool_figures);
  return w;
}

Result<RowEntry> RowFromWire(const wire::RowEntry& e) {
  if (e.app().empty() || e.app().size() > kMaxAppNameBytes) return MakeError("a row without a valid application name");
  auto finite = [](double v) { return std::isfinite(v) && v >= 0 && v < 1e12; };
  if (!finite(e.booking_m()) || !finite(e.allocation_m()) || e.millicores() < 0 || e.quota_us() < 0 ||
      e.period_us() < 0 || e.cgroup().size() > 4096) {
    return MakeError("the row of {}: a figure out of range", e.app());
  }
  return RowEntry{e.app(), e.booking_m(), e.allocation_m(), e.millicores(), e.weight(), e.quota_us(), e.period_us(),
                  e.cgroup()};
}

Result<DecodedDetail> FromWire(const wire::DetailAnswer& w) {
  DecodedDetail out;
  auto status = DecodeNodeStatus(w.status());
  if (!status.ok()) return status.error();
  out.detail.status = std::move(*status);
  if (static_cast<size_t>(w.row_size()) > kMaxRowEntries) return MakeError("a detail of {} rows", w.row_size());
  for (const auto& e : w.row()) {
    auto row = RowFromWire(e);
    if (!row.ok()) return MakeError("detail of {}: {}", out.detail.status.name, row.error().message);
    out.detail.row.push_back(std::move(*row));
  }
  if (!w.pool_figures().empty()) {
    auto figures = DecodeFigures(w.pool_figures());
    if (!figures.ok()) return MakeError("the pool's figures from {}: {}", out.detail.status.name, figures.error().message);
    // Figures of no node are none (they would go out again as nothing).
    if (figures->nodes == 0) return MakeError("the pool's figures from {}: of no node", out.detail.status.name);
    out.pool_figures = std::move(*figures);
  }
  return out;
}

}  // namespace

std::vector<RowEntry> RowOf(const policy::CpuPlan& plan, NodeId self, const std::map<std::string, LocalGroup>& groups) {
  std::vector<RowEntry> row;
  for (const policy::NodePlan& node : plan.nodes) {
    if (node.id != self) continue;
    for (size_t k = node.first; k < node.first + node.count; ++k) {
      const policy::InstancePlan& ip = plan.instances[k];
      const std::string& app = plan.apps[ip.app].name;
      auto group = groups.find(app);
      row.push_back({app, ip.booking, ip.allocation, ip.millicores, ip.weight, ip.quota_us.value_or(0),
                     plan.options.quota_period_us, group == groups.end() ? std::string() : group->second.path});
    }
  }
  return row;
}

std::string EncodeDetail(const NodeDetail& detail, const std::string& pool_figures) {
  return ToWire(detail, pool_figures).SerializeAsString();
}

Result<DecodedDetail> DecodeDetail(std::string_view bytes) {
  wire::DetailAnswer w;
  if (bytes.size() > kMaxDetailBytes || !w.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return MakeError("a node detail that does not parse ({} bytes)", bytes.size());
  }
  return FromWire(w);
}

DetailService::DetailService(Own own, gossip::Gossiper& gossiper, gossip::PeerStreams& streams)
    : own_(std::move(own)), gossiper_(gossiper), streams_(streams) {
  streams_.Serve(gossip::StreamService::kDetail,
                 [this](const gossip::StreamPeer&, std::string request, gossip::PeerStreams::Respond respond) {
                   wire::DetailQuestion q;
                   if (!q.ParseFromString(request)) return respond(MakeError("a detail question that does not parse"));
                   respond(Answer(q.pool_figures()));
                 });
}

DetailService::~DetailService() {
  *alive_ = false;
  streams_.Serve(gossip::StreamService::kDetail, [](const gossip::StreamPeer&, std::string,
                                                    gossip::PeerStreams::Respond respond) {
    respond(MakeError("node details are not served here"));
  });
}

std::string DetailService::Answer(bool with_figures) const {
  return EncodeDetail({own_.status(), own_.row()}, with_figures ? own_.pool_figures() : std::string());
}

void DetailService::AskNodes(Duration timeout, NodesDone done) {
  const NodeId self = gossiper_.identity().id;
  const wire::DetailQuestion q;
  std::vector<std::pair<gossip::FanOutMember, wire::DetailQuestion>> calls{{{self, Endpoint{}}, q}};
  for (const auto m : gossiper_.membership().live_peers()) calls.push_back({{m.id, m->endpoint}, q});
  auto answers = std::make_shared<Answers>();
  answers->asked = calls.size();
  auto each = [answers](NodeId node, Result<wire::DetailAnswer> w) {
    auto d = w.ok() ? FromWire(*w) : Result<DecodedDetail>(w.error());
    if (d.ok()) {
      answers->details.emplace(node, std::move(d->detail));
    } else {
      answers->failures.emplace(node, d.error().message);
    }
  };
  auto local = [this](const wire::DetailQuestion&) -> Result<wire::DetailAnswer> {
    return ToWire({own_.status(), own_.row()}, std::string());
  };
  gossip::FanOutCalls<wire::DetailQuestion, wire::DetailAnswer> f{
      std::move(calls), std::move(local), std::move(each),
      [answers, alive = alive_, done = std::move(done)] {
        if (*alive) done(std::move(*answers));
      }};
  f.max_in_flight = kInFlight;
  std::move(f).Start(streams_, self, gossip::StreamService::kDetail, timeout);
}

void DetailService::AskPoolFigures(NodeId rep, Duration timeout, FiguresDone done) {
  auto take = [done = std::move(done), alive = alive_](Result<std::string> bytes) {
    if (!*alive) return;
    if (!bytes.ok()) return done(bytes.error());
    auto d = DecodeDetail(*bytes);
    if (!d.ok()) return done(d.error());
    if (!d->pool_figures) return done(MakeError("{} does not hold the pool's figures", d->detail.status.name));
    done(std::move(*d->pool_figures));
  };
  if (rep == gossiper_.identity().id) return take(Answer(true));
  const gossip::Member* m = gossiper_.membership().Find(rep);
  if (m == nullptr) return take(MakeError("the pool's representative {} is not a member", rep.ToString()));
  wire::DetailQuestion q;
  q.set_pool_figures(true);
  streams_.Call(m->endpoint, gossip::StreamService::kDetail, q.SerializeAsString(), timeout, std::move(take));
}

}  // namespace shoal::engine
