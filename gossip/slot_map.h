// A per-peer table: one T per node id, stored in an array at the id's
// PeerIndex slot. Lookups by slot are an array access; by id, one lookup
// in the shared index. The table holds its ids' slots (acquired on insert,
// released on erase and on destruction). Growth stops at the index's
// number of slots, so a table never holds more room than ids exist.
// A table of a few ids (a channel only one node publishes on, such as the
// pool's levels) keeps them in a short list sorted by slot until it holds
// more than kSparseMax: an array as long as the highest slot would cost
// every node 32 bytes per node of the pool for one entry. A pointer to a
// value is valid until the next insert or erase (keep slots, as SlotList
// does, to hold on longer). Not thread-safe.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "gossip/peer_index.h"

namespace shoal::gossip {

template <typename T>
class SlotMap {
 public:
  explicit SlotMap(PeerIndex& index) : index_(&index) {}
  ~SlotMap() { Clear(); }
  SlotMap(const SlotMap&) = delete;
  SlotMap& operator=(const SlotMap&) = delete;

  const T* FindSlot(uint32_t slot) const { return Lookup(*this, slot); }
  T* FindSlot(uint32_t slot) { return Lookup(*this, slot); }
  const T* Find(NodeId id) const { return FindSlot(index_->Find(id)); }
  T* Find(NodeId id) { return FindSlot(index_->Find(id)); }
  bool contains(NodeId id) const { return Find(id) != nullptr; }
  // id's value, default-made when new (second: true). {nullptr, false}
  // when the index is full.
  std::pair<T*, bool> TryEmplace(NodeId id) {
    uint32_t slot = index_->Find(id);
    if (T* v = FindSlot(slot)) return {v, false};
    slot = index_->Acquire(id);
    if (slot == PeerIndex::kNone) return {nullptr, false};
    ++size_;
    if (!dense_ && sparse_.size() < kSparseMax) return {InsertSparse(slot), true};
    if (!dense_) MakeDense();
    if (slot >= values_.size()) Grow(slot);
    present_[slot] = true;
    values_[slot] = T{};
    return {&values_[slot], true};
  }
  bool Erase(NodeId id) { return EraseSlot(index_->Find(id)); }
  bool EraseSlot(uint32_t slot) {
    if (FindSlot(slot) == nullptr) return false;
    if (dense_) {
      present_[slot] = false;
      values_[slot] = T{};
    } else {
      auto it = std::find_if(sparse_.begin(), sparse_.end(), [slot](const auto& e) { return e.first == slot; });
      sparse_.erase(it);
    }
    --size_;
    index_->Release(slot);
    return true;
  }
  void Clear() {
    if (!dense_) {
      while (!sparse_.empty()) EraseSlot(sparse_.back().first);
      return;
    }
    for (uint32_t s = 0; s < present_.size(); ++s) EraseSlot(s);
  }
  size_t size() const { return size_; }
  // One past the highest slot that may hold a value (FindSlot below it
  // may still find none).
  uint32_t slot_end() const {
    if (dense_) return static_cast<uint32_t>(present_.size());
    return sparse_.empty() ? 0 : sparse_.back().first + 1;
  }
  NodeId IdOf(uint32_t slot) const { return index_->IdOf(slot); }
  uint32_t SlotOf(NodeId id) const { return index_->Find(id); }

  // fn(slot, value) for every value, in slot order.
  template <typename Fn>
  void ForEachSlot(Fn&& fn) const {
    if (!dense_) {
      for (const auto& [s, v] : sparse_) fn(s, v);
      return;
    }
    for (uint32_t s = 0; s < present_.size(); ++s) {
      if (present_[s]) fn(s, values_[s]);
    }
  }
  // fn(id, value) for every value, in slot order.
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    ForEachSlot([&](uint32_t s, const T& v) { fn(index_->IdOf(s), v); });
  }
  // fn(id, slot, value) for every value, in slot order. fn may erase the
  // slot it is given (EraseSlot), but must not insert.
  template <typename Fn>
  void ForEachMutable(Fn&& fn) {
    if (!dense_) {
      for (size_t i = 0; i < sparse_.size();) {  // an erase moves the rest up
        const size_t before = sparse_.size();
        fn(index_->IdOf(sparse_[i].first), sparse_[i].first, sparse_[i].second);
        if (sparse_.size() == before) ++i;
      }
      return;
    }
    for (uint32_t s = 0; s < present_.size(); ++s) {
      if (present_[s]) fn(index_->IdOf(s), s, values_[s]);
    }
  }

