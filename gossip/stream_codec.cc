#include "gossip/stream_codec.h"

#include "core/big_endian.h"
#include "gossip/peer_streams.h"

namespace shoal::gossip {

FrameSealer::FrameSealer(const Key& key) {
  crypto_secretstream_xchacha20poly1305_init_push(&state_, header_.data(), key.data());
}

namespace {

// The plaintext of the frame being sealed or opened, at least `size`
// bytes: one buffer per thread, kept at the largest frame's size, so that
// a large frame's plaintext does not map fresh pages (a page fault each,
// costly in a virtual machine) every time.
uint8_t* Plaintext(size_t size) {
  thread_local std::string buffer;
  if (buffer.size() < size) buffer.resize(size);
  return reinterpret_cast<uint8_t*>(buffer.data());
}

}  // namespace

std::string FrameSealer::Seal(const wire::StreamFrame& frame) {
  const size_t size = frame.ByteSizeLong();
  uint8_t* plain = Plaintext(size);
  frame.SerializeWithCachedSizesToArray(plain);
  std::string out(4 + size + kFrameOverhead, '\0');
  auto* p = reinterpret_cast<uint8_t*>(out.data());
  PutBigEndian(p, size + kFrameOverhead, 4);
  crypto_secretstream_xchacha20poly1305_push(&state_, p + 4, nullptr, plain, size, nullptr, 0,
                                             crypto_secretstream_xchacha20poly1305_TAG_MESSAGE);
  return out;
}

FrameOpener::FrameOpener(const Key& key, std::span<const uint8_t, kStreamHeaderBytes> header) {
  ok_ = crypto_secretstream_xchacha20poly1305_init_pull(&state_, header.data(), key.data()) == 0;
}

Result<wire::StreamFrame> FrameOpener::Open(std::span<const uint8_t> sealed) {
  if (!ok_) return MakeError("bad stream header");
  if (sealed.size() < kFrameOverhead) return MakeError("frame of {} bytes is too short", sealed.size());
  if (sealed.size() > kMaxSealedFrame) return MakeError("frame of {} bytes is too long", sealed.size());
  const size_t size = sealed.size() - kFrameOverhead;
  uint8_t* plain = Plaintext(size);
  unsigned char tag = 0;
  if (crypto_secretstream_xchacha20poly1305_pull(&state_, plain, nullptr, &tag, sealed.data(), sealed.size(), nullptr,
                                                 0) != 0) {
    ok_ = false;  // the stream cannot recover from a bad frame
    return MakeError("frame does not authenticate");
  }
  wire::StreamFrame frame;
  if (!frame.ParseFromArray(plain, static_cast<int>(size))) return MakeError("frame does not parse");
  return frame;
}

std::vector<wire::StreamFrame> SplitMessage(uint64_t call_id, uint32_t service, bool response,
                                            std::string_view data, std::string_view error) {
  std::vector<wire::StreamFrame> frames;
  size_t offset = 0;
  do {
    size_t n = std::min(kFrameData, data.size() - offset);
    wire::StreamFrame f;
    f.set_call_id(call_id);
    f.set_service(service);
    f.set_response(response);
    f.set_data(std::string(data.substr(offset, n)));
    offset += n;
    f.set_last(offset == data.size());
    if (f.last() && !error.empty()) f.set_error(std::string(error));
    frames.push_back(std::move(f));
  } while (offset < data.size());
  return frames;
}

Result<std::optional<MessageAssembler::Message>> MessageAssembler::Add(wire::StreamFrame frame) {
  auto key = std::make_pair(frame.call_id(), frame.response());
  auto it = open_.find(key);
  if (it == open_.end()) {
    if (open_.size() >= max_open_) return MakeError("more than {} messages in progress", max_open_);
    Message m;
    m.call_id = frame.call_id();
    m.service = frame.service();
    m.response = frame.response();
    it = open_.emplace(key, std::move(m)).first;
  } else if (it->second.service != frame.service()) {
    return MakeError("call {} changed service mid-message", frame.call_id());
  }
  Message& m = it->second;
  if (m.data.size() + frame.data().size() > max_message_) {
    return MakeError("message of call {} exceeds {} bytes", frame.call_id(), max_message_);
  }
  if (frame.error().size() > 4096) return MakeError("error text of call {} too long", frame.call_id());
  if (m.data.empty()) {
    m.data = std::move(*frame.mutable_data());  // a one-frame message: no copy
  } else {
    m.data += frame.data();
  }
  if (!frame.last()) return std::optional<Message>();
  m.error = frame.error();
  Message done = std::move(m);
  open_.erase(it);
  return std::optional<Message>(std::move(done));
}

}  // namespace shoal::gossip
