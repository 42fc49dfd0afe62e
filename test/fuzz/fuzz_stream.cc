// Fuzzes the peer stream codec: the hello decoder, the frame opener on
// arbitrary ciphertext, and the message assembler on arbitrary frames (the
// input, cut into length-prefixed pieces, parsed as StreamFrames and also
// sealed and opened again, which must give the same frame back); and the
// admin action checker on arbitrary bytes (nothing but a signature by the
// trusted key may pass).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "gossip/admin_auth.h"
#include "gossip/stream_codec.h"

using namespace shoal::gossip;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> in(data, size);
  if (size >= kHelloBytes) (void)StreamHello::Decode(in.first(kHelloBytes));
  {
    AdminPublicKey trusted;
    trusted.fill(3);  // no secret key signs for it: nothing may pass
    AdminVerifier v({trusted}, [] { return int64_t{0}; });
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    if (v.TakeOnce(bytes, "history-delete").ok() || v.CheckDocument(bytes, "policy").ok()) std::abort();
  }

  Key key;
  key.fill(7);
  FrameSealer sealer(key);
  FrameOpener opener(key, sealer.header());
  FrameOpener garbage_opener(key, sealer.header());
  (void)garbage_opener.Open(in);

  MessageAssembler assembler(8);
  size_t pos = 0;
  while (pos < size) {
    size_t n = std::min<size_t>(data[pos], size - pos - 1);
    ++pos;
    wire::StreamFrame frame;
    if (frame.ParseFromArray(data + pos, static_cast<int>(n))) {
      std::string sealed = sealer.Seal(frame);
      auto opened = opener.Open(std::span<const uint8_t>(
          reinterpret_cast<const uint8_t*>(sealed.data()) + 4, sealed.size() - 4));
      if (!opened.ok() || opened->SerializeAsString() != frame.SerializeAsString()) std::abort();
      auto added = assembler.Add(std::move(frame));
      if (!added.ok()) break;
    }
    pos += n;
  }
  return 0;
}
