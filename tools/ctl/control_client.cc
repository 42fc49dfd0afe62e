#include "tools/ctl/control_client.h"

#include <array>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <optional>
#include <span>
#include <sstream>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include "core/big_endian.h"
#include "daemon/control/seal.h"
#include "daemon/control/protocol.h"
#include "daemon/control/tokens.h"
#include "gossip/net/asio_endpoint.h"

namespace shoal::ctl {
namespace asio = boost::asio;
using asio::ip::tcp;

Result<std::string> ResolveToken(const ControlTarget& target) {
  if (!target.token.empty()) return target.token;
  if (const char* env = std::getenv("SHOAL_TOKEN"); env && *env) return std::string(env);
  std::ifstream in(target.token_file);
  if (!in) {
    return MakeError("no token: give --token, set SHOAL_TOKEN, or make {} readable (a tokens file: "
                     "shoald --add-token admin --tokens-file {})",
                     target.token_file, target.token_file);
  }
  std::ostringstream s;
  s << in.rdbuf();
  std::string text = s.str();
  // A file holding only the token.
  std::string trimmed = text;
  while (!trimmed.empty() && std::isspace(static_cast<unsigned char>(trimmed.back()))) trimmed.pop_back();
  if (trimmed.size() == 64 && trimmed.find_first_not_of("0123456789abcdef") == std::string::npos) return trimmed;
  auto tokens = daemon::Tokens::Parse(text, target.token_file);
  if (!tokens.ok()) return tokens.error();
  auto token = tokens->First(target.want_admin ? daemon::Role::kAdmin : daemon::Role::kRead);
  if (!token) {
    return MakeError("{} holds no {} token", target.token_file, target.want_admin ? "admin" : "read");
  }
  return *token;
}

namespace {

// One request over one connection, plain or sealed, on a private
// io_context; every step fails with what went wrong and where.
class Call {
 public:
  Call(const ControlTarget& target, const ProgressFn& on_progress)
      : target_(target), on_progress_(on_progress), socket_(io_), where_(target.node.ToString()) {}

  Result<daemon::control::Response> Run(const daemon::control::Request& request, const std::string& token) {
    request_ = request.SerializeAsString();
    socket_.async_connect(gossip::ToAsio<tcp::endpoint>(target_.node), [&](const boost::system::error_code& ec) {
      if (ec) return Fail("cannot connect to shoald's control API at", ec);
      if (!target_.sealed) return Send(daemon::FrameControlMessage(request));
      Handshake(token);
    });
    io_.run_for(target_.timeout);
    if (failure_) return *failure_;
    if (!done_) {
      return MakeError("no answer from {} within {} ms", where_,
                       std::chrono::duration_cast<std::chrono::milliseconds>(target_.timeout).count());
    }
    daemon::control::Response response;
    if (!response.ParseFromString(body_)) return MakeError("{} answered with a malformed response", where_);
    if (!response.error().empty()) return MakeError("{}", response.error());
    return response;
  }

 private:
  void Fail(std::string_view what, const boost::system::error_code& ec) {
    if (!failure_) failure_ = MakeError("{} {}: {}", what, where_, ec.message());
  }
  void Fail(Error e) {
    if (!failure_) failure_ = std::move(e);
  }

  // Sealed: prove the token without sending it (daemon/control/seal.h).
  void Handshake(const std::string& token) {
    auto secret = daemon::TokenSecret(token);
    if (!secret.ok()) return Fail(secret.error());
    secret_ = *secret;
    side_ = std::make_unique<gossip::HandshakeSide>(daemon::TokenId(secret_), NodeId{});
    const auto hello = side_->hello().Encode();
    in_.resize(gossip::kHelloBytes + gossip::kProofBytes + gossip::kStreamHeaderBytes);
    asio::async_write(socket_, asio::buffer(hello), [&](const boost::system::error_code& ec, size_t) {
      if (ec) return Fail("cannot send to", ec);
      asio::async_read(socket_, asio::buffer(in_), [&](const boost::system::error_code& rec, size_t) {
        if (rec) {
          return Fail(MakeError("{} closed the sealed handshake: it holds no such token, or does not speak the "
                                "sealed control API ({})",
                                where_, rec.message()));
        }
        OnServerHello();
      });
    });
  }

