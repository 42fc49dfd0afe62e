#include <catch2/catch.hpp>

#include "gossip/packet.h"
#include "gossip/seal.h"
#include "packet.pb.h"

using namespace shoal;
using namespace shoal::gossip;

namespace {

std::span<const uint8_t> Bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

Packet Sample() {
  Packet p;
  p.want_sync = true;
  p.probe = true;
  p.entries.push_back(WireEntry{NodeId{7}, 2, 42, 3, "hello"});
  p.entries.push_back(WireEntry{NodeId{UINT64_MAX}, 65535, UINT64_MAX, kMaxTtl, std::string(300, 'x')});
  return p;
}

Keyring RingWith(uint8_t fill) {
  Keyring r;
  Key k;
  k.fill(fill);
  r.Add(k);
  return r;
}

}  // namespace

TEST_CASE("packet codec round trip keeps every field") {
  const Packet p = Sample();
  const std::string bytes = EncodePacket(p);
  auto back = DecodePacket(Bytes(bytes));
  REQUIRE(back.ok());
  REQUIRE(*back == p);
}

TEST_CASE("EncodedEntryBound is an upper bound of the real size") {
  for (size_t payload : {size_t{0}, size_t{1}, size_t{127}, size_t{128}, size_t{1000}, kMaxPayloadBytes}) {
    Packet one;
    one.want_sync = one.sync_reply = one.probe = true;  // every flag counts in the fixed part
    one.entries.push_back(WireEntry{NodeId{UINT64_MAX}, UINT32_MAX, UINT64_MAX, UINT32_MAX,
                                    std::string(payload, 'a')});
    REQUIRE(EncodePacket(one).size() <= EncodedEntryBound(payload) + kPacketOverheadBound);
    for (uint64_t version : {uint64_t{1}, uint64_t{1} << 32, UINT64_MAX}) {
      Packet p;
      for (int i = 0; i < 3; ++i) {
        p.entries.push_back(WireEntry{NodeId{1}, 10, version, 2, std::string(payload, 'a')});
      }
      REQUIRE(EncodePacket(p).size() <=
              3 * EncodedEntrySize(10, version, 2, payload) + kPacketOverheadBound);
    }
  }
}

TEST_CASE("packet decoder rejects every broken bound") {
  auto reject = [](const wire::Packet& w, const char* what) {
    const std::string bytes = w.SerializeAsString();
    auto r = DecodePacket(Bytes(bytes));
    INFO(what);
    REQUIRE_FALSE(r.ok());
    return r.error().message;
  };
  auto good_entry = [](wire::Entry* e) {
    e->set_origin(1);
    e->set_channel(2);
    e->set_version(3);
    e->set_ttl(1);
  };
  wire::Packet w;
  w.set_protocol_version(kProtocolVersion + 1);
  REQUIRE(reject(w, "version").find("protocol version") != std::string::npos);

  w.set_protocol_version(kProtocolVersion);
  for (size_t i = 0; i < kMaxEntriesPerPacket + 1; ++i) good_entry(w.add_entries());
  REQUIRE(reject(w, "count").find("256 entries") != std::string::npos);

  w.clear_entries();
  good_entry(w.add_entries());
  w.mutable_entries(0)->set_payload(std::string(kMaxPayloadBytes + 1, 'p'));
  REQUIRE(reject(w, "payload").find("payload") != std::string::npos);

  w.mutable_entries(0)->set_payload("");
  w.mutable_entries(0)->set_ttl(kMaxTtl + 1);
  REQUIRE(reject(w, "ttl").find("ttl") != std::string::npos);

  w.mutable_entries(0)->set_ttl(1);
  w.mutable_entries(0)->set_origin(0);
  reject(w, "zero origin");

  const std::string junk = "\xff\xff\xff\xff garbage";
  REQUIRE_FALSE(DecodePacket(Bytes(junk)).ok());
  REQUIRE(DecodePacket(Bytes(std::string())).ok() == false);  // version 0 is not ours
}

