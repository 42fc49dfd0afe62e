#include "gossip/payload.h"

#include <cstdlib>
#include <cstring>
#include <new>

namespace shoal::gossip {

Payload::Payload(std::string_view bytes) {
  if (bytes.empty()) return;
  void* mem = std::malloc(sizeof(Block) + bytes.size());
  if (mem == nullptr) throw std::bad_alloc();
  block_ = new (mem) Block{1, static_cast<uint32_t>(bytes.size())};
  std::memcpy(block_->bytes(), bytes.data(), bytes.size());
}

void Payload::Drop() {
  if (block_ && --block_->refs == 0) std::free(block_);
  block_ = nullptr;
}

Payload PayloadCache::Intern(NodeId origin, uint32_t channel, uint64_t version,
                             std::string_view bytes) {
  auto it = cached_.find(Key{origin, channel});
  if (it != cached_.end()) {
    Cached& c = it->second;
    if (c.version == version && c.payload == bytes) return c.payload;
    if (version <= c.version) return Payload(bytes);  // an older one, or a conflicting copy
    c = Cached{version, Payload(bytes)};
    return c.payload;
  }
  Payload p(bytes);
  if (cached_.size() < max_entries_) cached_.emplace(Key{origin, channel}, Cached{version, p});
  return p;
}

}  // namespace shoal::gossip
