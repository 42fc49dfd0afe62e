// Any control API message as one line of JSON for scripts (shoalctl -o
// json): protobuf's JSON mapping with the proto field names, every field
// without presence written even at its default (repeated ones as [] or
// {}), 64-bit integers as numbers rather than strings (every value Shoal
// sends fits a double's 53 bits), and each time in milliseconds since the
// epoch (time_ms, from_ms, to_ms, before_ms, after_ms) when above 0 also
// in RFC 3339 under its name without "_ms". Fields in declaration order,
// map entries by key. Written straight from the message: a day's pool-wide
// history answer (5,760 points) takes milliseconds, not the quarter second
// protobuf's printer and a JSON re-parse took.
#pragma once

#include <string>

#include <google/protobuf/message.h>

namespace shoal::ctl {

// Ends with a newline.
std::string MessageJson(const google::protobuf::Message& m);

}  // namespace shoal::ctl
