// The ledger: one global, append-only, signed and tamper-evident event log on
// RocksDB. It knows nothing of NRPF: streams, events, bytes, hashes and keys.
//
// Guarantees
//  * Append is atomic across all the streams a request touches, checked
//    against each stream's expected version, idempotent by command id, and
//    durable (synced WAL) before it returns. Concurrent appenders share
//    fsyncs and signing work (group commit).
//  * Every record's leaf hash is in an RFC 6962 Merkle tree; every record is
//    signed (Ed25519) over the C2SP checkpoint of the tree that ends with it.
//  * Personal data is sealed per data subject; shredding a subject destroys
//    its key while every hash, proof and signature still verifies.
//
// Thread-safety: a Ledger is safe for concurrent use from any number of
// threads. docs/ledger-format.md describes every stored byte.

#ifndef NRPF_LEDGER_LEDGER_H_
#define NRPF_LEDGER_LEDGER_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ledger/checkpoint.h"
#include "ledger/clock.h"
#include "ledger/merkle.h"
#include "ledger/status.h"
#include "schema/record_generated.h"

namespace rocksdb {
class Env;
}  // namespace rocksdb

namespace nrpf::ledger {

struct AppendRequest;

struct LedgerOptions {
  // RocksDB directory of the log. Required.
  std::string db_path;
  // File holding the 32-byte master key that wraps subject data keys; keep it
  // outside db_path (and outside its backups). Created 0600 when missing.
  // Required.
  std::string master_key_path;
  // Directory of the Ed25519 private signing keys, one file per key id.
  // Created 0700 when missing. Required unless read_only.
  std::string signing_key_dir;
  // Checkpoint origin line and signing key name (no spaces, no '+'), fixed
  // when the log is created; opening it for writing with another origin is
  // kFailedPrecondition (read-only opens use the stored one).
  // Default: "nrpf-ledger.local/log".
  std::string origin = "nrpf-ledger.local/log";
  // Create an empty log (and its first signing key) when none exists. Default: true.
  bool create_if_missing = true;
  // Open without taking RocksDB's lock: no appends, a view as of Open; safe
  // beside a running writer. Default: false.
  bool read_only = false;
  // Time source for recorded_at. Not owned. Default: SystemClock::Default().
  const Clock* clock = nullptr;
  // Threads that sign a commit group and verify signatures (counting the
  // calling thread). Default: 0 = every core.
  unsigned threads = 0;
  // Most events the sequencer takes into one commit group. Small groups let
  // sequencing, signing and the RocksDB write of consecutive groups overlap;
  // fsyncs are shared regardless, since one fsync covers every group written
  // before it. Default: 32.
  std::size_t max_group_events = 32;
  // Most events in one Append request. Default: 1024.
  std::size_t max_events_per_append = 1024;
  // Largest stored record (event body plus sealed sections). Default: 1 MiB.
  std::size_t max_record_bytes = 1 << 20;
  // Most Append calls waiting to be sequenced; beyond it Append fails fast
  // with kUnavailable (reason "busy") so callers back off. Default: 16384.
  std::size_t max_queued_appends = 16384;
  // Sync the WAL before acknowledging appends. Only synthetic bulk loads
  // (nrpf-bench generate) turn it off: without it an acknowledged append can
  // be lost to a power cut (not to a process crash). Default: true.
  bool sync = true;
  // RocksDB block cache. Default: 64 MiB.
  std::size_t block_cache_bytes = 64u << 20;
  // The stream, subject and command indexes of the newest events are held
  // in memory and ingested into RocksDB in bulk once this many entries (about
  // three an event) have gathered, or when the oldest is index_tail_max_age
  // old, and when the ledger closes. A larger tail costs memory and, after a
  // crash, time at open to rebuild it from the records. Default: 65536.
  std::size_t index_tail_entries = 65536;
  // Default: 10 minutes.
  std::chrono::milliseconds index_tail_max_age{10 * 60 * 1000};
  // How often the indexer thread merges runs of small SST files
  // (Ledger::MergeSmallFiles); 0 = never. Default: 1 minute.
  std::chrono::milliseconds small_file_merge_interval{60 * 1000};
  // Unwrapped data keys the sequencer keeps for the subjects it sealed for
  // last (about 100 bytes each); cleared when full. Default: 65536.
  std::size_t subject_key_cache_entries = 65536;
  // Tests only: runs on the appending thread just before its append is
  // queued. Default: none.
  std::function<void(const AppendRequest&)> before_queue;
  // The RocksDB environment, for tests that inject disk faults. Not owned.
  // Default: nullptr = RocksDB's default (the local file system).
  rocksdb::Env* env = nullptr;
};

// Who performs an action.
struct Actor {
  std::string user_id;
  std::string organisation_id;
  std::string role;
};

// Personal data of one subject, sealed by Append before it is stored.
struct PersonalSection {
  std::string subject_id;
  std::string label;      // e.g. "applicant", "dependant"
  std::string plaintext;  // never stored in the clear
};

struct NewEvent {
  std::string stream_id;  // 1..256 bytes, no NUL; "$ledger" is reserved
  std::string type;       // 1..128 bytes, e.g. "case.created"
  std::uint16_t version = 1;
  std::string body;       // opaque to the ledger (a FlatBuffer of the domain)
  std::vector<std::string> subjects;        // data subjects concerned
  std::vector<PersonalSection> personal;    // their subjects are added to `subjects`
};

// expected_version: the stream's version the caller decided on; 0 means the
// stream must not exist yet.
struct StreamExpectation {
  std::string stream_id;
  std::uint64_t expected_version = 0;
};

// What a command id's digest covers in place of the events, for callers
// whose retries decide their events anew (other times, other ids): the
// command as the caller received it, in a canonical encoding of its own.
// Personal data goes in `personal` only, which the ledger digests keyed with
// the data keys of the subjects the request's events seal (so a stored
// digest confirms nothing once one of them is shredded); a non-empty
// `personal` with no sealed section is kInvalidArgument.
// docs/ledger-format.md, section 7.1.
struct CommandFingerprint {
  std::string content;   // no personal data
  std::string personal;  // "" when the command carries none
};

struct AppendRequest {
  // Idempotency key: a retry with the same id and content returns the first
  // result and writes nothing; the same id with other content is
  // kCommandIdReused. Empty: not idempotent. At most 128 bytes.
  std::string command_id;
  Actor actor;
  std::vector<NewEvent> events;  // 1..max_events_per_append
  std::vector<StreamExpectation> expectations;
  // With a command id: the content compared with a retry's, instead of the
  // whole request (actor, expectations, events). Entries stored without one
  // match only requests without one, and the other way round.
  std::optional<CommandFingerprint> fingerprint;
};

struct AppendResult {
  std::uint64_t first_position = 0;
  std::uint32_t count = 0;
  std::int64_t recorded_at_us = 0;
  bool duplicate = false;  // true when this was a retry of a stored command
};

// One record as stored: the exact bytes that are hashed, and the signature
// over the checkpoint of the tree that ends with it.
struct StoredEvent {
  std::uint64_t position = 0;
  std::string bytes;
  std::uint32_t key_id = 0;
  Signature signature{};

