// Export bundles: the records of a case, an organisation or a range of
// positions, with what an auditor needs to check them offline and without
// this code (docs/audit.md): a signed checkpoint, an inclusion proof of every
// record in it, and the chain of signing keys from the genesis key to the key
// that signed the checkpoint.
//
// A bundle is one JSON document ("nrpf-ledger-export/1"). Record bytes are
// carried exactly as stored, in base64; nothing in a bundle is decrypted.
//
//   bundle    := { "format", "origin", "tree_size", "checkpoint": signed note,
//                  "selection": { "kind": "case" | "organisation" | "range", ... },
//                  "keys": [ key_intro ], "records": [ record ] }
//   record    := { "position", "record": base64, "proof": [ base64 hash ] }
//   key_intro := { "first_position", "vkey", "position" (of the event that
//                  introduced it), "record", "signature" (base64 key id ||
//                  Ed25519 signature of that event), "root" (base64, of the
//                  tree ending with it), "inclusion": [ .. ], "consistency": [ .. ] }
//
// Case and organisation selections list the streams they cover with each
// stream's version at the checkpoint ("streams": { id: version }): every
// version from 1 up to it must be present, once, so a missing record shows.

#ifndef NRPF_REPLAY_BUNDLE_H_
#define NRPF_REPLAY_BUNDLE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/checkpoint.h"
#include "ledger/ledger.h"

namespace nrpf::replay {

inline constexpr std::string_view kBundleFormat = "nrpf-ledger-export/1";

struct ExportSelection {
  enum class Kind { kCase, kOrganisation, kRange };
  Kind kind = Kind::kCase;
  std::string id;            // kCase: case id; kOrganisation: organisation id
  std::uint64_t from = 0;    // kRange: positions [from, to)
  std::uint64_t to = 0;
};

struct ExportOptions {
  // Size of the checkpoint the records are proven in. Default: the log's size.
  std::optional<std::uint64_t> tree_size;
  // Most records the bundle may hold; more is kTooLarge/selection_too_large.
  // Default: no limit.
  std::size_t max_records = SIZE_MAX;
};

// The bundle's JSON text. kNotFound when the selection has no record;
// kInvalidArgument for a range outside the checkpoint; kTooLarge beyond
// max_records.
Result<std::string> ExportBundle(const ledger::Ledger& ledger, const ExportSelection& selection,
                                 const ExportOptions& options = {});

struct BundleCheck {
  bool ok = false;
  std::string reason;                     // the first thing found wrong
  std::optional<std::uint64_t> position;  // the record it concerns, when one does
  std::uint64_t records = 0;              // records checked
  ledger::Checkpoint checkpoint;          // the checkpoint the bundle proves against
  std::vector<std::string> keys;          // vkeys of the chain, genesis first
};

// Checks a bundle offline: the key chain (genesis key one of `trusted_genesis`
// when that is not empty), the checkpoint's signature, every record's
// inclusion proof, position order, and completeness of the selection.
BundleCheck VerifyBundle(std::string_view json, const std::vector<ledger::VerifierKey>& trusted_genesis = {});

}  // namespace nrpf::replay

#endif  // NRPF_REPLAY_BUNDLE_H_
