#include "daemon/control/protocol.h"

#include "core/big_endian.h"

namespace shoal::daemon {

std::string FrameControlMessage(const google::protobuf::MessageLite& m) {
  std::string out;
  AppendBigEndian(out, m.ByteSizeLong(), 4);
  m.AppendToString(&out);
  return out;
}

}  // namespace shoal::daemon
