// The newest entries of the ledger's derived indexes (streams, subjects,
// commands), held in memory until the indexer ingests them into RocksDB as
// sorted files.
//
// Writing an index entry into a RocksDB memtable costs several microseconds
// (a skip-list insert at a random place); writing the same entries as one
// sorted file costs a fraction of that. So the commit path writes only what
// cannot be derived (records, signatures, tree nodes, the command log), and
// the tail of each index lives here: added once a commit group is durable,
// frozen and ingested in bulk, then dropped. Everything here can be rebuilt
// from the records and the command log (Ledger::Open does so).
//
// Entries are kept in two generations: the active one, which grows, and at
// most one frozen one, which the indexer is ingesting. Readers consult both
// and then RocksDB; an entry stays here until RocksDB holds it, so a reader
// may see an entry twice (callers dedupe by position) but never miss one.
//
// Thread-safe: Add, Freeze and DropFrozen take the lock exclusively, lookups
// share it.

#ifndef NRPF_LEDGER_INDEX_TAIL_H_
#define NRPF_LEDGER_INDEX_TAIL_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace nrpf::ledger {

// The index entries of consecutive events, ending before `end`.
struct IndexBatch {
  struct Stream {
    std::string stream_id;
    std::uint64_t version = 0;
    std::uint64_t position = 0;
  };
  struct Subject {
    std::string subject_id;
    std::uint64_t position = 0;
  };
  struct Command {
    std::string command_id;
    std::string value;  // layout.h "command value"
  };
  std::uint64_t end = 0;
  std::vector<Stream> streams;
  std::vector<Subject> subjects;
  std::vector<Command> commands;

  bool empty() const { return streams.empty() && subjects.empty() && commands.empty(); }
};

// One generation of the tail: the entries of events [begin, end).
struct IndexGeneration {
  std::uint64_t begin = 0;
  std::uint64_t end = 0;
  // stream id -> (version, position), versions ascending
  std::unordered_map<std::string, std::vector<std::pair<std::uint64_t, std::uint64_t>>> streams;
  // subject id -> positions ascending
  std::unordered_map<std::string, std::vector<std::uint64_t>> subjects;
  std::unordered_map<std::string, std::string> commands;
  std::size_t entries = 0;

  // Room for about `entries` entries without rehashing as they arrive.
  void Reserve(std::size_t entries);
  void Add(IndexBatch&& batch);
};

class IndexTail {
 public:
  // An empty tail whose first entries belong to event `begin`; each
  // generation reserves room for `expected_entries`.
  IndexTail(std::uint64_t begin, std::size_t expected_entries);
  IndexTail(const IndexTail&) = delete;
  IndexTail& operator=(const IndexTail&) = delete;

  // REQUIRES: batches arrive in position order.
  void Add(IndexBatch&& batch);

  // The newest (version, position) of the stream held here.
  std::optional<std::pair<std::uint64_t, std::uint64_t>> LastOfStream(const std::string& stream_id) const;
  // Sets (*heads)[stream] to the newest version held here, for every stream
  // held here.
  void StreamHeads(std::unordered_map<std::string, std::uint64_t>* heads) const;
  // Appends the (version, position) pairs of the stream with version >=
  // from_version, ascending (possibly repeating what RocksDB holds).
  void StreamEntries(const std::string& stream_id, std::uint64_t from_version,
                     std::vector<std::pair<std::uint64_t, std::uint64_t>>* out) const;
  // Appends the positions >= from of events naming the subject, ascending.
  void SubjectPositions(const std::string& subject_id, std::uint64_t from,
                        std::vector<std::uint64_t>* out) const;
  // The stored value of a command id held here.
  std::optional<std::string> Command(const std::string& command_id) const;

  // Entries in the active generation.
  std::size_t active_entries() const;
  // Entries in both generations, and the first event they cover.
  std::size_t entries() const;
  std::uint64_t begin() const;
  // Moves the active generation (when it holds anything and no frozen one
  // is pending) to frozen and returns it; nullptr otherwise. The returned
  // generation stays readable here until DropFrozen().
  std::shared_ptr<const IndexGeneration> Freeze();
  void DropFrozen();

 private:
  const std::size_t expected_entries_;
  mutable std::shared_mutex mu_;
  std::unique_ptr<IndexGeneration> active_;        // guarded by mu_
  std::shared_ptr<const IndexGeneration> frozen_;  // guarded by mu_
};

}  // namespace nrpf::ledger

#endif  // NRPF_LEDGER_INDEX_TAIL_H_