  // REQUIRES: bytes came from a Ledger read (they were verified there).
  const fb::Record* record() const { return fb::GetRecord(bytes.data()); }
};

struct PublishedKey {
  std::uint64_t first_position = 0;  // first event this key signs (genesis/rotation event + 1, or 0)
  VerifierKey key;
};

struct VerifyOptions {
  // Verify events [from, up_to); nullopt = everything committed at the start.
  std::optional<std::uint64_t> up_to;
  // First event to verify. Above 0, the walk starts from the stored tree of
  // the first `from` events, which must match the signed checkpoint of event
  // from - 1, and from the published key schedule (PublicKeys()); the events
  // before are taken as they are. Default: 0 = from genesis.
  std::uint64_t from = 0;
  // Keys the caller trusts for the genesis event; empty = trust the key the
  // genesis event introduces (and report it, to compare with the published one).
  std::vector<VerifierKey> trusted_keys;
  // Threads, counting the caller. Default: 0 = every core.
  unsigned threads = 0;
};

struct VerifyReport {
  bool ok = false;
  std::uint64_t events_checked = 0;
  // Set when !ok: the first position where bytes, tree or signature disagree.
  std::optional<std::uint64_t> first_bad_position;
  std::string reason;
  // The verified tree head (when ok) and the keys that signed it.
  Checkpoint checkpoint;
  std::vector<std::string> signing_keys;  // vkeys, in order of introduction
};

// Where appends spent their time since Open, summed over every append the
// pipeline made durable (divide by `appends` for the mean wait in each
// stage), and the WAL syncs that made them durable. With a fixed number of
// appenders in flight these waits bound the append rate (docs/benchmarks.md).
struct PipelineStats {
  // Append requests (and erasures, one per subject) the pipeline made
  // durable; a retry answered by its original or by the stored command is
  // not counted again.
  std::uint64_t appends = 0;
  std::uint64_t groups = 0;         // commit groups made durable
  std::uint64_t wal_syncs = 0;      // WAL fsyncs (none when LedgerOptions::sync is off)
  std::uint64_t wal_sync_us = 0;    // time spent in them, in all
  std::uint64_t queued_us = 0;      // submitted -> its group's sequencing begins
  std::uint64_t sequenced_us = 0;   // -> the group is sequenced and handed to the signers
                                    //    (once fewer than 16 groups are in flight)
  std::uint64_t signed_us = 0;      // -> the group's last checkpoint is signed
  std::uint64_t written_us = 0;     // -> the group is written to RocksDB (WAL and memtables)
  std::uint64_t synced_us = 0;      // -> a WAL sync that began after the write has ended
  std::uint64_t completed_us = 0;   // -> the callbacks of its group begin
};

// What the ledger holds and how far its derived indexes have been written,
// for operators' metrics.
struct LedgerStats {
  std::uint64_t events = 0;             // committed
  std::uint64_t indexed = 0;            // RocksDB's indexes hold every event before this
  std::size_t index_tail_entries = 0;   // index entries held in memory
  PipelineStats pipeline;
  std::uint64_t sst_files = 0;          // live SST files, all families
  std::uint64_t small_files_merged = 0;        // merged away by MergeSmallFiles since open
  std::uint64_t small_file_merges_failed = 0;  // merges RocksDB refused or failed since open
  std::uint64_t reader_key_loads = 0;  // data keys readers read and unwrapped from RocksDB since open
};

class Subscription;

// Receives the outcome of an AppendAsync, exactly once, on a ledger thread.
using AppendCallback = std::function<void(Result<AppendResult>)>;

class Ledger {
 public:
  // Opens or creates a log. On creation it generates the first signing key
  // and appends the genesis event that introduces it.
  static Result<std::unique_ptr<Ledger>> Open(const LedgerOptions& options);

