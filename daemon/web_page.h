// The web view's page, daemon/web/index.html, built into the binary (the
// build writes web_page.cc from it): nothing is fetched at run time.
#pragma once

#include <string_view>

namespace shoal::daemon {

std::string_view WebPage();

}  // namespace shoal::daemon
