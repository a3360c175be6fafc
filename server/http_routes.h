// The HTTP face of the API, apart from the sockets:
//
//   POST /v1/<op>            body: JSON of the op's table (schema/api.fbs),
//                            "" or "{}" for none
//   GET  /v1/<op>?k=v&...    read-only ops: the query as the table's
//                            scalar, enum and string fields
//   GET|POST /v1/subscribe_* Server-Sent Events
//   GET  /health, /metrics
//
// <op> is the snake_case name of an Op union member (api::OpName). The
// answer is the JSON of a Response table. Authorization: Bearer <token>;
// Idempotency-Key: <command id>; If-Match: <version> (quotes allowed).

#ifndef NRPF_SERVER_HTTP_ROUTES_H_
#define NRPF_SERVER_HTTP_ROUTES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/status.h"
#include "schema/api_generated.h"

namespace nrpf::server {

struct Route {
  enum class Kind { kHealth, kMetrics, kOperation };
  Kind kind = Kind::kOperation;
  api::fb::Op op = api::fb::Op::NONE;
};

// The route of a request. not_found/unknown_route for any other target;
// invalid_argument/method_not_allowed for GET of an op that changes
// something, and for methods other than GET and POST.
Result<Route> MatchRoute(std::string_view method, std::string_view target);

// The JSON object of a query string for `table`: each key must be a scalar,
// enum or string field of it; values are percent-decoded.
// invalid_argument/invalid_json otherwise.
Result<std::string> QueryToJson(std::string_view table, std::string_view query);

// The op's table parsed from `json`, checked by the generated verifier.
// The buffer's root is the table.
Result<std::string> ParseOperation(api::fb::Op op, std::string_view json);

// The token of "Bearer <token>", or "".
std::string BearerToken(std::string_view authorization);
// The version of an If-Match header ("" = none). invalid_argument/
// invalid_header when it is not a decimal number, quoted or not.
Result<std::optional<std::uint64_t>> ParseIfMatch(std::string_view value);

// A whole HTTP/1.x response: status line, Server, Content-Type,
// Cache-Control: no-store, Retry-After (when > 0), Connection as
// `keep_alive` needs for `version` (10 or 11), Content-Length, the body.
// `extra_headers`: whole header lines ("Name: value\r\n"...), such as
// CorsHeaders'.
std::string HttpResponse(unsigned status, unsigned version, bool keep_alive, std::string_view content_type,
                         std::uint32_t retry_after_s, std::string_view body, std::string_view extra_headers = {});

// The CORS header lines for a request from `origin` when `allowed` lists
// it exactly; "" otherwise (then a browser keeps the answer from the page).
// `preflight` adds what an OPTIONS preflight is answered with.
std::string CorsHeaders(std::string_view origin, const std::vector<std::string>& allowed, bool preflight);

// The JSON of a Response frame this process built.
std::string ResponseJson(const std::string& frame);

}  // namespace nrpf::server

#endif  // NRPF_SERVER_HTTP_ROUTES_H_
