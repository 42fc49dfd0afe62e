// Archive files from outside (shoalctl history mount): only regular files
// inside the archive directory are opened, and a refusal quotes none of
// their bytes.
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include <catch2/catch.hpp>

#include "store/history_store.h"
#include "test/support/temp_dir.h"

using namespace shoal;
using namespace shoal::store;

TEST_CASE("History archives: only regular files inside the archive directory are opened, and errors quote none of them") {
  testing::TempDir dir;
  const std::string archives = dir.File("archive");
  std::filesystem::create_directories(archives);
  const std::string inside = archives + "/a.sst";
  std::ofstream(inside) << "x";
  REQUIRE(*ArchiveFileIn(archives, "a.sst") == std::filesystem::canonical(inside).string());
  REQUIRE(*ArchiveFileIn(archives, inside) == std::filesystem::canonical(inside).string());
  // A FIFO would block whoever opens it: refused without being opened.
  const std::string fifo = archives + "/pipe.sst";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  REQUIRE_THAT(ArchiveFileIn(archives, "pipe.sst").error().message, Catch::Contains("not a regular file"));
  // Files elsewhere: by path, through '..', or through a link inside.
  const std::string secret = dir.Write("secret", "SECRETBYTES-do-not-show");
  for (const std::string& name : {std::string("/etc/shadow"), std::string("../secret"), secret}) {
    INFO(name);
    REQUIRE_THAT(ArchiveFileIn(archives, name).error().message, Catch::Contains("only files in the archive directory"));
  }
  std::filesystem::create_symlink(secret, archives + "/link.sst");
  REQUIRE_THAT(ArchiveFileIn(archives, "link.sst").error().message, Catch::Contains("only files in the archive directory"));
  REQUIRE_THAT(ArchiveFileIn(archives, "missing.sst").error().message, Catch::Contains("no such file"));
  // A file inside that is not an archive: the error names it but quotes none of its bytes.
  const std::string fake = archives + "/fake.sst";
  std::ofstream(fake) << std::string(4096, 'Q') << "SECRETBYTES";
  StoreOptions o;
  o.path = dir.File("db");
  auto store = HistoryStore::Open(NodeId{1}, "n1", o);
  REQUIRE(store.ok());
  const std::string why = (*store)->Mount(fake).error().message;
  REQUIRE_THAT(why, Catch::Contains("fake.sst"));
  REQUIRE_THAT(why, !Catch::Contains("QQQQ") && !Catch::Contains("SECRET"));
}
