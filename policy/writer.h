// Writing a PolicyDocument back as XML in the language ParsePolicy reads:
// parsing the output gives an equal document (source lines aside). Used to
// store and show the active policy. Thread-safe.
#pragma once

#include <string>

#include "policy/model.h"

namespace shoal::policy {

std::string WritePolicy(const PolicyDocument& doc);

}  // namespace shoal::policy
