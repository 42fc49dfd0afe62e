// What the security of issue 18 costs: the sealed handshake's CPU (both
// sides), the latency a new peer stream pays for it on loopback against a
// call on an open connection, and signing and checking admin actions.
// Prints one JSON object. Usage: security-bench [--rounds N]
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <fmt/format.h>

#include "core/percentile.h"
#include "gossip/admin_auth.h"
#include "gossip/handshake.h"
#include "gossip/net/tcp_streams.h"

using namespace shoal;
using namespace shoal::gossip;
using Wall = std::chrono::steady_clock;

namespace {

double Us(Wall::duration d) { return std::chrono::duration<double, std::micro>(d).count(); }

// One whole handshake, both sides, as the two ends compute it.
double HandshakeUs(int rounds) {
  Key secret;
  secret.fill(7);
  const auto start = Wall::now();
  for (int i = 0; i < rounds; ++i) {
    HandshakeSide client(1, NodeId{1}), server(1, NodeId{2});
    auto sk = server.Keys(secret, client.hello(), false);
    const Proof sp = server.Prove(secret, client.hello(), false);
    const bool c_ok = client.Check(secret, server.hello(), true, sp);
    auto ck = client.Keys(secret, server.hello(), true);
    const Proof cp = client.Prove(secret, server.hello(), true);
    const bool s_ok = server.Check(secret, client.hello(), false, cp);
    if (!c_ok || !s_ok || !sk.ok() || !ck.ok() || sk->send != ck->receive) std::abort();
  }
  return Us(Wall::now() - start) / rounds;
}

template <typename Done>
void RunUntil(boost::asio::io_context& io, const Done& done) {
  while (!done()) {
    io.run_one_for(std::chrono::milliseconds(100));
  }
}

// Milliseconds of one echo call: on a new connection each time (the
// handshake included) or on the one open connection.
std::pair<std::vector<double>, std::vector<double>> CallMs(int rounds) {
  boost::asio::io_context io;
  Keyring ring;
  ring.Add(Keyring::Generate());
  auto server = TcpStreams::Open(io, Endpoint{0x7f000001, 0}, ring, NodeId{1});
  if (!server.ok()) std::abort();
  (*server)->Serve(StreamService::kEcho, [](const StreamPeer&, std::string r, PeerStreams::Respond respond) {
    respond(std::move(r));
  });
  auto call = [&](TcpStreams& client) {
    bool done = false;
    const auto start = Wall::now();
    client.Call((*server)->local_endpoint(), StreamService::kEcho, "ping", std::chrono::seconds(5),
                [&](Result<std::string> r) {
                  if (!r.ok()) std::abort();
                  done = true;
                });
    RunUntil(io, [&] { return done; });
    return Us(Wall::now() - start) / 1000.0;
  };
  std::vector<double> fresh, open;
  for (int i = 0; i < rounds; ++i) {
    auto client = TcpStreams::Open(io, Endpoint{0x7f000001, 0}, ring, NodeId{2});
    if (!client.ok()) std::abort();
    fresh.push_back(call(**client));
    open.push_back(call(**client));
  }
  return {fresh, open};
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"security-bench: the cost of the sealed handshake and of signed admin actions"};
  int rounds = 500;
  app.add_option("--rounds", rounds, "repetitions of each measurement")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  const double handshake_us = HandshakeUs(rounds * 4);
  auto [fresh, open] = CallMs(rounds);

  const std::string dir = fmt::format("/tmp/security-bench-{}", ::getpid());
  std::filesystem::create_directories(dir);
  if (!WriteNewAdminKey(dir + "/admin.key").ok()) std::abort();
  auto signer = AdminSigner::Load(dir + "/admin.key");
  std::filesystem::remove_all(dir);
  if (!signer.ok()) std::abort();
  std::ifstream in(SHOAL_SOURCE_DIR "/examples/policies/full.xml");
  std::stringstream doc;
  doc << in.rdbuf();
  int64_t now = 1'800'000'000'000;
  AdminVerifier verifier({signer->public_key()}, [&] { return now; });
  std::vector<std::string> signed_docs;
  auto start = Wall::now();
  for (int i = 0; i < rounds; ++i) signed_docs.push_back(signer->Sign("policy", doc.str(), now + i));
  const double sign_us = Us(Wall::now() - start) / rounds;
  start = Wall::now();
  for (const auto& s : signed_docs) {
    if (!verifier.TakeOnce(s, "policy").ok()) std::abort();
  }
  const double check_us = Us(Wall::now() - start) / rounds;

  fmt::print(
      "{{\"rounds\": {}, \"handshake_cpu_us\": {:.1f}, \"new_stream_call_ms_p50\": {:.3f}, "
      "\"new_stream_call_ms_p99\": {:.3f}, \"open_stream_call_ms_p50\": {:.3f}, \"open_stream_call_ms_p99\": {:.3f}, "
      "\"policy_bytes\": {}, \"admin_sign_us\": {:.1f}, \"admin_check_us\": {:.1f}}}\n",
      rounds, handshake_us, Percentile(fresh, 50), Percentile(fresh, 99), Percentile(open, 50), Percentile(open, 99),
      doc.str().size(), sign_us, check_us);
  return 0;
}
