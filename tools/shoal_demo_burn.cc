// shoal-demo-burn: a CPU-hungry sample application for the demo and the
// real-kernel tests. Its command line carries the application name that the
// example policies match ("shoal-demo-burn gold ..."). Each thread spins,
// or, with --duty, spins that percentage of every 100 ms and sleeps the
// rest. Runs until killed (or --seconds).
#include <sched.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>

namespace {

std::atomic<bool> stop{false};

void Spin(int duty) {
  using Clock = std::chrono::steady_clock;
  volatile unsigned long sink = 0;
  while (!stop.load(std::memory_order_relaxed)) {
    const auto start = Clock::now();
    const auto busy_until = start + std::chrono::milliseconds(duty);
    while (Clock::now() < busy_until) {
      for (int i = 0; i < 10000; ++i) sink = sink + static_cast<unsigned long>(i);
    }
    if (duty < 100) std::this_thread::sleep_until(start + std::chrono::milliseconds(100));
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "shoal-demo-burn: burns CPU as a sample application, for Shoal's demo and tests.\n"
      "  shoal-demo-burn gold                 # one thread, all the CPU it can get\n"
      "  shoal-demo-burn bronze --threads 2 --duty 30 --cpu 0"};
  std::string name;
  int threads = 1, duty = 100, seconds = 0, cpu = -1;
  app.add_option("name", name, "the application name, for detection rules to match")->required();
  app.add_option("--threads", threads, "spinning threads (1..64)")->check(CLI::Range(1, 64));
  app.add_option("--duty", duty, "percent of each 100 ms to spin (1..100)")->check(CLI::Range(1, 100));
  app.add_option("--cpu", cpu, "run only on this CPU (default: any)")->check(CLI::NonNegativeNumber);
  app.add_option("--seconds", seconds, "stop after this many seconds (0: run until killed)");
  CLI11_PARSE(app, argc, argv);
  if (cpu >= 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (::sched_setaffinity(0, sizeof set, &set) != 0) {
      std::perror("shoal-demo-burn: --cpu");
      return 2;
    }
  }
  std::vector<std::thread> pool;
  for (int i = 0; i < threads; ++i) pool.emplace_back(Spin, duty);
  if (seconds > 0) {
    std::this_thread::sleep_for(std::chrono::seconds(seconds));
    stop = true;
  }
  for (auto& t : pool) t.join();
  return 0;
}
