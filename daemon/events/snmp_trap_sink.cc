#include "daemon/events/snmp_trap_sink.h"

// clang-format off
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
// clang-format on

#include <dlfcn.h>

#include <chrono>
#include <mutex>
#include <vector>

#include <fmt/format.h>

#include "daemon/control/event_format.h"
#include "daemon/engine/events.h"

namespace shoal::daemon {
namespace {

using Oid = std::vector<oid>;

// net-snmp, loaded when the first trap sink opens: it brings OpenSSL's
// libcrypto (about 2 MB of resident pages) that a daemon without SNMP
// should not carry. Its own headers give the functions' types.
struct NetSnmp {
  decltype(&netsnmp_ds_set_boolean) ds_set_boolean;
  decltype(&snmp_disable_log) disable_log;
  decltype(&init_snmp) init;
  decltype(&snmp_sess_init) sess_init;
  decltype(&snmp_sess_open) sess_open;
  decltype(&snmp_error) error;
  decltype(&snmp_sess_close) sess_close;
  decltype(&snmp_pdu_create) pdu_create;
  decltype(&snmp_pdu_add_variable) add_variable;
  decltype(&snmp_sess_send) sess_send;
  decltype(&snmp_free_pdu) free_pdu;
};

// The library without its configuration files, MIB files or persistent
// state: shoald sends numeric OIDs and writes nothing of net-snmp's.
Result<const NetSnmp*> Library() {
  static std::once_flag once;
  static NetSnmp lib;
  static std::string error;
  std::call_once(once, [] {
    void* h = ::dlopen("libnetsnmp.so.40", RTLD_NOW | RTLD_LOCAL);
    if (h == nullptr) {
      error = fmt::format("cannot load net-snmp (Debian package libsnmp40): {}", ::dlerror());
      return;
    }
    auto sym = [&](auto& f, const char* name) {
      f = reinterpret_cast<std::remove_reference_t<decltype(f)>>(::dlsym(h, name));
      if (f == nullptr && error.empty()) error = fmt::format("net-snmp lacks {}", name);
    };
    sym(lib.ds_set_boolean, "netsnmp_ds_set_boolean");
    sym(lib.disable_log, "snmp_disable_log");
    sym(lib.init, "init_snmp");
    sym(lib.sess_init, "snmp_sess_init");
    sym(lib.sess_open, "snmp_sess_open");
    sym(lib.error, "snmp_error");
    sym(lib.sess_close, "snmp_sess_close");
    sym(lib.pdu_create, "snmp_pdu_create");
    sym(lib.add_variable, "snmp_pdu_add_variable");
    sym(lib.sess_send, "snmp_sess_send");
    sym(lib.free_pdu, "snmp_free_pdu");
    if (!error.empty()) return;
    lib.ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_READ_CONFIGS, 1);
    lib.ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_LOAD, 1);
    lib.ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_SAVE, 1);
    ::setenv("MIBS", "", 1);
    ::setenv("MIBDIRS", "", 1);
    lib.disable_log();
    lib.init("shoald");
  });
  if (!error.empty()) return MakeError("{}", error);
  return &lib;
}

Oid Under(std::initializer_list<oid> tail) {
  Oid o(std::begin(kTrapBase), std::end(kTrapBase));
  o.insert(o.end(), tail);
  return o;
}

void AddText(const NetSnmp& lib, netsnmp_pdu* pdu, oid field, const std::string& text) {
  const Oid name = Under({1, field, 0});
  lib.add_variable(pdu, name.data(), name.size(), ASN_OCTET_STR, text.data(), text.size());
}

std::string FactsText(const control::Event& e) {
  std::string out;
  for (const auto& [k, v] : e.facts()) out += (out.empty() ? "" : " ") + k + "=" + v;
  return out;
}

uint32_t UptimeTicks() {
  static const auto start = std::chrono::steady_clock::now();
  const auto cs = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start) / 10;
  return static_cast<uint32_t>(cs.count());
}

}  // namespace

Result<std::unique_ptr<SnmpTrapSink>> SnmpTrapSink::Open(const TrapConfig& config) {
  auto lib = Library();
  if (!lib.ok()) return MakeError("events.snmp_trap {}: {}", config.target, lib.error().message);
  UptimeTicks();
  std::string peer = "udp:" + config.target;
  if (config.target.find(':') == std::string::npos) peer += ":162";
  netsnmp_session s;
  (*lib)->sess_init(&s);
  s.version = SNMP_VERSION_2c;
  s.peername = peer.data();
  std::string community = config.community;
  s.community = reinterpret_cast<u_char*>(community.data());
  s.community_len = community.size();
  void* session = (*lib)->sess_open(&s);
  if (session == nullptr) {
    char* why = nullptr;
    (*lib)->error(&s, nullptr, nullptr, &why);
    std::string message = why ? why : "unknown error";
    free(why);
    return MakeError("events.snmp_trap target '{}' cannot be used: {}", config.target, message);
  }
  return std::unique_ptr<SnmpTrapSink>(new SnmpTrapSink(config, session));
}

SnmpTrapSink::~SnmpTrapSink() { (*Library())->sess_close(session_); }

void SnmpTrapSink::Offer(const control::Event& e) {
  if (!config_.filter.Passes(e)) return;
  const auto type = engine::EventTypeNamed(e.type());
  if (!type) return;  // not one of the MIB's
  const NetSnmp& lib = **Library();  // loaded: this sink opened
  netsnmp_pdu* pdu = lib.pdu_create(SNMP_MSG_TRAP2);
  const Oid uptime = {1, 3, 6, 1, 2, 1, 1, 3, 0};  // sysUpTime.0
  const Oid trap_oid = {1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0};  // snmpTrapOID.0
  const uint32_t ticks = UptimeTicks();
  lib.add_variable(pdu, uptime.data(), uptime.size(), ASN_TIMETICKS, &ticks, sizeof ticks);
  const Oid which = Under({0, static_cast<oid>(*type) + 1});
  lib.add_variable(pdu, trap_oid.data(), trap_oid.size(), ASN_OBJECT_ID, which.data(), which.size() * sizeof(oid));
  AddText(lib, pdu, 1, e.type());
  AddText(lib, pdu, 2, e.severity());
  AddText(lib, pdu, 3, e.node());
  AddText(lib, pdu, 4, e.subject());
  AddText(lib, pdu, 5, e.text());
  AddText(lib, pdu, 6, control::Rfc3339(e.time_ms()));
  AddText(lib, pdu, 7, FactsText(e));
  const Oid seq = Under({1, 8, 0});
  const uint64_t value = e.seq();
  counter64 c64{static_cast<u_long>(value >> 32), static_cast<u_long>(value & 0xffffffffu)};
  lib.add_variable(pdu, seq.data(), seq.size(), ASN_COUNTER64, &c64, sizeof c64);
  if (lib.sess_send(session_, pdu) == 0) {
    lib.free_pdu(pdu);
    ++counters_.failures;
    ++counters_.dropped;
    return;
  }
  ++counters_.delivered;
}

}  // namespace shoal::daemon
