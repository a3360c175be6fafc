// Internal state of a Ledger, shared by ledger.cpp (open, reads, proofs),
// append.cpp (the group-commit pipeline) and verify.cpp. Not a public header.
//
// The append pipeline has five stages, each on its own thread(s):
//   sequencer  takes queued requests, checks command ids and expected
//              versions, assigns positions, seals, hashes, extends the tree
//              and prepares one rocksdb::WriteBatch per commit group;
//   signers    (one per core) sign the checkpoints of the groups in flight,
//              while the sequencer goes on with the next group;
//   committer  writes each signed group to RocksDB (WAL and memtable), in order;
//   syncer     fsyncs the WAL once for every group written since its last
//              sync, adds the groups' index entries to the index tail, then
//              publishes the new size and wakes the appenders;
//   indexer    now and then ingests the index tail into RocksDB as sorted
//              files (index_tail.h).
// While the syncer waits for one fsync, the committer writes the groups the
// sequencer has prepared meanwhile, and the next fsync covers them all: a
// group is acknowledged only after an fsync that began after it was written.
// Groups become visible to RocksDB readers when written, but every ledger
// read is bounded by committed_size, which moves only after the fsync.

#ifndef NRPF_LEDGER_LEDGER_IMPL_H_
#define NRPF_LEDGER_LEDGER_IMPL_H_

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "ledger/index_tail.h"
#include "ledger/ledger.h"
#include "ledger/layout.h"
#include "ledger/sealer.h"
#include "ledger/worker_pool.h"

namespace nrpf::ledger {

// rocksdb::Status -> ours, once, here at the boundary.
Status FromRocks(const rocksdb::Status& s, const std::string& context);

// Tree levels at or above this one are kept in memory as well, so a proof
// reads at most kCachedLevel nodes from RocksDB.
inline constexpr std::uint32_t kCachedLevel = 5;

// Most commit groups sequenced but not yet written: bounds the memory and
// the latency of the groups in flight while still letting sequencing,
// signing and writing overlap.
inline constexpr std::size_t kMaxGroupsInFlight = 16;

// Checks that `bytes` is a well-formed record (FlatBuffers verifier,
// identifier, position). Returns the record view on success.
Result<const fb::Record*> VerifyRecordBytes(std::string_view bytes, std::uint64_t position);

// The stored result of a command (cf "commands" value), marked duplicate.
Result<AppendResult> DecodeCommandEntry(std::string_view value);
// Whether a well-formed command value's digest is over a command fingerprint.
bool CommandEntryFingerprinted(std::string_view value);

// Reads the entries of positions in a family whose values hold fixed-size
// entries for the events of one commit group each, keyed by the group's
// first position ("signatures", "leaves"). Fastest when asked for
// ascending positions; any order works.
class GroupCursor {
 public:
  GroupCursor(std::unique_ptr<rocksdb::Iterator> it, std::size_t entry_size, const char* what)
      : it_(std::move(it)), entry_size_(entry_size), what_(what) {}
  // The stored entry of `position`; kCorruption when it is missing or
  // malformed. Valid until the next call.
  Result<std::string_view> At(std::uint64_t position);

 private:
  bool Covers(std::uint64_t position) const {
    return valid_ && position >= first_ && position - first_ < count_;
  }
  bool Load();  // the group at it_, if well formed

  std::unique_ptr<rocksdb::Iterator> it_;
  const std::size_t entry_size_;
  const char* const what_;
  bool valid_ = false;
  std::uint64_t first_ = 0;
  std::uint64_t count_ = 0;
};

// One queued call into the pipeline.
using StoredKey = std::optional<std::pair<DataKey, std::uint32_t>>;  // absent: the subject has none yet

struct PendingOp {
  enum class Kind { kAppend, kShred };
  Kind kind = Kind::kAppend;
  AppendRequest request;             // kAppend
  std::string subject_id;            // kShred
  std::shared_ptr<SigningKey> rotate_to;  // kAppend of a key rotation
  // Called exactly once, by whichever pipeline thread settles the op, after
  // the op has been destroyed. Must be quick and must not block.
  AppendCallback done;
  std::int64_t queued_at = 0;  // SteadyMicros() when queued
};

// Hands `result` to the op's callback and frees the op. Never with a
// ledger lock held: the callback may call the ledger (Health(), reads).
void Finish(PendingOp* op, Result<AppendResult> result);

// A commit group: one WriteBatch, written with one synced write.
// Microseconds on the steady clock, for the pipeline's stage timings.
inline std::int64_t SteadyMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

struct CommitGroup {
  struct Completion {
    PendingOp* op = nullptr;
    AppendResult result;
    std::string command_id;          // "" when not idempotent
    std::vector<PendingOp*> followers;  // retries racing the original; guarded by inflight_mu
  };

