#include "store/acked_call.h"

namespace shoal::store {

size_t AckedCall::Send(gossip::PeerStreams& streams, const Endpoint& to, const wire::Request& request,
                       Duration timeout, Clock& clock, Duration retry_after, std::shared_ptr<bool> alive,
                       std::function<void(Result<wire::Ack>)> done) {
  std::string bytes = request.SerializeAsString();
  const size_t size = bytes.size();
  in_flight_ = true;
  streams.Call(to, gossip::StreamService::kHistory, std::move(bytes), timeout,
               [this, &clock, retry_after, alive = std::move(alive), done = std::move(done)](Result<std::string> reply) {
                 if (!*alive) return;
                 in_flight_ = false;
                 wire::Response response;
                 Result<wire::Ack> ack = MakeError("an answer that is not an acknowledgement");
                 if (!reply.ok()) {
                   ack = reply.error();
                 } else if (response.ParseFromString(*reply) && response.has_ack()) {
                   ack = response.ack();
                 }
                 if (!ack.ok()) retry_at_ = clock.Now() + retry_after;
                 done(std::move(ack));
               });
  return size;
}

}  // namespace shoal::store