TEST_CASE("sealed packets open with the right key and carry the header") {
  Keyring ring = RingWith(1);
  const std::string sealed = Seal(ring, SealHeader{NodeId{9}, 5, 77}, "payload");
  REQUIRE(sealed.size() == 7 + kSealOverheadBytes);
  OpenFailure why;
  auto opened = Open(ring, Bytes(sealed), &why);
  REQUIRE(opened.ok());
  REQUIRE(why == OpenFailure::kNone);
  REQUIRE(opened->plaintext == "payload");
  REQUIRE(opened->header.sender == NodeId{9});
  REQUIRE(opened->header.boot == 5);
  REQUIRE(opened->header.sequence == 77);
}

TEST_CASE("forged, truncated, foreign and unknown-key datagrams are refused") {
  Keyring ring = RingWith(1);
  const std::string sealed = Seal(ring, SealHeader{NodeId{9}, 5, 77}, "payload");
  OpenFailure why;
  SECTION("any flipped bit fails authentication") {
    for (size_t i = 3; i < sealed.size(); ++i) {
      std::string bad = sealed;
      bad[i] ^= 0x10;
      auto r = Open(ring, Bytes(bad), &why);
      REQUIRE_FALSE(r.ok());
      // Bits in the key id make it unknown; everything else is a forgery.
      REQUIRE(why == (i < 7 ? OpenFailure::kUnknownKey : OpenFailure::kForged));
    }
  }
  SECTION("truncated") {
    REQUIRE_FALSE(Open(ring, Bytes(sealed.substr(0, kSealOverheadBytes - 1)), &why).ok());
    REQUIRE(why == OpenFailure::kTruncated);
    REQUIRE_FALSE(Open(ring, Bytes(sealed.substr(0, sealed.size() - 1)), &why).ok());
    REQUIRE(why == OpenFailure::kForged);
  }
  SECTION("foreign") {
    std::string bad = sealed;
    bad[0] = 'X';
    REQUIRE_FALSE(Open(ring, Bytes(bad), &why).ok());
    REQUIRE(why == OpenFailure::kForeign);
  }
  SECTION("another pool's key") {
    Keyring other = RingWith(2);
    REQUIRE_FALSE(Open(other, Bytes(sealed), &why).ok());
    REQUIRE(why == OpenFailure::kUnknownKey);
  }
}

TEST_CASE("keyring rotates keys without a restart") {
  Keyring ring = RingWith(1);
  const uint32_t old_id = ring.primary_id();
  const std::string old_packet = Seal(ring, SealHeader{NodeId{1}, 1, 1}, "a");
  Key fresh = Keyring::Generate();
  const uint32_t new_id = ring.Add(fresh);
  REQUIRE(ring.primary_id() == old_id);  // adding does not switch
  REQUIRE(ring.MakePrimary(new_id).ok());
  const std::string new_packet = Seal(ring, SealHeader{NodeId{1}, 1, 2}, "b");
  REQUIRE(Open(ring, Bytes(old_packet)).ok());  // both keys open during the change
  REQUIRE(Open(ring, Bytes(new_packet)).ok());
  REQUIRE_FALSE(ring.Remove(new_id).ok());  // primary stays
  REQUIRE(ring.Remove(old_id).ok());
  REQUIRE_FALSE(Open(ring, Bytes(old_packet)).ok());
  REQUIRE(Open(ring, Bytes(new_packet)).ok());
  REQUIRE_FALSE(ring.MakePrimary(old_id).ok());
}

TEST_CASE("keys parse from 64 hex digits") {
  const Key k = Keyring::Generate();
  auto back = Keyring::ParseKey(Keyring::FormatKey(k) + "\n");
  REQUIRE(back.ok());
  REQUIRE(*back == k);
  REQUIRE_FALSE(Keyring::ParseKey("abc").ok());
  REQUIRE_FALSE(Keyring::ParseKey(std::string(64, 'g')).ok());
}
