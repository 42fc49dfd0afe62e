#include "gossip/build_table.h"

#include <algorithm>
#include <cassert>

namespace shoal::gossip {

uint8_t BuildTable::Acquire(std::string_view text) {
  if (text.empty()) return 0;
  Entry* free = nullptr;
  for (Entry& e : entries_) {
    if (e.refs > 0 && e.text == text) {
      ++e.refs;
      return static_cast<uint8_t>(&e - entries_.data() + 1);
    }
    if (e.refs == 0 && free == nullptr) free = &e;
  }
  if (free == nullptr) {
    if (entries_.size() == kMax) return 0;
    free = &entries_.emplace_back();
  }
  free->text = text;
  free->refs = 1;
  return static_cast<uint8_t>(free - entries_.data() + 1);
}

void BuildTable::Release(uint8_t n) {
  if (n == 0) return;
  Entry& e = entries_[n - 1];
  assert(e.refs > 0);
  if (--e.refs == 0) std::string().swap(e.text);
}

size_t BuildTable::size() const {
  return static_cast<size_t>(
      std::count_if(entries_.begin(), entries_.end(), [](const Entry& e) { return e.refs > 0; }));
}

}  // namespace shoal::gossip
