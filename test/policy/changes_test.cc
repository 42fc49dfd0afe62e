// What changes between two policy documents, as a dry run reports it.
#include <fstream>
#include <sstream>

#include <catch2/catch.hpp>

#include "policy/changes.h"
#include "policy/parser.h"

using namespace shoal::policy;

namespace {

PolicyDocument Parse(const std::string& xml) {
  auto parsed = ParsePolicy(xml);
  std::string errors;
  for (const auto& e : parsed.errors) errors += FormatPolicyError(e, "test") + "\n";
  INFO(xml << errors);
  REQUIRE(parsed.ok());
  return parsed.document;
}

const char* kBase = R"(<shoal-policy mode="monitor">
<pipe name="uplink" out="100MB"/>
<application name="web"><process name="nginx"/></application>
<application name="batch"><process name="spark"/></application>
<policy application="web" priority="1"><cpu pool-percent="40%"/></policy>
<policy application="batch" priority="2"><cpu cores="2"/></policy>
</shoal-policy>
)";

}  // namespace

TEST_CASE("policy changes: the same document (moved lines aside) changes nothing") {
  const PolicyDocument a = Parse(kBase);
  std::string shifted = kBase;
  shifted.insert(shifted.find("<pipe"), "\n\n");
  REQUIRE(DescribeChanges(&a, Parse(shifted)).empty());
}

TEST_CASE("policy changes: mode, pipes, applications and policies named one per line") {
  const PolicyDocument a = Parse(kBase);
  std::string text = kBase;
  text.replace(text.find("mode=\"monitor\""), 14, "mode=\"enforce\"");
  text.replace(text.find("<cpu pool-percent=\"40%\"/>"), 25, "<cpu pool-percent=\"50%\" cap=\"80%\"/>");
  text.replace(text.find("priority=\"2\""), 12, "priority=\"3\"");
  const std::string pipe = "<pipe name=\"uplink\" out=\"100MB\"/>";
  text.replace(text.find(pipe), pipe.size(), "");
  text.insert(text.find("</shoal-policy>"),
              "<application name=\"db\"><process name=\"postgres\"/></application>\n"
              "<policy application=\"db\" priority=\"1\"><cpu cores=\"1\"/></policy>\n");
  const auto changes = DescribeChanges(&a, Parse(text));
  INFO(Catch::Detail::stringify(changes));
  REQUIRE(changes == std::vector<std::string>{
                         "~ mode: monitor -> enforce",
                         "- pipe uplink",
                         "+ application db",
                         "~ policy web: cpu 40% of the pool -> 50% of the pool, cap 80% of the pool",
                         "~ policy batch: priority 2 -> 3",
                         "+ policy db",
                     });
}

TEST_CASE("policy changes: against no active policy every part is new") {
  const auto changes = DescribeChanges(nullptr, Parse(kBase));
  REQUIRE(changes.front() == "~ mode: none -> monitor");
  REQUIRE(changes.size() == 6);  // mode, a pipe, two applications, two policies
  CpuShare s{CpuKind::kCores, 1, 2.5};
  REQUIRE(CpuShareText(s) == "1 core, cap 2.5 cores");
}
