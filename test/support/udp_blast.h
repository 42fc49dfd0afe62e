// A UDP sender for bandwidth tests: 1,000-byte datagrams from a local port
// to a destination as fast as the local queue takes them, until a deadline.
// Runs in the calling thread's network namespace.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>

namespace shoal::testing {

// Sends while more() says so. `to_ip` in host byte order. A non-zero
// `bytes_per_s` paces the sender at about that rate (of payload).
template <typename More>
void BlastWhile(uint16_t from_port, uint32_t to_ip, uint16_t to_port, uint64_t bytes_per_s, More more) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  sockaddr_in local{};
  local.sin_family = AF_INET;
  local.sin_port = htons(from_port);
  (void)::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(to_port);
  to.sin_addr.s_addr = htonl(to_ip);
  char buf[1000] = {};
  const auto start = std::chrono::steady_clock::now();
  uint64_t sent = 0;
  for (auto now = start; more(now); now = std::chrono::steady_clock::now()) {
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(now - start).count();
    if (bytes_per_s != 0 && sent * 1'000'000 > bytes_per_s * static_cast<uint64_t>(us)) {
      std::this_thread::sleep_for(std::chrono::microseconds(500));  // ahead of the pace
    } else if (::sendto(fd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&to), sizeof to) < 0) {
      std::this_thread::sleep_for(std::chrono::microseconds(200));  // the queue is full
    } else {
      sent += sizeof buf;
    }
  }
  ::close(fd);
}

// Until `end`; by default to port 9 (discard).
inline void Blast(uint16_t from_port, uint32_t to_ip, std::chrono::steady_clock::time_point end,
                  uint16_t to_port = 9, uint64_t bytes_per_s = 0) {
  BlastWhile(from_port, to_ip, to_port, bytes_per_s, [end](auto now) { return now < end; });
}

// Until `running` turns false.
inline void Blast(uint16_t from_port, uint32_t to_ip, const std::atomic<bool>& running, uint16_t to_port = 9,
                  uint64_t bytes_per_s = 0) {
  BlastWhile(from_port, to_ip, to_port, bytes_per_s, [&running](auto) { return running.load(); });
}

}  // namespace shoal::testing
