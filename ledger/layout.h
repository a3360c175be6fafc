// RocksDB layout of the ledger: column families and key/value encodings.
// docs/ledger-format.md repeats this grammar; change both together.
//
//   cf "default"      "format"  -> "1"
//                     "origin"  -> origin line
//   cf "records"      fixed64be(position) -> record bytes (FlatBuffer "NRPL")
//   cf "signatures"   fixed64be(position) -> fixed32be(key id) || ed25519 sig[64]
//   cf "tree"         u8(level) || fixed64be(index) -> sha256[32], level >= 1
//                     (perfect subtree covering leaves [index<<level, (index+1)<<level);
//                     leaf hashes, level 0, are recomputed from "records")
//   cf "streams"      stream_id || 0x00 || fixed64be(stream version) -> fixed64be(position)
//   cf "subjects"     subject_id || 0x00 || fixed64be(position) -> ""
//   cf "commands"     command_id -> digest[32] || fixed64be(first position)
//                                   || fixed32be(count) || fixed64be(recorded_at_us)
//   cf "subject_keys" subject_id -> 'K' || fixed32be(generation) || wrapped key[72]
//                                 | 'X' || fixed64be(shredded_at_us)
//   cf "signing_keys" fixed64be(first signed position) -> vkey text

#ifndef NRPF_LEDGER_LAYOUT_H_
#define NRPF_LEDGER_LAYOUT_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "ledger/coding.h"

namespace nrpf::ledger::layout {

enum Cf : int {
  kDefault = 0,
  kRecords,
  kSignatures,
  kTree,
  kStreams,
  kSubjects,
  kCommands,
  kSubjectKeys,
  kSigningKeys,
  kCfCount,
};

inline constexpr const char* kCfNames[kCfCount] = {
    "default", "records", "signatures", "tree", "streams",
    "subjects", "commands", "subject_keys", "signing_keys"};

inline constexpr std::string_view kFormatKey = "format";
inline constexpr std::string_view kFormatVersion = "1";
inline constexpr std::string_view kOriginKey = "origin";
inline constexpr std::string_view kLedgerStream = "$ledger";
inline constexpr std::string_view kGenesisType = "ledger.genesis";
inline constexpr std::string_view kKeyRotatedType = "ledger.signing_key_rotated";
inline constexpr std::size_t kSignatureValueSize = 4 + 64;
inline constexpr std::size_t kCommandValueSize = 32 + 8 + 4 + 8;

inline std::string PositionKey(std::uint64_t position) {
  std::string k;
  PutFixed64BE(&k, position);
  return k;
}

inline std::string TreeKey(std::uint32_t level, std::uint64_t index) {
  std::string k(1, static_cast<char>(level));
  PutFixed64BE(&k, index);
  return k;
}

// prefix || 0x00 || fixed64be(n): the stream and subject indexes.
inline std::string IndexKey(std::string_view prefix, std::uint64_t n) {
  std::string k(prefix);
  k.push_back('\0');
  PutFixed64BE(&k, n);
  return k;
}

inline std::string IndexPrefix(std::string_view prefix) {
  std::string k(prefix);
  k.push_back('\0');
  return k;
}

}  // namespace nrpf::ledger::layout

#endif  // NRPF_LEDGER_LAYOUT_H_
