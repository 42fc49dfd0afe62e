// shoalctl's text helpers: the line diff of `policy diff`, suggestions for
// mistyped commands, JSON with numbers and times, and policy stamps.
#include <cstdio>
#include <memory>
#include <random>
#include <sstream>

#include <catch2/catch.hpp>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>
#include <nlohmann/json.hpp>

#include "test/support/process.h"
#include "test/support/temp_dir.h"
#include "tools/ctl/line_diff.h"
#include "tools/ctl/message_json.h"
#include "tools/ctl/policy_text.h"
#include "tools/ctl/pool_cmd.h"
#include "tools/ctl/suggest.h"

using namespace shoal;
using namespace shoal::ctl;

namespace {

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// Applies a unified diff to `before`, checking every context and deleted
// line against it; returns the patched lines.
std::vector<std::string> Apply(const std::vector<std::string>& before, const std::string& diff) {
  std::vector<std::string> out;
  size_t at = 0;  // next line of `before` not yet copied
  for (const auto& line : Lines(diff)) {
    if (line.starts_with("---") || line.starts_with("+++")) continue;
    if (line.starts_with("@@")) {
      long start = 0, count = 1;
      REQUIRE(std::sscanf(line.c_str(), "@@ -%ld", &start) == 1);
      if (line.find(',') != std::string::npos && line.find(',') < line.find(" +")) {
        std::sscanf(line.c_str(), "@@ -%ld,%ld", &start, &count);
      }
      const size_t first = count == 0 ? static_cast<size_t>(start) : static_cast<size_t>(start - 1);
      REQUIRE(first >= at);
      while (at < first) out.push_back(before[at++]);
      continue;
    }
    REQUIRE(!line.empty());
    const std::string text = line.substr(1);
    if (line[0] == '+') {
      out.push_back(text);
    } else {
      REQUIRE(at < before.size());
      REQUIRE(before[at] == text);
      if (line[0] == ' ') out.push_back(text);
      ++at;
    }
  }
  while (at < before.size()) out.push_back(before[at++]);
  return out;
}

// The fewest lines deleted plus inserted (n + m - 2 LCS).
size_t MinimalEdits(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  std::vector<std::vector<size_t>> lcs(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      lcs[i][j] = a[i - 1] == b[j - 1] ? lcs[i - 1][j - 1] + 1 : std::max(lcs[i - 1][j], lcs[i][j - 1]);
    }
  }
  return a.size() + b.size() - 2 * lcs[a.size()][b.size()];
}

std::string Join(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

}  // namespace

TEST_CASE("policy diff: the line diff patches one text into the other with the fewest edits") {
  std::mt19937 rng(7);
  for (int round = 0; round < 300; ++round) {
    std::vector<std::string> a;
    const size_t n = rng() % 25;
    for (size_t i = 0; i < n; ++i) a.push_back(std::string(1, static_cast<char>('a' + rng() % 5)));
    std::vector<std::string> b = a;
    for (int e = static_cast<int>(rng() % 6); e > 0; --e) {
      const size_t at = b.empty() ? 0 : rng() % (b.size() + 1);
      if (rng() % 2 && at < b.size()) {
        b.erase(b.begin() + static_cast<long>(at));
      } else {
        b.insert(b.begin() + static_cast<long>(at), std::string(1, static_cast<char>('a' + rng() % 6)));
      }
    }
    const std::string diff = UnifiedDiff(Join(a), Join(b), "a", "b");
    INFO("before:\n" << Join(a) << "after:\n" << Join(b) << "diff:\n" << diff);
    if (a == b) {
      REQUIRE(diff.empty());
      continue;
    }
    REQUIRE(Apply(a, diff) == b);
    size_t edits = 0;
    for (const auto& line : Lines(diff)) {
      edits += (line[0] == '+' || line[0] == '-') && !line.starts_with("+++") && !line.starts_with("---");
    }
    REQUIRE(edits == MinimalEdits(a, b));
  }
}

