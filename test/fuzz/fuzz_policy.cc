// Fuzzes the policy parser (documents arrive from operators and from other
// nodes): any bytes give errors or a document, and a document written back
// parses to an equal one.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "policy/parser.h"
#include "policy/writer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace shoal::policy;
  ParseOptions options;
  options.zone_exists = [](std::string_view z) { return z == "UTC" || z == "Europe/London"; };
  ParsedPolicy p = ParsePolicy(std::string_view(reinterpret_cast<const char*>(data), size), options);
  if (!p.ok()) return 0;
  ParsedPolicy again = ParsePolicy(WritePolicy(p.document), options);
  if (!again.ok()) std::abort();
  PolicyDocument a = p.document, b = again.document;
  ClearSourceLines(a);
  ClearSourceLines(b);
  if (!(a == b)) std::abort();
  return 0;
}
