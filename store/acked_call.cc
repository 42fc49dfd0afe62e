#include "store/acked_call.h"

namespace shoal::store {

template <typename Answer, typename Part>
size_t AckedCall::SendFor(gossip::PeerStreams& streams, const Endpoint& to, const wire::Request& request,
                          Duration timeout, Clock& clock, Duration retry_after, std::shared_ptr<bool> alive, Part part,
                          std::function<void(Result<Answer>)> done) {
  std::string bytes = request.SerializeAsString();
  const size_t size = bytes.size();
  in_flight_ = true;
  streams.Call(to, gossip::StreamService::kHistory, std::move(bytes), timeout,
               [this, &clock, retry_after, alive = std::move(alive), part, done = std::move(done)](
                   Result<std::string> reply) {
                 if (!*alive) return;
                 in_flight_ = false;
                 wire::Response response;
                 Result<Answer> answer = MakeError("an answer of another kind than asked");
                 if (!reply.ok()) {
                   answer = reply.error();
                 } else if (response.ParseFromString(*reply)) {
                   if (Answer* got = part(response)) answer = std::move(*got);
                 }
                 if (!answer.ok()) retry_at_ = clock.Now() + retry_after;
                 done(std::move(answer));
               });
  return size;
}

size_t AckedCall::Send(gossip::PeerStreams& streams, const Endpoint& to, const wire::Request& request,
                       Duration timeout, Clock& clock, Duration retry_after, std::shared_ptr<bool> alive,
                       std::function<void(Result<wire::Ack>)> done) {
  auto ack = [](wire::Response& r) { return r.has_ack() ? r.mutable_ack() : nullptr; };
  return SendFor<wire::Ack>(streams, to, request, timeout, clock, retry_after, std::move(alive), ack, std::move(done));
}

size_t AckedCall::SendForRows(gossip::PeerStreams& streams, const Endpoint& to, const wire::Request& request,
                              Duration timeout, Clock& clock, Duration retry_after, std::shared_ptr<bool> alive,
                              std::function<void(Result<wire::Copy>)> done) {
  auto rows = [](wire::Response& r) { return r.has_rows() ? r.mutable_rows() : nullptr; };
  return SendFor<wire::Copy>(streams, to, request, timeout, clock, retry_after, std::move(alive), rows,
                             std::move(done));
}

}  // namespace shoal::store
