#include "bwman/pipe_credit.h"

#include <algorithm>
#include <numeric>

namespace shoal::bwman {

namespace {
__extension__ typedef unsigned __int128 Wide;  // GCC and Clang both have it
}  // namespace

uint64_t MulDiv(uint64_t x, uint64_t y, uint64_t z) {
  return static_cast<uint64_t>(static_cast<Wide>(x) * y / z);
}

Division DivideCredit(uint64_t interval_bytes, double immediate_share,
                      std::span<const Queued> participants) {
  Division d;
  d.interval_bytes = interval_bytes;
  d.credits.resize(participants.size());
  for (const Queued& q : participants) {
    d.booked += q.booked;
    d.unbooked += q.unbooked;
  }
  if (d.booked > interval_bytes) {
    // Bookings that do not fit (a misconfigured pipe, or a capacity that
    // fell): they share the interval in proportion, and nothing else goes.
    d.overbooked = true;
    for (size_t i = 0; i < participants.size(); ++i) {
      d.credits[i].booked = MulDiv(participants[i].booked, interval_bytes, d.booked);
    }
    return d;
  }
  for (size_t i = 0; i < participants.size(); ++i) d.credits[i].booked = participants[i].booked;
  const uint64_t room = interval_bytes - d.booked;
  if (d.unbooked <= room) {
    d.unbooked_fraction = 1;
    for (size_t i = 0; i < participants.size(); ++i) {
      d.credits[i].unbooked = participants[i].unbooked;
    }
    d.unqueued = room - d.unbooked;
    if (!participants.empty()) {
      // Parts per million keep the devaluation exact in integers.
      auto ppm = static_cast<uint64_t>(std::clamp(immediate_share, 0.0, 1.0) * 1e6 + 0.5);
      // Among the active participants: an idle one would waste its part.
      size_t active = 0;
      for (const Queued& q : participants) active += (q.booked + q.unbooked) > 0 ? 1 : 0;
      d.immediate_each = MulDiv(d.unqueued, ppm, 1'000'000) / (active > 0 ? active : participants.size());
      for (size_t i = 0; i < participants.size(); ++i) {
        const bool takes = active == 0 || participants[i].booked + participants[i].unbooked > 0;
        d.credits[i].immediate = takes ? d.immediate_each : 0;
      }
    }
    return d;
  }
  std::vector<uint64_t> wants(participants.size());
  for (size_t i = 0; i < participants.size(); ++i) wants[i] = participants[i].unbooked;
  const std::vector<uint64_t> shares = MaxMinShares(room, wants);
  uint64_t granted = 0;
  for (size_t i = 0; i < participants.size(); ++i) {
    d.credits[i].unbooked = shares[i];
    granted += shares[i];
    if (shares[i] < wants[i]) d.water = shares[i];
  }
  d.unbooked_fraction = static_cast<double>(granted) / static_cast<double>(d.unbooked);
  return d;
}

std::vector<uint64_t> MaxMinShares(uint64_t total, std::span<const uint64_t> wants) {
  std::vector<uint64_t> out(wants.begin(), wants.end());
  std::vector<size_t> order(wants.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return wants[a] < wants[b]; });
  uint64_t left = total;
  for (size_t k = 0; k < order.size(); ++k) {
    const uint64_t level = left / (order.size() - k);
    if (wants[order[k]] <= level) {
      left -= wants[order[k]];
      continue;
    }
    for (size_t j = k; j < order.size(); ++j) out[order[j]] = level;
    break;
  }
  return out;
}

uint64_t CreditAccount::StartInterval(uint64_t credit) {
  unused_last_ = available_;
  uint64_t pay = std::min(overdraft_, credit);
  overdraft_ -= pay;
  available_ = credit - pay;
  return available_;
}

bool CreditAccount::TrySend(uint64_t bytes) {
  if (available_ == 0 || overdraft_ > 0) return false;
  if (bytes <= available_) {
    available_ -= bytes;
  } else {
    overdraft_ = bytes - available_;
    available_ = 0;
  }
  return true;
}

}  // namespace shoal::bwman
