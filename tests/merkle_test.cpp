// Inclusion and consistency proofs against trees computed independently here,
// straight from the RFC 6962 definitions (recursive MTH over the leaf list).

#include <catch2/catch.hpp>

#include <bit>
#include <map>

#include "ledger/merkle.h"

using nrpf::ledger::Hash;

namespace {

// Independent reference: MTH(D[begin:end]) by the RFC's recursion, with no
// stored nodes and no shared code besides SHA-256 framing.
Hash ReferenceRoot(const std::vector<Hash>& leaves, std::uint64_t begin, std::uint64_t end) {
  if (end == begin) return nrpf::ledger::EmptyRootHash();
  if (end - begin == 1) return leaves[begin];
  std::uint64_t k = 1;
  while (k * 2 < end - begin) k *= 2;
  return nrpf::ledger::NodeHash(ReferenceRoot(leaves, begin, begin + k), ReferenceRoot(leaves, begin + k, end));
}

// Reference PATH(m, D[begin:end]) (RFC 6962 section 2.1.1).
std::vector<Hash> ReferencePath(const std::vector<Hash>& leaves, std::uint64_t m, std::uint64_t begin,
                                std::uint64_t end) {
  if (end - begin <= 1) return {};
  std::uint64_t k = 1;
  while (k * 2 < end - begin) k *= 2;
  std::vector<Hash> p;
  if (m < begin + k) {
    p = ReferencePath(leaves, m, begin, begin + k);
    p.push_back(ReferenceRoot(leaves, begin + k, end));
  } else {
    p = ReferencePath(leaves, m, begin + k, end);
    p.push_back(ReferenceRoot(leaves, begin, begin + k));
  }
  return p;
}

// Reference SUBPROOF (RFC 6962 section 2.1.2).
std::vector<Hash> ReferenceSubproof(const std::vector<Hash>& leaves, std::uint64_t m, std::uint64_t begin,
                                    std::uint64_t end, bool complete) {
  const std::uint64_t n = end - begin;
  if (m == n) {
    if (complete) return {};
    return {ReferenceRoot(leaves, begin, end)};
  }
  std::uint64_t k = 1;
  while (k * 2 < n) k *= 2;
  std::vector<Hash> p;
  if (m <= k) {
    p = ReferenceSubproof(leaves, m, begin, begin + k, complete);
    p.push_back(ReferenceRoot(leaves, begin + k, end));
  } else {
    p = ReferenceSubproof(leaves, m - k, begin + k, end, false);
    p.push_back(ReferenceRoot(leaves, begin, begin + k));
  }
  return p;
}

struct Tree {
  std::vector<Hash> leaves;
  std::map<std::pair<std::uint32_t, std::uint64_t>, Hash> nodes;  // filled by CompactRange

  explicit Tree(std::uint64_t n) {
    nrpf::ledger::CompactRange cr;
    std::vector<nrpf::ledger::TreeNode> done;
    for (std::uint64_t i = 0; i < n; ++i) {
      leaves.push_back(nrpf::ledger::LeafHash("leaf " + std::to_string(i)));
      done.clear();
      cr.Append(leaves.back(), &done);
      for (auto& d : done) nodes[{d.level, d.index}] = d.hash;
    }
  }
  nrpf::ledger::NodeReader Reader() const {
    return [this](std::uint32_t level, std::uint64_t index) -> nrpf::Result<Hash> {
      auto it = nodes.find({level, index});
      if (it == nodes.end()) return nrpf::Status::NotFound("node");
      return it->second;
    };
  }
};

}  // namespace

