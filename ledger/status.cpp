#include "ledger/status.h"

namespace nrpf {

std::string_view CodeName(Code code) {
  switch (code) {
    case Code::kOk: return "ok";
    case Code::kInvalidArgument: return "invalid_argument";
    case Code::kNotFound: return "not_found";
    case Code::kWrongExpectedVersion: return "wrong_expected_version";
    case Code::kCommandIdReused: return "command_id_reused";
    case Code::kCorruption: return "corruption";
    case Code::kIOError: return "io_error";
    case Code::kShredded: return "shredded";
    case Code::kTooLarge: return "too_large";
    case Code::kUnavailable: return "unavailable";
    case Code::kPermissionDenied: return "permission_denied";
    case Code::kFailedPrecondition: return "failed_precondition";
    case Code::kCancelled: return "cancelled";
  }
  return "unknown";
}

std::string Status::ToString() const {
  if (ok()) return "ok";
  std::string out(CodeName(code_));
  if (!reason_.empty()) {
    out += '/';
    out += reason_;
  }
  out += ": ";
  out += message_;
  return out;
}

}  // namespace nrpf
