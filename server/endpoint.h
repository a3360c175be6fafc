// Addresses of listeners and servers: "host:port", "[v6 host]:port".

#ifndef NRPF_SERVER_ENDPOINT_H_
#define NRPF_SERVER_ENDPOINT_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "ledger/status.h"

namespace nrpf::server {

struct Endpoint {
  std::string host;  // without IPv6 brackets
  std::uint16_t port = 0;
};
// kInvalidArgument unless `text` is host:port with a port of 0..65535.
Result<Endpoint> ParseEndpoint(std::string_view text);
// True for 127.0.0.0/8, ::1 and "localhost".
bool IsLoopbackHost(const std::string& host);

}  // namespace nrpf::server

#endif  // NRPF_SERVER_ENDPOINT_H_
