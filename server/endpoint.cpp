#include "server/endpoint.h"

#include <boost/asio/ip/address.hpp>

#include <charconv>

namespace nrpf::server {

Result<Endpoint> ParseEndpoint(std::string_view text) {
  Endpoint e;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return Status::InvalidArgument("expected [host]:port, got " + std::string(text));
    }
    e.host = std::string(text.substr(1, close - 1));
    port = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return Status::InvalidArgument("expected host:port, got " + std::string(text));
    e.host = std::string(text.substr(0, colon));
    port = text.substr(colon + 1);
  }
  const char* end = port.data() + port.size();
  auto [ptr, ec] = std::from_chars(port.data(), end, e.port);
  if (e.host.empty() || port.empty() || ec != std::errc() || ptr != end) {
    return Status::InvalidArgument("expected host:port, got " + std::string(text));
  }
  return e;
}

bool IsLoopbackHost(const std::string& host) {
  if (host == "localhost") return true;
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(host, ec);
  return !ec && address.is_loopback();
}

}  // namespace nrpf::server
