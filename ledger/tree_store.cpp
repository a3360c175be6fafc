// Tree nodes as stored (levels >= layout::kFirstStoredLevel, which are also
// held in memory) or folded from the leaf hashes they cover (levels below),
// and the tree heads and proofs built from them.

#include <rocksdb/db.h>

#include <algorithm>

#include "ledger/coding.h"
#include "ledger/ledger_impl.h"

namespace nrpf::ledger {

Status Ledger::Impl::LeafHashes(std::uint64_t begin, std::uint64_t end, std::vector<Hash>* out,
                                LeafBlockMemo* memo) const {
  const std::uint64_t split = std::clamp(leaves_from, begin, end);
  if (begin < split) {
    // Before "leaves_from" (a format 1 log): hash the records themselves.
    rocksdb::ReadOptions ro;
    const std::string upper = layout::PositionKey(split);
    rocksdb::Slice upper_slice(upper);
    ro.iterate_upper_bound = &upper_slice;
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ro, Cf(layout::kRecords)));
    std::uint64_t pos = begin;
    for (it->Seek(layout::PositionKey(begin)); it->Valid() && pos < split; it->Next(), ++pos) {
      if (it->key().size() != 8 || DecodeFixed64BE(it->key().data()) != pos) break;
      out->push_back(LeafHash(it->value().ToStringView()));
    }
    if (!it->status().ok()) return FromRocks(it->status(), "reading records");
    if (pos != split) return Status::NotFound("record " + std::to_string(pos) + " is missing");
  }
  if (split < end) {
    std::unique_ptr<rocksdb::Iterator> own;
    rocksdb::Iterator* it;
    if (memo != nullptr) {
      if (!memo->leaves_iter) memo->leaves_iter.reset(db->NewIterator(rocksdb::ReadOptions(), Cf(layout::kLeaves)));
      it = memo->leaves_iter.get();
    } else {
      own.reset(db->NewIterator(rocksdb::ReadOptions(), Cf(layout::kLeaves)));
      it = own.get();
    }
    std::uint64_t pos = split;
    for (it->SeekForPrev(layout::PositionKey(split)); it->Valid() && pos < end; it->Next()) {
      const std::string_view v = it->value().ToStringView();
      if (it->key().size() != 8 || v.empty() || v.size() % 32 != 0) return Status::Corruption("leaf hash group is malformed");
      const std::uint64_t first = DecodeFixed64BE(it->key().data());
      const std::uint64_t count = v.size() / 32;
      if (first > pos) break;
      for (; pos < end && pos - first < count; ++pos) out->push_back(*HashFromBytes(v.substr((pos - first) * 32, 32)));
    }
    if (!it->status().ok()) return FromRocks(it->status(), "reading leaf hashes");
    if (pos != end) return Status::NotFound("the leaf hash of " + std::to_string(pos) + " is missing");
  }
  return Status::Ok();
}

Result<Hash> Ledger::Impl::Node(std::uint32_t level, std::uint64_t index, LeafBlockMemo* memo) const {
  if (level >= kCachedLevel) {
    std::shared_lock<std::shared_mutex> lock(cache_mu);
    const std::size_t slot = level - kCachedLevel;
    if (slot < upper_nodes.size() && index < upper_nodes[slot].size()) return upper_nodes[slot][index];
    return Status::NotFound("tree node " + std::to_string(level) + "/" + std::to_string(index));
  }
  const std::uint64_t first_leaf = index << level;
  const std::uint64_t width = std::uint64_t{1} << level;
  if (level >= 1 && (level >= layout::kFirstStoredLevel || first_leaf + width <= leaves_from)) {
    // Stored: every level from kFirstStoredLevel, and below "leaves_from"
    // every level from 1 (format 1).
    rocksdb::PinnableSlice value;
    rocksdb::Status s = db->Get(rocksdb::ReadOptions(), Cf(layout::kTree), layout::TreeKey(level, index), &value);
    if (!s.ok()) return FromRocks(s, "tree node " + std::to_string(level) + "/" + std::to_string(index));
    std::optional<Hash> h = HashFromBytes(value.ToStringView());
    if (!h) return Status::Corruption("tree node is not 32 bytes");
    return *h;
  }
  // Below the stored levels: fold the leaf hashes of the node's block, read
  // in one scan (and kept in `memo` for the next call of the same proof).
  constexpr std::uint64_t kBlock = std::uint64_t{1} << layout::kFirstStoredLevel;
  const std::uint64_t block = first_leaf / kBlock;
  LeafBlockMemo local;
  LeafBlockMemo& m = memo != nullptr ? *memo : local;
  const std::uint64_t block_begin = block * kBlock;
  const std::uint64_t needed = first_leaf + width - block_begin;
  auto cached = std::find_if(m.blocks.begin(), m.blocks.end(), [&](const auto& b) {
    return b.first == block && b.second.size() >= needed;
  });
  if (cached == m.blocks.end()) {
    // A whole block when the log has it, so the other calls of a proof hit
    // the memo; otherwise just the leaves this node covers.
    std::vector<Hash> leaves;
    const std::uint64_t end = std::clamp(committed_size.load(), block_begin + needed, block_begin + kBlock);
    NRPF_RETURN_IF_ERROR(LeafHashes(block_begin, end, &leaves, &m));
    if (m.blocks.size() >= LeafBlockMemo::kBlocks) m.blocks.erase(m.blocks.begin());
    m.blocks.emplace_back(block, std::move(leaves));
    cached = m.blocks.end() - 1;
  }
  const std::vector<Hash>& leaves = cached->second;
  std::vector<Hash> row(leaves.begin() + static_cast<std::ptrdiff_t>(first_leaf - block_begin),
                        leaves.begin() + static_cast<std::ptrdiff_t>(needed));
  while (row.size() > 1) {
    for (std::size_t i = 0; i < row.size() / 2; ++i) row[i] = NodeHash(row[2 * i], row[2 * i + 1]);
    row.resize(row.size() / 2);
  }
  return row.front();
}