TEST_CASE("leaf and node hashes use the RFC 6962 prefixes", "[merkle]") {
  // SHA-256 of the empty string, and of 0x00 alone (the leaf hash of an empty leaf).
  CHECK(nrpf::ledger::EmptyRootHash() ==
        nrpf::ledger::Sha256(std::string_view()));
  Hash empty_leaf = nrpf::ledger::LeafHash("");
  CHECK(empty_leaf == nrpf::ledger::Sha256(std::string_view("\x00", 1)));
  // RFC 6962 test vector (certificate-transparency-go): leaf hash of empty input.
  const unsigned char expected[32] = {0x6e, 0x34, 0x0b, 0x9c, 0xff, 0xb3, 0x7a, 0x98, 0x9c, 0xa5, 0x44,
                                      0xe6, 0xbb, 0x78, 0x0a, 0x2c, 0x78, 0x90, 0x1d, 0x3f, 0xb3, 0x37,
                                      0x38, 0x76, 0x85, 0x11, 0xa3, 0x06, 0x17, 0xaf, 0xa0, 0x1d};
  CHECK(std::equal(empty_leaf.begin(), empty_leaf.end(), expected));
  Hash l = nrpf::ledger::LeafHash("a");
  Hash r = nrpf::ledger::LeafHash("b");
  std::string cat("\x01", 1);
  cat.append(nrpf::ledger::AsBytes(l));
  cat.append(nrpf::ledger::AsBytes(r));
  CHECK(nrpf::ledger::NodeHash(l, r) == nrpf::ledger::Sha256(cat));
}

TEST_CASE("compact range root equals the reference root for every size", "[merkle]") {
  Tree t(300);
  nrpf::ledger::CompactRange cr;
  for (std::uint64_t n = 1; n <= 300; ++n) {
    cr.Append(t.leaves[n - 1], nullptr);
    REQUIRE(cr.Root() == ReferenceRoot(t.leaves, 0, n));
    auto root = nrpf::ledger::RootFromNodes(n, t.Reader());
    REQUIRE(root.ok());
    REQUIRE(*root == ReferenceRoot(t.leaves, 0, n));
  }
}

TEST_CASE("inclusion proofs match the reference and verify for sizes 1..64", "[merkle]") {
  Tree t(64);
  for (std::uint64_t n = 1; n <= 64; ++n) {
    const Hash root = ReferenceRoot(t.leaves, 0, n);
    for (std::uint64_t m = 0; m < n; ++m) {
      auto proof = nrpf::ledger::InclusionProof(m, n, t.Reader());
      REQUIRE(proof.ok());
      REQUIRE(*proof == ReferencePath(t.leaves, m, 0, n));
      REQUIRE(nrpf::ledger::VerifyInclusion(m, n, t.leaves[m], *proof, root).ok());
      // Wrong leaf, wrong index, wrong size, wrong root: all refused.
      REQUIRE_FALSE(nrpf::ledger::VerifyInclusion(m, n, t.leaves[(m + 1) % 64], *proof, root).ok());
      if (n > 1) REQUIRE_FALSE(nrpf::ledger::VerifyInclusion((m + 1) % n, n, t.leaves[m], *proof, root).ok());
      // A checkpoint binds size and root: the proof must fail against any
      // other size with that size's true root.
      for (std::uint64_t other = m + 1; other <= 64; ++other) {
        if (other == n) continue;
        REQUIRE_FALSE(nrpf::ledger::VerifyInclusion(m, other, t.leaves[m], *proof,
                                                    ReferenceRoot(t.leaves, 0, other)).ok());
      }
      REQUIRE_FALSE(nrpf::ledger::VerifyInclusion(m, n, t.leaves[m], *proof,
                                                  nrpf::ledger::LeafHash("not a root")).ok());
      if (!proof->empty()) {
        auto bad = *proof;
        bad.back()[0] ^= 1;
        REQUIRE_FALSE(nrpf::ledger::VerifyInclusion(m, n, t.leaves[m], bad, root).ok());
        bad = *proof;
        bad.pop_back();
        REQUIRE_FALSE(nrpf::ledger::VerifyInclusion(m, n, t.leaves[m], bad, root).ok());
      }
    }
  }
}

