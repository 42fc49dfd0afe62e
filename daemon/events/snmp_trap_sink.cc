#include "daemon/events/snmp_trap_sink.h"

// clang-format off
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
// clang-format on

#include <chrono>
#include <mutex>
#include <vector>

#include "daemon/control/event_format.h"
#include "daemon/engine/events.h"

namespace shoal::daemon {
namespace {

using Oid = std::vector<oid>;

// The library without its configuration files, MIB files or persistent
// state: shoald sends numeric OIDs and writes nothing of net-snmp's.
void InitOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_READ_CONFIGS, 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_LOAD, 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_SAVE, 1);
    ::setenv("MIBS", "", 1);
    ::setenv("MIBDIRS", "", 1);
    snmp_disable_log();
    init_snmp("shoald");
  });
}

Oid Under(std::initializer_list<oid> tail) {
  Oid o(std::begin(kTrapBase), std::end(kTrapBase));
  o.insert(o.end(), tail);
  return o;
}

void AddText(netsnmp_pdu* pdu, oid field, const std::string& text) {
  const Oid name = Under({1, field, 0});
  snmp_pdu_add_variable(pdu, name.data(), name.size(), ASN_OCTET_STR, text.data(), text.size());
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
  InitOnce();
  UptimeTicks();
  std::string peer = "udp:" + config.target;
  if (config.target.find(':') == std::string::npos) peer += ":162";
  netsnmp_session s;
  snmp_sess_init(&s);
  s.version = SNMP_VERSION_2c;
  s.peername = peer.data();
  std::string community = config.community;
  s.community = reinterpret_cast<u_char*>(community.data());
  s.community_len = community.size();
  void* session = snmp_sess_open(&s);
  if (session == nullptr) {
    char* why = nullptr;
    snmp_error(&s, nullptr, nullptr, &why);
    std::string message = why ? why : "unknown error";
    free(why);
    return MakeError("events.snmp_trap target '{}' cannot be used: {}", config.target, message);
  }
  return std::unique_ptr<SnmpTrapSink>(new SnmpTrapSink(config, session));
}

SnmpTrapSink::~SnmpTrapSink() { snmp_sess_close(session_); }

void SnmpTrapSink::Offer(const control::Event& e) {
  if (!config_.filter.Passes(e)) return;
  const auto type = engine::EventTypeNamed(e.type());
  if (!type) return;  // not one of the MIB's
  netsnmp_pdu* pdu = snmp_pdu_create(SNMP_MSG_TRAP2);
  const Oid uptime = {1, 3, 6, 1, 2, 1, 1, 3, 0};  // sysUpTime.0
  const Oid trap_oid = {1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0};  // snmpTrapOID.0
  const uint32_t ticks = UptimeTicks();
  snmp_pdu_add_variable(pdu, uptime.data(), uptime.size(), ASN_TIMETICKS, &ticks, sizeof ticks);
  const Oid which = Under({0, static_cast<oid>(*type) + 1});
  snmp_pdu_add_variable(pdu, trap_oid.data(), trap_oid.size(), ASN_OBJECT_ID, which.data(), which.size() * sizeof(oid));
  AddText(pdu, 1, e.type());
  AddText(pdu, 2, e.severity());
  AddText(pdu, 3, e.node());
  AddText(pdu, 4, e.subject());
  AddText(pdu, 5, e.text());
  AddText(pdu, 6, control::Rfc3339(e.time_ms()));
  AddText(pdu, 7, FactsText(e));
  const Oid seq = Under({1, 8, 0});
  const uint64_t value = e.seq();
  counter64 c64{static_cast<u_long>(value >> 32), static_cast<u_long>(value & 0xffffffffu)};
  snmp_pdu_add_variable(pdu, seq.data(), seq.size(), ASN_COUNTER64, &c64, sizeof c64);
  if (snmp_sess_send(session_, pdu) == 0) {
    snmp_free_pdu(pdu);
    ++counters_.failures;
    ++counters_.dropped;
    return;
  }
  ++counters_.delivered;
}

}  // namespace shoal::daemon
