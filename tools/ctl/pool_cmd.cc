#include "tools/ctl/pool_cmd.h"

#include <regex.h>

#include <map>

#include <fmt/format.h>

#include "tools/ctl/policy_text.h"
#include "tools/ctl/table.h"

namespace shoal::ctl {
namespace control = daemon::control;

namespace {

std::string Cores(double millicores) { return fmt::format("{:.2f}", millicores / 1000.0); }
std::string Mb(double kb) { return fmt::format("{:.0f}", kb / 1024.0); }

std::string PipeText(const control::PipeInfo& p) {
  const double used = p.rates().used();
  std::string out = fmt::format("{} {}: capacity {}, used {} ({:.0f}%), allocated {}, demand {}\n", p.pipe(),
                                p.direction(), RateText(p.capacity()), RateText(used),
                                p.capacity() > 0 ? 100.0 * used / p.capacity() : 0.0, RateText(p.rates().allocated()),
                                RateText(p.rates().demand()));
  Table apps({"APPLICATION", ">BOOKED", ">CAP", ">DEMAND", ">USED", ">ALLOCATED", ">NODES"});
  for (const auto& a : p.apps()) {
    apps.Add({a.name(), a.booked() > 0 ? RateText(a.booked()) : "-", a.cap() > 0 ? RateText(a.cap()) : "-",
              RateText(a.rates().demand()), RateText(a.rates().used()), RateText(a.rates().allocated()),
              std::to_string(a.nodes())});
  }
  out += apps.Render("  ");
  Table nodes({"NODE", ">DEMAND", ">USED", ">ALLOCATED", ">STATIC"});
  for (const auto& n : p.nodes()) {
    if (n.failed()) {
      nodes.Add({n.name() + " (failed)", "-", "-", "-", RateText(n.fallback())});
    } else {
      nodes.Add({n.name(), RateText(n.rates().demand()), RateText(n.rates().used()),
                 RateText(n.rates().allocated()), RateText(n.fallback())});
    }
  }
  out += nodes.empty() ? "  no node carries it (no node's configuration places it)\n" : nodes.Render("  ");
  if (p.reserved() > 0) {
    out += fmt::format("  {} kept aside for failed nodes, whose classes may still send their static share\n",
                       RateText(p.reserved()));
  }
  return out;
}

}  // namespace

std::string StatusText(const control::PoolStatus& s) {
  std::string out;
  out += fmt::format("pool as {} sees it\n", s.answered_by());
  out += fmt::format("  nodes        {} live{}, {} failed\n", s.nodes_live(),
                     s.nodes_suspect() ? fmt::format(" ({} suspect)", s.nodes_suspect()) : "", s.nodes_failed());
  out += fmt::format("  capacity     {} cores\n", Cores(s.capacity_m()));
  out += fmt::format("  booked       {} cores\n", Cores(s.booked_m()));
  out += fmt::format("  used         {} cores (demand {} cores)\n", Cores(s.usage_m()), Cores(s.demand_m()));
  out += fmt::format("  mode         {}\n", s.mode());
  out += fmt::format("  policy       {}\n", s.policy_version().empty()
                                               ? "none"
                                               : fmt::format("{} (on {} of {} nodes)", StampText(s.policy()),
                                                             s.nodes_on_policy(), s.nodes_live()));
  out += fmt::format("  applications {} ({} instances)\n", s.applications(), s.instances());
  if (!s.snapshot_leader().empty()) out += fmt::format("  snapshots    led by {}\n", s.snapshot_leader());
  if (s.planning() == "figures") {
    out += fmt::format("  planning     from the pool's figures, rolled up to {}\n", s.figures_from());
  } else if (!s.planning().empty()) {
    out += "  planning     from every node's status\n";
  }
  for (const auto& u : s.unmet()) out += fmt::format("  warning: the booking of {} cannot be met\n", u);
  // What this node's listeners refused since it started, by listener.
  std::string listener;
  for (const auto& r : s.refusals()) {
    out += r.listener() == listener ? ", " : fmt::format("{}  refused ({}) ", listener.empty() ? "" : "\n", r.listener());
    out += fmt::format("{} {}", r.reason(), r.count());
    listener = r.listener();
  }
  if (!listener.empty()) out += "\n";
  return out;
}

std::vector<std::string> Unhealthy(const control::PoolStatus& s) {
  std::vector<std::string> why;
  if (s.nodes_failed() > 0) why.push_back(fmt::format("{} node(s) failed", s.nodes_failed()));
  if (s.nodes_suspect() > 0) why.push_back(fmt::format("{} node(s) suspect", s.nodes_suspect()));
  if (!s.policy_version().empty() && s.nodes_on_policy() < s.nodes_live()) {
    why.push_back(fmt::format("{} of {} live node(s) not on policy {}", s.nodes_live() - s.nodes_on_policy(),
                              s.nodes_live(), RevisionText(s.policy())));
  }
  for (const auto& u : s.unmet()) why.push_back(fmt::format("the booking of {} cannot be met", u));
  return why;
}

Result<control::NodeList> FilterNodes(const control::NodeList& n, const std::string& state, const std::string& name) {
  regex_t re;
  if (!name.empty()) {
    if (int rc = ::regcomp(&re, name.c_str(), REG_EXTENDED | REG_NOSUB); rc != 0) {
      char why[256];
      ::regerror(rc, &re, why, sizeof why);
      return MakeError("--name '{}': {}", name, why);
    }
  }
  control::NodeList out;
  for (const auto& x : n.nodes()) {
    const bool state_ok = state.empty() || x.state() == state || (state == "alive" && x.state() == "self");
    if (state_ok && (name.empty() || ::regexec(&re, x.name().c_str(), 0, nullptr, 0) == 0)) *out.add_nodes() = x;
  }
  if (!name.empty()) ::regfree(&re);
  return out;
}

std::string NodesText(const control::NodeList& n, bool wide) {
  std::vector<std::string> columns = {"NODE", "ADDRESS", "STATE", ">CAPACITY", ">USED", ">DEMAND", ">APPS", "POLICY"};
  if (wide) columns.insert(columns.end(), {">LOAD", ">MEM_FREE_MB", "ENFORCER", "BUILD", "PROTO", "ID"});
  Table t(columns);
  for (const auto& x : n.nodes()) {
    std::vector<std::string> row = {x.name(), x.address(), x.state(), Cores(x.capacity_m()), Cores(x.usage_m()),
                                    Cores(x.demand_m()), std::to_string(x.instances()),
                                    x.policy_version().empty() ? "none" : RevisionText(x.policy())};
    if (wide) {
      row.insert(row.end(), {fmt::format("{:.2f}", x.load_milli() / 1000.0), Mb(x.mem_available_kb()),
                             x.enforcer().empty() ? "-" : x.enforcer() + (x.enforcing() ? "" : " (monitor)"),
                             x.build().empty() ? "-" : x.build(), x.protocols(), x.id()});
    }
    t.Add(std::move(row));
  }
  std::string out = t.Render() + "CPU in cores.\n";
  for (const auto& u : n.unanswered()) out += fmt::format("note: no figures from {}\n", u);
  return out;
}

std::string AppsText(const control::AppList& a, bool wide) {
  std::vector<std::string> columns = {"APPLICATION", ">PRIO", "SHARE", ">BOOKED", ">DEMAND", ">USED", ">ALLOCATED",
                                      ">INSTANCES"};
  if (wide) columns.insert(columns.end(), {">REQUESTED", ">ENTITLED", ">UNPLACED"});
  Table t(columns);
  for (const auto& x : a.apps()) {
    std::vector<std::string> row = {x.name(), x.rogue() ? "-" : std::to_string(x.priority()),
                                    x.rogue() ? "(no policy)" : x.share(), Cores(x.booked_m()), Cores(x.demand_m()),
                                    Cores(x.usage_m()), Cores(x.allocated_m()), std::to_string(x.instances())};
    if (wide) row.insert(row.end(), {Cores(x.requested_m()), Cores(x.entitlement_m()), Cores(x.unplaced_m())});
    t.Add(std::move(row));
  }
  std::string out = t.Render();
  out += fmt::format("CPU in cores; pool capacity {} cores.\n", Cores(a.pool_capacity_m()));
  for (const auto& x : a.apps()) {
    if (x.instances() > 0 && (x.unplaced_m() > 0.5 || x.entitlement_m() + 0.5 < x.requested_m())) {
      out += fmt::format("warning: {} asks {} cores and is entitled to {}, of which {} could not be placed\n",
                         x.name(), Cores(x.requested_m()), Cores(x.entitlement_m()), Cores(x.unplaced_m()));
    }
  }
  return out;
}

std::string RateText(double bytes_per_s) {
  constexpr const char* kUnits[] = {"B/s", "kB/s", "MB/s", "GB/s", "TB/s"};
  size_t u = 0;
  while (bytes_per_s >= 1000 && u + 1 < std::size(kUnits)) bytes_per_s /= 1000, ++u;
  if (u == 0 || bytes_per_s >= 100) return fmt::format("{:.0f} {}", bytes_per_s, kUnits[u]);
  return fmt::format("{:.1f} {}", bytes_per_s, kUnits[u]);
}

std::string PipesText(const control::PipeList& p) {
  if (p.policy_version().empty()) return fmt::format("{} runs no policy: no pipes\n", p.answered_by());
  std::string out = fmt::format("pipes as {} sees them (policy {})\n", p.answered_by(), p.policy_version());
  if (p.pipes_size() == 0) out += "the policy declares no pipe\n";
  for (const auto& x : p.pipes()) out += PipeText(x);
  return out + "Used and allocated: each node's last second; demand: its latest credit round.\n";
}

std::string AppText(const control::AppDetail& d, bool wide) {
  const auto& a = d.app();
  std::string out = fmt::format("{}: {}\n", a.name(),
                                a.rogue() ? "no policy (rogue: shares what policies leave)"
                                          : fmt::format("priority {}, {}", a.priority(), a.share()));
  out += fmt::format("  entitled {} cores, booked {}, demand {}, used {}, allocated {}\n", Cores(a.entitlement_m()),
                     Cores(a.booked_m()), Cores(a.demand_m()), Cores(a.usage_m()), Cores(a.allocated_m()));
  std::vector<std::string> columns = {"NODE", ">DEMAND", ">USED", ">BOOKING", ">ALLOCATION", ">WEIGHT", "QUOTA"};
  if (wide) columns.insert(columns.end(), {">PROCS", ">RSS_MB", "CGROUP"});
  Table t(columns);
  for (const auto& i : d.instances()) {
    std::string quota = i.quota_us() > 0 ? fmt::format("{}/{} us", i.quota_us(), i.period_us()) : "none";
    std::vector<std::string> row = {i.node(), Cores(i.demand_m()), Cores(i.usage_m()), Cores(i.booking_m()),
                                    Cores(i.millicores()), std::to_string(i.weight()), quota};
    if (wide) {
      row.insert(row.end(), {std::to_string(i.processes()), Mb(i.rss_kb()),
                             !i.enforcing() ? "(monitor)" : i.cgroup().empty() ? "-" : i.cgroup()});
    }
    t.Add(std::move(row));
  }
  return out + t.Render("  ");
}

std::string KeyringText(const control::KeyringAnswer& k) {
  std::map<uint32_t, std::pair<int, int>> keys;  // id -> (held by, primary on)
  int answered = 0;
  for (const auto& n : k.nodes()) {
    if (!n.error().empty() && n.key_ids_size() == 0) continue;
    ++answered;
    for (uint32_t id : n.key_ids()) ++keys[id].first;
    ++keys[n.primary()].second;
  }
  Table t({"KEY", ">HELD_BY", ">PRIMARY_ON"});
  for (const auto& [id, counts] : keys) {
    t.Add({fmt::format("{:08x}", id), fmt::format("{} of {}", counts.first, answered),
           fmt::format("{} of {}", counts.second, answered)});
  }
  std::string out = t.Render();
  for (const auto& n : k.nodes()) {
    if (!n.error().empty()) out += fmt::format("warning: {}: {}\n", n.node(), n.error());
  }
  return out + fmt::format("{} node(s) asked by {}.\n", k.nodes_size(), k.answered_by());
}

std::string ExplainText(const control::Explanation& x) {
  std::string out = fmt::format("{} as {} sees it now (policy {})\n", x.app(), x.answered_by(), StampText(x.policy()));
  for (const auto& p : x.in_force()) out += fmt::format("in force: {}\n", p);
  out += x.steps();
  Table t({"NODE", ">DEMAND", ">USED", ">BOOKING", ">ALLOCATION", ">AGE_S"});
  for (const auto& f : x.figures()) {
    t.Add({f.node(), Cores(f.demand_m()), Cores(f.usage_m()), Cores(f.booking_m()), Cores(f.allocation_m()),
           fmt::format("{:.1f}", f.age_s())});
  }
  out += "Figures planned from, in cores, and how old each node's were when planned:\n" + t.Render("  ");
  for (const auto& n : x.notes()) out += "note: " + n + "\n";
  return out;
}

std::string VersionsText(const control::VersionList& v) {
  std::string out;
  for (const auto& n : v.nodes()) out += fmt::format("{} {}\n", n.node(), n.version().empty() ? "none" : StampText(n.stamp()));
  return out;
}

}  // namespace shoal::ctl
