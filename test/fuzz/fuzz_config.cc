// Fuzzes shoald's configuration file (TOML, daemon/config.h): any text is
// refused with an error naming the file, or read into a configuration
// whose check (Finish) passes or names what is wrong - never a crash, a
// hang or an error without words.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "daemon/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace shoal::daemon;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  DaemonConfig c;
  auto loaded = LoadConfigText(text, "fuzz.toml", false, c);
  if (!loaded.ok()) {
    if (loaded.error().message.find("fuzz.toml") == std::string::npos) std::abort();
    return 0;
  }
  auto checked = c.Finish();
  if (!checked.ok() && checked.error().message.empty()) std::abort();
  return 0;
}
