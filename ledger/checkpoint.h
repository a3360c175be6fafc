// C2SP tlog-checkpoint and signed-note encodings, and Ed25519 keys for them.
//
// A checkpoint body is exactly three lines, each ending in '\n':
//   <origin>\n<tree size in decimal>\n<base64 of the 32-byte root hash>\n
// A signed note is the body, a blank line, then one line per signature:
//   "\u2014 " <key name> " " base64(key id [4 bytes, big-endian] || signature [64]) "\n"
// The Ed25519 signature is over the body bytes only. A key id is the first
// four bytes of SHA-256(key name || "\n" || 0x01 || 32-byte public key).

#ifndef NRPF_LEDGER_CHECKPOINT_H_
#define NRPF_LEDGER_CHECKPOINT_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/merkle.h"
#include "ledger/status.h"

namespace nrpf::ledger {

struct Checkpoint {
  std::string origin;
  std::uint64_t size = 0;
  Hash root{};
};

std::string CheckpointBody(const Checkpoint& cp);
// Appends the body to `out` without allocating a fresh string (hot path).
void AppendCheckpointBody(std::string_view origin, std::uint64_t size, const Hash& root,
                          std::string* out);
Result<Checkpoint> ParseCheckpointBody(std::string_view body);

using Signature = std::array<unsigned char, 64>;

std::uint32_t NoteKeyId(std::string_view key_name, const std::array<unsigned char, 32>& public_key);

// The public half of a signing key: verifies signatures, prints as a vkey.
class VerifierKey {
 public:
  VerifierKey() = default;
  VerifierKey(std::string name, const std::array<unsigned char, 32>& public_key);

  // "<name>+<8 hex digits of key id>+<base64(0x01 || public key)>"
  static Result<VerifierKey> Parse(std::string_view vkey);
  std::string ToString() const;

  const std::string& name() const { return name_; }
  std::uint32_t key_id() const { return key_id_; }
  const std::array<unsigned char, 32>& public_key() const { return public_key_; }

  bool Verify(std::string_view message, const Signature& sig) const;

 private:
  std::string name_;
  std::uint32_t key_id_ = 0;
  std::array<unsigned char, 32> public_key_{};
};

// An Ed25519 private key. Move-only; the secret is wiped on destruction.
class SigningKey {
 public:
  // A fresh key from the operating system's random source.
  static Result<SigningKey> Generate(std::string name);
  // Go note format: "PRIVATE+KEY+<name>+<hex key id>+<base64(0x01 || seed)>".
  static Result<SigningKey> Parse(std::string_view text);
  std::string ToPrivateText() const;

  SigningKey(SigningKey&& other) noexcept;
  SigningKey& operator=(SigningKey&& other) noexcept;
  SigningKey(const SigningKey&) = delete;
  SigningKey& operator=(const SigningKey&) = delete;
  ~SigningKey();

  const VerifierKey& verifier() const { return verifier_; }
  // Thread-safe: signing reads the key only.
  Signature Sign(std::string_view message) const;

 private:
  SigningKey() = default;
  VerifierKey verifier_;
  std::array<unsigned char, 64> secret_{};  // libsodium seed || public key
};

// One signature line: "— " key_name " " base64(be32(key_id) || signature).
// A line whose blob is not 68 bytes (another party's, such as a witness
// cosignature of 72) is kept with its name and id and ed25519 = false.
struct NoteSignature {
  std::string key_name;
  std::uint32_t key_id = 0;
  Signature signature{};
  bool ed25519 = true;
};

std::string FormatSignatureLine(const NoteSignature& sig);
std::string FormatSignedNote(std::string_view body, const std::vector<NoteSignature>& sigs);

struct SignedNote {
  std::string body;
  std::vector<NoteSignature> signatures;
};
// Fails when the note has no blank line, no signature line, or a line that
// is not "— " key_name " " base64 of at least 5 bytes.
Result<SignedNote> ParseSignedNote(std::string_view text);

// True when at least one line is by `key` (its name and key id) and every
// line by it is an Ed25519 signature that verifies over the body; lines of
// other keys are ignored. The rule of the Go `note` package's Open.
bool NoteSignedBy(const SignedNote& note, const VerifierKey& key);

}  // namespace nrpf::ledger

#endif  // NRPF_LEDGER_CHECKPOINT_H_
