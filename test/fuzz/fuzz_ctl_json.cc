// Fuzzes the operator documents shoalctl reads (allocate and plan): any
// bytes must give either a clear error or a plan, never a crash, a hang or
// undefined behaviour. The plan is rendered too, so the whole path runs.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "tools/ctl/allocate_cmd.h"
#include "tools/ctl/plan_cmd.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace shoal::ctl;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto doc = ParseJsonText(text, "fuzz");
  if (!doc) return 0;
  if (auto in = ReadAllocateInput(*doc)) {
    AllocateOutput out = RunAllocate(*in);
    (void)AllocateText(out);
    (void)AllocateJson(out);
  }
  if (auto in = ReadPlanDocument(*doc)) {
    PlanResult plan = RunPlan(*in);
    (void)PlanText(plan);
    (void)PlanJson(plan);
  }
  return 0;
}
