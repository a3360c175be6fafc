// Per-subject sealing of personal data (crypto-shredding).
//
// Every data subject has a random 32-byte data key. Data keys are stored in
// RocksDB only wrapped (XChaCha20-Poly1305-IETF) by the master key, which
// lives in a file outside the database. Personal data is sealed with the
// subject's data key:
//   ciphertext = XChaCha20-Poly1305-IETF(key, nonce[24], plaintext, aad)
//   aad        = "nrpf-seal-v1" 0x00 subject_id 0x00 label 0x00 event_id[16]
// so a section cannot be moved to another subject, label or event unnoticed.
// Destroying the data key makes every section sealed with it unreadable.

#ifndef NRPF_LEDGER_SEALER_H_
#define NRPF_LEDGER_SEALER_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "ledger/status.h"

namespace nrpf::ledger {

using DataKey = std::array<unsigned char, 32>;

struct SealedBytes {
  std::string nonce;       // 24 bytes
  std::string ciphertext;  // plaintext size + 16
};

// Seals/opens with a data key. `event_id` is the 16-byte id of the event.
SealedBytes SealSection(const DataKey& key, std::string_view subject_id, std::string_view label,
                        std::string_view event_id, std::string_view plaintext);
// As above with a caller-chosen nonce. REQUIRES: nonce is 24 bytes that
// were never used with `key` before (random).
SealedBytes SealSectionWithNonce(const DataKey& key, std::string_view subject_id, std::string_view label,
                                 std::string_view event_id, std::string_view plaintext,
                                 std::string_view nonce);
// The same into `out`, which has room for plaintext.size() + kSealOverhead
// bytes (the ciphertext and its tag).
inline constexpr std::size_t kSealOverhead = 16;
void SealSectionInto(const DataKey& key, std::string_view subject_id, std::string_view label,
                     std::string_view event_id, std::string_view plaintext, std::string_view nonce,
                     unsigned char* out);
Result<std::string> OpenSection(const DataKey& key, std::string_view subject_id, std::string_view label,
                         std::string_view event_id, const SealedBytes& sealed);

DataKey NewDataKey();

// Random bytes for nonces and ids, 4 KiB at a time, so a busy caller does
// not make system calls per nonce (the operating system hands out at most
// 256 bytes a call). Each 4 KiB is a ChaCha20 keystream under a key that
// the keystream's own first 32 bytes replace ("fast key erasure"), reseeded
// from the operating system every 256 refills. Thread-compatible.
class RandomPool {
 public:
  RandomPool() = default;
  RandomPool(const RandomPool&) = delete;
  RandomPool& operator=(const RandomPool&) = delete;
  ~RandomPool();
  void Fill(char* out, std::size_t n);

 private:
  void Refill();

  std::array<unsigned char, 32> key_{};
  std::uint32_t refills_ = 0;
  std::array<char, 4096> buf_{};
  std::size_t used_ = 4096;
};

// The key-encryption key. Move-only; wiped on destruction.
class MasterKey {
 public:
  // Reads the 32-byte key at `path`, or creates it (mode 0600, parent
  // directory created 0700) when it does not exist. Refuses a key file that
  // others can read.
  static Result<MasterKey> LoadOrCreate(const std::string& path);

  MasterKey(MasterKey&& other) noexcept;
  MasterKey& operator=(MasterKey&& other) noexcept;
  MasterKey(const MasterKey&) = delete;
  MasterKey& operator=(const MasterKey&) = delete;
  ~MasterKey();

  // wrapped = nonce[24] || XChaCha20-Poly1305(master, nonce, data key,
  //           aad = "nrpf-subject-key-v1" 0x00 subject_id)
  std::string Wrap(std::string_view subject_id, const DataKey& key) const;
  Result<DataKey> Unwrap(std::string_view subject_id, std::string_view wrapped) const;

  // A key for another purpose, derived with libsodium's crypto_kdf
  // (BLAKE2b) from the master key: `context` is exactly 8 characters.
  DataKey DeriveSubkey(std::uint64_t id, const char (&context)[9]) const;

 private:
  MasterKey() = default;
  std::array<unsigned char, 32> key_{};
};

// Writes `contents` to `path` atomically with mode 0600 (temp file, fsync,
// rename, fsync of the directory).
Status WriteSecretFile(const std::string& path, std::string_view contents);
Result<std::string> ReadSecretFile(const std::string& path);

}  // namespace nrpf::ledger

#endif  // NRPF_LEDGER_SEALER_H_
