// Internal to gossip/net/tcp_streams.cc: one TCP peer-stream connection,
// either role (connect or accept, handshake, sealed frames, calls with
// their timeouts, the idle deadline). Not a public header.
#pragma once

#include <deque>
#include <optional>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/address_v4.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/big_endian.h"
#include "gossip/net/asio_endpoint.h"
#include "gossip/net/tcp_streams.h"
#include "gossip/stream_codec.h"

namespace shoal::gossip {
namespace asio = boost::asio;
using asio::ip::tcp;

// One TCP connection, either role. Owned by TcpStreams (a shared_ptr in
// outbound_ or inbound_) and by its pending asynchronous operations.
class TcpStreams::Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(TcpStreams& owner, tcp::socket socket, bool client, Endpoint peer)
      : owner_(owner),
        alive_(owner.alive_),
        socket_(std::move(socket)),
        client_(client),
        peer_(peer),
        deadline_timer_(owner.io_) {}

  const Endpoint& peer() const { return peer_; }
  bool open() const { return open_; }
  // Open, with no call in progress either way: closing it loses nothing.
  bool idle() const { return open_ && !closed_ && calls_.empty() && serving_ == 0; }
  std::chrono::steady_clock::time_point last_active() const { return last_active_; }
  NodeId peer_id() const { return peer_hello_ ? peer_hello_->node : NodeId{}; }

  // Client: connect, then handshake. Server: handshake on the accepted socket.
  void Start() {
    auto self = shared_from_this();
    deadline_timer_.expires_after(owner_.options_.handshake_timeout);
    deadline_timer_.async_wait([self](const boost::system::error_code& ec) {
      if (!ec && !self->open_) self->Close("handshake timed out", /*auth=*/false);
    });
    if (client_) {
      socket_.async_connect(ToAsio<tcp::endpoint>(peer_), [self](const boost::system::error_code& ec) {
        if (ec) return self->Close(fmt::format("cannot connect: {}", ec.message()), false);
        self->NoDelay();
        self->SendHello();
        self->ReadHello();
      });
    } else {
      NoDelay();
      ReadHello();
    }
  }

  // Requests and answers are whole messages: send each at once rather
  // than wait for the peer's delayed acknowledgement (Nagle).
  void NoDelay() {
    boost::system::error_code ec;
    socket_.set_option(tcp::no_delay(true), ec);
  }

  // Client side: a call on this connection.
  void AddCall(uint32_t service, std::string request, Duration timeout, Reply reply) {
    uint64_t id = next_call_++;
    auto timer = std::make_shared<asio::steady_timer>(owner_.io_);
    timer->expires_after(timeout);
    auto weak = weak_from_this();
    timer->async_wait([weak, id, timeout, sent = std::chrono::steady_clock::now()](const boost::system::error_code& ec) {
      auto self = weak.lock();
      if (ec || !self) return;
      self->TimedOut(id, timeout, sent);
    });
    calls_.emplace(id, Pending{std::move(reply), timer});
    for (auto& f : SplitMessage(id, service, false, request)) Queue(std::move(f));
  }

  // Server side: a request handed to its handler, answered by Respond.
  void Serving() { ++serving_; }
  void Respond(uint64_t call_id, uint32_t service, const Result<std::string>& response) {
    if (serving_ > 0) --serving_;
    if (closed_) return;
    if (response.ok()) {
      for (auto& f : SplitMessage(call_id, service, true, *response)) Queue(std::move(f));
    } else {
      std::string error = response.error().message.substr(0, 4096);
      if (error.empty()) error = "failed";
      for (auto& f : SplitMessage(call_id, service, true, {}, error)) Queue(std::move(f));
    }
  }

  void Close(const std::string& why, bool auth) {
    if (closed_) return;
    closed_ = true;
    if (*alive_ && auth) {
      ++owner_.counters_.auth_failures;
      owner_.LogRefusal(peer_, why);
    }
    boost::system::error_code ec;
    socket_.close(ec);
    deadline_timer_.cancel();
    auto calls = std::move(calls_);
    calls_.clear();
    for (auto& [id, p] : calls) {
      p.timer->cancel();
      if (*alive_) ++owner_.counters_.call_failures;
      p.reply(MakeError("connection to {} closed: {}", peer_.ToString(), why));
    }
    if (*alive_) owner_.Closed(shared_from_this());
  }

