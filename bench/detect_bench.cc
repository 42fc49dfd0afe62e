// Times one detection scan: reading /proc (processes, sockets, optionally
// socket owners) and classifying every process and socket by a policy's
// rules. Two sources: a generated tree of --processes fake processes laid
// out like /proc (on the machine's temporary directory), and the real
// /proc with --processes real processes started for the measurement
// (`sleep`, ended by their pids afterwards). Prints one JSON object per
// source.
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "core/percentile.h"
#include "core/random.h"
#include "daemon/proc_reader.h"
#include "policy/detection.h"
#include "policy/parser.h"

extern char** environ;

namespace {

using namespace shoal;

constexpr const char* kPolicy = R"(<shoal-policy>
  <application name="web"><process name="nginx" children="true"/><process cmdline="*gunicorn: worker*"/><flow port="80"/></application>
  <application name="db"><process name="postgres" children="true"/><flow port="5432"/></application>
  <application name="cache"><process name="redis-server"/><flow port="6379"/></application>
  <application name="batch"><process cmdline="python3 /opt/batch/*.py"/><process parent="cron" children="true"/></application>
  <application name="java"><process cmdline="java * -jar /srv/*[Ss]ervice*.jar*"/></application>
  <application name="agents"><process name="node_exporter"/><process name="fluent-bit"/><process name="sshd"/></application>
  <application name="queue"><process cmdline="*rabbitmq*"/><flow port="5672"/></application>
  <application name="search"><process cmdline="*elasticsearch*" children="true"/><flow port="9200-9300"/></application>
</shoal-policy>)";

void MakeTree(const std::filesystem::path& root, size_t n) {
  const char* names[] = {"nginx", "postgres", "redis-server", "python3", "java", "bash", "sleep", "cron", "sshd", "node_exporter"};
  const char* args[] = {"nginx: worker process", "postgres: autovacuum launcher", "redis-server *:6379",
                        "python3 /opt/batch/nightly.py", "java -Xmx2g -jar /srv/OrderService-1.4.jar --port 8080",
                        "bash -l", "sleep 3600", "/usr/sbin/cron -f", "sshd: admin [priv]", "/usr/bin/node_exporter"};
  Random rng(1);
  std::filesystem::create_directories(root / "net");
  for (size_t i = 0; i < n; ++i) {
    int pid = static_cast<int>(i + 1);
    int ppid = i == 0 ? 0 : static_cast<int>(1 + rng.Below(i));
    size_t k = rng.Below(10);
    auto d = root / std::to_string(pid);
    std::filesystem::create_directories(d);
    std::ofstream(d / "stat") << fmt::format(
        "{} ({}) S {} {} {} 0 -1 4194560 100 0 0 0 7 3 0 0 20 0 1 0 {} 1000000 250 0\n", pid, names[k], ppid,
        pid, pid, 1000 + i);
    std::ofstream(d / "status") << fmt::format("Name:\t{}\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\n", names[k]);
    std::string a = args[k];
    for (char& c : a) {
      if (c == ' ') c = '\0';
    }
    std::ofstream(d / "cmdline", std::ios::binary) << a << '\0';
  }
  std::ofstream tcp(root / "net" / "tcp");
  tcp << "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n";
  for (size_t i = 0; i < n / 4; ++i) {
    tcp << fmt::format("{:4}: 0100007F:{:04X} 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 {} 1\n",
                       i, 1024 + rng.Below(60000), 10000 + i);
  }
}

void Measure(const std::string& label, const std::string& root, bool owners, bool incremental, int runs) {
  auto parsed = policy::ParsePolicy(kPolicy);
  policy::Detector detector(parsed.document, policy::IdResolver::System());
  daemon::ProcReadOptions options;
  options.socket_owners = owners;
  daemon::ProcScanner scanner(root, options);
  if (incremental && !scanner.Scan(true).ok()) return;  // the full scan before the timed ones
  std::vector<double> read_ms, classify_ms;
  size_t processes = 0, sockets = 0, assigned = 0;
  for (int r = 0; r < runs; ++r) {
    auto t0 = std::chrono::steady_clock::now();
    auto snap = scanner.Scan(!incremental);
    auto t1 = std::chrono::steady_clock::now();
    if (!snap.ok()) {
      std::fprintf(stderr, "%s\n", snap.error().message.c_str());
      return;
    }
    auto result = detector.Classify(*snap);
    auto t2 = std::chrono::steady_clock::now();
    read_ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    classify_ms.push_back(std::chrono::duration<double, std::milli>(t2 - t1).count());
    processes = snap->processes.size();
    sockets = snap->sockets.size();
    assigned = result.processes.size();
  }
  std::vector<double> total(read_ms.size());
  for (size_t i = 0; i < total.size(); ++i) total[i] = read_ms[i] + classify_ms[i];
  std::printf("{\"source\": \"%s\", \"scan\": \"%s\", \"processes\": %zu, \"sockets\": %zu, \"assigned\": %zu, "
              "\"socket_owners\": %s, \"runs\": %d, \"read_p50_ms\": %.2f, \"classify_p50_ms\": %.3f, "
              "\"scan_p50_ms\": %.2f, \"scan_p99_ms\": %.2f}\n",
              label.c_str(), incremental ? "incremental" : "full", processes, sockets, assigned,
              owners ? "true" : "false", runs, Percentile(read_ms, 50), Percentile(classify_ms, 50),
              Percentile(total, 50), Percentile(total, 99));
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Times a detection scan of /proc and of a generated tree of fake processes."};
  size_t processes = 2000;
  int runs = 50;
  app.add_option("--processes", processes, "fake processes to generate")->capture_default_str();
  app.add_option("--runs", runs, "scans per source")->capture_default_str();
  bool proc_only = false;
  app.add_flag("--proc-only", proc_only, "skip the generated tree");
  CLI11_PARSE(app, argc, argv);
  if (!proc_only) {
    auto root = std::filesystem::temp_directory_path() / fmt::format("shoal-detect-bench-{}", ::getpid());
    MakeTree(root, processes);
    Measure("generated", root.string(), false, false, runs);
    std::filesystem::remove_all(root);
  }
  std::vector<pid_t> started;
  for (size_t i = 0; i < processes; ++i) {
    pid_t pid = 0;
    char arg0[] = "sleep", arg1[] = "600";
    char* args[] = {arg0, arg1, nullptr};
    if (posix_spawnp(&pid, "sleep", nullptr, nullptr, args, environ) != 0) break;
    started.push_back(pid);
  }
  Measure("/proc", "/proc", false, false, runs);
  Measure("/proc", "/proc", true, false, runs);
  Measure("/proc", "/proc", true, true, runs);
  for (pid_t pid : started) ::kill(pid, SIGTERM);
  for (pid_t pid : started) ::waitpid(pid, nullptr, 0);
  return 0;
}
