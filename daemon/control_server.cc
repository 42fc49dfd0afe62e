#include "daemon/control_server.h"

#include <array>
#include <deque>

#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <spdlog/spdlog.h>

#include "core/big_endian.h"
#include "daemon/control/seal.h"
#include "gossip/net/asio_endpoint.h"

namespace shoal::daemon {
namespace asio = boost::asio;
using asio::ip::tcp;

// One client connection: read a request, answer, repeat. Plain (from
// loopback only) or sealed (daemon/control/seal.h), told apart by its first
// bytes. Owned by the server's set and by its pending operations.
class ControlServer::Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(ControlServer& owner, tcp::socket socket, Endpoint peer)
      : owner_(owner), socket_(std::move(socket)), timer_(socket_.get_executor()), peer_(peer) {}

  void Start() { ReadHeader(); }

  void Close() {
    boost::system::error_code ec;
    socket_.close(ec);
    timer_.cancel();
  }

 private:
  void Arm() {
    timer_.expires_after(owner_.options_.request_timeout);
    timer_.async_wait([self = shared_from_this(), alive = owner_.alive_](const boost::system::error_code& ec) {
      if (ec || !*alive || !self->socket_.is_open()) return;
      // An idle connection between requests is closed quietly; a request
      // (or a handshake) that stalls half-way is counted.
      if (self->in_request_) ++self->owner_.counters_.timed_out;
      self->Finish();
    });
  }

  // Four bytes: the first of a connection tell its mode; then a plain
  // request's length, or a sealed frame's.
  void ReadHeader() {
    Arm();
    asio::async_read(socket_, asio::buffer(header_),
                     [self = shared_from_this(), alive = owner_.alive_](const boost::system::error_code& ec, size_t) {
                       if (!*alive) return;
                       if (ec) return self->Finish();
                       self->in_request_ = true;
                       if (std::exchange(self->first_, false)) {
                         if (StartsSealed(self->header_)) return self->ReadHello();
                         if (!PlainAllowedFrom(self->peer_)) return self->RefusePlain();
                       }
                       const uint64_t size = GetBigEndian(self->header_.data(), 4);
                       if (self->sealer_) return self->ReadSealedFrame(size);
                       if (size > kMaxControlRequest) {
                         ++self->owner_.counters_.oversized;
                         control::Response r;
                         r.set_error(fmt::format("request of {} bytes refused: the limit is {} bytes", size,
                                                 kMaxControlRequest));
                         return self->Reply(r, true);
                       }
                       self->body_.clear();
                       self->ReadBody(size);
                     });
  }

  void RefusePlain() {
    ++owner_.counters_.unauthorized;
    control::Response r;
    r.set_error(fmt::format("this daemon takes only sealed control connections from other hosts ({} is not "
                            "loopback): use shoalctl, which seals when --node is not a loopback address",
                            peer_.ToString()));
    Reply(r, true);
  }

  // Reads the body a chunk at a time, so a connection holds only as much
  // memory as it has really sent, whatever length its header claims.
  void ReadBody(size_t size) {
    static constexpr size_t kChunk = 64 << 10;
    const size_t have = body_.size();
    const size_t want = std::min(size - have, kChunk);
    body_.resize(have + want);
    asio::async_read(socket_, asio::buffer(body_.data() + have, want),
                     [self = shared_from_this(), alive = owner_.alive_, size](const boost::system::error_code& ec,
                                                                              size_t) {
                       if (!*alive) return;
                       if (ec) return self->Finish();
                       if (self->body_.size() < size) return self->ReadBody(size);
                       self->OnBody();
                     });
  }

  // --- sealed mode ---

  // Reads buf[from..] in full, then runs `next`; a closed or broken
  // connection ends it.
  void ReadRest(std::vector<uint8_t>& buf, size_t from, void (Connection::*next)()) {
    asio::async_read(socket_, asio::buffer(buf.data() + from, buf.size() - from),
                     [self = shared_from_this(), alive = owner_.alive_, next](const boost::system::error_code& ec,
                                                                              size_t) {
                       if (!*alive) return;
                       if (ec) return self->Finish();
                       ((*self).*next)();
                     });
  }

  // The rest of the hello whose first bytes are in header_.
  void ReadHello() {
    handshake_.assign(header_.begin(), header_.end());
    handshake_.resize(gossip::kHelloBytes);
    ReadRest(handshake_, header_.size(), &Connection::OnHello);
  }