 private:
  struct Pending {
    Reply reply;
    std::shared_ptr<asio::steady_timer> timer;
  };

  void FinishCall(uint64_t id, Result<std::string> result) {
    auto it = calls_.find(id);
    if (it == calls_.end()) return;  // already answered or timed out
    Pending p = std::move(it->second);
    calls_.erase(it);
    p.timer->cancel();
    if (!result.ok() && *alive_) ++owner_.counters_.call_failures;
    p.reply(std::move(result));
    if (retired_ && calls_.empty()) Close("retired: a call had no answer and the peer sent nothing", false);
  }

  // A call got no answer in time. If nothing at all arrived on the
  // connection while it waited, the connection is likely stuck (a peer
  // gone without a reset, or TCP backing off its retransmissions after a
  // partition: every call queued behind would wait too). It is retired:
  // new calls to the peer open a fresh connection; this one closes when
  // its last call ends.
  void TimedOut(uint64_t id, Duration timeout, std::chrono::steady_clock::time_point sent) {
    const bool silent = last_received_ <= sent;
    if (silent && !retired_ && !closed_) {
      retired_ = true;
      if (*alive_) {
        ++owner_.counters_.retired;
        owner_.Closed(shared_from_this());  // out of the table: the next call connects anew
      }
    }
    FinishCall(id, MakeError("no answer within {} ms",
                             std::chrono::duration_cast<std::chrono::milliseconds>(timeout).count()));
  }

  // Client: the hello that opens the handshake.
  void SendHello() {
    if (owner_.ring_.empty()) return Close("no pool key", false);
    side_ = std::make_unique<HandshakeSide>(owner_.ring_.primary_id(), owner_.self_);
    auto bytes = side_->hello().Encode();
    Write(std::string(bytes.begin(), bytes.end()));
  }

  std::string HandshakeError(const boost::system::error_code& ec) const {
    if (client_ && ec == asio::error::eof) {
      return "the peer hung up during the handshake (does it hold this node's pool key?)";
    }
    return fmt::format("handshake: {}", ec.message());
  }

  // Reads `n` handshake bytes into in_handshake_, then runs `next`.
  void ReadHandshake(size_t n, void (Connection::*next)()) {
    in_handshake_.resize(n);
    auto self = shared_from_this();
    asio::async_read(socket_, asio::buffer(in_handshake_), [self, next](const boost::system::error_code& ec, size_t) {
      if (ec) return self->Close(self->HandshakeError(ec), self->client_ && ec == asio::error::eof);
      ((*self).*next)();
    });
  }
  void ReadHello() { ReadHandshake(client_ ? kHelloBytes + kProofBytes + kStreamHeaderBytes : kHelloBytes,
                                   client_ ? &Connection::OnServerHello : &Connection::OnClientHello); }

  // Server: the client's hello. Answers with hello, proof and header; the
  // connection stays unopened until the client's proof checks.
  void OnClientHello() {
    auto hello = StreamHello::Decode(in_handshake_);
    if (!hello.ok()) return Close(hello.error().message, true);
    const Key* key = owner_.ring_.Find(hello->key_id);
    if (key == nullptr) return Close(fmt::format("peer uses key {:08x}, not in this node's ring", hello->key_id), true);
    key_ = *key;
    side_ = std::make_unique<HandshakeSide>(hello->key_id, owner_.self_);
    peer_hello_ = *hello;
    if (!StartSealing()) return;
    // One segment: hello, proof and header together.
    const auto hello_bytes = side_->hello().Encode();
    const Proof proof = side_->Prove(key_, *peer_hello_, false);
    std::string out(hello_bytes.begin(), hello_bytes.end());
    out.append(proof.begin(), proof.end());
    out.append(sealer_->header().begin(), sealer_->header().end());
    Write(std::move(out));
    ReadHandshake(kProofBytes + kStreamHeaderBytes, &Connection::OnClientProof);
  }