  rocksdb::WriteBatch batch;
  std::uint64_t first_position = 0;
  std::uint64_t end_position = 0;
  std::vector<std::string> bodies;                  // checkpoint body per event
  std::vector<std::shared_ptr<SigningKey>> signers;  // signer per event
  std::vector<Signature> signatures;                // filled by the signers
  std::vector<Completion> completions;
  std::vector<std::string> subject_keys;  // in-flight subject entries to drop at commit
  // The keys its sections were sealed with, for the readers' cache once durable.
  std::vector<std::pair<std::string, std::pair<DataKey, std::uint32_t>>> sealed_with;
  std::string command_log;                // "command_log" value of this group
  std::string leaves;                     // "leaves" value of this group
  std::vector<StoredEvent> events;        // as stored, for the recent-events ring
  IndexBatch index;                       // added to the index tail once durable
  // Steady-clock times of the group's stages (PipelineStats), and the sum
  // over its completions of their time in the queue.
  std::int64_t sequencing_at = 0, sequenced_at = 0, signed_at = 0, written_at = 0, synced_at = 0;
  std::uint64_t queued_us = 0;
  // Signing progress; guarded by group_mu.
  std::size_t next_to_sign = 0;
  std::size_t signed_count = 0;
};

// A data subject's key as the sequencer uses it for one request.
struct SubjectKey {
  DataKey key;
  std::uint32_t generation = 1;
  bool fresh = false;  // created for this request: stored with it
};
using SubjectKeys = std::unordered_map<std::string, SubjectKey>;

class Ledger::Impl {
 public:
  // Constant after Open.
  LedgerOptions options;
  const Clock* clock = nullptr;
  std::string origin;
  rocksdb::Options db_options;  // also for the files the indexer writes
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> cf;  // owned; destroyed before db
  std::optional<MasterKey> master;
  DataKey command_digest_key{};
  std::unique_ptr<WorkerPool> pool;
  bool read_only = false;
  bool stream_heads = false;  // "stream_heads" is complete (format 2)
  // "leaves" holds every leaf hash from here on; below it, leaves are
  // recomputed from records and tree levels 1.. are stored (format 1).
  std::uint64_t leaves_from = 0;

  ~Impl();

  rocksdb::ColumnFamilyHandle* Cf(layout::Cf c) const { return cf[static_cast<std::size_t>(c)]; }

  // ---- Committed state: guarded by commit_mu (size also atomic for readers).
  mutable std::mutex commit_mu;
  mutable std::condition_variable commit_cv;
  std::atomic<std::uint64_t> committed_size{0};
  bool closing = false;  // guarded by commit_mu
  Status background_error;  // guarded by commit_mu; set once a write fails

  // ---- The newest committed events, so live subscribers (the projections'
  // follower, the server's feeds) read them without RocksDB: guarded by
  // recent_mu; the syncer appends each durable group and drops the oldest.
  static constexpr std::size_t kRecentEvents = 8192;
  mutable std::shared_mutex recent_mu;
  std::deque<StoredEvent> recent;  // positions [recent_begin, recent_begin + recent.size())
  std::uint64_t recent_begin = 0;
  // Up to `max` committed events from `from` held in the ring; empty when
  // `from` is not in it.
  std::vector<StoredEvent> RecentFrom(std::uint64_t from, std::size_t max) const;

