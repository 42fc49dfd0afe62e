// shoalctl's policy answers for people: versions as revisions with their
// time and origin ("r12, 2026-12-03 10:56:08 from node-1"), a node's kept
// revisions, and what a dry run says a draft would change. Pure functions
// of the daemon's answers.
#pragma once

#include <string>

#include "control.pb.h"

namespace shoal::ctl {

// "r12, 2026-12-03 10:56:08 from node-1" (UTC); without a revision the
// full stamp; "none" for an empty one.
std::string StampText(const daemon::control::PolicyStamp& s);
// The revision alone ("r12"), else the full stamp, else "none".
std::string RevisionText(const daemon::control::PolicyStamp& s);
// A push, mode switch, show (with the document) or dry run.
std::string PolicyAnswerText(const daemon::control::PolicyInfo& p);
std::string PolicyHistoryText(const daemon::control::PolicyHistory& h);
std::string DryRunText(const daemon::control::PolicyInfo& p);

}  // namespace shoal::ctl
