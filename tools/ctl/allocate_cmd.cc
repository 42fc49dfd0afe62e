#include "tools/ctl/allocate_cmd.h"

#include <set>

#include <fmt/format.h>

namespace shoal::ctl {

Result<AllocateInput> ReadAllocateInput(const Json& doc) {
  try {
    AllocateInput in;
    JsonObject top(doc, "", {"capacity", "minimum", "integer", "leftover", "consumers"});
    in.capacity = top.Number("capacity");
    double minimum = top.Number("minimum", 0.0);
    in.integer = top.Bool("integer", false);
    std::string leftover = top.String("leftover", "reserve");
    if (leftover == "spread") {
      in.leftover = Leftover::kSpread;
    } else if (leftover != "reserve") {
      return MakeError("leftover: \"{}\" is neither \"reserve\" nor \"spread\"", leftover);
    }
    const Json& consumers = top.Array("consumers");
    if (consumers.empty()) return MakeError("consumers: empty; name at least one consumer");
    std::set<std::string> seen;
    for (size_t i = 0; i < consumers.size(); ++i) {
      std::string path = ElementPath("consumers", i);
      JsonObject c(consumers[i], path, {"name", "levels", "minimum"});
      std::string name = c.Name("name");
      if (name == "reserve") return MakeError("{}.name: \"reserve\" is the name of the leftover line", path);
      if (!seen.insert(name).second) return MakeError("{}.name: \"{}\" appears twice", path, name);
      FairShareRequest r;
      r.minimum = c.Number("minimum", minimum);
      const Json& levels = c.Array("levels");
      if (levels.empty()) return MakeError("{}.levels: empty; give the amount for level 1 at least", path);
      if (levels.size() > 64) return MakeError("{}.levels: more than 64 levels", path);
      for (size_t l = 0; l < levels.size(); ++l) {
        r.levels.push_back(NumberAt(levels[l], ElementPath(c.Path("levels"), l)));
      }
      in.names.push_back(std::move(name));
      in.consumers.push_back(std::move(r));
    }
    return in;
  } catch (const InputError& e) {
    return Error{e.message};
  }
}

AllocateOutput RunAllocate(const AllocateInput& input) {
  FairShareResult r = AllocateFairShare(input.capacity, input.consumers, input.leftover);
  AllocateOutput out;
  out.names = input.names;
  out.amounts = r.amounts;
  out.reserve = r.reserve;
  if (input.integer) {
    std::vector<double> values = r.amounts;
    values.push_back(r.reserve);
    std::vector<int64_t> ints = RoundCumulative(values);
    for (size_t i = 0; i < out.amounts.size(); ++i) out.amounts[i] = static_cast<double>(ints[i]);
    out.reserve = static_cast<double>(ints.back());
  }
  return out;
}

std::string AllocateText(const AllocateOutput& out) {
  std::string text;
  for (size_t i = 0; i < out.names.size(); ++i) {
    text += fmt::format("{} {}\n", out.names[i], FormatAmount(out.amounts[i]));
  }
  text += fmt::format("reserve {}\n", FormatAmount(out.reserve));
  return text;
}

std::string AllocateJson(const AllocateOutput& out) {
  nlohmann::ordered_json allocations = nlohmann::ordered_json::object();
  for (size_t i = 0; i < out.names.size(); ++i) {
    allocations[out.names[i]] = AmountJson(out.amounts[i]);
  }
  nlohmann::ordered_json doc;
  doc["allocations"] = std::move(allocations);
  doc["reserve"] = AmountJson(out.reserve);
  return doc.dump() + "\n";
}

}  // namespace shoal::ctl
