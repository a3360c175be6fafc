#include "server/http_routes.h"

#include <boost/beast/http/status.hpp>

#include <algorithm>

#include "server/api_codec.h"
#include "server/api_error.h"
#include "server/frame.h"
#include "server/response_writer.h"

namespace nrpf::server {

namespace {

namespace reason = api::reason;

Status BadQuery(std::string message, std::string field = {}) {
  Status s = api::Refusal(Code::kInvalidArgument, reason::kInvalidJson, std::move(message));
  return field.empty() ? s : std::move(s).WithField(std::move(field));
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> PercentDecode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%') {
      if (i + 2 >= s.size()) return std::nullopt;
      const int hi = HexDigit(s[i + 1]), lo = HexDigit(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

bool IsNumber(std::string_view v) {
  if (v.empty()) return false;
  std::size_t i = (v[0] == '-') ? 1 : 0;
  if (i == v.size()) return false;
  for (; i < v.size(); ++i) {
    if (!((v[i] >= '0' && v[i] <= '9') || v[i] == '.' || v[i] == 'e' || v[i] == 'E' || v[i] == '+' || v[i] == '-')) {
      return false;
    }
  }
  return true;
}

}  // namespace

Result<Route> MatchRoute(std::string_view method, std::string_view target) {
  const std::string_view path = target.substr(0, target.find('?'));
  const bool get = method == "GET", post = method == "POST";
  if (!get && !post) {
    return api::Refusal(Code::kInvalidArgument, reason::kMethodNotAllowed, "use GET or POST");
  }
  if (path == "/health" || path == "/metrics") {
    if (!get) return api::Refusal(Code::kInvalidArgument, reason::kMethodNotAllowed, "use GET");
    return Route{path == "/health" ? Route::Kind::kHealth : Route::Kind::kMetrics, api::fb::Op::NONE};
  }
  constexpr std::string_view kPrefix = "/v1/";
  if (path.substr(0, kPrefix.size()) != kPrefix) {
    return api::Refusal(Code::kNotFound, reason::kUnknownRoute, "no route " + std::string(path));
  }
  const std::optional<api::fb::Op> op = api::OpByName(path.substr(kPrefix.size()));
  if (!op) return api::Refusal(Code::kNotFound, reason::kUnknownRoute, "no route " + std::string(path));
  if (get && !api::IsReadOnly(*op)) {
    return api::Refusal(Code::kInvalidArgument, reason::kMethodNotAllowed,
                        std::string(api::OpName(*op)) + " changes something: use POST");
  }
  return Route{Route::Kind::kOperation, *op};
}

Result<std::string> QueryToJson(std::string_view table, std::string_view query) {
  const reflection::Object* object = api::FindObject(table);
  if (object == nullptr) return BadQuery("no table " + std::string(table));
  std::string json = "{";
  bool first = true;
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    const std::size_t eq = pair.find('=');
    const std::optional<std::string> key = PercentDecode(pair.substr(0, eq));
    const std::optional<std::string> value =
        PercentDecode(eq == std::string_view::npos ? std::string_view("true") : pair.substr(eq + 1));
    if (!key || !value) return BadQuery("a query parameter is not percent-encoded properly");
    const reflection::Field* field = object->fields()->LookupByKey(key->c_str());
    if (field == nullptr) return BadQuery("unknown field: " + *key, *key);
    std::string rendered;
    const reflection::BaseType type = field->type()->base_type();
    if (type == reflection::String) {
      rendered = "\"" + api::JsonEscape(*value) + "\"";
    } else if (type == reflection::Bool) {
      if (*value != "true" && *value != "false") return BadQuery(*key + " must be true or false", *key);
      rendered = *value;
    } else if (type >= reflection::Byte && type <= reflection::Double) {
      if (field->type()->index() >= 0) {
        rendered = "\"" + api::JsonEscape(*value) + "\"";  // an enum, by name
      } else {
        if (!IsNumber(*value)) return BadQuery(*key + " must be a number", *key);
        rendered = *value;
      }
    } else {
      return BadQuery(*key + " cannot be given in a query: POST its JSON", *key);
    }
    json += (first ? "\"" : ",\"") + *key + "\":" + rendered;
    first = false;
  }
  return json + "}";
}

Result<std::string> ParseOperation(api::fb::Op op, std::string_view json) {
  Result<std::string> buffer = api::JsonToTable(api::OpTable(op), json.empty() ? std::string_view("{}") : json);
  if (!buffer.ok()) return buffer.status();
  const auto* data = reinterpret_cast<const std::uint8_t*>(buffer->data());
  flatbuffers::Verifier verifier(data, buffer->size(), api::kRequestMaxDepth, api::kRequestMaxTables);
  const bool ok = buffer->size() >= 8 &&
                  flatbuffers::ReadScalar<flatbuffers::uoffset_t>(data) < buffer->size() &&
                  api::fb::VerifyOp(verifier, flatbuffers::GetRoot<flatbuffers::Table>(data), op);
  if (!ok) return api::Refusal(Code::kInvalidArgument, reason::kInvalidJson, "the JSON does not make a valid table");
  return buffer;
}

std::string BearerToken(std::string_view authorization) {
  constexpr std::string_view kBearer = "Bearer ";
  if (authorization.substr(0, kBearer.size()) != kBearer) return "";
  return std::string(authorization.substr(kBearer.size()));
}

Result<std::optional<std::uint64_t>> ParseIfMatch(std::string_view value) {
  if (value.empty()) return std::optional<std::uint64_t>();
  if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
  std::uint64_t n = 0;
  if (value.empty() || value.size() > 19) {
    return api::Refusal(Code::kInvalidArgument, reason::kInvalidHeader, "If-Match must be a version number");
  }
  for (char c : value) {
    if (c < '0' || c > '9') {
      return api::Refusal(Code::kInvalidArgument, reason::kInvalidHeader, "If-Match must be a version number");
    }
    n = n * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return std::optional<std::uint64_t>(n);
}

std::string CorsHeaders(std::string_view origin, const std::vector<std::string>& allowed, bool preflight) {
  if (origin.empty() || std::find(allowed.begin(), allowed.end(), origin) == allowed.end()) return "";
  std::string out = "Access-Control-Allow-Origin: " + std::string(origin) + "\r\nVary: Origin\r\n";
  if (preflight) {
    out +=
        "Access-Control-Allow-Methods: GET, POST\r\n"
        "Access-Control-Allow-Headers: Authorization, Content-Type, Idempotency-Key, If-Match\r\n"
        "Access-Control-Max-Age: 600\r\n";
  } else {
    out += "Access-Control-Expose-Headers: Retry-After, Content-Disposition\r\n";
  }
  return out;
}

std::string HttpResponse(unsigned status, unsigned version, bool keep_alive, std::string_view content_type,
                         std::uint32_t retry_after_s, std::string_view body, std::string_view extra_headers) {
  const auto reason = boost::beast::http::obsolete_reason(static_cast<boost::beast::http::status>(status));
  std::string out = (version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ") + std::to_string(status) + " " +
                    std::string(reason.data(), reason.size()) + "\r\nServer: nrpf-ledgerd\r\nContent-Type: " +
                    std::string(content_type) + "\r\nCache-Control: no-store\r\n";
  if (retry_after_s != 0) out += "Retry-After: " + std::to_string(retry_after_s) + "\r\n";
  out += extra_headers;
  if (version == 10 && keep_alive) out += "Connection: keep-alive\r\n";
  if (version != 10 && !keep_alive) out += "Connection: close\r\n";
  out += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  out += body;
  return out;
}

std::string ResponseJson(const std::string& frame) {
  Result<std::string> json = api::TableToJson(api::ResponseOf(frame), "Response");
  if (json.ok()) return std::move(json).value();
  const std::string fallback = api::ErrorFrame(api::ResponseOf(frame)->request_id(), json.status());
  Result<std::string> again = api::TableToJson(api::ResponseOf(fallback), "Response");
  return again.ok() ? std::move(again).value() : std::string("{}");
}

}  // namespace nrpf::server
