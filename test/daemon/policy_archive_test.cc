// The policy revisions a node keeps on disk: added as they activate, found
// by revision or stamp, the oldest dropped past the limit, read back after
// a restart, damaged files left out.
#include <filesystem>
#include <fstream>

#include <catch2/catch.hpp>

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
  REQUIRE(archive->FindStamp(V(2000, 2).ToString())->revision == 2);
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

TEST_CASE("policy files: written before revisions existed, still read (revision unknown)") {
  testing::TempDir dir;
  std::ofstream(dir.File("policy.active")) << "shoal-policy-version 131072000 0000000000000007\n<doc/>";
  auto stored = LoadActivePolicy(dir.path.string());
  REQUIRE(stored.ok());
  REQUIRE(stored->has_value());
  REQUIRE((*stored)->first.revision == 0);
  REQUIRE((*stored)->first.hlc == 131072000);
  REQUIRE((*stored)->second == "<doc/>");
  REQUIRE(SaveActivePolicy(dir.path.string(), V(5, 9), "<x/>").ok());
  REQUIRE((*LoadActivePolicy(dir.path.string()))->first.revision == 9);
  std::ofstream(dir.File("policy.active")) << "shoal-policy-version 1 7 x\n<doc/>";
  REQUIRE_FALSE(LoadActivePolicy(dir.path.string()).ok());
}
