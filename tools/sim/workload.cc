#include "tools/sim/workload.h"

#include <chrono>
#include <cmath>
#include <numbers>

#include <fmt/format.h>

namespace shoal::sim {

std::string SimLoad::AppName(int k) const { return fmt::format("{}{:02}", prefix, k); }

std::string SimLoad::Policy() const {
  std::string xml = "<shoal-policy version=\"1\" mode=\"enforce\">\n";
  for (int a = 0; a < apps; ++a) {
    xml += fmt::format("  <application name=\"{0}\"><process cmdline=\"shoal-sim {0} *\"/></application>\n",
                       AppName(a));
  }
  for (int a = 0; a < apps; ++a) {
    xml += fmt::format("  <policy application=\"{}\" priority=\"{}\"><cpu pool-percent=\"{}%\"/></policy>\n",
                       AppName(a), a % 2 + 1, percent);
  }
  return xml + "</shoal-policy>\n";
}

void SimLoad::Run(size_t server, SimMachine& m) const {
  const auto n = static_cast<size_t>(apps);
  for (size_t k : {0u, 3u, 7u}) {
    const int a = static_cast<int>((server + k) % n);
    const double phase = 2 * std::numbers::pi * static_cast<double>((server * 37 + k * 11) % 100) / 100;
    m.Run(AppName(a), [phase](TimePoint t) {
      const double s = std::chrono::duration<double>(t.time_since_epoch()).count();
      return 1400 + 800 * std::sin(2 * std::numbers::pi * s / 60 + phase);
    });
  }
}

}  // namespace shoal::sim
