// Full verification of the log: every record's bytes, every stored tree
// node and every signature, with the signing-key schedule derived from the
// log itself (genesis, then each rotation).
//
// Work is done in chunks of positions, in two stages that overlap. A walker
// thread reads the stored bytes in order, checks each record's structure,
// computes its leaf hash, extends the tree, compares the stored nodes and
// derives the key of each position (inherently sequential, a few
// microseconds an event); meanwhile every core checks the Ed25519
// signatures of the chunks the walker has finished, which dominate the cost.
// A problem stops the walker at its position; the signatures before it are
// still checked, so the report names the lowest position that is wrong.

#include <rocksdb/db.h>

#include <algorithm>
#include <deque>
#include <map>
#include <pthread.h>
#include <thread>

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

namespace {

// A chunk of positions on its way through the walk.
struct Chunk {
  std::vector<Item> items;
  std::size_t checked = 0;  // items [0, checked) passed steps 1-3 and await signatures
};

// Steps 1-3 of the walk, in order, on one thread: read, check records and
// leaves, extend the tree and compare stored nodes, derive each position's
// key. Runs ahead of the signature checks by a bounded number of chunks.
class FrontWalker {
 public:
  FrontWalker(const Ledger::Impl& im, const VerifyOptions& options, const rocksdb::Snapshot* snap,
              std::uint64_t size, VerifyReport* report)
      : im_(im), options_(options), size_(size), report_(report), nodes_(im.db.get(), im.Cf(layout::kTree), snap),
        sigs_(im.SignatureCursor(snap)) {
    if (im.Cf(layout::kLeaves) != nullptr) {
      rocksdb::ReadOptions ro;
      ro.snapshot = snap;
      ro.fill_cache = false;
      leaves_.emplace(std::unique_ptr<rocksdb::Iterator>(im.db->NewIterator(ro, im.Cf(layout::kLeaves))), 32,
                      "leaf hash");
    }
    rocksdb::ReadOptions ro;
    ro.snapshot = snap;
    ro.fill_cache = false;
    rec_.reset(im.db->NewIterator(ro, im.Cf(layout::kRecords)));
    rec_->Seek(layout::PositionKey(options.from));
  }

  // Starts the walk at options.from > 0: the stored tree edge of that size,
  // checked against the signed checkpoint of event from - 1, and the key
  // schedule as published. False (with `problem`) when they do not agree.
  bool StartMidway(std::string* problem) {
    const std::uint64_t from = options_.from;
    std::vector<Hash> edge;
    for (auto [level, index] : CompactRangeNodes(from)) {
      Result<Hash> h = im_.Node(level, index);
      if (!h.ok()) {
        *problem = "the stored tree of the first " + std::to_string(from) + " events is incomplete: " + h.status().message();
        return false;
      }
      edge.push_back(*h);
    }
    tree_ = CompactRange(from, std::move(edge));
    Result<std::vector<PublishedKey>> keys = im_.LoadPublishedKeys();
    if (!keys.ok() || keys->empty()) {
      *problem = "no published signing keys";
      return false;
    }
    for (const PublishedKey& k : *keys) {
      if (k.first_position > from) break;
      schedule_.push_back(k.key);
      report_->signing_keys.push_back(k.key.ToString());
    }
    // The key that signed event from - 1 (a rotation at from - 1 is signed by the previous key).
    const VerifierKey* signer = nullptr;
    for (const PublishedKey& k : *keys) {
      if (k.first_position <= from - 1) signer = &k.key;
    }
    current_ = &schedule_.back();
    Result<StoredEvent> last = ReadOneEvent(from - 1);
    std::string body;
    AppendCheckpointBody(im_.origin, from, tree_.Root(), &body);
    if (!last.ok() || signer == nullptr || last->key_id != signer->key_id() || !signer->Verify(body, last->signature)) {
      *problem = "the stored tree of the first " + std::to_string(from) +
                 " events does not match the signed checkpoint of event " + std::to_string(from - 1);
      return false;
    }
    return true;
  }

