// Signed admin actions: only a trusted admin key signs, once, in time.
#include <fstream>

#include <catch2/catch.hpp>

#include "gossip/admin_auth.h"
#include "test/support/temp_dir.h"

using namespace shoal;
using namespace shoal::gossip;

namespace {

struct Admin {
  testing::TempDir dir;
  std::string key_file = dir.File("admin.key");
  AdminPublicKey pub{};
  Admin() {
    auto hex = WriteNewAdminKey(key_file);
    REQUIRE(hex.ok());
    std::ofstream(dir.File("admin-keys")) << "# the admins\n" << *hex << " alice\n";
    auto keys = AdminVerifier::LoadKeys(dir.File("admin-keys"));
    REQUIRE(keys.ok());
    REQUIRE(keys->size() == 1);
    pub = keys->front();
  }
};

}  // namespace

TEST_CASE("Admin actions: a trusted key's signature is taken once, within the window, for its kind only") {
  Admin alice;
  auto signer = AdminSigner::Load(alice.key_file);
  REQUIRE(signer.ok());
  REQUIRE(signer->public_key() == alice.pub);
  int64_t now = 1'800'000'000'000;
  AdminVerifier v({alice.pub}, [&] { return now; });

  const std::string signed_delete = signer->Sign("history-delete", "rows of web", now);
  auto taken = v.TakeOnce(signed_delete, "history-delete");
  REQUIRE(taken.ok());
  REQUIRE(*taken == "rows of web");
  // The same bytes again: a replay.
  REQUIRE_THAT(v.TakeOnce(signed_delete, "history-delete").error().message, Catch::Contains("replay"));
  // Offered as another kind of action.
  REQUIRE_THAT(v.TakeOnce(signer->Sign("history-delete", "x", now), "history-archive").error().message,
               Catch::Contains("offered as a history-archive"));
  // Unsigned, tampered, or by a key this node does not trust.
  REQUIRE_THAT(v.TakeOnce("", "history-delete").error().message, Catch::Contains("not signed"));
  wire::SignedAction tampered;
  REQUIRE(tampered.ParseFromString(signer->Sign("history-delete", "rows of web", now)));
  tampered.set_action("rows of everything");
  REQUIRE_THAT(v.TakeOnce(tampered.SerializeAsString(), "history-delete").error().message,
               Catch::Contains("does not verify"));
  Admin mallory;
  auto other = AdminSigner::Load(mallory.key_file);
  REQUIRE_THAT(v.TakeOnce(other->Sign("history-delete", "x", now), "history-delete").error().message,
               Catch::Contains("does not trust"));
  REQUIRE_THAT(v.TakeOnce("\xff\xff garbage", "history-delete").error().message, Catch::Contains("malformed"));
  REQUIRE_THAT(v.CheckDocument("<shoal-policy/>", "policy").error().message, Catch::Contains("not signed"));
  // Too old, or from the future: outside the 5-minute window.
  const std::string old = signer->Sign("history-archive", "a", now - 6 * 60'000);
  REQUIRE_THAT(v.TakeOnce(old, "history-archive").error().message, Catch::Contains("outside the 300 s window"));
  REQUIRE_FALSE(v.TakeOnce(signer->Sign("history-archive", "a", now + 6 * 60'000), "history-archive").ok());
  // A document is checked without the window (a node catches up later).
  REQUIRE(v.CheckDocument(old, "history-archive").ok());
  REQUIRE(v.counters().replayed == 1);
  REQUIRE(v.counters().stale == 2);
}

TEST_CASE("Admin keys: files name their mistakes, and a key is never overwritten") {
  Admin alice;
  REQUIRE_FALSE(WriteNewAdminKey(alice.key_file).ok());
  std::ofstream(alice.dir.File("bad-keys")) << "# keys\n\nnot-a-key\n";
  REQUIRE_THAT(AdminVerifier::LoadKeys(alice.dir.File("bad-keys")).error().message, Catch::Contains("bad-keys:3"));
  REQUIRE_THAT(AdminSigner::Load(alice.dir.File("missing")).error().message, Catch::Contains("missing"));
}
