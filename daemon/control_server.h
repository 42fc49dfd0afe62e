// The control API's server: TCP (local only by default), each request and
// response a Protocol Buffers message behind a 4-byte big-endian length;
// from other hosts only sealed under the caller's token (see
// daemon/control/seal.h), so no token crosses the network in the clear.
// Every request carries a token; read-only tokens may ask, admin tokens may
// also push policies and switch modes. A request that is oversized (the
// length is checked before anything is read), malformed, late (10 s per
// request) or unauthorized is answered with an error where possible and
// its connection closed; each case is counted. Connections beyond the limit
// are closed at once. The handler runs on the io_context's thread and
// answers through its Reply, at once or later (a pool-wide history query
// waits for other nodes); before the final response it may send progress
// responses (Response.progress set), which the client shows. While the
// handler works the request timeout does not run: the handler bounds its
// own work. Use from the io_context's thread only.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "control.pb.h"
#include "core/clock.h"
#include "core/log_limit.h"
#include "core/endpoint.h"
#include "core/result.h"
#include "daemon/control/protocol.h"
#include "daemon/control/tokens.h"

namespace shoal::daemon {

struct ControlCounters {
  uint64_t accepted = 0, busy = 0, served = 0, oversized = 0, malformed = 0, timed_out = 0, unauthorized = 0,
           forbidden = 0;
};

class ControlServer {
 public:
  struct Options {
    size_t max_connections = 32;
    Duration request_timeout = std::chrono::seconds(10);
  };
  // Call with progress responses any number of times, then exactly once
  // with the final response.
  using Reply = std::function<void(control::Response)>;
  using Handler = std::function<void(const control::Request&, Role, Reply)>;

  static Result<std::unique_ptr<ControlServer>> Open(boost::asio::io_context& io, const Endpoint& listen,
                                                     Options options, Handler handler);
  ~ControlServer();

  // The tokens in force; none: every request is refused with `why`.
  void SetTokens(std::optional<Tokens> tokens, std::string why);
  Endpoint local_endpoint() const { return local_; }
  const ControlCounters& counters() const { return counters_; }

  class Connection;  // internal

 private:
  ControlServer(boost::asio::ip::tcp::acceptor acceptor, Options options, Handler handler);
  void Accept();
  // A refusal of one well-formed request (authorization), or nullopt when
  // the handler takes it.
  std::optional<control::Response> Refuse(const control::Request& request, bool& close, Role& role);

  void LogRefusal(const Endpoint& peer, const std::string& why);

  friend class Connection;
  boost::asio::ip::tcp::acceptor acceptor_;
  LogLimit refusal_log_;
  Options options_;
  Handler handler_;
  Endpoint local_;
  std::optional<Tokens> tokens_;
  std::string no_tokens_;
  std::set<std::shared_ptr<Connection>> open_;
  ControlCounters counters_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace shoal::daemon