  // ---- Index entries not yet in RocksDB (thread-safe itself).
  std::unique_ptr<IndexTail> index_tail;

  // ---- Upper tree levels (>= kCachedLevel) in memory.
  mutable std::shared_mutex cache_mu;
  std::vector<std::vector<Hash>> upper_nodes;  // guarded by cache_mu

  // ---- Sequencer-thread state.
  CompactRange frontier;
  std::uint64_t next_position = 0;
  std::atomic<std::uint64_t> sequenced_size{0};  // next_position, for other threads
  std::int64_t last_time_us = 0;
  // Every stream's version and every subject's "subject_keys" entry, as
  // sequenced: read whole when a writable ledger opens (LoadSequencerState),
  // then kept by the sequencer alone, the only writer of both. So deciding
  // an append reads nothing from RocksDB. A stream or subject absent here
  // has no events or no key.
  std::unordered_map<std::string, std::uint64_t> stream_versions;
  std::unordered_map<std::string, std::string> subject_key_entries;
  std::shared_ptr<SigningKey> signer;
  flatbuffers::FlatBufferBuilder builder{4096};
  std::vector<flatbuffers::Offset<fb::SealedSection>> sealed_offsets;  // BuildRecord's scratch
  std::vector<flatbuffers::Offset<flatbuffers::String>> string_offsets;
  RandomPool random;
  // Unwrapped data keys of recently sealed-for subjects, so a busy subject
  // costs no RocksDB read and no unwrap. Bounded (options.
  // subject_key_cache_entries); cleared when full; a
  // shredded subject is dropped from it before its marker is written.
  std::unordered_map<std::string, std::pair<DataKey, std::uint32_t>> subject_key_cache;

  // ---- Unwrapped data keys for readers (OpenSealed), so following the log
  // costs no RocksDB read and no unwrap per sealed section: guarded by
  // reader_keys_mu. Bounded like subject_key_cache. A shred, once durable,
  // drops its subject and bumps the epoch; a key loaded before that bump is
  // not cached.
  static constexpr std::size_t kReaderKeyCacheMax = 65536;
  mutable std::mutex reader_keys_mu;
  mutable std::unordered_map<std::string, std::pair<DataKey, std::uint32_t>> reader_keys;
  mutable std::uint64_t reader_keys_epoch = 0;
  mutable std::atomic<std::uint64_t> reader_key_loads{0};  // misses of reader_keys
  // The subject's key for opening sealed data, through the cache.
  Result<StoredKey> ReaderSubjectKey(const std::string& subject_id) const;
  void ForgetReaderKey(const std::string& subject_id);
  // Once `g` is durable: its subjects' keys, so that readers following the
  // log open its sections with no RocksDB read and no unwrap; not those
  // whose shred is sequenced already. A later shred drops them as it drops
  // any cached key.
  void RememberReaderKeys(const CommitGroup& g);

  // ---- In flight (sequenced, not yet committed): guarded by inflight_mu.
  struct InFlightCommand {
    Hash digest{};
    CommitGroup* group = nullptr;
    std::size_t completion = 0;
    bool fingerprinted = false;
    // Fingerprinted: the key of the personal part (PersonalDigestKey).
    std::optional<DataKey> personal_key;
  };
  struct InFlightKey {
    std::optional<DataKey> key;  // nullopt: being shredded
    std::uint32_t generation = 1;
    CommitGroup* group = nullptr;  // the group that writes this entry
  };
  mutable std::mutex inflight_mu;
  std::unordered_map<std::string, InFlightCommand> inflight_commands;
  std::unordered_map<std::string, InFlightKey> inflight_keys;

  // ---- Queue into the sequencer: guarded by queue_mu.
  std::mutex queue_mu;
  std::condition_variable queue_cv;
  std::deque<PendingOp*> queue;
  bool stop_sequencer = false;