  // Finishes appends already queued, then closes. Appends that arrive during
  // or after the close fail with kUnavailable.
  ~Ledger();
  Ledger(const Ledger&) = delete;
  Ledger& operator=(const Ledger&) = delete;

  // Blocks until the events are durable (or the request failed).
  Result<AppendResult> Append(AppendRequest request);
  // The same without waiting for the append: `done` runs once the events are
  // durable or the request failed; on a ledger thread (or inline, for a
  // request refused before queueing). Neither reads the disk on the calling
  // thread: the sequencer holds every stream's version and subject's key
  // entry in memory. `done` must be quick and must not block or call back
  // into a blocking Ledger method: what takes longer goes to the caller's
  // own executor. The ledger must outlive every pending callback (its
  // destructor settles them all).
  void AppendAsync(AppendRequest request, AppendCallback done);

  // Events committed so far (= tree size).
  std::uint64_t Size() const;
  // Events given a position so far: Size() plus those in flight, which
  // become durable (or fail the ledger) within about one WAL fsync. An
  // append refused with kWrongExpectedVersion was checked against every
  // event below the SequencedSize() read after the refusal.
  std::uint64_t SequencedSize() const;
  // Ok while appends are taken; after a failed write (or index ingestion)
  // the error every append now gets, until the ledger is reopened.
  Status Health() const;
  LedgerStats Stats() const;
  // Stats().pipeline alone: a few atomic loads, no RocksDB call.
  PipelineStats Pipeline() const;
  const std::string& origin() const;

  Result<std::vector<StoredEvent>> ReadRange(std::uint64_t from, std::size_t max) const;
  Result<StoredEvent> Read(std::uint64_t position) const;
  // Events of a stream with stream_version >= from_version (1-based).
  Result<std::vector<StoredEvent>> ReadStream(const std::string& stream_id,
                                              std::uint64_t from_version, std::size_t max) const;
  Result<std::uint64_t> StreamVersion(const std::string& stream_id) const;
  // Events that name `subject_id`, at positions >= from.
  Result<std::vector<StoredEvent>> ReadSubject(const std::string& subject_id, std::uint64_t from,
                                               std::size_t max) const;
  // The stored result of a command id; kNotFound when never committed.
  // Whatever the content: for callers that only ask whether it is stored.
  Result<AppendResult> LookupCommand(const std::string& command_id) const;
  // The stored result of a command id when it was stored for a request with
  // this fingerprint (a retry); kCommandIdReused when it was stored for
  // another one, or without a fingerprint (by a version before fingerprints,
  // whose digest cannot be compared with one); kShredded when a subject the
  // stored command sealed is erased (the comparison needs its key);
  // kNotFound when never committed.
  Result<AppendResult> LookupCommand(const std::string& command_id, const CommandFingerprint& fingerprint) const;