  // The client's hello names its token by id: answer with hello, proof and
  // stream header.
  void OnHello() {
    auto hello = gossip::StreamHello::Decode(handshake_);
    std::optional<std::pair<std::string, Role>> token;
    if (hello.ok() && owner_.tokens_) token = owner_.tokens_->ById(hello->key_id);
    if (!token) return HandshakeRefused(hello.ok() ? "no token of this daemon has the id the caller names"
                                                   : hello.error().message);
    secret_ = *TokenSecret(token->first);
    peer_hello_ = *hello;
    side_ = std::make_unique<gossip::HandshakeSide>(hello->key_id, NodeId{});
    auto keys = side_->Keys(secret_, *peer_hello_, false);
    if (!keys.ok()) return HandshakeRefused(keys.error().message);
    sealer_.emplace(keys->send);
    receive_key_ = keys->receive;
    const auto mine = side_->hello().Encode();
    const gossip::Proof proof = side_->Prove(secret_, *peer_hello_, false);
    std::string out(mine.begin(), mine.end());
    out.append(proof.begin(), proof.end());
    out.append(sealer_->header().begin(), sealer_->header().end());
    Write(std::move(out), false, false);
    handshake_.resize(gossip::kProofBytes + gossip::kStreamHeaderBytes);
    ReadRest(handshake_, 0, &Connection::OnProof);
  }

  void OnProof() {
    gossip::Proof proof;
    std::copy_n(handshake_.begin(), proof.size(), proof.begin());
    if (!side_->Check(secret_, *peer_hello_, false, proof)) return HandshakeRefused("the caller could not prove its token");
    opener_.emplace(receive_key_, std::span<const uint8_t, gossip::kStreamHeaderBytes>(
                                      handshake_.data() + gossip::kProofBytes, gossip::kStreamHeaderBytes));
    sodium_memzero(secret_.data(), secret_.size());
    sodium_memzero(receive_key_.data(), receive_key_.size());
    side_.reset();
    handshake_ = {};
    in_request_ = false;
    ReadHeader();
  }

  void HandshakeRefused(const std::string& why) {
    ++owner_.counters_.unauthorized;
    owner_.LogRefusal(peer_, why);
    Finish();
  }

  void ReadSealedFrame(uint64_t size) {
    if (size < gossip::kFrameOverhead || size > gossip::kMaxSealedFrame) {
      ++owner_.counters_.malformed;
      return Finish();
    }
    frame_.resize(size);
    ReadRest(frame_, 0, &Connection::OnSealedFrame);
  }

  void OnSealedFrame() {
    auto frame = opener_->Open(frame_);
    if (!frame.ok()) {
      ++owner_.counters_.malformed;
      owner_.LogRefusal(peer_, frame.error().message);
      return Finish();
    }
    auto done = assembler_.Add(std::move(*frame));
    if (!done.ok()) {
      ++owner_.counters_.oversized;
      control::Response r;
      r.set_error(fmt::format("request refused: {} (the limit is {} bytes)", done.error().message, kMaxControlRequest));
      return Reply(r, true);
    }
    if (!done->has_value()) return ReadHeader();  // more frames of this message
    call_id_ = (*done)->call_id;
    body_ = std::move((*done)->data);
    OnBody();
  }

  // --- both modes ---

  void OnBody() {
    control::Request request;
    if (!request.ParseFromString(body_) || request.command_case() == control::Request::COMMAND_NOT_SET) {
      ++owner_.counters_.malformed;
      control::Response r;
      r.set_error("malformed request: not a control API message with a command");
      return Reply(r, true);
    }
    body_ = std::string();  // the request is parsed; free the buffer
    bool close = false;
    Role role = Role::kRead;
    if (auto refusal = owner_.Refuse(request, close, role)) return Reply(*refusal, close);
    // The handler bounds its own work.
    in_request_ = false;
    timer_.cancel();
    owner_.handler_(request, role, [self = shared_from_this(), alive = owner_.alive_](control::Response r) {
      if (!*alive || !self->socket_.is_open()) return;
      const bool final = !r.has_progress();
      self->Reply(r, false, final);
    });
  }

  // Queues a response; after the final one the connection reads the next
  // request (or closes).
  void Reply(const control::Response& response, bool close, bool final = true) {
    Write(sealer_ && opener_ ? SealControlMessage(*sealer_, call_id_, true, response.SerializeAsString())
                             : FrameControlMessage(response),
          final, close);
  }

  void Write(std::string bytes, bool final, bool close) {
    queue_.push_back({std::move(bytes), final, close});
    if (queue_.size() == 1) WriteNext();
  }

