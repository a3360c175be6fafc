// RFC 6962 / RFC 9162 Merkle tree hashing, proofs and their verification.
//
//   leaf hash  = SHA-256(0x00 || record bytes)
//   node hash  = SHA-256(0x01 || left || right)
//   empty root = SHA-256("")
//
// A "node" below is always a perfect subtree: level L, index i covers leaves
// [i * 2^L, (i + 1) * 2^L). Level 0 nodes are leaf hashes. Every hash of the
// tree, including those of incomplete right edges, is derived from such nodes.
// Functions here are pure; thread-compatible.

#ifndef NRPF_LEDGER_MERKLE_H_
#define NRPF_LEDGER_MERKLE_H_

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/status.h"

namespace nrpf::ledger {

using Hash = std::array<unsigned char, 32>;

Hash Sha256(std::string_view data);
Hash LeafHash(std::string_view leaf_data);
Hash NodeHash(const Hash& left, const Hash& right);
Hash EmptyRootHash();
std::string_view AsBytes(const Hash& h);
// nullopt unless `bytes` is exactly 32 bytes.
std::optional<Hash> HashFromBytes(std::string_view bytes);

struct TreeNode {
  std::uint32_t level = 0;
  std::uint64_t index = 0;
  Hash hash{};
};

// The right edge of a tree: the roots of the perfect subtrees that make up
// its binary decomposition, largest first. Appending a leaf is O(log n) and
// yields the perfect subtrees it completes.
class CompactRange {
 public:
  CompactRange() = default;
  // REQUIRES: hashes.size() == popcount(size), largest subtree first.
  CompactRange(std::uint64_t size, std::vector<Hash> hashes);

  std::uint64_t size() const { return size_; }
  const std::vector<Hash>& hashes() const { return hashes_; }

  // Appends one leaf. When `completed` is not null, the leaf node and every
  // perfect subtree the leaf completes are appended to it, lowest level first.
  void Append(const Hash& leaf_hash, std::vector<TreeNode>* completed);

  // Root hash of the tree of size() leaves (EmptyRootHash() when empty).
  Hash Root() const;

 private:
  std::uint64_t size_ = 0;
  std::vector<Hash> hashes_;
};

// The (level, index) of the perfect subtrees whose roots form the compact
// range of a tree of `size` leaves, largest first.
std::vector<std::pair<std::uint32_t, std::uint64_t>> CompactRangeNodes(std::uint64_t size);

// Supplies stored perfect-subtree hashes to the proof builders.
using NodeReader = std::function<Result<Hash>(std::uint32_t level, std::uint64_t index)>;

// Root of the tree over leaves [0, size), from stored nodes.
Result<Hash> RootFromNodes(std::uint64_t size, const NodeReader& read);

// RFC 9162 section 2.1.3.1: audit path of leaf `index` in the tree of `size`.
// REQUIRES: index < size.
Result<std::vector<Hash>> InclusionProof(std::uint64_t index, std::uint64_t size,
                                         const NodeReader& read);

// RFC 9162 section 2.1.4.1: proof that the tree of `old_size` is a prefix of
// the tree of `new_size`. REQUIRES: 0 < old_size <= new_size.
Result<std::vector<Hash>> ConsistencyProof(std::uint64_t old_size, std::uint64_t new_size,
                                           const NodeReader& read);

// RFC 9162 section 2.1.3.2. Ok iff `proof` shows `leaf_hash` at `index` in the
// tree of `size` with root `root`; kCorruption names what failed otherwise.
Status VerifyInclusion(std::uint64_t index, std::uint64_t size, const Hash& leaf_hash,
                       const std::vector<Hash>& proof, const Hash& root);

// RFC 9162 section 2.1.4.2.
Status VerifyConsistency(std::uint64_t old_size, std::uint64_t new_size, const Hash& old_root,
                         const Hash& new_root, const std::vector<Hash>& proof);

}  // namespace nrpf::ledger

#endif  // NRPF_LEDGER_MERKLE_H_