TEST_CASE("consistency proofs match the reference and verify for sizes 1..64", "[merkle]") {
  Tree t(64);
  for (std::uint64_t n = 1; n <= 64; ++n) {
    const Hash new_root = ReferenceRoot(t.leaves, 0, n);
    for (std::uint64_t m = 1; m <= n; ++m) {
      const Hash old_root = ReferenceRoot(t.leaves, 0, m);
      auto proof = nrpf::ledger::ConsistencyProof(m, n, t.Reader());
      REQUIRE(proof.ok());
      if (m < n) REQUIRE(*proof == ReferenceSubproof(t.leaves, m, 0, n, true));
      REQUIRE(nrpf::ledger::VerifyConsistency(m, n, old_root, new_root, *proof).ok());
      // Wrong old root, wrong new root, wrong sizes: refused.
      Hash not_a_root = nrpf::ledger::LeafHash("not a root");
      REQUIRE_FALSE(nrpf::ledger::VerifyConsistency(m, n, not_a_root, new_root, *proof).ok());
      REQUIRE_FALSE(nrpf::ledger::VerifyConsistency(m, n, old_root, not_a_root, *proof).ok());
      for (std::uint64_t other = m; other <= 64; ++other) {
        if (other == n) continue;
        REQUIRE_FALSE(nrpf::ledger::VerifyConsistency(m, other, old_root, ReferenceRoot(t.leaves, 0, other),
                                                      *proof).ok());
      }
      for (std::uint64_t other = 1; other <= n; ++other) {
        if (other == m) continue;
        REQUIRE_FALSE(nrpf::ledger::VerifyConsistency(other, n, ReferenceRoot(t.leaves, 0, other), new_root,
                                                      *proof).ok());
      }
    }
  }
}

TEST_CASE("proofs hold on large trees whose sizes are not powers of two", "[merkle]") {
  Tree t(5003);
  for (std::uint64_t n : {1000ull, 1023ull, 1025ull, 4097ull, 5003ull}) {
    const Hash root = ReferenceRoot(t.leaves, 0, n);
    for (std::uint64_t m : std::vector<std::uint64_t>{0, 1, n / 3, n / 2, n - 2, n - 1}) {
      auto proof = nrpf::ledger::InclusionProof(m, n, t.Reader());
      REQUIRE(proof.ok());
      REQUIRE(*proof == ReferencePath(t.leaves, m, 0, n));
      REQUIRE(nrpf::ledger::VerifyInclusion(m, n, t.leaves[m], *proof, root).ok());
      if (m < n - 1) {
        REQUIRE_FALSE(nrpf::ledger::VerifyInclusion(m, n - 1, t.leaves[m], *proof,
                                                    ReferenceRoot(t.leaves, 0, n - 1)).ok());
      }
      REQUIRE_FALSE(nrpf::ledger::VerifyInclusion(m, n, t.leaves[(m + 1) % n], *proof, root).ok());
    }
    for (std::uint64_t m : std::vector<std::uint64_t>{1, 7, 512, 999, n - 1}) {
      auto proof = nrpf::ledger::ConsistencyProof(m, n, t.Reader());
      REQUIRE(proof.ok());
      REQUIRE(*proof == ReferenceSubproof(t.leaves, m, 0, n, true));
      REQUIRE(nrpf::ledger::VerifyConsistency(m, n, ReferenceRoot(t.leaves, 0, m), root, *proof).ok());
      REQUIRE_FALSE(nrpf::ledger::VerifyConsistency(m, n, ReferenceRoot(t.leaves, 0, m + 1), root, *proof).ok());
    }
  }
}

TEST_CASE("proof requests outside the tree are refused", "[merkle]") {
  Tree t(8);
  CHECK(nrpf::ledger::InclusionProof(8, 8, t.Reader()).status().code() == nrpf::Code::kInvalidArgument);
  CHECK(nrpf::ledger::ConsistencyProof(0, 8, t.Reader()).status().code() == nrpf::Code::kInvalidArgument);
  CHECK(nrpf::ledger::ConsistencyProof(9, 8, t.Reader()).status().code() == nrpf::Code::kInvalidArgument);
}
