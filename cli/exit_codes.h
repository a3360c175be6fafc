// The exit codes of nrpf (docs/api.md repeats them): what a script can act
// on without reading the message.
//
//   0  done
//   1  something else went wrong (a local file, an unexpected answer)
//   2  usage: unknown operation, field or flag
//   3  cannot reach the server (connection, TLS, deadline)
//   4  not logged in: no token, session expired or ended, wrong password
//   5  permission denied: role, tenant, locked or deleted account, a
//      one-time password to change first
//   6  not found (or erased)
//   7  conflict: stale version, state that does not allow it, command id
//      reused with other content
//   8  invalid input: a field, a body too large
//   9  try again later: busy, rate limited, shutting down
//  10  server fault: I/O error or corruption

#ifndef NRPF_CLI_EXIT_CODES_H_
#define NRPF_CLI_EXIT_CODES_H_

#include "ledger/status.h"

namespace nrpf::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitUnreachable = 3;
inline constexpr int kExitNotLoggedIn = 4;
inline constexpr int kExitDenied = 5;
inline constexpr int kExitNotFound = 6;
inline constexpr int kExitConflict = 7;
inline constexpr int kExitInvalid = 8;
inline constexpr int kExitRetryLater = 9;
inline constexpr int kExitServerFault = 10;

// The exit code of an error the server answered with.
int ExitCodeOf(const Status& status);

}  // namespace nrpf::cli

#endif  // NRPF_CLI_EXIT_CODES_H_