  // Fills `chunk` with positions from `start`; false when it stopped early
  // (a problem at chunk.items[chunk.checked]).
  bool Next(std::uint64_t start, Chunk* chunk) {
    const std::uint64_t end = std::min<std::uint64_t>(size_, start + kChunk);
    chunk->items.clear();
    chunk->items.resize(end - start);
    chunk->checked = chunk->items.size();
    for (std::size_t i = 0; i < chunk->items.size(); ++i) {
      Item& it = chunk->items[i];
      it.position = start + i;
      if (!Read(&it) || !Parse(&it) || !Extend(&it)) {
        chunk->checked = i;
        return false;
      }
    }
    return true;
  }

  const Hash Root() const { return tree_.Root(); }

 private:
  bool Read(Item* it) {
    const std::uint64_t pos = it->position;
    if (!rec_->Valid() || rec_->key().size() != 8 || DecodeFixed64BE(rec_->key().data()) != pos) {
      it->problem = rec_->status().ok() ? "record is missing" : "cannot read record: " + rec_->status().ToString();
      return false;
    }
    it->bytes = rec_->value().ToString();
    rec_->Next();
    // A missing or malformed signature is reported by the signature check,
    // at this position.
    Result<std::string_view> sig = sigs_.At(pos);
    if (sig.ok()) it->sig = std::string(*sig);
    return true;
  }

  bool Parse(Item* it) {
    Result<const fb::Record*> r = VerifyRecordBytes(it->bytes, it->position);
    if (!r.ok()) {
      it->problem = r.status().message();
      return false;
    }
    it->leaf = LeafHash(it->bytes);
    const fb::Record* rr = *r;
    const bool ledger_stream = rr->stream_id() && rr->stream_id()->string_view() == layout::kLedgerStream;
    const std::string_view type = rr->event_type() ? rr->event_type()->string_view() : "";
    const bool is_genesis = ledger_stream && type == layout::kGenesisType;
    const bool is_rotation = ledger_stream && type == layout::kKeyRotatedType;
    if ((it->position == 0) != is_genesis) {
      it->problem = it->position == 0 ? "position 0 is not the genesis event" : "a second genesis event";
      return false;
    }
    if (is_genesis || is_rotation) it->introduces = IntroducedKey(rr, im_.origin, &it->problem);
    return it->problem.empty();
  }

  bool Extend(Item* it) {
    if (it->position >= im_.leaves_from) {
      Result<std::string_view> stored = leaves_ ? leaves_->At(it->position)
                                                : Result<std::string_view>(Status::Corruption("no leaf hashes"));
      if (!stored.ok()) {
        it->problem = stored.status().message();
        return false;
      }
      if (*stored != AsBytes(it->leaf)) {
        it->problem = "stored leaf hash does not match the record";
        return false;
      }
    }
    completed_.clear();
    tree_.Append(it->leaf, &completed_);
    for (const TreeNode& n : completed_) {
      // Stored: from kFirstStoredLevel up; below "leaves_from" (format 1)
      // from level 1 up. The rest is folded from the leaves.
      const bool stored_node = n.level >= layout::kFirstStoredLevel ||
                               (n.level >= 1 && ((n.index + 1) << n.level) <= im_.leaves_from);
      if (!stored_node) continue;
      std::optional<Hash> stored = nodes_.Get(n.level, n.index);
      if (!stored) {
        it->problem = "tree node level " + std::to_string(n.level) + " index " + std::to_string(n.index) +
                      " is missing";
        return false;
      }
      if (*stored != n.hash) {
        it->problem = "stored tree node level " + std::to_string(n.level) + " index " + std::to_string(n.index) +
                      " does not match the records";
        return false;
      }
    }
    it->body.clear();
    AppendCheckpointBody(im_.origin, it->position + 1, tree_.Root(), &it->body);
    if (it->position == 0) {
      if (!it->introduces) {
        it->problem = "genesis introduces no key";
        return false;
      }
      if (!options_.trusted_keys.empty()) {
        bool trusted = false;
        for (const VerifierKey& k : options_.trusted_keys) trusted |= k.ToString() == it->introduces->ToString();
        if (!trusted) {
          it->problem = "genesis key " + it->introduces->ToString() + " is not trusted";
          return false;
        }
      }
      schedule_.push_back(*it->introduces);
      current_ = &schedule_.back();
    }
    it->key = current_;
    if (it->position != 0 && it->introduces) {
      schedule_.push_back(*it->introduces);
      current_ = &schedule_.back();
    }
    if (it->introduces) report_->signing_keys.push_back(it->introduces->ToString());
    return true;
  }

