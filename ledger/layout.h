// RocksDB layout of the ledger: column families and key/value encodings.
// docs/ledger-format.md repeats this grammar; change both together.
//
//   cf "default"      "format"  -> "2"
//                     "origin"  -> origin line
//                     "leaves_from" -> fixed64be(n): "leaves" holds the leaf
//                                  hashes of every event from position n on
//                                  (0, or where a format 1 log was upgraded)
//                     "indexed" -> fixed64be(n): "streams", "subjects" and
//                                  "commands" hold the entries of every event
//                                  before position n (absent in format 1,
//                                  which wrote them with each event)
//   cf "records"      fixed64be(position) -> record bytes (FlatBuffer "NRPL")
//   cf "signatures"   fixed64be(first) -> (fixed32be(key id) || ed25519 sig[64])+
//                     the signatures of positions first, first + 1, ... of one
//                     commit group (format 1 wrote groups of one)
//   cf "leaves"       fixed64be(first) -> leaf hash[32]+
//                     the leaf hashes of positions first, first + 1, ... of one
//                     commit group (format 2)
//   cf "tree"         u8(level) || fixed64be(index) -> sha256[32], level >= 5
//                     (perfect subtree covering leaves [index<<level, (index+1)<<level);
//                     lower levels are folded from "leaves". Format 1 stored
//                     every level from 1; below "leaves_from" those nodes are
//                     read, and leaves recomputed from "records")
//   cf "streams"      stream_id || 0x00 || fixed64be(stream version) -> fixed64be(position)
//   cf "stream_heads" stream_id -> fixed64be(stream version): the newest version
//                     "streams" holds (format 2; filled from "streams" on upgrade)
//   cf "subjects"     subject_id || 0x00 || fixed64be(position) -> ""
//   cf "commands"     command_id -> command value (docs/ledger-format.md 7.1)
//   cf "command_log"  fixed64be(first) -> (fixed32be(n) || command_id[n] || command value)+
//                     the idempotent commands of the commit group starting at
//                     `first`, kept until "indexed" passes it
//   cf "subject_keys" subject_id -> 'K' || fixed32be(generation) || wrapped key[72]
//                                 | 'X' || fixed64be(shredded_at_us)
//   cf "signing_keys" fixed64be(first signed position) -> vkey text
//
//   command value := digest[32] || fixed64be(first position) || fixed32be(count)
//                    || fixed64be(recorded_at_us)
//
// "records", "signatures", "leaves", "tree" and "command_log" are written with each
// commit group (WAL, synced before the acknowledgement). "streams",
// "stream_heads", "subjects" and "commands" are derived from them and ingested in bulk as
// sorted files; until then the ledger holds their newest entries in memory
// (index_tail.h), and rebuilds that tail from "records" and "command_log"
// when it opens.

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
  kCommandLog,   // format 2
  kStreamHeads,  // format 2
  kLeaves,       // format 2
  kCfCount,
};

inline constexpr const char* kCfNames[kCfCount] = {
    "default", "records", "signatures", "tree", "streams",
    "subjects", "commands", "subject_keys", "signing_keys", "command_log", "stream_heads", "leaves"};

inline constexpr std::string_view kFormatKey = "format";
inline constexpr std::string_view kFormatVersion = "2";
inline constexpr std::string_view kFormatVersion1 = "1";
inline constexpr std::string_view kOriginKey = "origin";
inline constexpr std::string_view kIndexedKey = "indexed";
inline constexpr std::string_view kLeavesFromKey = "leaves_from";
// Tree levels below this one are not stored (from "leaves_from" on): they
// are folded from the (at most 2^kFirstStoredLevel) leaf hashes they cover.
inline constexpr std::uint32_t kFirstStoredLevel = 5;
inline constexpr std::size_t kSignatureEntrySize = 4 + 64;
inline constexpr std::string_view kLedgerStream = "$ledger";
inline constexpr std::string_view kGenesisType = "ledger.genesis";
inline constexpr std::string_view kKeyRotatedType = "ledger.signing_key_rotated";
inline constexpr std::size_t kCommandValueSize = 32 + 8 + 4 + 8;
// The top bit of a command entry's count: its digest is over a command
// fingerprint (AppendRequest::fingerprint), not over the request.
inline constexpr std::uint32_t kCommandFingerprinted = 0x80000000u;
inline constexpr std::uint32_t kCommandCountMask = 0x7fffffffu;

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
