// Fixed-width big-endian integers, hex and base64: the byte-level encodings
// used in RocksDB keys, checkpoints and signed notes. Big-endian keys sort in
// numeric order under RocksDB's bytewise comparator.

#ifndef NRPF_LEDGER_CODING_H_
#define NRPF_LEDGER_CODING_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace nrpf::ledger {

void PutFixed64BE(std::string* dst, std::uint64_t v);
void PutFixed32BE(std::string* dst, std::uint32_t v);
// REQUIRES: p points at 8 (resp. 4) readable bytes.
std::uint64_t DecodeFixed64BE(const char* p);
std::uint32_t DecodeFixed32BE(const char* p);

std::string ToHex(std::string_view bytes);
// Lower- or upper-case hex; nullopt on odd length or a non-hex digit.
std::optional<std::string> FromHex(std::string_view hex);

// Standard base64 with padding (RFC 4648 section 4), as signed notes use.
std::string Base64Encode(std::string_view bytes);
// nullopt unless `text` is canonical padded standard base64.
std::optional<std::string> Base64Decode(std::string_view text);

}  // namespace nrpf::ledger

#endif  // NRPF_LEDGER_CODING_H_