  // ---- Groups from sequencer through signers to committer, in position
  // order: guarded by group_mu. Each condition wakes only the thread that
  // can act on it: group_cv the committer (head signed), room_cv the
  // sequencer (room for a group), sign_cv the signers (one, when one claim
  // signs the whole group).
  std::mutex group_mu;
  std::condition_variable group_cv;
  std::condition_variable room_cv;
  std::condition_variable sign_cv;
  // Signatures a signer claims at a time, from the oldest group first, so
  // the group the committer waits for is finished first.
  static constexpr std::size_t kSignClaim = 4;
  std::deque<std::unique_ptr<CommitGroup>> groups;
  bool stop_committer = false;
  bool stop_signers = false;

  // ---- Written, waiting for the WAL fsync: guarded by sync_mu.
  std::mutex sync_mu;
  std::condition_variable sync_cv;
  std::deque<std::unique_ptr<CommitGroup>> written;
  bool stop_syncer = false;

  // ---- Stage timings (PipelineStats): each counter has one writer thread.
  struct PipelineCounters {
    std::atomic<std::uint64_t> appends{0}, groups{0}, wal_syncs{0}, wal_sync_us{0}, queued_us{0},
        sequenced_us{0}, signed_us{0}, written_us{0}, synced_us{0}, completed_us{0};
  };
  PipelineCounters pipeline;

  // ---- Indexer wake-ups: guarded by index_mu.
  std::mutex index_mu;
  std::condition_variable index_cv;
  bool stop_indexer = false;
  std::uint64_t ingest_counter = 0;  // names the files of each ingestion
  std::atomic<std::uint64_t> small_files_merged{0};
  std::atomic<std::uint64_t> small_file_merges_failed{0};
  std::mutex merge_mu;  // one MergeSmallFiles, or a Shred's flush and compaction, at a time

  std::thread sequencer_thread;
  std::vector<std::thread> signer_threads;
  std::thread committer_thread;
  std::thread syncer_thread;
  std::thread indexer_thread;

  // append.cpp
  void StartPipeline();
  void StopPipeline();
  // Queues `op` (or settles it at once when closing or full).
  void SubmitAsync(std::unique_ptr<PendingOp> op);
  // SubmitAsync and wait for the result.
  Result<AppendResult> Submit(std::unique_ptr<PendingOp> op);
  void SequencerLoop();
  void SignerLoop();
  void CommitterLoop();
  void SyncerLoop();
  // Adds a durable group's stage times to `pipeline` (syncer thread).
  void CountStages(const CommitGroup& g);
  // indexer.cpp
  void IndexerLoop();
  // Ingests the frozen generation (if any) into RocksDB and drops it.
  Status IngestFrozen(const std::shared_ptr<const IndexGeneration>& gen);
  // Freezes and ingests everything in the tail (at close).
  Status IngestAll();
  // Ledger::MergeSmallFiles.
  Result<std::size_t> MergeSmallFiles();
  // Writes "stream_heads" from "streams" (upgrading a format 1 log).
  Status FillStreamHeads();
  // Rebuilds the tail of events [from, committed_size) from "records" and
  // "command_log" (at open).
  Status RecoverIndexTail(std::uint64_t from);
  // Fills stream_versions and subject_key_entries from "stream_heads", the
  // index tail and "subject_keys" (at open, before the pipeline starts).
  Status LoadSequencerState();
  // Marks the ledger failed (once) and fails `g` with the resulting status.
  void FailGroup(std::unique_ptr<CommitGroup> g, const Status& cause);
  // Acknowledges (or fails) every append of a durable group.
  void CompleteGroup(CommitGroup& g, const Status& s);
  // sequencer.cpp (sequencer thread only)
  void SequenceGroup(std::vector<PendingOp*> ops);
  std::uint64_t SequencedStreamVersion(const std::string& stream) const;
  Status LoadDataKeys(const PendingOp& op, SubjectKeys* keys);
  // True when `op` repeats a command id (settled, or attached to the
  // original in flight); false when it is new.
  bool SettleIfRepeated(PendingOp* op, const Hash& digest);
  // Any thread. The key that digests a fingerprint's personal part, from
  // the data keys of the subjects the command seals (sorted by subject id);
  // nullopt when it seals none.
  std::optional<DataKey> PersonalDigestKey(const std::vector<std::pair<std::string, DataKey>>& sealed) const;
  // The digest of a fingerprinted command id; nullopt when `fingerprint`
  // has personal data and there is no personal key (it matches no entry).
  std::optional<Hash> FingerprintDigest(const std::string& command_id, const CommandFingerprint& fingerprint,
                                        const std::optional<DataKey>& personal_key) const;
  // The personal key of the command stored at [first, first + count): from
  // its records' sealed subjects and their keys (kShredded once one is gone).
  Result<std::optional<DataKey>> StoredPersonalKey(const AppendResult& stored) const;
  // A request against the stored entry of its command id: the stored result
  // (a retry), or kCommandIdReused, kShredded or a read error. `fingerprint`
  // null: compares `request_digest` (RequestDigest) with the entry's.
  Result<AppendResult> MatchStoredCommand(const std::string& command_id, std::string_view entry,
                                          const CommandFingerprint* fingerprint, const Hash& request_digest) const;
  Status CheckExpectations(const PendingOp& op);
  void SequenceShred(PendingOp* op, CommitGroup* g, std::int64_t now);
  void SequenceAppend(PendingOp* op, const SubjectKeys& keys, const Hash& digest,
                      const std::optional<DataKey>& personal_key, CommitGroup* g, std::int64_t now);
  // The record bytes (valid until the next call) and its sorted subjects.
  std::string_view BuildRecord(const AppendRequest& req, const NewEvent& e, std::uint64_t pos,
                               std::uint64_t version, std::int64_t now, const SubjectKeys& keys,
                               std::vector<std::string>* subjects);
  Status CheckRequest(const AppendRequest& req) const;

