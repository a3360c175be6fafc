// The fingerprint of a command as a user sent it: what a retry under the
// same command id must repeat to be answered with the first outcome. The
// ledger digests it in place of the events (docs/ledger-format.md, 7.1),
// which a retry decides anew (other times, another case number).

#ifndef NRPF_DOMAIN_FINGERPRINT_H_
#define NRPF_DOMAIN_FINGERPRINT_H_

#include <cstdint>
#include <optional>
#include <string>

#include "domain/commands.h"
#include "ledger/ledger.h"

namespace nrpf::domain {

// content: the actor, the operation, the expected version and every field
// that is not personal data; personal: the fields decide() seals (people's
// details, notes and texts, a staff name and email, RTPF inputs), or ""
// when they are all empty. The exact bytes are in docs/ledger-format.md 7.1.
ledger::CommandFingerprint FingerprintOf(const std::string& actor_user_id,
                                         const std::optional<std::uint64_t>& expected_version,
                                         const Command& command);

}  // namespace nrpf::domain

#endif  // NRPF_DOMAIN_FINGERPRINT_H_
