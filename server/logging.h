// The daemon's log: spdlog to stderr as text lines or JSON lines.
//
// What is logged: events of the process (listening, connections opened and
// closed by number, refusals by code, shutdown). What is never logged:
// personal data of any kind (names, dates of birth, references, notes), nor
// account ids, addresses of peers, passwords, tokens or request bodies.
// Connections are named by a number of this process's own.

#ifndef NRPF_SERVER_LOGGING_H_
#define NRPF_SERVER_LOGGING_H_

#include <string>

#include "ledger/status.h"
#include "server/config.h"

namespace nrpf::server {

// Installs the default logger. kInvalidArgument for an unknown level.
Status SetUpLogging(LogFormat format, const std::string& level);

}  // namespace nrpf::server

#endif  // NRPF_SERVER_LOGGING_H_
