#include "gossip/fan_out.h"

namespace shoal::gossip {

void FanOut::Start(PeerStreams& streams, NodeId self, const std::vector<FanOutMember>& members,
                   StreamService service, const std::string& request, Duration timeout, const Local& local, Each each,
                   std::function<void()> after) {
  auto f = std::make_shared<FanOut>();
  f->each_ = std::move(each);
  f->after_ = std::move(after);
  f->outstanding_ = members.size() + 1;  // +1 holds it open until every call is sent
  for (const auto& m : members) {
    if (m.id == self) {
      f->Answer(m.id, local(request));
      continue;
    }
    streams.Call(m.endpoint, service, request, timeout,
                 [f, id = m.id](Result<std::string> reply) { f->Answer(id, std::move(reply)); });
  }
  f->Answer(NodeId{}, MakeError(""));
}

void FanOut::Answer(NodeId node, Result<std::string> response) {
  if (node.valid()) each_(node, std::move(response));
  if (--outstanding_ == 0) after_();
}

}  // namespace shoal::gossip
