// Errors on the wire: a Status (ledger/status.h) becomes an Error table with
// the same code and reason, and an HTTP status. The transport adds reasons
// of its own under the existing codes; like every code and reason they are
// part of the contract (docs/api.md) and only ever added.

#ifndef NRPF_SERVER_API_ERROR_H_
#define NRPF_SERVER_API_ERROR_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "ledger/status.h"
#include "schema/api_generated.h"

namespace nrpf::api {

namespace reason {
// invalid_argument/...
inline constexpr std::string_view kMalformedFrame = "malformed_frame";    // fails the verifier
inline constexpr std::string_view kInvalidJson = "invalid_json";          // not JSON of the op's table
inline constexpr std::string_view kUnknownOperation = "unknown_operation";
inline constexpr std::string_view kNotUtf8 = "not_utf8";                  // a string is not UTF-8
inline constexpr std::string_view kInvalidHeader = "invalid_header";      // Idempotency-Key, If-Match
inline constexpr std::string_view kPasswordInvalid = "password_invalid";  // too short or too long
inline constexpr std::string_view kMalformedRequest = "malformed_request";  // not HTTP/1.1
inline constexpr std::string_view kMethodNotAllowed = "method_not_allowed";  // a change sent with GET
inline constexpr std::string_view kInvalidSelection = "invalid_selection";  // export_bundle's kind and ids
inline constexpr std::string_view kInvalidSubject = "invalid_subject";      // not a case's data subject
inline constexpr std::string_view kQueryOnPost = "query_on_post";          // a POST with a query string
// not_found/...
inline constexpr std::string_view kUnknownRoute = "unknown_route";
inline constexpr std::string_view kSubscriptionNotFound = "subscription_not_found";
// too_large/...
inline constexpr std::string_view kFrameTooLarge = "frame_too_large";
inline constexpr std::string_view kBodyTooLarge = "body_too_large";
inline constexpr std::string_view kHeaderTooLarge = "header_too_large";
// permission_denied/...
inline constexpr std::string_view kNotAuthenticated = "not_authenticated";
inline constexpr std::string_view kSessionInvalid = "session_invalid";    // unknown or revoked token
inline constexpr std::string_view kSessionExpired = "session_expired";
inline constexpr std::string_view kBadCredentials = "bad_credentials";
inline constexpr std::string_view kPasswordChangeRequired = "password_change_required";
// failed_precondition/...
inline constexpr std::string_view kPasswordUnchanged = "password_unchanged";
inline constexpr std::string_view kTooManySubscriptions = "too_many_subscriptions";
// unavailable/...
inline constexpr std::string_view kBusy = "busy";                  // the worker queue is full
inline constexpr std::string_view kRateLimited = "rate_limited";   // too many logins
inline constexpr std::string_view kShuttingDown = "shutting_down";
inline constexpr std::string_view kSlowConsumer = "slow_consumer";
// cancelled/...
inline constexpr std::string_view kDeadlineExceeded = "deadline_exceeded";
// io_error/...
inline constexpr std::string_view kInternal = "internal";  // building the answer failed (e.g. out of memory)
}  // namespace reason

// A Status with a reason, e.g. Refusal(Code::kUnavailable, reason::kBusy, "...").
Status Refusal(Code code, std::string_view why, std::string message);
// unavailable/shutting_down: the answer to whatever arrives once a stop began.
Status ShuttingDown();

// The Error table of `status`. REQUIRES: !status.ok().
flatbuffers::Offset<fb::Error> BuildError(flatbuffers::FlatBufferBuilder& fbb, const Status& status,
                                          std::uint32_t retry_after_ms = 0);
// The Status an Error table carries (clients).
Status StatusOf(const fb::Error* error);

// The HTTP status of an error: 400, 401, 403, 404, 409, 410, 413, 429, 500,
// 503 (docs/api.md has the table).
unsigned HttpStatusOf(Code code, std::string_view why);

// Milliseconds a client should wait before retrying `status`, 0 when a
// retry would fail the same way.
std::uint32_t RetryAfterMs(const Status& status);

}  // namespace nrpf::api

#endif  // NRPF_SERVER_API_ERROR_H_
