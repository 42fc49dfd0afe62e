// Conversions between Shoal's IPv4 Endpoint and Boost.Asio's endpoints.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>

#include "core/endpoint.h"

namespace shoal::gossip {

template <typename AsioEndpoint>
AsioEndpoint ToAsio(const Endpoint& e) {
  return AsioEndpoint(boost::asio::ip::address_v4(e.ip), e.port);
}

template <typename AsioEndpoint>
Endpoint FromAsio(const AsioEndpoint& e) {
  return Endpoint{e.address().is_v4() ? e.address().to_v4().to_uint() : 0, e.port()};
}

}  // namespace shoal::gossip
