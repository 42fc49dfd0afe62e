#include "policy/changes.h"

#include <fmt/format.h>

namespace shoal::policy {
namespace {

std::string Amount(CpuKind kind, double v) {
  switch (kind) {
    case CpuKind::kPoolPercent: return fmt::format("{:g}% of the pool", v);
    case CpuKind::kServerPercent: return fmt::format("{:g}% of each server", v);
    case CpuKind::kCores: return fmt::format("{:g} core{}", v, v == 1 ? "" : "s");
  }
  return {};
}

std::string RateOf(const std::optional<uint64_t>& bytes_per_s) {
  return bytes_per_s ? fmt::format("{} B/s", *bytes_per_s) : "none";
}

// Compares two parts that may each be absent (nullptr) and names the change.
template <typename T, typename Same, typename Describe>
void Compare(const T* from, const T* to, const std::string& what, std::vector<std::string>& out, Same same,
             Describe describe) {
  if (from == nullptr && to != nullptr) out.push_back(fmt::format("+ {}", what));
  if (from != nullptr && to == nullptr) out.push_back(fmt::format("- {}", what));
  if (from != nullptr && to != nullptr && !same(*from, *to)) out.push_back(fmt::format("~ {}: {}", what, describe(*from, *to)));
}

// Every element of `from` and `to` matched by name, in `to`'s order, then
// the removed ones.
template <typename T, typename NameOf, typename Each>
void ByName(const std::vector<T>& from, const std::vector<T>& to, NameOf name_of, Each each) {
  auto find = [&](const std::vector<T>& in, const std::string& name) -> const T* {
    for (const auto& x : in) {
      if (name_of(x) == name) return &x;
    }
    return nullptr;
  };
  for (const auto& t : to) each(find(from, name_of(t)), &t, name_of(t));
  for (const auto& f : from) {
    if (find(to, name_of(f)) == nullptr) each(&f, nullptr, name_of(f));
  }
}

template <typename T>
bool Same(const T& a, const T& b) {
  return a == b;
}

std::string PolicyChange(const PolicySpec& a, const PolicySpec& b) {
  std::vector<std::string> parts;
  if (a.priority != b.priority) parts.push_back(fmt::format("priority {} -> {}", a.priority, b.priority));
  auto cpu = [](const std::optional<CpuShare>& c) { return c ? CpuShareText(*c) : std::string("no CPU share"); };
  if (a.cpu != b.cpu) parts.push_back(fmt::format("cpu {} -> {}", cpu(a.cpu), cpu(b.cpu)));
  if (a.bandwidth != b.bandwidth) parts.push_back("bandwidth shares changed");
  if (a.schedule != b.schedule) {
    parts.push_back(!a.schedule ? "schedule added" : !b.schedule ? "schedule removed" : "schedule changed");
  }
  if (a.on_failure != b.on_failure) {
    parts.push_back(!a.on_failure   ? "failure adjustment added"
                    : !b.on_failure ? "failure adjustment removed"
                                    : "failure adjustment changed");
  }
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : ", ") + p;
  return out;
}

}  // namespace

std::string CpuShareText(const CpuShare& share) {
  std::string out = Amount(share.kind, share.amount);
  if (share.cap) out += ", cap " + Amount(share.kind, *share.cap);
  return out;
}

std::vector<std::string> DescribeChanges(const PolicyDocument* from, const PolicyDocument& to) {
  // Compared by content: where each part was written does not matter.
  PolicyDocument before = from ? *from : PolicyDocument{};
  PolicyDocument after = to;
  ClearSourceLines(before);
  ClearSourceLines(after);
  std::vector<std::string> out;
  auto mode = [](Mode m) { return m == Mode::kEnforce ? "enforce" : "monitor"; };
  if (!from || before.mode != after.mode) {
    out.push_back(fmt::format("~ mode: {} -> {}", from ? mode(before.mode) : "none", mode(after.mode)));
  }
  ByName(before.pipes, after.pipes, [](const PipeSpec& p) { return p.name; },
         [&](const PipeSpec* a, const PipeSpec* b, const std::string& name) {
           Compare(a, b, "pipe " + name, out, Same<PipeSpec>, [](const PipeSpec& x, const PipeSpec& y) {
             return fmt::format("in {} -> {}, out {} -> {}, immediate share {:g} -> {:g}", RateOf(x.in), RateOf(y.in),
                                RateOf(x.out), RateOf(y.out), x.immediate_share, y.immediate_share);
           });
         });
  ByName(before.applications, after.applications, [](const ApplicationSpec& a) { return a.name; },
         [&](const ApplicationSpec* a, const ApplicationSpec* b, const std::string& name) {
           Compare(a, b, "application " + name, out, Same<ApplicationSpec>,
                   [](const ApplicationSpec&, const ApplicationSpec&) { return std::string("detection rules changed"); });
         });
  ByName(before.policies, after.policies, [](const PolicySpec& p) { return p.application; },
         [&](const PolicySpec* a, const PolicySpec* b, const std::string& name) {
           Compare(a, b, "policy " + name, out, Same<PolicySpec>, PolicyChange);
         });
  ByName(before.triggers, after.triggers, [](const TriggerSpec& t) { return t.name; },
         [&](const TriggerSpec* a, const TriggerSpec* b, const std::string& name) {
           Compare(a, b, "trigger " + name, out, Same<TriggerSpec>,
                   [](const TriggerSpec&, const TriggerSpec&) { return std::string("changed"); });
         });
  return out;
}

}  // namespace shoal::policy
