// Application detection: rules against fixture /proc trees written by the
// test, and against the real /proc with processes the test starts.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "daemon/proc_reader.h"
#include "policy/detection.h"
#include "policy/parser.h"
#include "test/support/temp_dir.h"

using namespace shoal;
using namespace shoal::policy;

namespace {

PolicyDocument Parse(const std::string& body) {
  ParsedPolicy p = ParsePolicy("<shoal-policy>\n" + body + "</shoal-policy>\n");
  for (const auto& e : p.errors) FAIL(FormatPolicyError(e, "test"));
  return p.document;
}

IdResolver FixedIds() {
  IdResolver r;
  r.uid = [](const std::string& n) -> std::optional<uint32_t> {
    if (n == "www-data") return 33;
    if (n == "postgres") return 106;
    return std::nullopt;
  };
  r.gid = [](const std::string& n) -> std::optional<uint32_t> {
    if (n == "batch") return 2000;
    return std::nullopt;
  };
  return r;
}

// A fixture /proc: one directory per process with stat, status and cmdline.
struct FakeProc {
  testing::TempDir dir;
  void Add(int pid, int ppid, const std::string& comm, const std::string& args, uint32_t uid = 0,
           uint32_t gid = 0, uint64_t start = 100) {
    auto d = dir.path / std::to_string(pid);
    std::filesystem::create_directories(d);
    std::ofstream(d / "stat") << fmt::format(
        "{} ({}) S {} {} {} 0 -1 4194560 100 0 0 0 7 3 0 0 20 0 1 0 {} 1000000 250 18446744073709551615\n", pid,
        comm, ppid, pid, pid, start);
    std::ofstream(d / "status") << fmt::format("Name:\t{}\nUid:\t{}\t{}\t{}\t{}\nGid:\t{}\t{}\t{}\t{}\n", comm,
                                               uid, uid, uid, uid, gid, gid, gid, gid);
    std::string nul_args = args;
    for (char& c : nul_args) {
      if (c == ' ') c = '\0';
    }
    if (!nul_args.empty()) nul_args += '\0';
    std::ofstream(d / "cmdline", std::ios::binary) << nul_args;
  }
  void Net(const std::string& file, const std::string& lines) {
    std::filesystem::create_directories(dir.path / "net");
    std::ofstream(dir.path / "net" / file)
        << "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
        << lines;
  }
  ProcSnapshot Read(bool owners = false) {
    daemon::ProcReadOptions o;
    o.socket_owners = owners;
    auto s = daemon::ReadProcSnapshot(dir.path.string(), o);
    REQUIRE(s.ok());
    return std::move(*s);
  }
};

std::string AppOf(const Detector& d, const Detection& r, int pid) {
  auto it = r.processes.find(pid);
  return it == r.processes.end() ? "-" : d.document().applications[it->second].name;
}

}  // namespace

TEST_CASE("Proc reader: names with spaces and parens, ids, command lines, sockets") {
  FakeProc proc;
  proc.Add(1, 0, "systemd", "/sbin/init");
  proc.Add(42, 1, "tmux: server (x)", "tmux new -s work", 1000, 1000, 555);
  proc.Add(43, 42, "kworker/0:1", "");
  proc.Net("tcp", "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 31337 1\n");
  proc.Net("tcp6", "   0: 00000000000000000000000000000000:01BB 00000000000000000000000000000000:0000 0A 0 0 0 0 0 0 4242 1\n"
                   "   1: 0000000000000000FFFF00000100000A:0050 00000000000000000000000000000000:0000 0A 0 0 0 0 0 0 4343 1\n"
                   "   2: 20010DB8000000000000000000000001:0050 00000000000000000000000000000000:0000 0A 0 0 0 0 0 0 4444 1\n");
  ProcSnapshot s = proc.Read();
  REQUIRE(s.processes.size() == 3);
  auto find = [&](int pid) {
    for (const auto& p : s.processes) {
      if (p.pid == pid) return p;
    }
    FAIL("no pid " << pid);
    return ProcessInfo{};
  };
  ProcessInfo tmux = find(42);
  REQUIRE(tmux.name == "tmux: server (x)");
  REQUIRE(tmux.ppid == 1);
  REQUIRE(tmux.uid == 1000);
  REQUIRE(tmux.start_time == 555);
  REQUIRE(tmux.cpu_ticks == 10);
  REQUIRE(tmux.rss_pages == 250);
  REQUIRE(tmux.cmdline == "tmux new -s work");
  REQUIRE(find(43).cmdline.empty());
  REQUIRE(s.sockets.size() == 3);  // the global IPv6 address is not an IPv4 flow
  REQUIRE(s.sockets[0].local_ip == 0x7f000001);
  REQUIRE(s.sockets[0].local_port == 8080);
  REQUIRE(s.sockets[0].inode == 31337);
  REQUIRE(s.sockets[1].local_ip == 0);
  REQUIRE(s.sockets[1].local_port == 443);
  REQUIRE(s.sockets[2].local_ip == 0x0a000001);
  REQUIRE_FALSE(daemon::ReadProcSnapshot("/nonexistent/proc").ok());
}