  // tree_store.cpp
  // A stored (or recomputed) tree node; `memo` caches the last block of
  // leaves recomputed from records, for the many calls of one proof.
  struct LeafBlockMemo {
    // A few recent blocks: a proof near the log's end alternates between
    // its leaf's block and the log's last, partial one.
    static constexpr std::size_t kBlocks = 4;
    std::vector<std::pair<std::uint64_t, std::vector<Hash>>> blocks;  // most recent last
    // Kept open across the calls of one reader: proofs of many positions
    // seek it instead of opening an iterator each.
    std::unique_ptr<rocksdb::Iterator> leaves_iter;
  };
  Result<Hash> Node(std::uint32_t level, std::uint64_t index, LeafBlockMemo* memo = nullptr) const;
  // Leaf hashes of positions [begin, end): stored ones from "leaves_from"
  // on, recomputed from "records" before.
  Status LeafHashes(std::uint64_t begin, std::uint64_t end, std::vector<Hash>* out,
                    LeafBlockMemo* memo = nullptr) const;
  // ledger.cpp
  // The stream's version as stored (committed events only).
  Result<std::uint64_t> StoredStreamVersion(const std::string& stream_id) const;
  // The stored value of a command id (index tail, then RocksDB).
  Result<std::optional<std::string>> StoredCommand(const std::string& command_id) const;
  // A NodeReader for one proof or root (it memoises recomputed leaves).
  NodeReader Reader() const;
  // reads.cpp
  GroupCursor SignatureCursor(const rocksdb::Snapshot* snapshot = nullptr) const;
  Result<std::vector<StoredEvent>> ReadPositions(const std::vector<std::uint64_t>& positions) const;
  Result<std::vector<StoredEvent>> ReadFrom(std::uint64_t from, std::size_t max) const;
  Result<StoredKey> LoadSubjectKey(
      const std::string& subject_id) const;
  // A "subject_keys" value: the unwrapped key, none (empty), or kShredded.
  Result<StoredKey> DecodeSubjectKey(const std::string& subject_id, std::string_view value) const;
  Result<std::vector<PublishedKey>> LoadPublishedKeys() const;
  Result<std::shared_ptr<SigningKey>> LoadSigningKey(const VerifierKey& vkey) const;
  Result<std::shared_ptr<SigningKey>> CreateSigningKey() const;
  std::string IntroducedKeyBody(const SigningKey& key) const;
};

}  // namespace nrpf::ledger

#endif  // NRPF_LEDGER_LEDGER_IMPL_H_
