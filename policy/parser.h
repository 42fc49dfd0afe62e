// Reading a policy document (XML, pugixml) into a PolicyDocument, with
// every check an operator needs before anything is applied: the structure
// (known elements and attributes only, required ones present, values that
// parse), then the meaning (unknown applications and pipes, duplicate
// names, bookings that cannot fit their pipe, globs that do not compile,
// rules of two applications that claim the same processes or flows,
// overlapping schedule windows, time zones that do not exist). All errors
// are collected; each names the line, column and element. A document with
// any error must not be applied. Thread-safe.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "policy/model.h"

namespace shoal::policy {

struct PolicyError {
  int line = 0;
  int column = 0;
  std::string element;  // e.g. "<policy>"
  std::string message;
};

// "SOURCE:LINE:COLUMN: <element>: message"
std::string FormatPolicyError(const PolicyError& e, std::string_view source);

struct ParsedPolicy {
  PolicyDocument document;  // meaningful only when ok()
  std::vector<PolicyError> errors;
  bool ok() const { return errors.empty(); }
};

struct ParseOptions {
  // Whether an IANA time zone exists; by default, a file under
  // /usr/share/zoneinfo.
  std::function<bool(std::string_view)> zone_exists;
  size_t max_bytes = 4 << 20;  // larger documents are refused unread
  // The pool's CPU capacity in millicores, when known (a node validating a
  // push knows it): a booking of more cores than the whole pool cannot fit.
  std::optional<double> pool_millicores;
};

ParsedPolicy ParsePolicy(std::string_view xml, const ParseOptions& options = {});

}  // namespace shoal::policy