TEST_CASE("Detection: rules, first application wins, children, flows, users and groups") {
  FakeProc proc;
  proc.Add(1, 0, "systemd", "/sbin/init");
  proc.Add(100, 1, "nginx", "nginx: master process /usr/sbin/nginx", 0);
  proc.Add(101, 100, "nginx", "nginx: worker process", 33);
  proc.Add(102, 101, "sh", "sh -c logrotate", 33);  // a grandchild
  proc.Add(200, 1, "gunicorn", "/usr/bin/python3 /usr/bin/gunicorn: worker [app]", 33);
  proc.Add(201, 1, "gunicorn", "/usr/bin/python3 /usr/bin/gunicorn: worker [app]", 0);  // wrong user
  proc.Add(300, 1, "postgres", "/usr/lib/postgresql/15/bin/postgres -D /var/lib/pg", 106);
  proc.Add(301, 300, "postgres", "postgres: checkpointer", 106);
  proc.Add(400, 1, "cron", "/usr/sbin/cron -f");
  proc.Add(401, 400, "python3", "python3 /opt/batch/nightly.py", 0, 2000);
  proc.Add(402, 400, "backup.sh", "/bin/sh /opt/backup.sh", 0, 0);
  proc.Add(500, 1, "redis-server", "redis-server *:6379");
  proc.Add(600, 1, "averyveryverylongname", "/opt/bin/averyveryverylongnamed --flag");
  proc.Net("tcp", "   0: 00000000:18EB 00000000:0000 0A 00000000:00000000 00:00000000 00000000  0 0 777 1\n");
  PolicyDocument doc = Parse(R"(
<application name="web">
  <process name="nginx" children="true"/>
  <process cmdline="*gunicorn: worker*" user="www-data"/>
</application>
<application name="db"><process name="postgres" user="postgres" children="true"/></application>
<application name="batch"><process cmdline="python3 /opt/batch/*.py" group="batch"/></application>
<application name="cronjobs"><process parent="cron"/></application>
<application name="cache"><flow port="6379" protocol="tcp"/></application>
<application name="long"><process name="averyveryverylongnamed"/></application>
<application name="ghost"><process user="nosuchuser"/></application>
)");
  Detector d(doc, FixedIds());
  ProcSnapshot snap = proc.Read();
  snap.sockets[0].pid = 500;  // as the fd scan would find
  Detection r = d.Classify(snap);
  REQUIRE(AppOf(d, r, 100) == "web");
  REQUIRE(AppOf(d, r, 101) == "web");
  REQUIRE(AppOf(d, r, 102) == "web");  // descendants too
  REQUIRE(AppOf(d, r, 200) == "web");
  REQUIRE(AppOf(d, r, 201) == "-");     // not www-data
  REQUIRE(AppOf(d, r, 300) == "db");
  REQUIRE(AppOf(d, r, 301) == "db");
  REQUIRE(AppOf(d, r, 401) == "batch");  // batch comes before cronjobs in the document
  REQUIRE(AppOf(d, r, 402) == "cronjobs");
  REQUIRE(AppOf(d, r, 400) == "-");
  REQUIRE(AppOf(d, r, 500) == "cache");  // it owns the socket of port 6379
  REQUIRE(*r.sockets[0] == 4);
  REQUIRE(AppOf(d, r, 600) == "long");  // argv[0]'s base name, past the kernel's 15 characters
  REQUIRE(AppOf(d, r, 1) == "-");
}

TEST_CASE("Detection is stable across scans and forgets reused pids") {
  PolicyDocument doc = Parse(R"(<application name="app"><process cmdline="myapp --serve*"/></application>)");
  Detector d(doc, FixedIds());
  ProcSnapshot s;
  s.processes.push_back(ProcessInfo{10, 1, "myapp", "myapp --serve 8080", 0, 0, 1000, 0, 0});
  REQUIRE(d.Classify(s).processes.count(10) == 1);
  // It renames itself (a worker title): it keeps its application.
  s.processes[0].cmdline = "myapp: idle worker";
  REQUIRE(d.Classify(s).processes.count(10) == 1);
  // The pid is reused by another process (another start time): a new decision.
  s.processes[0].start_time = 2000;
  REQUIRE(d.Classify(s).processes.count(10) == 0);
  // A new document forgets everything.
  s.processes[0] = ProcessInfo{10, 1, "myapp", "myapp --serve 8080", 0, 0, 1000, 0, 0};
  d.Classify(s);
  s.processes[0].cmdline = "renamed";
  d.SetDocument(doc);
  REQUIRE(d.Classify(s).processes.count(10) == 0);
}

