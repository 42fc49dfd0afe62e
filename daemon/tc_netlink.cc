#include "daemon/tc_netlink.h"

#include <linux/if_ether.h>

#include <algorithm>
#include <linux/tc_act/tc_mirred.h>
#include <net/if.h>
#include <netlink/netlink.h>
#include <netlink/route/act/mirred.h>
#include <netlink/route/action.h>
#include <netlink/route/class.h>
#include <netlink/route/classifier.h>
#include <netlink/route/cls/u32.h>
#include <netlink/route/link.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/qdisc/fifo.h>
#include <netlink/route/qdisc/htb.h>

namespace shoal::daemon {
namespace {

Error NlError(const char* what, int err) { return MakeError("netlink: {}: {}", what, nl_geterror(err)); }

template <typename T, void (*Put)(T*)>
struct Owned {
  T* p;
  explicit Owned(T* x) : p(x) {}
  ~Owned() {
    if (p) Put(p);
  }
  Owned(const Owned&) = delete;
  Owned& operator=(const Owned&) = delete;
};
using Qdisc = Owned<rtnl_qdisc, rtnl_qdisc_put>;
using Class = Owned<rtnl_class, rtnl_class_put>;
using Filter = Owned<rtnl_cls, rtnl_cls_put>;
using Cache = Owned<nl_cache, nl_cache_free>;
using Link = Owned<rtnl_link, rtnl_link_put>;
using Action = Owned<rtnl_act, rtnl_act_put>;

constexpr uint32_t kIngress = 0xffff0000;  // ffff:, the ingress qdisc's handle

// A u32 filter on IPv4 packets under the qdisc `major`, at priority `prio`;
// a negative libnl error if the kind cannot be set.
int SetU32(rtnl_cls* f, int ifindex, uint32_t major, uint16_t prio) {
  rtnl_tc_set_ifindex(TC_CAST(f), ifindex);
  rtnl_tc_set_parent(TC_CAST(f), TcHandle(major, 0));
  if (int err = rtnl_tc_set_kind(TC_CAST(f), "u32"); err < 0) return err;
  rtnl_cls_set_prio(f, prio);
  rtnl_cls_set_protocol(f, ETH_P_IP);
  return 0;
}

}  // namespace

Result<std::unique_ptr<TcNetlink>> TcNetlink::Open() {
  nl_sock* sock = nl_socket_alloc();
  if (sock == nullptr) return MakeError("netlink: cannot allocate a socket");
  if (int err = nl_connect(sock, NETLINK_ROUTE); err < 0) {
    nl_socket_free(sock);
    return NlError("connect", err);
  }
  return std::unique_ptr<TcNetlink>(new TcNetlink(sock));
}

TcNetlink::~TcNetlink() { nl_socket_free(sock_); }

Result<int> TcNetlink::Index(const std::string& interface) {
  // One link asked for by name (a cache of every link would cost as much
  // as the host has interfaces, each round).
  rtnl_link* raw = nullptr;
  const int err = interface.empty() || interface.size() >= IFNAMSIZ
                      ? -NLE_OBJ_NOTFOUND
                      : rtnl_link_get_kernel(sock_, 0, interface.c_str(), &raw);
  if (err == -NLE_OBJ_NOTFOUND || err == -NLE_NODEV) return MakeError("interface {} does not exist", interface);
  if (err < 0) return NlError(("interface " + interface).c_str(), err);
  Link link(raw);
  return rtnl_link_get_ifindex(link.p);
}

Result<std::pair<std::string, uint32_t>> TcNetlink::Root(int ifindex) {
  nl_cache* raw = nullptr;
  if (int err = rtnl_qdisc_alloc_cache(sock_, &raw); err < 0) return NlError("qdiscs", err);
  Cache qdiscs(raw);
  rtnl_qdisc* root = rtnl_qdisc_get_by_parent(qdiscs.p, ifindex, TC_H_ROOT);
  if (root == nullptr) return std::pair<std::string, uint32_t>{"", 0};
  Qdisc q(root);
  const char* kind = rtnl_tc_get_kind(TC_CAST(q.p));
  return std::pair<std::string, uint32_t>{kind ? kind : "", rtnl_tc_get_handle(TC_CAST(q.p)) >> 16};
}

Status TcNetlink::AddHtbRoot(int ifindex, uint32_t major, uint32_t default_minor) {
  Qdisc q(rtnl_qdisc_alloc());
  rtnl_tc_set_ifindex(TC_CAST(q.p), ifindex);
  rtnl_tc_set_parent(TC_CAST(q.p), TC_H_ROOT);
  rtnl_tc_set_handle(TC_CAST(q.p), TcHandle(major, 0));
  if (int err = rtnl_tc_set_kind(TC_CAST(q.p), "htb"); err < 0) return NlError("htb", err);
  rtnl_htb_set_defcls(q.p, TcHandle(major, default_minor));
  if (int err = rtnl_qdisc_add(sock_, q.p, NLM_F_CREATE | NLM_F_REPLACE); err < 0) return NlError("add htb", err);
  return Status::Ok();
}

Status TcNetlink::DeleteRoot(int ifindex) {
  Qdisc q(rtnl_qdisc_alloc());
  rtnl_tc_set_ifindex(TC_CAST(q.p), ifindex);
  rtnl_tc_set_parent(TC_CAST(q.p), TC_H_ROOT);
  if (int err = rtnl_qdisc_delete(sock_, q.p); err < 0) return NlError("delete root qdisc", err);
  return Status::Ok();
}

Status TcNetlink::SetClass(int ifindex, uint32_t parent, uint32_t handle, uint64_t rate, uint64_t ceil,
                           uint32_t prio) {
  Class c(rtnl_class_alloc());
  rtnl_tc_set_ifindex(TC_CAST(c.p), ifindex);
  rtnl_tc_set_parent(TC_CAST(c.p), parent);
  rtnl_tc_set_handle(TC_CAST(c.p), handle);
  if (int err = rtnl_tc_set_kind(TC_CAST(c.p), "htb"); err < 0) return NlError("htb class", err);
  rtnl_htb_set_rate64(c.p, std::max<uint64_t>(rate, 1));
  rtnl_htb_set_ceil64(c.p, std::max({ceil, rate, uint64_t{1}}));
  rtnl_htb_set_prio(c.p, prio);
  if (int err = rtnl_class_add(sock_, c.p, NLM_F_CREATE); err < 0) return NlError("set class", err);
  return Status::Ok();
}

Status TcNetlink::SetLeafFifo(int ifindex, uint32_t parent, uint32_t handle, uint32_t limit) {
  Qdisc q(rtnl_qdisc_alloc());
  rtnl_tc_set_ifindex(TC_CAST(q.p), ifindex);
  rtnl_tc_set_parent(TC_CAST(q.p), parent);
  rtnl_tc_set_handle(TC_CAST(q.p), handle);
  if (int err = rtnl_tc_set_kind(TC_CAST(q.p), "bfifo"); err < 0) return NlError("bfifo", err);
  if (int err = rtnl_qdisc_fifo_set_limit(q.p, static_cast<int>(limit)); err < 0) return NlError("bfifo limit", err);
  if (int err = rtnl_qdisc_add(sock_, q.p, NLM_F_CREATE | NLM_F_REPLACE); err < 0) return NlError("set bfifo", err);
  return Status::Ok();
}

Status TcNetlink::AddFilter(int ifindex, uint32_t major, uint16_t prio, const TcMatch& m, uint32_t classid) {
  Filter f(rtnl_cls_alloc());
  if (int err = SetU32(f.p, ifindex, major, prio); err < 0) return NlError("u32", err);
  // Offsets in the IPv4 header (no options): source 12, destination 16;
  // then the transport header's source port 20, destination port 22.
  const int remote_at = m.incoming ? 12 : 16, port_at = m.incoming ? 22 : 20;
  int err = 0;
  if (m.remote_mask != 0 && err >= 0) err = rtnl_u32_add_key_uint32(f.p, m.remote, m.remote_mask, remote_at, 0);
  if (m.protocol != 0 && err >= 0) err = rtnl_u32_add_key_uint8(f.p, m.protocol, 0xff, 9, 0);
  if (m.port_mask != 0 && err >= 0) err = rtnl_u32_add_key_uint16(f.p, m.port, m.port_mask, port_at, 0);
  // A filter needs at least one key: match every IPv4 packet.
  if (m.remote_mask == 0 && m.protocol == 0 && m.port_mask == 0 && err >= 0) {
    err = rtnl_u32_add_key_uint32(f.p, 0, 0, 0, 0);
  }
  if (err >= 0) err = rtnl_u32_set_classid(f.p, classid);
  if (err >= 0) err = rtnl_u32_set_cls_terminal(f.p);
  if (err >= 0) err = rtnl_cls_add(sock_, f.p, NLM_F_CREATE);
  if (err < 0) return NlError("add filter", err);
  return Status::Ok();
}

Status TcNetlink::DeleteFilters(int ifindex, uint32_t major, uint16_t prio) {
  Filter f(rtnl_cls_alloc());
  if (int err = SetU32(f.p, ifindex, major, prio); err < 0) return NlError("u32", err);
  if (int err = rtnl_cls_delete(sock_, f.p, 0); err < 0 && err != -NLE_OBJ_NOTFOUND && err != -NLE_NOADDR) {
    return NlError("delete filters", err);
  }
  return Status::Ok();
}

Result<int> TcNetlink::AddIfb(const std::string& name) {
  if (name.empty() || name.size() >= IFNAMSIZ) return MakeError("IFB name '{}' is not a valid interface name", name);
  if (auto existing = Index(name); existing.ok()) return *existing;
  Link link(rtnl_link_alloc());
  rtnl_link_set_name(link.p, name.c_str());
  if (int err = rtnl_link_set_type(link.p, "ifb"); err < 0) return NlError("ifb", err);
  rtnl_link_set_flags(link.p, IFF_UP);
  if (int err = rtnl_link_add(sock_, link.p, NLM_F_CREATE | NLM_F_EXCL); err < 0) {
    return NlError(("add IFB device " + name).c_str(), err);
  }
  return Index(name);
}

Status TcNetlink::DeleteLink(int ifindex) {
  Link link(rtnl_link_alloc());
  rtnl_link_set_ifindex(link.p, ifindex);
  if (int err = rtnl_link_delete(sock_, link.p); err < 0) return NlError("delete link", err);
  return Status::Ok();
}

Result<bool> TcNetlink::HasIngress(int ifindex) {
  nl_cache* raw = nullptr;
  if (int err = rtnl_qdisc_alloc_cache(sock_, &raw); err < 0) return NlError("qdiscs", err);
  Cache qdiscs(raw);
  rtnl_qdisc* ingress = rtnl_qdisc_get_by_parent(qdiscs.p, ifindex, TC_H_INGRESS);
  if (ingress == nullptr) return false;
  rtnl_qdisc_put(ingress);
  return true;
}

Status TcNetlink::AddIngressRedirect(int ifindex, int to) {
  Qdisc q(rtnl_qdisc_alloc());
  rtnl_tc_set_ifindex(TC_CAST(q.p), ifindex);
  rtnl_tc_set_parent(TC_CAST(q.p), TC_H_INGRESS);
  rtnl_tc_set_handle(TC_CAST(q.p), kIngress);
  if (int err = rtnl_tc_set_kind(TC_CAST(q.p), "ingress"); err < 0) return NlError("ingress", err);
  if (int err = rtnl_qdisc_add(sock_, q.p, NLM_F_CREATE | NLM_F_EXCL); err < 0) return NlError("add ingress", err);
  Action redirect(rtnl_act_alloc());
  int err = rtnl_tc_set_kind(TC_CAST(redirect.p), "mirred");
  if (err >= 0) err = rtnl_mirred_set_action(redirect.p, TCA_EGRESS_REDIR);
  if (err >= 0) err = rtnl_mirred_set_policy(redirect.p, TC_ACT_STOLEN);
  if (err >= 0) err = rtnl_mirred_set_ifindex(redirect.p, static_cast<uint32_t>(to));
  Filter f(rtnl_cls_alloc());
  rtnl_tc_set_ifindex(TC_CAST(f.p), ifindex);
  rtnl_tc_set_parent(TC_CAST(f.p), kIngress);
  if (err >= 0) err = rtnl_tc_set_kind(TC_CAST(f.p), "u32");
  rtnl_cls_set_protocol(f.p, ETH_P_IP);
  if (err >= 0) err = rtnl_u32_add_key_uint32(f.p, 0, 0, 0, 0);
  if (err >= 0) err = rtnl_u32_add_action(f.p, redirect.p);  // takes a reference of its own
  if (err >= 0) err = rtnl_u32_set_cls_terminal(f.p);          // a match runs the action
  if (err >= 0) err = rtnl_cls_add(sock_, f.p, NLM_F_CREATE);
  if (err < 0) return NlError("add ingress redirect", err);
  return Status::Ok();
}

Status TcNetlink::DeleteIngress(int ifindex) {
  Qdisc q(rtnl_qdisc_alloc());
  rtnl_tc_set_ifindex(TC_CAST(q.p), ifindex);
  rtnl_tc_set_parent(TC_CAST(q.p), TC_H_INGRESS);
  rtnl_tc_set_handle(TC_CAST(q.p), kIngress);
  if (int err = rtnl_qdisc_delete(sock_, q.p); err < 0) return NlError("delete ingress qdisc", err);
  return Status::Ok();
}

Result<std::map<uint32_t, TcCounters>> TcNetlink::Counters(int ifindex) {
  nl_cache* raw = nullptr;
  if (int err = rtnl_class_alloc_cache(sock_, ifindex, &raw); err < 0) return NlError("classes", err);
  Cache classes(raw);
  std::map<uint32_t, TcCounters> out;
  for (nl_object* o = nl_cache_get_first(classes.p); o != nullptr; o = nl_cache_get_next(o)) {
    auto* tc = TC_CAST(o);
    out[rtnl_tc_get_handle(tc)] = TcCounters{rtnl_tc_get_stat(tc, RTNL_TC_BYTES), rtnl_tc_get_stat(tc, RTNL_TC_PACKETS),
                                             rtnl_tc_get_stat(tc, RTNL_TC_DROPS), rtnl_tc_get_stat(tc, RTNL_TC_BACKLOG)};
  }
  return out;
}

}  // namespace shoal::daemon