 private:
  template <typename Self>
  static auto Lookup(Self& self, uint32_t slot) -> decltype(&self.values_[0]) {
    if (self.dense_) return slot < self.present_.size() && self.present_[slot] ? &self.values_[slot] : nullptr;
    for (auto& [s, v] : self.sparse_) {
      if (s == slot) return &v;
    }
    return nullptr;
  }
  void Grow(uint32_t slot) {
    // Doubling, but never past the slots that exist: a table that knows
    // every peer ends exactly as large as the index.
    const size_t want = std::max<size_t>(
        slot + 1, std::min(2 * values_.capacity(), index_->slots()));
    if (want > values_.capacity()) values_.reserve(want);
    values_.resize(slot + 1);
    present_.resize(slot + 1, false);
  }

  static constexpr size_t kSparseMax = 8;
  T* InsertSparse(uint32_t slot) {
    auto it = std::lower_bound(sparse_.begin(), sparse_.end(), slot,
                               [](const auto& e, uint32_t s) { return e.first < s; });
    return &sparse_.emplace(it, slot, T{})->second;
  }
  // The short list becomes the array for good (tables that once held many
  // ids are the tables of every peer).
  void MakeDense() {
    dense_ = true;
    if (!sparse_.empty()) Grow(sparse_.back().first);  // the highest slot: one growth
    for (auto& [s, v] : sparse_) {
      present_[s] = true;
      values_[s] = std::move(v);
    }
    sparse_.clear();
    sparse_.shrink_to_fit();
  }

  PeerIndex* index_;
  bool dense_ = false;
  std::vector<std::pair<uint32_t, T>> sparse_;  // by slot, while !dense_
  std::vector<T> values_;
  std::vector<bool> present_;
  size_t size_ = 0;
};

// A list of some of a SlotMap's values, held as their slots (4 bytes each,
// where a pointer would take 8 and go stale when the table moves).
// Iterating yields a Ref: the value's id and a pointer to it. Valid while
// every listed slot holds a value in the table; the owner rebuilds the
// list when one leaves it.
template <typename T>
class SlotList {
 public:
  explicit SlotList(const SlotMap<T>& table) : table_(&table) {}

  struct Ref {
    NodeId id;
    const T* value;
    const T* operator->() const { return value; }
    const T& operator*() const { return *value; }
  };
  class iterator {
   public:
    using value_type = Ref;
    using difference_type = std::ptrdiff_t;
    iterator(const SlotMap<T>* table, const uint32_t* at) : table_(table), at_(at) {}
    Ref operator*() const { return At(*table_, *at_); }
    iterator& operator++() {
      ++at_;
      return *this;
    }
    bool operator==(const iterator& o) const { return at_ == o.at_; }

   private:
    const SlotMap<T>* table_;
    const uint32_t* at_;
  };
  iterator begin() const { return {table_, slots_.data()}; }
  iterator end() const { return {table_, slots_.data() + slots_.size()}; }
  Ref operator[](size_t i) const { return At(*table_, slots_[i]); }
  size_t size() const { return slots_.size(); }
  bool empty() const { return slots_.empty(); }

  void push_back(uint32_t slot) { slots_.push_back(slot); }
  void clear() { slots_.clear(); }

 private:
  static Ref At(const SlotMap<T>& table, uint32_t slot) { return Ref{table.IdOf(slot), table.FindSlot(slot)}; }
  const SlotMap<T>* table_;
  std::vector<uint32_t> slots_;
};

}  // namespace shoal::gossip
