// A UDP sender for bandwidth tests: 1,000-byte datagrams from a local port
// to a destination as fast as the local queue takes them, until a deadline.
// Runs in the calling thread's network namespace.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <thread>

namespace shoal::testing {

// `to_ip` in host byte order; port 9 (discard) at the destination.
inline void Blast(uint16_t from_port, uint32_t to_ip, std::chrono::steady_clock::time_point end) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  sockaddr_in local{};
  local.sin_family = AF_INET;
  local.sin_port = htons(from_port);
  (void)::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(9);
  to.sin_addr.s_addr = htonl(to_ip);
  char buf[1000] = {};
  while (std::chrono::steady_clock::now() < end) {
    if (::sendto(fd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&to), sizeof to) < 0) {
      std::this_thread::sleep_for(std::chrono::microseconds(200));  // the queue is full
    }
  }
  ::close(fd);
}

}  // namespace shoal::testing
