// Peer streams over TCP (Boost.Asio), sealed under the pool key with the
// protocol of gossip/stream_codec.h. shoald listens on the same port number
// as its gossip socket. One outbound connection per peer carries all calls
// to it (each with its own id, so responses may come back in any order) and
// is opened on the first call; a failed or closed connection fails the
// calls on it, and the next call opens a new one; so does a call that
// times out without a byte from the peer meanwhile (the connection is
// retired: stuck behind a vanished peer or TCP's backed-off
// retransmissions after a partition). Inbound connections are
// limited in number (at the limit, the authenticated one idle longest with
// no call in progress is closed to make room: a pool larger than the limit
// whose nodes each called this one once, as a fresh store's restore does,
// is not refused), and in handshakes under way per address once many are
// under way; each must
// prove the pool key (gossip/handshake.h) within a short deadline, and any
// connection with no call in progress is closed after an idle timeout. A
// handshake or frame that does not authenticate or parse, or breaks a size
// limit, closes the connection, is counted and is logged (at most one line
// a second); so is a connection the node cannot accept (out of
// descriptors), retried every 100 ms rather than at once. Use from the io_context's thread only.
#pragma once

#include <map>
#include <memory>
#include <set>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "core/log_limit.h"
#include "gossip/peer_streams.h"
#include "gossip/seal.h"

namespace shoal::gossip {

class TcpStreams final : public PeerStreams {
 public:
  struct Options {
    size_t max_inbound = 256;
    // Once this many inbound handshakes are under way, one address may
    // hold at most max_handshakes_per_address of them: a flood from one
    // address cannot take every slot, while a burst of honest fetches (a
    // policy push, every node calling the holders at once, from one
    // address on a loopback or NATed pool) is not refused.
    size_t handshakes_before_address_cap = 64;
    size_t max_handshakes_per_address = 8;
    Duration handshake_timeout = std::chrono::seconds(3);
    Duration idle_timeout = std::chrono::seconds(60);
  };

  // Listens on `bind` (port 0 picks a free one). `ring` must outlive this
  // object; keys added or removed later take effect for new connections.
  static Result<std::unique_ptr<TcpStreams>> Open(boost::asio::io_context& io, const Endpoint& bind,
                                                  const Keyring& ring, NodeId self);
  static Result<std::unique_ptr<TcpStreams>> Open(boost::asio::io_context& io, const Endpoint& bind,
                                                  const Keyring& ring, NodeId self, Options options);
  ~TcpStreams() override;

  Endpoint local_endpoint() const { return local_; }
  size_t open_connections() const { return outbound_.size() + inbound_.size(); }

  void Serve(StreamService service, Handler handler) override;
  void Call(const Endpoint& peer, StreamService service, std::string request, Duration timeout,
            Reply reply) override;
  bool Connected(const Endpoint& peer) const override { return outbound_.contains(peer); }
  const StreamCounters& counters() const override { return counters_; }

  class Connection;  // internal

 private:
  TcpStreams(boost::asio::io_context& io, boost::asio::ip::tcp::acceptor acceptor,
             const Keyring& ring, NodeId self, Options options);
  void Accept();
  void AcceptLater(const boost::system::error_code& ec);
  // An accepted socket: a connection, or closed at a limit.
  void Admit(boost::asio::ip::tcp::socket socket);
  void Closed(const std::shared_ptr<Connection>& c);
  // At the inbound limit: closes the idle inbound connection unused longest.
  void MakeRoom();
  // Inbound handshakes under way: in all, and from `ip`.
  std::pair<size_t, size_t> Handshaking(uint32_t ip) const;
  void LogRefusal(const Endpoint& peer, const std::string& why);
  void LogWarning(const std::string& text);  // at most one line a second
  void Dispatch(const std::shared_ptr<Connection>& c, uint64_t call_id, uint32_t service,
                std::string request);

  friend class Connection;
  boost::asio::io_context& io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  static constexpr Duration kAcceptRetry = std::chrono::milliseconds(100);
  boost::asio::steady_timer accept_retry_;
  const Keyring& ring_;
  NodeId self_;
  Options options_;
  Endpoint local_;
  std::map<uint32_t, Handler> handlers_;
  std::map<Endpoint, std::shared_ptr<Connection>> outbound_;
  std::set<std::shared_ptr<Connection>> inbound_;
  StreamCounters counters_;
  LogLimit refusal_log_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace shoal::gossip