  void OnServerHello() {
    std::span<const uint8_t> in(in_);
    auto hello = gossip::StreamHello::Decode(in.first(gossip::kHelloBytes));
    if (!hello.ok()) return Fail(MakeError("{}: {}", where_, hello.error().message));
    gossip::Proof proof;
    std::copy_n(in.begin() + gossip::kHelloBytes, proof.size(), proof.begin());
    if (!side_->Check(secret_, *hello, true, proof)) {
      return Fail(MakeError("{} could not prove it holds the token: not the daemon it claims to be", where_));
    }
    auto keys = side_->Keys(secret_, *hello, true);
    if (!keys.ok()) return Fail(keys.error());
    sealer_.emplace(keys->send);
    opener_.emplace(keys->receive, std::span<const uint8_t, gossip::kStreamHeaderBytes>(
                                       in_.data() + gossip::kHelloBytes + gossip::kProofBytes,
                                       gossip::kStreamHeaderBytes));
    const gossip::Proof mine = side_->Prove(secret_, *hello, true);
    std::string out(mine.begin(), mine.end());
    out.append(sealer_->header().begin(), sealer_->header().end());
    out += daemon::SealControlMessage(*sealer_, 1, false, request_);
    sodium_memzero(secret_.data(), secret_.size());
    side_.reset();
    Send(std::move(out));
  }

  void Send(std::string bytes) {
    out_ = std::move(bytes);
    asio::async_write(socket_, asio::buffer(out_), [&](const boost::system::error_code& ec, size_t) {
      if (ec) return Fail("cannot send to", ec);
      ReadOne();
    });
  }

  // Reads responses until the final one (progress responses come first).
  void ReadOne() {
    asio::async_read(socket_, asio::buffer(header_), [&](const boost::system::error_code& ec, size_t) {
      if (ec) return Fail("no answer from", ec);
      const uint64_t size = GetBigEndian(header_.data(), 4);
      const uint64_t limit = opener_ ? gossip::kMaxSealedFrame : daemon::kMaxControlResponse;
      if (size > limit) {
        return Fail(MakeError("{} answered with {} bytes, more than the limit of {}", where_, size, limit));
      }
      body_.resize(size);
      asio::async_read(socket_, asio::buffer(body_), [&](const boost::system::error_code& bec, size_t) {
        if (bec) return Fail("answer cut short by", bec);
        if (opener_ && !Unseal()) return;
        daemon::control::Response r;
        if (r.ParseFromString(body_) && r.has_progress()) {
          if (on_progress_) on_progress_(r.progress().done(), r.progress().total());
          return ReadOne();
        }
        done_ = true;
      });
    });
  }

  // Sealed: body_ holds a frame; true once it holds a whole message.
  bool Unseal() {
    auto frame = opener_->Open(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(body_.data()), body_.size()));
    if (!frame.ok()) {
      Fail(MakeError("{}: a sealed answer {}", where_, frame.error().message));
      return false;
    }
    auto message = assembler_.Add(std::move(*frame));
    if (!message.ok()) {
      Fail(MakeError("{}: {}", where_, message.error().message));
      return false;
    }
    if (!message->has_value()) {
      ReadOne();
      return false;
    }
    body_ = std::move((*message)->data);
    return true;
  }

  const ControlTarget& target_;
  const ProgressFn& on_progress_;
  asio::io_context io_;
  tcp::socket socket_;
  std::string where_;
  std::string request_, out_, body_;
  std::array<uint8_t, 4> header_{};
  std::vector<uint8_t> in_;
  std::optional<Error> failure_;
  bool done_ = false;
  gossip::Key secret_{};
  std::unique_ptr<gossip::HandshakeSide> side_;
  std::optional<gossip::FrameSealer> sealer_;
  std::optional<gossip::FrameOpener> opener_;
  gossip::MessageAssembler assembler_{1, daemon::kMaxControlResponse};
};

}  // namespace

Result<daemon::control::Response> CallControl(const ControlTarget& target, daemon::control::Request request,
                                              const ProgressFn& on_progress) {
  auto token = ResolveToken(target);
  if (!token.ok()) return token.error();
  request.set_token(*token);
  if (request.ByteSizeLong() > daemon::kMaxControlRequest) {
    return MakeError("the request is {} bytes, over the control API's limit of {} bytes: not sent",
                     request.ByteSizeLong(), daemon::kMaxControlRequest);
  }
  return Call(target, on_progress).Run(request, *token);
}

}  // namespace shoal::ctl
