// Full verification of the log: every record's bytes, every stored tree
// node and every signature, with the signing-key schedule derived from the
// log itself (genesis, then each rotation).
//
// Work is done in chunks. Per chunk, the caller's thread reads the stored
// bytes in order; all threads then check record structure and leaf hashes;
// the caller extends the tree and compares stored nodes (inherently
// sequential, a few microseconds an event); all threads then check the
// Ed25519 signatures, which dominate the cost.

#include <rocksdb/db.h>

#include <algorithm>
#include <deque>
#include <map>

#include "ledger/coding.h"
#include "ledger/ledger_impl.h"
#include "schema/ledger_events_generated.h"

namespace nrpf::ledger {

namespace {

constexpr std::size_t kChunk = 8192;

struct Item {
  std::uint64_t position = 0;
  std::string bytes;
  std::string sig;  // key id || signature, as stored
  Hash leaf{};
  std::string body;  // checkpoint body of the tree ending here
  const VerifierKey* key = nullptr;
  std::optional<VerifierKey> introduces;  // genesis / rotation: the next key
  std::string problem;  // first thing found wrong with this position
};

// Stored tree nodes, read in index order per level.
class NodeCursor {
 public:
  NodeCursor(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf, const rocksdb::Snapshot* snap)
      : db_(db), cf_(cf), snap_(snap) {}

  // The stored hash of (level, index), or nullopt when missing/malformed.
  std::optional<Hash> Get(std::uint32_t level, std::uint64_t index) {
    auto& it = iters_[level];
    const std::string key = layout::TreeKey(level, index);
    if (!it) {
      rocksdb::ReadOptions ro;
      ro.snapshot = snap_;
      it.reset(db_->NewIterator(ro, cf_));
      it->Seek(key);
    } else if (!it->Valid() || it->key() != rocksdb::Slice(key)) {
      it->Seek(key);
    }
    if (!it->Valid() || it->key() != rocksdb::Slice(key)) return std::nullopt;
    std::optional<Hash> h = HashFromBytes(it->value().ToStringView());
    it->Next();
    return h;
  }