TEST_CASE("Detection on the real /proc finds the processes this test starts, children included") {
  // sh -c "sleep ... & sleep ...; wait": the shell matches, its sleeps come along.
  const std::string marker = fmt::format("shoal-detect-{}", ::getpid());
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    std::string script = "sleep 30 & sleep 31 & wait # " + marker;
    ::execl("/bin/sh", "sh", "-c", script.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  struct Reap {
    pid_t pid;
    ~Reap() {
      ::kill(-pid, SIGTERM);
      ::kill(pid, SIGTERM);
      ::waitpid(pid, nullptr, 0);
    }
  } reap{child};
  PolicyDocument doc = Parse(fmt::format(R"(<application name="probe"><process cmdline="*{}" children="true"/></application>)", marker));
  Detector d(doc, IdResolver::System());
  size_t found = 0;
  for (int attempt = 0; attempt < 100 && found < 3; ++attempt) {
    auto snap = daemon::ReadProcSnapshot("/proc");
    REQUIRE(snap.ok());
    Detection r = d.Classify(*snap);
    found = 0;
    for (const auto& p : snap->processes) {
      bool mine = p.pid == child || p.ppid == child;
      if (mine && r.processes.count(p.pid) == 1) ++found;
    }
    if (found < 3) ::usleep(20'000);
  }
  REQUIRE(found == 3);  // the shell and its two sleeps
}

TEST_CASE("Proc scanner: incremental scans read only new processes, full scans everything") {
  FakeProc proc;
  proc.Add(1, 0, "systemd", "/sbin/init");
  proc.Add(10, 1, "app", "app --v1");
  daemon::ProcScanner scanner(proc.dir.path.string(), daemon::ProcReadOptions{true, false});
  auto first = scanner.Scan(true);
  REQUIRE(first->processes.size() == 2);
  proc.Add(11, 1, "worker", "worker --new");
  proc.Add(10, 1, "app", "app --v2");  // rewritten: an incremental scan keeps what it knew
  std::filesystem::remove_all(proc.dir.path / "1");
  auto second = scanner.Scan(false);
  REQUIRE(second->processes.size() == 2);
  std::map<int, std::string> cmd;
  for (const auto& p : second->processes) cmd[p.pid] = p.cmdline;
  REQUIRE(cmd.count(1) == 0);  // gone
  REQUIRE(cmd[11] == "worker --new");
  REQUIRE(cmd[10] == "app --v1");
  auto full = scanner.Scan(true);
  for (const auto& p : full->processes) cmd[p.pid] = p.cmdline;
  REQUIRE(cmd[10] == "app --v2");
}

TEST_CASE("Proc scanner: a socket bound after its process was first read finds its owner at the next scan") {
  FakeProc proc;
  proc.Add(1, 0, "systemd", "/sbin/init");
  proc.Add(20, 1, "server", "server --port 7777");
  std::filesystem::create_directories(proc.dir.path / "20" / "fd");
  std::filesystem::create_symlink("/dev/null", proc.dir.path / "20" / "fd" / "0");
  // Another process's socket is there from the start (so the server's fd
  // directory is read at the first scan).
  const std::string other = "   0: 00000000:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 500 2\n";
  proc.Net("udp", other);
  daemon::ProcScanner scanner(proc.dir.path.string(), daemon::ProcReadOptions{true, false});
  const int pid = 20;
  auto first = scanner.Scan(true);
  REQUIRE(first.ok());
  scanner.OwnersOf(*first, std::span<const int>(&pid, 1));  // walked: no socket yet
  // It binds UDP 7777 (0x1E61) a moment later.
  proc.Net("udp", other + "   1: 00000000:1E61 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 9001 2\n");
  std::filesystem::create_symlink("socket:[9001]", proc.dir.path / "20" / "fd" / "3");
  auto second = scanner.Scan(false);
  REQUIRE(second.ok());
  scanner.OwnersOf(*second, std::span<const int>(&pid, 1));
  REQUIRE(second->sockets.size() == 2);
  REQUIRE(second->sockets[1].local_port == 7777);
  REQUIRE(second->sockets[1].pid == 20);
}