TEST_CASE("policy diff: hunks read as GNU diff -u prints them") {
  testing::TempDir dir;
  std::string before, after;
  for (int i = 1; i <= 20; ++i) before += "line " + std::to_string(i) + "\n";
  after = before;
  after.replace(after.find("line 3\n"), 7, "line three\n");
  after.replace(after.find("line 17\n"), 8, "");
  after += "line 21\n";
  for (auto [name, text] : {std::pair{"a", before}, std::pair{"b", after}}) {
    FILE* f = std::fopen(dir.File(name).c_str(), "w");
    std::fputs(text.c_str(), f);
    std::fclose(f);
  }
  auto gnu = testing::RunCommand("diff -u --label a --label b " + dir.File("a") + " " + dir.File("b"));
  REQUIRE(gnu.status == 1);
  REQUIRE(UnifiedDiff(before, after, "a", "b") == gnu.text);
  // Too many differences for the bound: shown as a whole replacement, still correct.
  const std::string replaced = UnifiedDiff(before, after, "a", "b", 1);
  REQUIRE(Apply(Lines(before), replaced) == Lines(after));
}

TEST_CASE("unknown commands get the nearest known one") {
  const std::vector<std::string> names = {"status", "nodes", "apps", "app", "policy", "history", "events"};
  REQUIRE(Closest("stauts", names) == "status");
  REQUIRE(Closest("node", names) == "nodes");
  REQUIRE(Closest("hist", names) == "history");  // a prefix of one only
  REQUIRE(Closest("ap", names) == "app");
  REQUIRE_FALSE(Closest("frobnicate", names).has_value());
  auto out = testing::RunCommand(std::string(SHOALCTL_BINARY) + " polcy show");
  REQUIRE(out.status == 2);
  REQUIRE_THAT(out.text, Catch::Contains("unknown command 'polcy'; did you mean 'shoalctl policy'?"));
  out = testing::RunCommand(std::string(SHOALCTL_BINARY) + " policy rolback r2");
  REQUIRE(out.status == 2);
  REQUIRE_THAT(out.text, Catch::Contains("did you mean 'shoalctl policy rollback'?"));
}

TEST_CASE("JSON answers carry 64-bit numbers as numbers and times also in RFC 3339") {
  daemon::control::PolicyInfo p;
  p.mutable_stamp()->set_time_ms(1796295368123);
  p.mutable_stamp()->set_revision(12);
  p.mutable_stamp()->set_origin("node-1");
  p.set_version("27415.0@00000000000000aa");
  auto j = nlohmann::json::parse(MessageJson(p));
  REQUIRE(j["stamp"]["time_ms"].is_number_integer());
  REQUIRE(j["stamp"]["time_ms"] == 1796295368123);
  REQUIRE(j["stamp"]["time"] == "2026-12-03T10:56:08.123Z");
  REQUIRE(j["stamp"]["revision"] == 12);
  daemon::control::PoolStatus s;
  auto* r = s.add_refusals();
  r->set_count(5000000000ull);
  s.mutable_policy()->set_version("none yet");
  j = nlohmann::json::parse(MessageJson(s));
  REQUIRE(j["refusals"][0]["count"].is_number_unsigned());
  REQUIRE(j["refusals"][0]["count"] == 5000000000ull);
  REQUIRE(j["policy"]["time_ms"] == 0);
  REQUIRE_FALSE(j["policy"].contains("time"));  // no time given
}