  Result<StoredEvent> ReadOneEvent(std::uint64_t position) const {
    Result<std::vector<StoredEvent>> one = im_.ReadFrom(position, 1);
    if (!one.ok()) return one.status();
    if (one->empty()) return Status::NotFound("no event " + std::to_string(position));
    return std::move(one->front());
  }

  const Ledger::Impl& im_;
  const VerifyOptions& options_;
  const std::uint64_t size_;
  VerifyReport* report_;
  std::unique_ptr<rocksdb::Iterator> rec_;
  NodeCursor nodes_;
  GroupCursor sigs_;
  std::optional<GroupCursor> leaves_;
  CompactRange tree_;
  std::vector<TreeNode> completed_;
  // Every key introduced so far; a deque keeps addresses stable, so items
  // point at their key without copying it.
  std::deque<VerifierKey> schedule_;
  const VerifierKey* current_ = nullptr;
};

// Step 4 for items [0, n) of a chunk.
void CheckSignatures(std::vector<Item>& items, std::size_t n, WorkerPool& pool) {
  pool.ParallelFor(n, [&](std::size_t b, std::size_t e) {
    for (std::size_t i = b; i < e; ++i) {
      Item& it = items[i];
      if (it.sig.size() != layout::kSignatureEntrySize) {
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
  WorkerPool pool(options.threads != 0 ? options.threads : im.pool->threads());

  // The front walker runs on its own thread, up to kAhead chunks ahead of the
  // signature checks, which use every core.
  constexpr std::size_t kAhead = 2;
  FrontWalker front(im, options, snap, size, &report);
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::unique_ptr<Chunk>> ready;  // guarded by mu
  bool front_done = false;                   // guarded by mu
  bool stop = false;                         // guarded by mu
  if (options.from > 0) {
    report.events_checked = 0;
    std::string problem;
    if (options.from >= size || !front.StartMidway(&problem)) {
      report.ok = false;
      report.first_bad_position = options.from;
      report.reason = options.from >= size ? "the log has no event " + std::to_string(options.from) : problem;
      return report;
    }
  }
  std::thread walker([&] {
    pthread_setname_np(pthread_self(), "nrpf-verify");
    bool ok = true;
    for (std::uint64_t start = options.from; start < size && ok;) {
      auto chunk = std::make_unique<Chunk>();
      ok = front.Next(start, chunk.get());
      start += chunk->items.size();
      std::unique_lock<std::mutex> lock(mu);
      cv.wait(lock, [&] { return stop || ready.size() < kAhead; });
      if (stop) return;
      ready.push_back(std::move(chunk));
      cv.notify_all();
    }
    std::lock_guard<std::mutex> lock(mu);
    front_done = true;
    cv.notify_all();
  });

  for (;;) {
    std::unique_ptr<Chunk> chunk;
    {
      std::unique_lock<std::mutex> lock(mu);
      cv.wait(lock, [&] { return front_done || !ready.empty(); });
      if (ready.empty()) break;
      chunk = std::move(ready.front());
      ready.pop_front();
      cv.notify_all();
    }
    CheckSignatures(chunk->items, chunk->checked, pool);
    const Item* bad = nullptr;
    for (const Item& it : chunk->items) {
      if (!it.problem.empty()) {
        bad = &it;
        break;
      }
    }
    if (bad != nullptr) {
      report.ok = false;
      report.first_bad_position = bad->position;
      report.reason = bad->problem;
      {
        std::lock_guard<std::mutex> lock(mu);
        stop = true;
        cv.notify_all();
      }
      walker.join();
      return report;
    }
    report.events_checked += chunk->items.size();
  }
  walker.join();
  report.ok = true;
  report.checkpoint = Checkpoint{im.origin, size, front.Root()};
  return report;
}

}  // namespace nrpf::ledger
