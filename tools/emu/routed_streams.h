// Peer streams of an emulated peer (tools/emu/emulated_pool.h). A call to
// another peer of the same emulator is handed to that peer's handler in
// this process (posted on the io_context, so neither side runs inside the
// other, and failed after its timeout like a TCP call); a call to anyone
// else (the real daemon) goes over the peer's own TcpStreams, which also
// serve the real daemon's calls with the same handlers. What the real
// daemon sees is unchanged, real sealed TCP both ways; the emulated peers
// among themselves hold no sockets: 127 peers restoring their history from
// one another open 16,000 connections, 32,000 descriptors with both ends
// in one process, past the 20,000 a process may hold on the test machines
// (calls failed with "Too many open files" while the daemon waited).
//
// counters(): the TCP streams' (bytes are the real daemon's traffic) plus
// the calls made, failed and served in process. Not thread-safe.
#pragma once

#include <map>
#include <memory>

#include <boost/asio/io_context.hpp>

#include "gossip/net/tcp_streams.h"
#include "gossip/peer_streams.h"

namespace shoal::emu {

class RoutedStreams;

// The emulator's peers by the address they listen on.
class LocalRoutes {
 public:
  void Add(const Endpoint& at, RoutedStreams* streams) { routes_[at] = streams; }
  void Remove(const Endpoint& at) { routes_.erase(at); }
  RoutedStreams* Find(const Endpoint& at) const {
    auto it = routes_.find(at);
    return it == routes_.end() ? nullptr : it->second;
  }

 private:
  std::map<Endpoint, RoutedStreams*> routes_;
};

class RoutedStreams final : public gossip::PeerStreams {
 public:
  // Joins `routes` at `self.endpoint` (left again when destroyed); `routes`
  // and `io` must outlive this object.
  RoutedStreams(boost::asio::io_context& io, LocalRoutes& routes, gossip::StreamPeer self,
                std::unique_ptr<gossip::TcpStreams> tcp);
  ~RoutedStreams() override;
  RoutedStreams(const RoutedStreams&) = delete;
  RoutedStreams& operator=(const RoutedStreams&) = delete;

  void Serve(gossip::StreamService service, Handler handler) override;
  void Call(const Endpoint& peer, gossip::StreamService service, std::string request, Duration timeout,
            Reply reply) override;
  bool Connected(const Endpoint& peer) const override;
  const gossip::StreamCounters& counters() const override;
  const gossip::TcpStreams& tcp() const { return *tcp_; }

 private:
  struct LocalCall;
  // A call from another emulated peer.
  void Handle(const gossip::StreamPeer& from, uint32_t service, std::string request, Respond respond);

  boost::asio::io_context& io_;
  LocalRoutes& routes_;
  gossip::StreamPeer self_;
  std::unique_ptr<gossip::TcpStreams> tcp_;
  std::map<uint32_t, Handler> handlers_;
  gossip::StreamCounters local_;
  mutable gossip::StreamCounters sum_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace shoal::emu