namespace {

// Every key protobuf's own printer writes (always printing primitive
// fields) is in ours, arrays as long, and ours adds only the RFC 3339
// siblings of the *_ms times.
void RequireSameKeys(const nlohmann::json& theirs, const nlohmann::json& ours, const std::string& at) {
  INFO(at);
  if (theirs.is_object()) {
    REQUIRE(ours.is_object());
    for (auto& [k, v] : theirs.items()) {
      REQUIRE(ours.contains(k));
      RequireSameKeys(v, ours[k], at + "." + k);
    }
    for (auto& [k, v] : ours.items()) {
      if (!theirs.contains(k)) REQUIRE(theirs.contains(k + "_ms"));
    }
  } else if (theirs.is_array()) {
    REQUIRE(ours.is_array());
    REQUIRE(ours.size() == theirs.size());
    for (size_t i = 0; i < theirs.size(); ++i) RequireSameKeys(theirs[i], ours[i], at + "[" + std::to_string(i) + "]");
  }
}

// MessageJson read back by protobuf's JSON parser is the message again,
// every value exact, with every field protobuf's printer writes.
void RequireProtobufJson(const google::protobuf::Message& m) {
  const std::string ours = MessageJson(m);
  REQUIRE(ours.back() == '\n');
  std::unique_ptr<google::protobuf::Message> back(m.New());
  google::protobuf::util::JsonParseOptions in;
  in.ignore_unknown_fields = true;  // the RFC 3339 siblings
  REQUIRE(google::protobuf::util::JsonStringToMessage(ours, back.get(), in).ok());
  REQUIRE(google::protobuf::util::MessageDifferencer::Equals(m, *back));
  google::protobuf::util::JsonPrintOptions o;
  o.preserve_proto_field_names = true;
  o.always_print_primitive_fields = true;
  std::string theirs;
  REQUIRE(google::protobuf::util::MessageToJsonString(m, &theirs, o).ok());
  RequireSameKeys(nlohmann::json::parse(theirs), nlohmann::json::parse(ours), "");
}

}  // namespace

TEST_CASE("JSON answers are protobuf's JSON mapping written straight from the message") {
  daemon::control::HistoryAnswer h;
  h.set_from_ms(1796295368123);
  h.set_step_ms(300000);
  h.set_level("minute");
  auto* p = h.add_points();
  p->set_series("web \"front\"\n\tédition \x01");
  p->set_time_ms(-5);
  p->set_usage_m(0.1);
  p->set_demand_m(1e300);
  p->set_booking_m(-2.5e-7);
  p->set_capacity_m(4000);
  p->set_samples(4000000000u);
  h.add_points()->set_idle(1.0 / 3);
  h.add_failures("node-7: timed out");
  RequireProtobufJson(h);
  daemon::control::EventList events;
  auto* e = events.add_events();
  e->set_seq(18446744073709551615ull);
  (*e->mutable_facts())["b"] = "2";
  (*e->mutable_facts())["a"] = "1 \\ 2";
  RequireProtobufJson(events);
  daemon::control::Request r;
  r.mutable_status();
  r.set_signed_action(std::string("\0\xff\x10signed", 9));
  RequireProtobufJson(r);
  RequireProtobufJson(daemon::control::PoolStatus{});
  // Map entries by key, fields in declaration order.
  REQUIRE_THAT(MessageJson(events), Catch::Contains(R"("facts":{"a":"1 \\ 2","b":"2"})"));
  REQUIRE(MessageJson(h).rfind(R"({"from_ms":1796295368123,"from":"2026-12-03T10:56:08.123Z","to_ms":0,)", 0) == 0);
}

TEST_CASE("policy versions read as revisions with their time and origin") {
  daemon::control::PolicyStamp s;
  REQUIRE(StampText(s) == "none");
  s.set_version("1796295368123.0@00000000000000aa");
  s.set_time_ms(1796295368123);
  s.set_origin("node-1");
  REQUIRE(StampText(s) == "2026-12-03 10:56:08 from node-1 (1796295368123.0@00000000000000aa)");
  REQUIRE(RevisionText(s) == "1796295368123.0@00000000000000aa");
  s.set_revision(12);
  REQUIRE(StampText(s) == "r12, 2026-12-03 10:56:08 from node-1");
  REQUIRE(RevisionText(s) == "r12");
}
