// The control protocol's framing and limits (the messages are
// daemon/control/control.proto): each request and response is a Protocol
// Buffers message behind a 4-byte big-endian length, plain from loopback
// or sealed (seal.h) from anywhere else. Shared by shoald's control server
// and shoalctl; this folder is a leaf that links neither the store nor
// the exchange. Free functions; thread-safe.
#pragma once

#include <cstddef>
#include <string>

#include <google/protobuf/message_lite.h>

namespace shoal::daemon {

inline constexpr size_t kMaxControlRequest = 8 << 20;  // a policy document is at most 4 MiB
inline constexpr size_t kMaxControlResponse = 64 << 20;

// A message behind its 4-byte big-endian length.
std::string FrameControlMessage(const google::protobuf::MessageLite& m);

}  // namespace shoal::daemon
