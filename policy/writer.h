// Writing a PolicyDocument back as XML in the language ParsePolicy reads:
// parsing the output gives an equal document (source lines aside). Used to
// store and show the active policy. Thread-safe.
#pragma once

#include <map>
#include <string>

#include "policy/model.h"

namespace shoal::policy {

// Comments to write with a document: one at its head, one before the
// policy of each application named ("--" in them becomes "-").
struct PolicyComments {
  std::string head;
  std::map<std::string, std::string> policies;
};

std::string WritePolicy(const PolicyDocument& doc, const PolicyComments& comments = {});

}  // namespace shoal::policy
