// An entry's payload as held by the exchange: immutable bytes behind one
// reference-counted pointer, so an entry costs 8 bytes for it and copies of
// the same bytes can be shared. PayloadCache shares the payloads the
// simulator's thousands of nodes all hold: the same version of the same
// origin's entry is stored once in the process instead of once per node.
// Not thread-safe: a Payload and its copies stay on one thread (the
// exchange's).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/node_id.h"

namespace shoal::gossip {

class Payload {
 public:
  Payload() = default;
  explicit Payload(std::string_view bytes);
  Payload(const Payload& o) : block_(o.block_) {
    if (block_) ++block_->refs;
  }
  Payload(Payload&& o) noexcept : block_(o.block_) { o.block_ = nullptr; }
  Payload& operator=(Payload o) noexcept {
    std::swap(block_, o.block_);
    return *this;
  }
  ~Payload() { Drop(); }

  std::string_view view() const {
    return block_ ? std::string_view(block_->bytes(), block_->size) : std::string_view();
  }
  operator std::string_view() const { return view(); }  // NOLINT: reads like the bytes
  std::string str() const { return std::string(view()); }
  size_t size() const { return block_ ? block_->size : 0; }
  bool empty() const { return size() == 0; }
  // Copies holding these very bytes (1: only this one).
  uint32_t shares() const { return block_ ? block_->refs : 0; }

  friend bool operator==(const Payload& a, std::string_view b) { return a.view() == b; }

 private:
  struct Block {
    uint32_t refs;
    uint32_t size;
    const char* bytes() const { return reinterpret_cast<const char*>(this + 1); }
    char* bytes() { return reinterpret_cast<char*>(this + 1); }
  };
  void Drop();
  Block* block_ = nullptr;
};

// The newest payload seen of every (origin, channel), to hand out again to
// whoever stores the same version. At most max_entries pairs are kept;
// past that new pairs are not shared.
class PayloadCache {
 public:
  explicit PayloadCache(size_t max_entries) : max_entries_(max_entries) {}

  // A payload with these bytes: the cached one when it is this version of
  // this origin's entry with the same bytes, else a new one (cached if
  // this version is the newest seen).
  Payload Intern(NodeId origin, uint32_t channel, uint64_t version, std::string_view bytes);
  size_t size() const { return cached_.size(); }

 private:
  struct Key {
    NodeId origin;
    uint32_t channel;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const noexcept {
      return std::hash<NodeId>()(k.origin) ^ (size_t{k.channel} * 0x9e3779b97f4a7c15ULL);
    }
  };
  struct Cached {
    uint64_t version;
    Payload payload;
  };
  size_t max_entries_;
  std::unordered_map<Key, Cached, KeyHash> cached_;
};

}  // namespace shoal::gossip