NodeReader Ledger::Impl::Reader() const {
  auto memo = std::make_shared<LeafBlockMemo>();
  return [this, memo](std::uint32_t level, std::uint64_t index) { return Node(level, index, memo.get()); };
}

namespace {
Status CheckTreeSize(std::uint64_t tree_size, std::uint64_t committed) {
  if (tree_size > committed) {
    return Status::InvalidArgument("tree size " + std::to_string(tree_size) + " is beyond the log (" +
                                   std::to_string(committed) + " events)")
        .WithReason("tree_size_invalid");
  }
  return Status::Ok();
}
}  // namespace

Result<Hash> Ledger::RootAt(std::uint64_t tree_size) const {
  NRPF_RETURN_IF_ERROR(CheckTreeSize(tree_size, Size()));
  return RootFromNodes(tree_size, impl_->Reader());
}

Result<Checkpoint> Ledger::CheckpointAt(std::uint64_t tree_size) const {
  Result<Hash> root = RootAt(tree_size);
  if (!root.ok()) return root.status();
  return Checkpoint{impl_->origin, tree_size, *root};
}

Result<std::string> Ledger::SignedCheckpoint(std::uint64_t tree_size) const {
  if (tree_size == 0) {
    return Status::InvalidArgument("the empty tree has no signed checkpoint").WithReason("tree_size_invalid");
  }
  Result<Checkpoint> cp = CheckpointAt(tree_size);
  if (!cp.ok()) return cp.status();
  Result<StoredEvent> last = Read(tree_size - 1);
  if (!last.ok()) return last.status();
  Result<std::vector<PublishedKey>> keys = PublicKeys();
  if (!keys.ok()) return keys.status();
  for (const PublishedKey& k : *keys) {
    if (k.key.key_id() == last->key_id) {
      return FormatSignedNote(CheckpointBody(*cp), {{k.key.name(), k.key.key_id(), last->signature}});
    }
  }
  return Status::Corruption("event " + std::to_string(tree_size - 1) + " is signed by an unpublished key");
}

Result<std::vector<Hash>> Ledger::ProveInclusion(std::uint64_t position, std::uint64_t tree_size) const {
  NRPF_RETURN_IF_ERROR(CheckTreeSize(tree_size, Size()));
  return InclusionProof(position, tree_size, impl_->Reader());
}

Result<std::vector<std::vector<Hash>>> Ledger::ProveInclusions(const std::vector<std::uint64_t>& positions,
                                                               std::uint64_t tree_size) const {
  NRPF_RETURN_IF_ERROR(CheckTreeSize(tree_size, Size()));
  const NodeReader reader = impl_->Reader();  // one memo and leaf iterator for all
  std::vector<std::vector<Hash>> proofs;
  proofs.reserve(positions.size());
  for (std::uint64_t p : positions) {
    Result<std::vector<Hash>> proof = InclusionProof(p, tree_size, reader);
    if (!proof.ok()) return proof.status();
    proofs.push_back(std::move(*proof));
  }
  return proofs;
}

Result<std::vector<Hash>> Ledger::ProveConsistency(std::uint64_t old_size, std::uint64_t new_size) const {
  NRPF_RETURN_IF_ERROR(CheckTreeSize(new_size, Size()));
  return ConsistencyProof(old_size, new_size, impl_->Reader());
}

}  // namespace nrpf::ledger
