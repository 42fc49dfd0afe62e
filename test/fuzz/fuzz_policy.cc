// Fuzzes the policy parser (documents arrive from operators and from other
// nodes): any bytes give errors or a document, and a document written back
// parses to an equal one. The same bytes as pieces of a document carried
// in the gossip (one piece, or two halves): refused, or assembled to
// exactly the size they claim.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string_view>
#include <vector>

#include "policy/inline_documents.h"
#include "policy/parser.h"
#include "policy/writer.h"

namespace {

void Pieces(std::string_view bytes) {
  using namespace shoal::policy;
  const std::string_view halves[2] = {bytes.substr(0, bytes.size() / 2), bytes.substr(bytes.size() / 2)};
  const std::vector<std::string_view> ways[2] = {{bytes}, {halves[0], halves[1]}};
  for (const auto& payloads : ways) {
    std::vector<std::optional<InlinePiece>> pieces;
    for (auto p : payloads) pieces.push_back(DecodeInlinePiece(p));
    while (pieces.size() < kInlinePieces) pieces.push_back(std::nullopt);
    if (!pieces[0]) continue;
    auto blob = AssembleInline(pieces[0]->version, pieces);
    if (blob && blob->size() != pieces[0]->size) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace shoal::policy;
  Pieces(std::string_view(reinterpret_cast<const char*>(data), size));
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
