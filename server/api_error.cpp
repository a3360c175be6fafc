#include "server/api_error.h"

#include "server/api_codec.h"

namespace nrpf::api {

static_assert(static_cast<int>(fb::ErrorCode::cancelled) == static_cast<int>(Code::kCancelled),
              "api.fbs ErrorCode mirrors nrpf::Code");
static_assert(static_cast<int>(fb::ErrorCode::failed_precondition) == static_cast<int>(Code::kFailedPrecondition));
static_assert(static_cast<int>(fb::ErrorCode::permission_denied) == static_cast<int>(Code::kPermissionDenied));
static_assert(static_cast<int>(fb::ErrorCode::wrong_expected_version) ==
              static_cast<int>(Code::kWrongExpectedVersion));

Status Refusal(Code code, std::string_view why, std::string message) {
  return Status(code, std::move(message)).WithReason(std::string(why));
}

Status ShuttingDown() { return Refusal(Code::kUnavailable, reason::kShuttingDown, "the server is stopping"); }

flatbuffers::Offset<fb::Error> BuildError(flatbuffers::FlatBufferBuilder& fbb, const Status& status,
                                          std::uint32_t retry_after_ms) {
  // Every error has a reason; one with no finer reason repeats its code.
  auto why = fbb.CreateString(status.reason().empty() ? std::string(CodeName(status.code())) : status.reason());
  auto message = fbb.CreateString(status.message());
  flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<fb::FieldError>>> fields;
  if (!status.fields().empty()) {
    std::vector<flatbuffers::Offset<fb::FieldError>> each;
    for (const FieldError& f : status.fields()) {
      each.push_back(fb::CreateFieldErrorDirect(fbb, f.field.c_str(), f.reason.c_str(), f.message.c_str()));
    }
    fields = fbb.CreateVector(each);
  }
  fb::ErrorBuilder b(fbb);
  b.add_code(static_cast<fb::ErrorCode>(status.code()));
  b.add_reason(why);
  b.add_message(message);
  if (status.current_version()) b.add_current_version(*status.current_version());
  b.add_retry_after_ms(retry_after_ms != 0 ? retry_after_ms : RetryAfterMs(status));
  if (!fields.IsNull()) b.add_fields(fields);
  return b.Finish();
}

Status StatusOf(const fb::Error* error) {
  if (error == nullptr) return Status::Ok();
  const std::string message = error->message() ? error->message()->str() : "";
  Status s = error->current_version()
                 ? Status::WrongExpectedVersion(message, *error->current_version())
                 : Status(static_cast<Code>(error->code()), message);
  if (error->code() == fb::ErrorCode::ok) s = Status(Code::kUnavailable, "an error frame without a code");
  std::vector<FieldError> fields;
  if (error->fields() != nullptr) {
    for (const fb::FieldError* f : *error->fields()) fields.push_back({Str(f->field()), Str(f->reason()), Str(f->message())});
  }
  return std::move(s).WithReason(error->reason() ? error->reason()->str() : "").WithFields(std::move(fields));
}

unsigned HttpStatusOf(Code code, std::string_view why) {
  if (why == reason::kMethodNotAllowed) return 405;
  if (why == reason::kHeaderTooLarge) return 431;
  switch (code) {
    case Code::kOk:
      return 200;
    case Code::kInvalidArgument:
      return 400;
    case Code::kNotFound:
      return 404;
    case Code::kWrongExpectedVersion:
    case Code::kCommandIdReused:
    case Code::kFailedPrecondition:
      return 409;
    case Code::kShredded:
      return 410;
    case Code::kTooLarge:
      return 413;
    case Code::kPermissionDenied:
      if (why == reason::kNotAuthenticated || why == reason::kSessionInvalid ||
          why == reason::kSessionExpired || why == reason::kBadCredentials) {
        return 401;
      }
      return 403;
    case Code::kUnavailable:
      return why == reason::kRateLimited ? 429 : 503;
    case Code::kCancelled:
      return 503;
    case Code::kCorruption:
    case Code::kIOError:
      return 500;
  }
  return 500;
}

std::uint32_t RetryAfterMs(const Status& status) {
  if (status.code() != Code::kUnavailable) return 0;
  if (status.reason() == reason::kBusy) return 100;
  if (status.reason() == reason::kShuttingDown) return 1000;
  if (status.reason() == reason::kRateLimited) return 60000;
  return 1000;
}

}  // namespace nrpf::api
