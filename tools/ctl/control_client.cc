#include "tools/ctl/control_client.h"

#include <array>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <sstream>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include "core/big_endian.h"
#include "daemon/control_server.h"
#include "daemon/tokens.h"
#include "gossip/asio_endpoint.h"

namespace shoal::ctl {
namespace asio = boost::asio;
using asio::ip::tcp;

Result<std::string> ResolveToken(const ControlTarget& target) {
  if (!target.token.empty()) return target.token;
  if (const char* env = std::getenv("SHOAL_TOKEN"); env && *env) return std::string(env);
  std::ifstream in(target.token_file);
  if (!in) {
    return MakeError("no token: give --token, set SHOAL_TOKEN, or make {} readable (a tokens file: "
                     "shoald --generate-token admin >> {})",
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

Result<daemon::control::Response> CallControl(const ControlTarget& target, daemon::control::Request request,
                                              const ProgressFn& on_progress) {
  auto token = ResolveToken(target);
  if (!token.ok()) return token.error();
  request.set_token(*token);
  if (request.ByteSizeLong() > daemon::kMaxControlRequest) {
    return MakeError("the request is {} bytes, over the control API's limit of {} bytes: not sent",
                     request.ByteSizeLong(), daemon::kMaxControlRequest);
  }
  const std::string out = daemon::FrameControlMessage(request);

  asio::io_context io;
  tcp::socket socket(io);
  std::array<uint8_t, 4> header{};
  std::string body;
  std::optional<Error> failure;
  bool done = false;
  const std::string where = target.node.ToString();
  auto fail = [&](std::string what, const boost::system::error_code& ec) {
    failure = MakeError("{} {}: {}", what, where, ec.message());
  };
  // Reads responses until the final one (progress responses come first).
  std::function<void()> read_one = [&] {
    asio::async_read(socket, asio::buffer(header), [&](const boost::system::error_code& hec, size_t) {
      if (hec) return fail("no answer from", hec);
      const uint64_t size = GetBigEndian(header.data(), 4);
      if (size > daemon::kMaxControlResponse) {
        failure = MakeError("{} answered with {} bytes, more than the limit of {}", where, size,
                            daemon::kMaxControlResponse);
        return;
      }
      body.resize(size);
      asio::async_read(socket, asio::buffer(body), [&](const boost::system::error_code& bec, size_t) {
        if (bec) return fail("answer cut short by", bec);
        daemon::control::Response r;
        if (r.ParseFromString(body) && r.has_progress()) {
          if (on_progress) on_progress(r.progress().done(), r.progress().total());
          return read_one();
        }
        done = true;
      });
    });
  };
  socket.async_connect(gossip::ToAsio<tcp::endpoint>(target.node), [&](const boost::system::error_code& ec) {
    if (ec) return fail("cannot connect to shoald's control API at", ec);
    asio::async_write(socket, asio::buffer(out), [&](const boost::system::error_code& wec, size_t) {
      if (wec) return fail("cannot send to", wec);
      read_one();
    });
  });
  io.run_for(target.timeout);
  if (failure) return *failure;
  if (!done) {
    return MakeError("no answer from {} within {} ms", where,
                     std::chrono::duration_cast<std::chrono::milliseconds>(target.timeout).count());
  }
  daemon::control::Response response;
  if (!response.ParseFromString(body)) return MakeError("{} answered with a malformed response", where);
  if (!response.error().empty()) return MakeError("{}", response.error());
  return response;
}

}  // namespace shoal::ctl
