// The commands of the API (schema/api.fbs) as the domain's commands
// (domain/commands.h). A transport-level translation only: every rule is
// checked by decide(), which names the field that is wrong.
//
// lock_user from a client is always an admin's lock: the reason
// FailedLogins is the server's alone (server/accounts.h).

#ifndef NRPF_SERVER_COMMAND_CODEC_H_
#define NRPF_SERVER_COMMAND_CODEC_H_

#include <optional>

#include "domain/commands.h"
#include "schema/api_generated.h"

namespace nrpf::server {

// The command of `op` with body `table`, or nullopt when `op` is not a
// command of the domain. REQUIRES: `table` passed the verifier as `op`.
std::optional<domain::Command> ToCommand(api::fb::Op op, const void* table);

}  // namespace nrpf::server

#endif  // NRPF_SERVER_COMMAND_CODEC_H_