  // Client: the server's hello, proof and header.
  void OnServerHello() {
    std::span<const uint8_t> in(in_handshake_);
    auto hello = StreamHello::Decode(in.first(kHelloBytes));
    if (!hello.ok()) return Close(hello.error().message, true);
    if (hello->key_id != side_->hello().key_id) return Close("peer answered with another key", true);
    const Key* key = owner_.ring_.Find(hello->key_id);
    if (key == nullptr) return Close("the pool key was removed during the handshake", false);
    key_ = *key;
    peer_hello_ = *hello;
    if (!CheckProof(in.subspan(kHelloBytes, kProofBytes))) return;
    if (!StartSealing()) return;
    const Proof proof = side_->Prove(key_, *peer_hello_, true);
    std::string out(proof.begin(), proof.end());
    out.append(sealer_->header().begin(), sealer_->header().end());
    Write(std::move(out));
    Opened(in.subspan(kHelloBytes + kProofBytes));
  }

  // Server: the client's proof and header.
  void OnClientProof() {
    std::span<const uint8_t> in(in_handshake_);
    if (!CheckProof(in.first(kProofBytes))) return;
    Opened(in.subspan(kProofBytes));
  }

  bool CheckProof(std::span<const uint8_t> bytes) {
    Proof proof;
    std::copy(bytes.begin(), bytes.end(), proof.begin());
    if (side_->Check(key_, *peer_hello_, client_, proof)) return true;
    Close(client_ ? "the peer could not prove it holds the pool key" : "the caller could not prove it holds the pool key",
          true);
    return false;
  }

  // Derives the session keys; the ephemeral secret is wiped afterwards.
  bool StartSealing() {
    auto keys = side_->Keys(key_, *peer_hello_, client_);
    if (!keys.ok()) {
      Close(keys.error().message, true);
      return false;
    }
    sealer_.emplace(keys->send);
    receive_key_ = keys->receive;
    return true;
  }

  // Both sides proved the key: frames may flow.
  void Opened(std::span<const uint8_t> header) {
    opener_.emplace(receive_key_, std::span<const uint8_t, kStreamHeaderBytes>(header.data(), kStreamHeaderBytes));
    sodium_memzero(receive_key_.data(), receive_key_.size());
    sodium_memzero(key_.data(), key_.size());
    side_.reset();
    open_ = true;
    Touch();
    last_received_ = last_active_;
    ArmIdle();
    Flush();
    ReadLength();
  }

  // The idle deadline: a connection with no call in progress and nothing
  // sent or received for idle_timeout is closed.
  void Touch() { last_active_ = std::chrono::steady_clock::now(); }
  void ArmIdle() {
    deadline_timer_.expires_at(last_active_ + owner_.options_.idle_timeout);
    auto weak = weak_from_this();
    deadline_timer_.async_wait([weak](const boost::system::error_code& ec) {
      auto self = weak.lock();
      if (ec || !self || self->closed_) return;
      const bool busy = !self->calls_.empty() || self->serving_ > 0;
      if (!busy && std::chrono::steady_clock::now() - self->last_active_ >= self->owner_.options_.idle_timeout) {
        return self->Close("idle", false);
      }
      if (busy) self->Touch();
      self->ArmIdle();
    });
  }

  void ReadLength() {
    auto self = shared_from_this();
    asio::async_read(socket_, asio::buffer(in_length_), [self](const boost::system::error_code& ec, size_t) {
      if (ec) return self->Close(ec == asio::error::eof ? "closed by peer" : ec.message(), false);
      const auto n = static_cast<uint32_t>(GetBigEndian(self->in_length_.data(), 4));
      if (n < kFrameOverhead || n > kMaxSealedFrame) {
        if (*self->alive_) ++self->owner_.counters_.malformed;
        return self->Close(fmt::format("frame length {} out of bounds", n), false);
      }
      self->in_frame_.resize(n);
      self->ReadFrame();
    });
  }