  // Plaintext of sealed section `index` of `event`. kShredded once the
  // subject's key is destroyed; kUnavailable when this ledger was opened
  // without the master key.
  Result<std::string> OpenSealed(const StoredEvent& event, std::size_t index) const;
  // Whether this ledger holds the master key, so OpenSealed can succeed.
  bool CanOpenSealed() const;
  // Destroys the subject's data key and compacts it out of RocksDB's files.
  // Sealing new data for the subject afterwards fails with kShredded.
  Status Shred(const std::string& subject_id);
  // The same for several subjects, with one flush and one compaction for
  // them all (each shred rewrites files: a removal erasing a household's
  // people should pay that once).
  Status Shred(const std::vector<std::string>& subject_ids);
  // True when the subject's key has been destroyed.
  Result<bool> IsShredded(const std::string& subject_id) const;

  // Merges runs of small SST files within a level. Each Shred flushes every
  // column family, and in the families whose keys only grow (records,
  // signatures, leaves) RocksDB moves the small files it leaves down the
  // levels without rewriting them, so without this they would pile up (and
  // stay open: about 3,700 files for a million events with the erasures of
  // nrpf-bench generate). One call merges at most 64 MiB of them; the
  // indexer thread calls it every `small_file_merge_interval`. Returns the
  // number of files merged away (a run of n files leaves one: n - 1).
  Result<std::size_t> MergeSmallFiles();

  // Tree head and proofs over committed events.
  Result<Hash> RootAt(std::uint64_t tree_size) const;
  Result<Checkpoint> CheckpointAt(std::uint64_t tree_size) const;
  // The C2SP signed note of tree size `tree_size` (>= 1): the checkpoint body
  // and the signature of the event at tree_size - 1.
  Result<std::string> SignedCheckpoint(std::uint64_t tree_size) const;
  Result<std::vector<Hash>> ProveInclusion(std::uint64_t position, std::uint64_t tree_size) const;
  Result<std::vector<Hash>> ProveConsistency(std::uint64_t old_size, std::uint64_t new_size) const;
  // ProveInclusion of each position, cheaper than one call each (the proofs
  // share their reads).
  Result<std::vector<std::vector<Hash>>> ProveInclusions(const std::vector<std::uint64_t>& positions,
                                                         std::uint64_t tree_size) const;

  // Generates a new signing key, appends "ledger.signing_key_rotated"
  // (signed by the current key), and signs every later event with the new
  // key. Returns the new public key.
  Result<VerifierKey> RotateSigningKey(const Actor& actor);
  // Every signing key the log has introduced, oldest first.
  Result<std::vector<PublishedKey>> PublicKeys() const;

  // Walks the log from position 0, recomputing leaf hashes, stored tree
  // nodes and every signature, on every core. Reports the first position
  // where anything disagrees.
  VerifyReport Verify(const VerifyOptions& options) const;

  // Reads from `from_position` onwards, then follows new commits live. When
  // the ledger closes, a waiting Next() returns kCancelled.
  std::unique_ptr<Subscription> Subscribe(std::uint64_t from_position) const;

  class Impl;

 private:
  explicit Ledger(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  friend class Subscription;
};

// A cursor over the log that catches up from storage and then waits for new
// commits. Backpressure is by construction: the ledger buffers nothing per
// subscriber; a slow reader simply reads later, from RocksDB.
// Thread-compatible; Cancel() may be called from any thread.
// REQUIRES: destroyed before the Ledger that made it.
class Subscription {
 public:
  ~Subscription();
  // Up to `max` events from the cursor on, waiting up to `timeout` for the
  // first one. An empty vector means the timeout passed; kCancelled after
  // Cancel() or when the ledger closes.
  Result<std::vector<StoredEvent>> Next(std::size_t max, std::chrono::milliseconds timeout);
  void Cancel();
  std::uint64_t position() const { return next_; }

 private:
  friend class Ledger;
  Subscription(const Ledger::Impl* impl, std::uint64_t from);
  const Ledger::Impl* impl_;
  std::uint64_t next_;
  std::shared_ptr<std::atomic<bool>> cancelled_;
};

// How many steps of CPU priority (nice) below the append pipeline's threads
// the threads that submit appends and wait for them (command workers) should
// run. With fewer cores than busy threads, the pipeline's serial stages then
// run as soon as they have work, and the submitters take what the pipeline
// leaves: nrpf-bench domain measures the difference (docs/benchmarks.md).
inline constexpr int kSubmitterNiceSteps = 5;

// Lowers the calling thread's CPU priority by `steps` nice levels (at most
// to 19). Lowering needs no privilege. kInvalidArgument for steps outside
// 0..19; kIOError if the OS refuses.
Status LowerThreadPriority(int steps);

}  // namespace nrpf::ledger

#endif  // NRPF_LEDGER_LEDGER_H_
