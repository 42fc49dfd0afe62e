// Trigger scripts: real processes with the facts in their environment, ended
// with their children when they outlive the timeout.
#include <sys/stat.h>

#include <fstream>
#include <optional>
#include <sstream>

#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>

#include "daemon/script_runner.h"
#include "test/support/temp_dir.h"

using namespace shoal;
using namespace std::chrono_literals;

namespace {

std::string Script(testing::TempDir& dir, const std::string& name, const std::string& body) {
  std::string path = dir.Write(name, "#!/bin/sh\n" + body + "\n");
  ::chmod(path.c_str(), 0700);
  return path;
}

}  // namespace

TEST_CASE("Script runner: facts in the environment, exit codes, timeouts end the whole group") {
  testing::TempDir dir;
  boost::asio::io_context io;
  daemon::ScriptRunner runner(io);
  const std::string out = dir.File("env.txt");
  std::string ok = Script(dir, "ok.sh", "echo \"$SHOAL_TRIGGER $SHOAL_APPLICATION\" > " + out + "; exit 3");
  std::optional<daemon::ScriptResult> result;
  REQUIRE(runner.Run(ok, {{"SHOAL_TRIGGER", "hot"}, {"SHOAL_APPLICATION", "web"}}, 5s,
                     [&](const daemon::ScriptResult& r) { result = r; })
              .ok());
  while (!result) {
    io.restart();
    io.run_one_for(std::chrono::milliseconds(100));
  }
  REQUIRE(result->exit_code == 3);
  REQUIRE_FALSE(result->timed_out);
  std::ifstream in(out);
  std::string line;
  std::getline(in, line);
  REQUIRE(line == "hot web");

  // A script that hangs, with a child of its own: both end at the timeout.
  const std::string child_pid = dir.File("child.pid");
  std::string hang = Script(dir, "hang.sh", "sleep 30 & echo $! > " + child_pid + "; wait");
  result.reset();
  auto start = std::chrono::steady_clock::now();
  REQUIRE(runner.Run(hang, {}, 300ms, [&](const daemon::ScriptResult& r) { result = r; }).ok());
  while (!result) {
    io.restart();
    io.run_one_for(std::chrono::milliseconds(100));
  }
  REQUIRE(result->timed_out);
  REQUIRE(std::chrono::steady_clock::now() - start < 5s);
  std::ifstream pid_in(child_pid);
  int pid = 0;
  pid_in >> pid;
  REQUIRE(pid > 0);
  // The sleep went with its script: gone, or a zombie waiting for its new parent to reap it.
  auto alive = [&] {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string pid_text, name, state;
    return static_cast<bool>(stat >> pid_text >> name >> state) && state != "Z";
  };
  for (int i = 0; i < 50 && alive(); ++i) ::usleep(20'000);
  REQUIRE_FALSE(alive());

  REQUIRE_THAT(runner.Run(dir.Write("plain.txt", "x"), {}, 1s, nullptr).error().message,
               Catch::Contains("cannot be run"));
  REQUIRE(runner.running() == 0);
}