  void ReadFrame() {
    auto self = shared_from_this();
    asio::async_read(socket_, asio::buffer(in_frame_), [self](const boost::system::error_code& ec, size_t n) {
      if (ec) return self->Close(ec.message(), false);
      if (*self->alive_) self->owner_.counters_.bytes_received += n + 4;
      self->Touch();
      self->last_received_ = self->last_active_;
      self->OnFrame();
    });
  }

  void OnFrame() {
    auto frame = opener_->Open(in_frame_);
    // A connection keeps a small frame's buffer for the next; a large one's
    // goes back (a history question's answers would otherwise keep one per
    // holder's connection until it idles out, 60 s).
    if (in_frame_.capacity() > kKeptFrameBuffer) std::vector<uint8_t>().swap(in_frame_);
    if (!frame.ok()) return Close(frame.error().message, true);
    bool from_client = !frame->response();
    if (from_client == client_) {  // a client receives responses, a server requests
      if (*alive_) ++owner_.counters_.malformed;
      return Close("frame in the wrong direction", false);
    }
    auto done = assembler_.Add(std::move(*frame));
    if (!done.ok()) {
      if (*alive_) ++owner_.counters_.malformed;
      return Close(done.error().message, false);
    }
    if (done->has_value()) {
      MessageAssembler::Message m = std::move(**done);
      if (client_) {
        if (m.error.empty()) {
          FinishCall(m.call_id, std::move(m.data));
        } else {
          FinishCall(m.call_id, MakeError("{} answered: {}", peer_.ToString(), m.error));
        }
      } else {
        owner_.Dispatch(shared_from_this(), m.call_id, m.service, std::move(m.data));
      }
    }
    if (!closed_) ReadLength();
  }

  void Queue(wire::StreamFrame frame) {
    pending_frames_.push_back(std::move(frame));
    if (open_) Flush();
  }

  void Flush() {
    while (!pending_frames_.empty()) {
      Write(sealer_->Seal(pending_frames_.front()));
      pending_frames_.pop_front();
    }
  }

  void Write(std::string bytes) {
    if (closed_) return;
    if (*alive_) owner_.counters_.bytes_sent += bytes.size();
    Touch();
    out_.push_back(std::move(bytes));
    if (!writing_) WriteNext();
  }

  void WriteNext() {
    if (out_.empty() || closed_) {
      writing_ = false;
      return;
    }
    writing_ = true;
    auto self = shared_from_this();
    asio::async_write(socket_, asio::buffer(out_.front()), [self](const boost::system::error_code& ec, size_t) {
      if (ec) return self->Close(fmt::format("write: {}", ec.message()), false);
      self->out_.pop_front();
      self->WriteNext();
    });
  }

  TcpStreams& owner_;
  std::shared_ptr<bool> alive_;
  tcp::socket socket_;
  bool client_;
  Endpoint peer_;
  // The handshake's deadline, then the idle deadline.
  asio::steady_timer deadline_timer_;
  bool open_ = false, closed_ = false, writing_ = false;
  std::unique_ptr<HandshakeSide> side_;  // until the keys are derived
  Key key_{};                            // the pool key the handshake uses
  std::optional<StreamHello> peer_hello_;
  std::vector<uint8_t> in_handshake_;
  std::array<uint8_t, 4> in_length_{};
  static constexpr size_t kKeptFrameBuffer = 64 << 10;
  std::vector<uint8_t> in_frame_;
  Key receive_key_{};
  std::chrono::steady_clock::time_point last_active_;
  std::chrono::steady_clock::time_point last_received_;  // the last whole frame read
  bool retired_ = false;  // see TimedOut
  size_t serving_ = 0;  // requests handed to handlers, not yet answered
  std::optional<FrameSealer> sealer_;
  std::optional<FrameOpener> opener_;
  MessageAssembler assembler_;
  std::deque<wire::StreamFrame> pending_frames_;
  std::deque<std::string> out_;
  std::map<uint64_t, Pending> calls_;
  uint64_t next_call_ = 1;
};

}  // namespace shoal::gossip
