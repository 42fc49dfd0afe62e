// The policy revisions a node keeps on disk: added as they activate, found
// by revision or stamp, the oldest dropped past the limit, read back after
// a restart, damaged files left out.
#include <filesystem>
#include <fstream>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "daemon/policy_archive.h"
#include "daemon/policy_store.h"
#include "test/support/temp_dir.h"

using namespace shoal;
using namespace shoal::daemon;

namespace {

policy::PolicyVersion V(uint64_t ms, uint32_t revision) { return policy::PolicyVersion{ms << 16, NodeId{7}, revision}; }

}  // namespace

TEST_CASE("policy archive: revisions kept across restarts, found by number and stamp") {
  testing::TempDir dir;
  const std::string path = dir.File("policies");
  {
    auto archive = PolicyArchive::Open(path);
    REQUIRE(archive.ok());
    REQUIRE(archive->Add(V(1000, 1), "<one/>").ok());
    REQUIRE(archive->Add(V(2000, 2), "<two/>").ok());
    REQUIRE(archive->Add(V(2000, 2), "<two/>").ok());  // activated again (a restart): kept once
    REQUIRE(archive->versions().size() == 2);
  }
  auto archive = PolicyArchive::Open(path);
  REQUIRE(archive.ok());
  REQUIRE(archive->versions().size() == 2);
  REQUIRE(archive->versions().back().revision == 2);
  REQUIRE(archive->FindRevision(1) == V(1000, 1));
  REQUIRE_FALSE(archive->FindRevision(3).has_value());
  auto parsed = policy::PolicyVersion::Parse(V(2000, 2).ToString());  // a stamp as a node's status carries it
  REQUIRE(parsed.has_value());
  REQUIRE(parsed->revision == 0);
  REQUIRE(archive->Find(*parsed)->revision == 2);
  REQUIRE_FALSE(archive->Find(V(3000, 0)).has_value());
  REQUIRE((*archive->Newest())->first == V(2000, 2));
  REQUIRE((*archive->Newest())->second == "<two/>");
  REQUIRE(*archive->Blob(V(1000, 1)) == "<one/>");
  // A damaged file is left out, the others still read.
  std::ofstream(path + "/00000000000000000099-0000000000000007.policy") << "garbage\n";
  archive = PolicyArchive::Open(path);
  REQUIRE(archive.ok());
  REQUIRE(archive->versions().size() == 2);
}

TEST_CASE("policy archive: the oldest revisions go past the limit") {
  testing::TempDir dir;
  auto archive = PolicyArchive::Open(dir.File("policies"));
  REQUIRE(archive.ok());
  for (uint32_t r = 1; r <= PolicyArchive::kKept + 5; ++r) REQUIRE(archive->Add(V(1000 + r, r), "<doc/>").ok());
  REQUIRE(archive->versions().size() == PolicyArchive::kKept);
  REQUIRE(archive->versions().front().revision == 6);
  REQUIRE_FALSE(archive->FindRevision(5).has_value());
  size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.File("policies"))) files += e.path().extension() == ".policy";
  REQUIRE(files == PolicyArchive::kKept);
}

TEST_CASE("policy archive: the active document of a daemon before the archive is taken in (revision unknown)") {
  testing::TempDir dir;
  const std::string legacy = dir.File("policy.active");
  std::ofstream(legacy) << "shoal-policy-version 131072000 0000000000000007\n<doc/>";
  auto archive = PolicyArchive::Open(dir.File("policies"));
  REQUIRE(archive.ok());
  REQUIRE((*archive->Newest()) == std::nullopt);
  REQUIRE(archive->Adopt(legacy).ok());
  REQUIRE_FALSE(std::filesystem::exists(legacy));
  auto newest = archive->Newest();
  REQUIRE(newest.ok());
  REQUIRE((*newest)->first.hlc == 131072000);
  REQUIRE((*newest)->first.revision == 0);
  REQUIRE((*newest)->second == "<doc/>");
  REQUIRE(archive->Adopt(legacy).ok());  // nothing left to take in
  std::ofstream(legacy) << "shoal-policy-version 1 7 x\n<doc/>";
  auto bad = archive->Adopt(legacy);
  REQUIRE_FALSE(bad.ok());
  REQUIRE_THAT(bad.error().message, Catch::Contains("policy.active") && Catch::Contains("does not parse"));
  // The revision survives the file format.
  REQUIRE(WritePolicyFile(dir.File("x.policy"), V(5, 9), "<x/>").ok());
  REQUIRE((*ReadPolicyFile(dir.File("x.policy")))->first.revision == 9);
}

TEST_CASE("policy archive: an active version that cannot be written is kept and written later") {
  testing::TempDir dir;
  const std::string path = dir.File("policies");
  auto archive = PolicyArchive::Open(path);
  REQUIRE(archive.ok());
  REQUIRE(archive->Add(V(1000, 1), "<one/>").ok());
  auto nothing = archive->RetryPending();
  REQUIRE(nothing.ok());
  CHECK_FALSE(nothing->has_value());
  // Its file's place is taken (as a full disk refuses the write): the
  // version is refused, kept in memory, and not listed yet.
  auto blocked = [&](const policy::PolicyVersion& v) {
    return fmt::format("{}/{:020}-{:016x}.policy", path, v.hlc, v.origin.value);
  };
  std::filesystem::create_directories(blocked(V(2000, 2)) + "/in-the-way");
  REQUIRE_FALSE(archive->Add(V(2000, 2), "<two/>").ok());
  CHECK(archive->versions().size() == 1);
  auto still = archive->RetryPending();
  REQUIRE_FALSE(still.ok());
  // Room again: the retry writes it, once.
  std::filesystem::remove_all(blocked(V(2000, 2)));
  auto stored = archive->RetryPending();
  REQUIRE(stored.ok());
  REQUIRE(stored->has_value());
  CHECK(**stored == V(2000, 2));
  CHECK(archive->versions().size() == 2);
  CHECK(*archive->Blob(V(2000, 2)) == "<two/>");
  CHECK_FALSE(archive->RetryPending()->has_value());
  // A newer version stored directly makes an older pending one moot.
  std::filesystem::create_directories(blocked(V(3000, 3)) + "/in-the-way");
  REQUIRE_FALSE(archive->Add(V(3000, 3), "<three/>").ok());
  REQUIRE(archive->Add(V(4000, 4), "<four/>").ok());
  CHECK_FALSE(archive->RetryPending()->has_value());
}
