#include "cli/exit_codes.h"

#include "server/api_error.h"

namespace nrpf::cli {

int ExitCodeOf(const Status& status) {
  namespace r = api::reason;
  const std::string& why = status.reason();
  switch (status.code()) {
    case Code::kOk:
      return kExitOk;
    case Code::kPermissionDenied:
      if (why == r::kNotAuthenticated || why == r::kSessionInvalid || why == r::kSessionExpired ||
          why == r::kBadCredentials) {
        return kExitNotLoggedIn;
      }
      return kExitDenied;
    case Code::kNotFound:
    case Code::kShredded:
      return kExitNotFound;
    case Code::kWrongExpectedVersion:
    case Code::kFailedPrecondition:
    case Code::kCommandIdReused:
      return kExitConflict;
    case Code::kInvalidArgument:
    case Code::kTooLarge:
      return kExitInvalid;
    case Code::kUnavailable:
    case Code::kCancelled:
      return kExitRetryLater;
    case Code::kIOError:
    case Code::kCorruption:
      return kExitServerFault;
  }
  return kExitFailure;
}

}  // namespace nrpf::cli
