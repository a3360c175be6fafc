// Secrets of accounts: Argon2id password hashes (libsodium crypto_pwhash),
// one-time passwords and session tokens. Nothing here is ever logged or
// written to the ledger.

#ifndef NRPF_SERVER_PASSWORDS_H_
#define NRPF_SERVER_PASSWORDS_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "ledger/status.h"

namespace nrpf::server {

struct HashCost {
  std::uint64_t ops = 2;                  // Argon2id passes
  std::size_t memory_bytes = 64u << 20;   // Argon2id memory
};

// The crypto_pwhash_str encoding (algorithm, parameters, salt, hash) of
// `password`. kInvalidArgument when the cost is outside libsodium's bounds;
// kUnavailable when the memory cannot be had.
Result<std::string> HashPassword(std::string_view password, HashCost cost);
// True when `password` matches `hash` (constant time in the password).
bool CheckPassword(const std::string& hash, std::string_view password);

// A one-time password: 20 characters of a 31-letter alphabet without
// look-alikes (99 bits), grouped "xxxxx-xxxxx-xxxxx-xxxxx".
std::string NewOneTimePassword();
// A bearer token: 32 random bytes, base64url without padding (43 characters).
std::string NewSessionToken();
// What the credential store keeps of a token: hex BLAKE2b-256 of it.
std::string TokenKey(std::string_view token);

}  // namespace nrpf::server

#endif  // NRPF_SERVER_PASSWORDS_H_
