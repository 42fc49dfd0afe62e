#include "tools/ctl/node_client.h"

#include <optional>

#include <boost/asio/io_context.hpp>

#include "daemon/key_file.h"
#include "gossip/tcp_streams.h"

namespace shoal::ctl {

Result<std::string> CallNode(const NodeTarget& target, gossip::StreamService service, std::string request) {
  auto ring = daemon::LoadKeyFile(target.key_file);
  if (!ring.ok()) return ring.error();
  boost::asio::io_context io;
  auto streams = gossip::TcpStreams::Open(io, Endpoint{0x7f000001, 0}, *ring, NodeId::FromName("shoalctl"));
  if (!streams.ok()) return streams.error();
  std::optional<Result<std::string>> out;
  (*streams)->Call(target.node, service, std::move(request), target.timeout,
                   [&](Result<std::string> r) { out = std::move(r); });
  while (!out && io.run_one() > 0) {
  }
  if (!out) return MakeError("no answer from {}", target.node.ToString());
  return std::move(*out);
}

}  // namespace shoal::ctl