  void WriteNext() {
    asio::async_write(socket_, asio::buffer(queue_.front().bytes),
                      [self = shared_from_this(), alive = owner_.alive_](const boost::system::error_code& ec,
                                                                         size_t) {
                        if (!*alive) return;
                        const Out done = std::move(self->queue_.front());
                        self->queue_.pop_front();
                        if (ec || done.close) return self->Finish();
                        if (!self->queue_.empty()) return self->WriteNext();
                        if (done.final) self->ReadHeader();
                      });
  }

  void Finish() {
    Close();
    owner_.open_.erase(shared_from_this());
  }

  ControlServer& owner_;
  tcp::socket socket_;
  asio::steady_timer timer_;
  Endpoint peer_;
  std::array<uint8_t, 4> header_{};
  struct Out {
    std::string bytes;
    bool final = true;
    bool close = false;
  };
  std::string body_;
  std::deque<Out> queue_;
  bool in_request_ = false;
  bool first_ = true;
  // Sealed mode: the handshake, then the frames.
  std::vector<uint8_t> handshake_;
  std::unique_ptr<gossip::HandshakeSide> side_;
  std::optional<gossip::StreamHello> peer_hello_;
  gossip::Key secret_{}, receive_key_{};
  std::optional<gossip::FrameSealer> sealer_;
  std::optional<gossip::FrameOpener> opener_;
  gossip::MessageAssembler assembler_{1, kMaxControlRequest};
  std::vector<uint8_t> frame_;
  uint64_t call_id_ = 0;
};

Result<std::unique_ptr<ControlServer>> ControlServer::Open(asio::io_context& io, const Endpoint& listen,
                                                           Options options, Handler handler) {
  boost::system::error_code ec;
  tcp::acceptor acceptor(io);
  acceptor.open(tcp::v4(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(gossip::ToAsio<tcp::endpoint>(listen), ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return MakeError("cannot listen for the control API on TCP {}: {}", listen.ToString(), ec.message());
  auto s = std::unique_ptr<ControlServer>(new ControlServer(std::move(acceptor), options, std::move(handler)));
  s->Accept();
  return s;
}

ControlServer::ControlServer(tcp::acceptor acceptor, Options options, Handler handler)
    : acceptor_(std::move(acceptor)), options_(options), handler_(std::move(handler)) {
  local_ = gossip::FromAsio(acceptor_.local_endpoint());
}

ControlServer::~ControlServer() {
  *alive_ = false;
  boost::system::error_code ec;
  acceptor_.close(ec);
  for (const auto& c : open_) c->Close();
}

void ControlServer::LogRefusal(const Endpoint& peer, const std::string& why) {
  if (auto held = refusal_log_.Allow(SteadyClock().Now())) {
    spdlog::warn("control connection from {} refused: {}{}", peer.ToString(), why,
                 *held ? fmt::format(" ({} more not logged in the last second)", *held) : std::string());
  }
}

void ControlServer::SetTokens(std::optional<Tokens> tokens, std::string why) {
  tokens_ = std::move(tokens);
  no_tokens_ = std::move(why);
}

void ControlServer::Accept() {
  acceptor_.async_accept([this, alive = alive_](const boost::system::error_code& ec, tcp::socket socket) {
    if (!*alive || ec == asio::error::operation_aborted) return;
    if (!ec) {
      if (open_.size() >= options_.max_connections) {
        ++counters_.busy;
        boost::system::error_code close_ec;
        socket.close(close_ec);
      } else {
        ++counters_.accepted;
        boost::system::error_code peer_ec;
        const Endpoint peer = gossip::FromAsio(socket.remote_endpoint(peer_ec));
        auto c = std::make_shared<Connection>(*this, std::move(socket), peer);
        open_.insert(c);
        c->Start();
      }
    }
    Accept();
  });
}

std::optional<control::Response> ControlServer::Refuse(const control::Request& request, bool& close, Role& role_out) {
  control::Response r;
  if (!tokens_) {
    ++counters_.unauthorized;
    r.set_error(no_tokens_);
    close = true;
    return r;
  }
  const std::optional<Role> role = tokens_->Check(request.token());
  if (!role) {
    ++counters_.unauthorized;
    r.set_error("token refused: it is not in this daemon's tokens file");
    close = true;
    return r;
  }
  const bool admin_only = request.has_policy_push() || request.has_mode() || request.has_history_delete() ||
                          request.has_history_archive() || request.has_history_mount() ||
                          (request.has_keyring() && request.keyring().action() != "list");
  if (admin_only && *role != Role::kAdmin) {
    ++counters_.forbidden;
    r.set_error("this command needs an admin token; the token given is read-only");
    return r;
  }
  ++counters_.served;
  role_out = *role;
  return std::nullopt;
}

}  // namespace shoal::daemon