 private:
  rocksdb::DB* db_;
  rocksdb::ColumnFamilyHandle* cf_;
  const rocksdb::Snapshot* snap_;
  std::map<std::uint32_t, std::unique_ptr<rocksdb::Iterator>> iters_;
};

std::optional<VerifierKey> IntroducedKey(const fb::Record* r, std::string_view origin, std::string* problem) {
  const auto* body = r->body();
  if (body == nullptr) {
    *problem = "key event has no body";
    return std::nullopt;
  }
  flatbuffers::Verifier v(body->data(), body->size(), 8, 64);
  if (!fb::VerifySigningKeyIntroducedBuffer(v)) {
    *problem = "key event body is not a SigningKeyIntroduced";
    return std::nullopt;
  }
  const auto* k = fb::GetSigningKeyIntroduced(body->data());
  if (k->vkey() == nullptr) {
    *problem = "key event has no vkey";
    return std::nullopt;
  }
  Result<VerifierKey> key = VerifierKey::Parse(k->vkey()->string_view());
  if (!key.ok()) {
    *problem = "key event vkey: " + key.status().message();
    return std::nullopt;
  }
  // The body's other fields must say the same thing as its vkey.
  const auto* pk = k->public_key();
  if (k->origin() == nullptr || k->origin()->string_view() != origin || k->key_name() == nullptr ||
      k->key_name()->string_view() != key->name() || k->key_hash() != key->key_id() || pk == nullptr ||
      pk->size() != 32 || !std::equal(pk->begin(), pk->end(), key->public_key().begin())) {
    *problem = "key event fields disagree with its vkey or the log's origin";
    return std::nullopt;
  }
  return *key;
}

}  // namespace

VerifyReport Ledger::Verify(const VerifyOptions& options) const {
  const Impl& im = *impl_;
  VerifyReport report;
  const std::uint64_t committed = Size();
  const rocksdb::Snapshot* snap = im.db->GetSnapshot();
  struct SnapshotRelease {
    rocksdb::DB* db;
    const rocksdb::Snapshot* s;
    ~SnapshotRelease() { db->ReleaseSnapshot(s); }
  } release{im.db.get(), snap};
  const std::uint64_t size = options.up_to ? std::min(*options.up_to, committed) : committed;
  WorkerPool local_pool(options.threads != 0 ? options.threads : im.pool->threads());

  rocksdb::ReadOptions ro;
  ro.snapshot = snap;
  ro.fill_cache = false;
  std::unique_ptr<rocksdb::Iterator> rec(im.db->NewIterator(ro, im.Cf(layout::kRecords)));
  std::unique_ptr<rocksdb::Iterator> sig(im.db->NewIterator(ro, im.Cf(layout::kSignatures)));
  rec->SeekToFirst();
  sig->SeekToFirst();
  NodeCursor nodes(im.db.get(), im.Cf(layout::kTree), snap);

  CompactRange tree;
  std::vector<TreeNode> completed;
  // Every key the log has introduced so far; a deque keeps addresses stable,
  // so items point at their key without copying it.
  std::deque<VerifierKey> schedule;
  const VerifierKey* current = nullptr;  // the key that signs the next position

  auto fail = [&](std::uint64_t pos, std::string why) {
    report.ok = false;
    report.first_bad_position = pos;
    report.reason = std::move(why);
    return report;
  };

  std::vector<Item> items;
  for (std::uint64_t chunk_start = 0; chunk_start < size; chunk_start += kChunk) {
    const std::uint64_t chunk_end = std::min<std::uint64_t>(size, chunk_start + kChunk);
    items.clear();
    items.resize(chunk_end - chunk_start);

    // 1. Read stored bytes in order (gaps are reported at the missing position).
    for (std::uint64_t pos = chunk_start; pos < chunk_end; ++pos) {
      Item& it = items[pos - chunk_start];
      it.position = pos;
      if (!rec->Valid() || rec->key().size() != 8 || DecodeFixed64BE(rec->key().data()) != pos) {
        if (!rec->status().ok()) return fail(pos, "cannot read record: " + rec->status().ToString());
        it.problem = "record is missing";
        continue;
      }
      it.bytes = rec->value().ToString();
      rec->Next();
      while (sig->Valid() && sig->key().size() == 8 && DecodeFixed64BE(sig->key().data()) < pos) sig->Next();
      if (sig->Valid() && sig->key().size() == 8 && DecodeFixed64BE(sig->key().data()) == pos) {
        it.sig = sig->value().ToString();
        sig->Next();
      }
    }

    // 2. Record structure and leaf hashes, in parallel.
    local_pool.ParallelFor(items.size(), [&](std::size_t b, std::size_t e) {
      for (std::size_t i = b; i < e; ++i) {
        Item& it = items[i];
        if (!it.problem.empty()) continue;
        Result<const fb::Record*> r = VerifyRecordBytes(it.bytes, it.position);
        if (!r.ok()) {
          it.problem = r.status().message();
          continue;
        }
        it.leaf = LeafHash(it.bytes);
        const fb::Record* rr = *r;
        const bool ledger_stream = rr->stream_id() && rr->stream_id()->string_view() == layout::kLedgerStream;
        const std::string_view type = rr->event_type() ? rr->event_type()->string_view() : "";
        const bool is_genesis = ledger_stream && type == layout::kGenesisType;
        const bool is_rotation = ledger_stream && type == layout::kKeyRotatedType;
        if ((it.position == 0) != is_genesis) {
          it.problem = it.position == 0 ? "position 0 is not the genesis event" : "a second genesis event";
          continue;
        }
        if (is_genesis || is_rotation) it.introduces = IntroducedKey(rr, im.origin, &it.problem);
      }
    });

    // 3. Tree, stored nodes and key schedule, in order. At the first problem
    // the chunk is cut short: earlier positions still get their signatures
    // checked, so the report names the first position that is wrong.
    std::size_t checked = items.size();
    for (std::size_t i = 0; i < items.size() && checked == items.size(); ++i) {
      Item& it = items[i];
      if (!it.problem.empty()) {
        checked = i;
        break;
      }
      completed.clear();
      tree.Append(it.leaf, &completed);
      for (const TreeNode& n : completed) {
        std::optional<Hash> stored = nodes.Get(n.level, n.index);
        if (!stored) {
          it.problem = "tree node level " + std::to_string(n.level) + " index " + std::to_string(n.index) +
                       " is missing";
        } else if (*stored != n.hash) {
          it.problem = n.level == 0 ? "leaf hash does not match the record bytes"
                                    : "tree node level " + std::to_string(n.level) + " index " +
                                          std::to_string(n.index) + " does not match";
        }
        if (!it.problem.empty()) break;
      }
      if (!it.problem.empty()) {
        checked = i;
        break;
      }
      it.body.clear();
      AppendCheckpointBody(im.origin, it.position + 1, tree.Root(), &it.body);
      if (it.position == 0) {
        if (!it.introduces) {
          it.problem = "genesis introduces no key";
        } else if (!options.trusted_keys.empty()) {
          bool trusted = false;
          for (const VerifierKey& k : options.trusted_keys) trusted |= k.ToString() == it.introduces->ToString();
          if (!trusted) it.problem = "genesis key " + it.introduces->ToString() + " is not trusted";
        }
        if (!it.problem.empty()) {
          checked = i;
          break;
        }
        schedule.push_back(*it.introduces);
        current = &schedule.back();
      }
      it.key = current;
      if (it.position != 0 && it.introduces) {
        schedule.push_back(*it.introduces);
        current = &schedule.back();
      }
      if (it.introduces) report.signing_keys.push_back(it.introduces->ToString());
    }

    // 4. Signatures, in parallel, up to the first problem found so far.
    local_pool.ParallelFor(checked, [&](std::size_t b, std::size_t e) {
      for (std::size_t i = b; i < e; ++i) {
        Item& it = items[i];
        if (it.sig.size() != layout::kSignatureValueSize) {
          it.problem = "signature is missing or malformed";
          continue;
        }
        if (DecodeFixed32BE(it.sig.data()) != it.key->key_id()) {
          it.problem = "signed by key id " + ToHex(it.sig.substr(0, 4)) + ", expected " + it.key->ToString();
          continue;
        }
        Signature s{};
        std::memcpy(s.data(), it.sig.data() + 4, 64);
        if (!it.key->Verify(it.body, s)) it.problem = "signature does not verify over the checkpoint";
      }
    });
    for (Item& it : items) {
      if (!it.problem.empty()) return fail(it.position, it.problem);
    }
    report.events_checked = chunk_end;
  }
  report.ok = true;
  report.checkpoint = Checkpoint{im.origin, size, tree.Root()};
  return report;
}

}  // namespace nrpf::ledger
