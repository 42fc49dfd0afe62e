// The build texts a node's members run ("0.4.0 (7cbc926)"), each held once
// and named in the member records by a one-byte number: a pool runs a few
// builds at once, and a member record is kept per peer on every node (10^8
// of them in a simulated pool of 10,000). Number 0 is "" (not known, or a
// version-1 node). Each text counts the members that name it and goes when
// the last one changes build or is forgotten. With kMax texts in use a new
// one is recorded as 0 until one frees (a pool running 255 builds at once
// is not one an operator has). Not thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace shoal::gossip {

class BuildTable {
 public:
  static constexpr size_t kMax = 255;

  // The number of `text`, one more member naming it.
  uint8_t Acquire(std::string_view text);
  // One member fewer names `n`.
  void Release(uint8_t n);
  std::string_view Text(uint8_t n) const { return n == 0 ? std::string_view() : entries_[n - 1].text; }
  size_t size() const;  // texts in use

 private:
  struct Entry {
    std::string text;
    uint32_t refs = 0;  // 0: free
  };
  std::vector<Entry> entries_;  // number n at [n - 1]
};

}  // namespace shoal::gossip
