// shoalctl's pool questions (status, nodes, apps, app NAME) rendered for
// people (tables); scripts get the answer's message as JSON
// (tools/ctl/message_json.h). Pure functions of the daemon's answer.
#pragma once

#include <string>
#include <vector>

#include "control.pb.h"
#include "core/result.h"

namespace shoal::ctl {

std::string StatusText(const daemon::control::PoolStatus& s);
// What makes the pool unhealthy (a node failed or suspect, a node not on
// the active policy, a booking that cannot be met), one reason per entry;
// empty: healthy.
std::vector<std::string> Unhealthy(const daemon::control::PoolStatus& s);
// The nodes whose state is `state` (empty: any) and whose name matches the
// POSIX extended regular expression `name` (empty: any); an error names a
// bad expression.
Result<daemon::control::NodeList> FilterNodes(const daemon::control::NodeList& n, const std::string& state,
                                              const std::string& name);
// `wide`: every column (shoalctl -o wide), else the ones most read.
std::string NodesText(const daemon::control::NodeList& n, bool wide = false);
std::string AppsText(const daemon::control::AppList& a, bool wide = false);
std::string PipesText(const daemon::control::PipeList& p);
// Bytes per second in decimal units, as policies write them: "400 kB/s".
std::string RateText(double bytes_per_s);
std::string AppText(const daemon::control::AppDetail& a, bool wide = false);
std::string VersionsText(const daemon::control::VersionList& v);
// Why an application gets what it gets: the policy in force, the planner's
// steps, and the figures planned from with their ages.
std::string ExplainText(const daemon::control::Explanation& x);
// Every key: how many of the nodes that answered hold it and use it as
// their primary; then each node's error.
std::string KeyringText(const daemon::control::KeyringAnswer& k);

}  // namespace shoal::ctl
