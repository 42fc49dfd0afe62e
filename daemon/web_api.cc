#include "daemon/web_api.h"

#include <charconv>
#include <map>

#include <google/protobuf/util/json_util.h>

namespace shoal::daemon {
namespace {

constexpr const char* kJson = "application/json";
constexpr const char* kText = "text/plain; charset=utf-8";

using Query = std::map<std::string, std::string>;

// "a=1&b=x": no percent-decoding; values are names and numbers only.
Query ParseQuery(const std::string& text) {
  Query q;
  size_t start = 0;
  while (start < text.size() && q.size() < 16) {
    const size_t end = std::min(text.find('&', start), text.size());
    const std::string pair = text.substr(start, end - start);
    const size_t eq = pair.find('=');
    q[pair.substr(0, eq)] = eq == std::string::npos ? "" : pair.substr(eq + 1);
    start = end + 1;
  }
  return q;
}

// A number from the query (default `def`), within 1..max.
Result<int64_t> Bounded(const Query& q, const char* key, int64_t def, int64_t max) {
  auto it = q.find(key);
  if (it == q.end()) return def;
  int64_t v = 0;
  auto [p, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), v);
  if (ec != std::errc() || p != it->second.data() + it->second.size() || v < 1 || v > max) {
    return MakeError("{}={} is not a number in 1..{}", key, it->second, max);
  }
  return v;
}

Result<std::string> Name(const Query& q, const char* key) {
  auto it = q.find(key);
  if (it == q.end()) return std::string();
  for (char c : it->second) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.' && c != '/') {
      return MakeError("{}={} holds a character other than letters, digits, - _ . /", key, it->second);
    }
  }
  return it->second;
}

std::string Json(const control::Response& r) {
  google::protobuf::util::JsonPrintOptions o;
  o.preserve_proto_field_names = true;
  o.always_print_primitive_fields = true;
  std::string out;
  (void)google::protobuf::util::MessageToJsonString(r, &out, o);
  return out;
}

HttpAnswer BadRequest(const std::string& why) { return HttpAnswer{400, kText, why + "\n"}; }

Result<control::Request> HistoryRequest(const Query& q, int64_t now_ms) {
  auto what = Name(q, "what");
  auto name = Name(q, "name");
  auto since = Bounded(q, "since", 3600, 400 * 86400);
  auto step = Bounded(q, "step", 1, 86400);
  if (!what.ok()) return what.error();
  if (!name.ok()) return name.error();
  if (!since.ok()) return since.error();
  if (!step.ok()) return step.error();
  if (*what != "app" && *what != "pool" && *what != "pipe") return MakeError("what={}: app, pool or pipe", *what);
  control::Request r;
  auto* h = r.mutable_history();
  h->set_what(*what);
  h->set_name(*name);
  h->set_to_ms(now_ms);
  h->set_from_ms(now_ms - *since * 1000);
  if (q.count("step")) h->set_step_ms(*step * 1000);
  return r;
}

Result<control::Request> EventsRequest(const Query& q, int64_t now_ms) {
  auto since = Bounded(q, "since", 3600, 400 * 86400);
  auto limit = Bounded(q, "limit", 50, 1000);
  if (!since.ok()) return since.error();
  if (!limit.ok()) return limit.error();
  control::Request r;
  r.mutable_events()->set_after_ms(now_ms - *since * 1000);
  r.mutable_events()->set_limit(static_cast<uint32_t>(*limit));
  return r;
}

Result<control::Request> AppRequest(const Query& q) {
  auto name = Name(q, "name");
  if (!name.ok()) return name.error();
  if (name->empty()) return MakeError("/api/app wants name=APPLICATION");
  control::Request r;
  r.mutable_app()->set_name(*name);
  return r;
}

Result<control::Request> MakeRequest(const std::string& name, const Query& q, int64_t now_ms) {
  control::Request r;
  if (name == "status") r.mutable_status();
  else if (name == "nodes") r.mutable_nodes();
  else if (name == "apps") r.mutable_apps();
  else if (name == "app") return AppRequest(q);
  else if (name == "pipes") r.mutable_pipes();
  else if (name == "policy") r.mutable_policy_show();
  else if (name == "events") return EventsRequest(q, now_ms);
  else if (name == "history") return HistoryRequest(q, now_ms);
  else return MakeError("no /api/{}: status, nodes, apps, app, pipes, policy, events, history", name);
  return r;
}

}  // namespace

Result<control::Request> ParseWebRequest(const std::string& path, const std::string& query, int64_t now_ms) {
  constexpr std::string_view kPrefix = "/api/";
  if (!path.starts_with(kPrefix)) return MakeError("not an /api/ path: {}", path);
  return MakeRequest(path.substr(kPrefix.size()), ParseQuery(query), now_ms);
}

void WebApi::Handle(const HttpRequest& request, HttpServer::Reply reply) {
  auto r = ParseWebRequest(request.path, request.query, wall_.NowMs());
  if (!r.ok()) return reply(BadRequest(r.error().message));
  // The HTTP request is authorized as a reader (http_endpoint.h); every
  // request made here is a read.
  api_.Handle(*r, Role::kRead, [reply](control::Response answer) {
    if (answer.has_progress()) return;  // not final
    reply(HttpAnswer{200, kJson, Json(answer)});
  });
}

}  // namespace shoal::daemon
