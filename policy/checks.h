// The checks of a policy document as a whole, after each element has been
// read: names defined twice, references to applications and pipes that do
// not exist, bandwidth shares of a pipe direction without capacity or given
// twice, bookings larger than their pipe (or, with the pool's capacity
// known, than the pool), and rules of two applications that would claim the
// same processes or flows. Thread-safe.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "policy/model.h"

namespace shoal::policy {

// Receives each problem: the line of the element (0 if built in code), its
// name ("<pipe>") and what is wrong.
using CheckError = std::function<void(int line, const std::string& element, std::string message)>;

void CheckDocument(const PolicyDocument& doc, std::optional<double> pool_millicores, const CheckError& error);

}  // namespace shoal::policy
