// `shoald --check-config`: everything start-up would refuse in a finished
// configuration, found without starting (no socket bound, nothing
// written): the pool key file, the tokens and admin keys files, the state
// directory, the scripts directory and user. (Names and the advertised
// address are addresses.h's.) Errors stop start-up with exit status 2;
// warnings describe a node that starts but lacks something (no control
// token, no admin keys).
#pragma once

#include <string>
#include <vector>

#include "daemon/config.h"

namespace shoal::daemon {

struct ConfigCheck {
  std::vector<std::string> errors;
  std::vector<std::string> warnings;
};

ConfigCheck CheckConfigFiles(const DaemonConfig& config);

// Appends each line of a (multi-line) error to `to`.
void AddErrorLines(std::vector<std::string>& to, const Status& s);

}  // namespace shoal::daemon
