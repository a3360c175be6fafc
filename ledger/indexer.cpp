// The indexer: moves the index tail (index_tail.h) into RocksDB's "streams",
// "subjects" and "commands" families as sorted files, then records how far
// the indexes go ("indexed") and drops the command log before it. And the
// rebuild of the tail at open, from "records" and "command_log".
//
// Ingestion is idempotent: a crash after the files are in but before
// "indexed" moves only means the next open rebuilds entries RocksDB already
// holds, identical ones, which the next ingestion writes again.

#include <rocksdb/db.h>
#include <rocksdb/sst_file_writer.h>

#include <algorithm>
#include <filesystem>

#include "ledger/coding.h"
#include "ledger/ledger_impl.h"

namespace nrpf::ledger {

namespace {

using KeyValues = std::vector<std::pair<std::string, std::string>>;

KeyValues StreamEntries(const IndexGeneration& g) {
  KeyValues kv;
  for (const auto& [stream, entries] : g.streams) {
    for (const auto& [version, position] : entries) {
      kv.emplace_back(layout::IndexKey(stream, version), layout::PositionKey(position));
    }
  }
  return kv;
}

KeyValues SubjectEntries(const IndexGeneration& g) {
  KeyValues kv;
  for (const auto& [subject, positions] : g.subjects) {
    for (std::uint64_t p : positions) kv.emplace_back(layout::IndexKey(subject, p), std::string());
  }
  return kv;
}

KeyValues CommandEntries(const IndexGeneration& g) { return KeyValues(g.commands.begin(), g.commands.end()); }

}  // namespace

Status Ledger::Impl::IngestFrozen(const std::shared_ptr<const IndexGeneration>& gen) {
  struct Family {
    layout::Cf cf;
    KeyValues entries;
  };
  std::vector<Family> families;
  families.push_back({layout::kStreams, StreamEntries(*gen)});
  families.push_back({layout::kSubjects, SubjectEntries(*gen)});
  families.push_back({layout::kCommands, CommandEntries(*gen)});

  std::vector<rocksdb::IngestExternalFileArg> args;
  std::vector<std::string> files;
  Status s;
  for (Family& f : families) {
    if (f.entries.empty()) continue;
    std::sort(f.entries.begin(), f.entries.end());
    // Named so RocksDB's own file scan ignores it; moved into the DB below.
    const std::string file = options.db_path + "/ingest-" + std::to_string(++ingest_counter) + ".sst.tmp";
    rocksdb::SstFileWriter writer(rocksdb::EnvOptions(), db_options, Cf(f.cf), /*invalidate_page_cache=*/false);
    s = FromRocks(writer.Open(file), "creating " + file);
    for (std::size_t i = 0; s.ok() && i < f.entries.size(); ++i) {
      // Equal keys can only be one entry rebuilt twice; keep one.
      if (i > 0 && f.entries[i].first == f.entries[i - 1].first) continue;
      s = FromRocks(writer.Put(f.entries[i].first, f.entries[i].second), "writing " + file);
    }
    if (s.ok()) s = FromRocks(writer.Finish(), "finishing " + file);
    files.push_back(file);
    if (!s.ok()) break;
    rocksdb::IngestExternalFileArg arg;
    arg.column_family = Cf(f.cf);
    arg.external_files = {file};
    arg.options.move_files = true;
    arg.options.write_global_seqno = false;
    args.push_back(std::move(arg));
  }
  if (s.ok() && !args.empty()) s = FromRocks(db->IngestExternalFiles(args), "ingesting the index tail");
  for (const std::string& f : files) {
    std::error_code ec;
    std::filesystem::remove(f, ec);  // moved already, or left over from a failure
  }
  if (!s.ok()) return s;

  rocksdb::WriteBatch marker;
  (void)marker.Put(Cf(layout::kDefault), layout::kIndexedKey, layout::PositionKey(gen->end));
  (void)marker.DeleteRange(Cf(layout::kCommandLog), layout::PositionKey(0), layout::PositionKey(gen->end));
  // Not synced: losing it to a power cut only means rebuilding this tail again.
  s = FromRocks(db->Write(rocksdb::WriteOptions(), &marker), "recording the ingested indexes");
  if (s.ok()) index_tail->DropFrozen();
  return s;
}

Status Ledger::Impl::IngestAll() {
  std::shared_ptr<const IndexGeneration> gen = index_tail->Freeze();
  return gen ? IngestFrozen(gen) : Status::Ok();
}

void Ledger::Impl::IndexerLoop() {
  auto last = std::chrono::steady_clock::now();
  std::unique_lock<std::mutex> lock(index_mu);
  for (;;) {
    index_cv.wait_for(lock, std::min<std::chrono::milliseconds>(options.index_tail_max_age, std::chrono::seconds(1)));
    if (stop_indexer) return;
    const bool full = index_tail->active_entries() >= options.index_tail_entries;
    const bool old = std::chrono::steady_clock::now() - last >= options.index_tail_max_age;
    if (!full && !old) continue;
    lock.unlock();
    Status s = IngestAll();
    last = std::chrono::steady_clock::now();
    if (!s.ok()) {
      // As after a failed write: the disk is in trouble, so appends stop
      // until the ledger is reopened (which rebuilds the tail). Reads go on.
      std::lock_guard<std::mutex> commit_lock(commit_mu);
      if (background_error.ok()) {
        background_error = Status::Unavailable("the ledger stopped after failing to ingest its indexes (" +
                                               s.message() + "); reopen it");
      }
    }
    lock.lock();
  }
}

Status Ledger::Impl::RecoverIndexTail(std::uint64_t from) {
  const std::uint64_t size = committed_size.load();
  if (from >= size) return Status::Ok();
  IndexBatch batch;
  batch.end = size;
  {
    rocksdb::ReadOptions ro;
    ro.fill_cache = false;
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ro, Cf(layout::kRecords)));
    std::uint64_t pos = from;
    for (it->Seek(layout::PositionKey(from)); it->Valid() && pos < size; it->Next(), ++pos) {
      if (it->key().size() != 8 || DecodeFixed64BE(it->key().data()) != pos) {
        return Status::Corruption("record " + std::to_string(pos) + " is missing");
      }
      Result<const fb::Record*> r = VerifyRecordBytes(it->value().ToStringView(), pos);
      if (!r.ok()) return r.status();
      const fb::Record* rec = *r;
      batch.streams.push_back({rec->stream_id() ? rec->stream_id()->str() : "", rec->stream_version(), pos});
      if (rec->subjects() != nullptr) {
        for (const auto* subject : *rec->subjects()) batch.subjects.push_back({subject->str(), pos});
      }
    }
    if (!it->status().ok()) return FromRocks(it->status(), "reading records");
    if (pos != size) return Status::Corruption("record " + std::to_string(pos) + " is missing");
  }
  if (Cf(layout::kCommandLog) != nullptr) {
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), Cf(layout::kCommandLog)));
    for (it->Seek(layout::PositionKey(from)); it->Valid(); it->Next()) {
      if (it->key().size() != 8) return Status::Corruption("command log key is malformed");
      if (DecodeFixed64BE(it->key().data()) >= size) break;  // written, never synced
      std::string_view v = it->value().ToStringView();
      while (!v.empty()) {
        if (v.size() < 4) return Status::Corruption("command log entry is malformed");
        const std::uint32_t n = DecodeFixed32BE(v.data());
        if (v.size() < 4 + std::size_t{n} + layout::kCommandValueSize) {
          return Status::Corruption("command log entry is malformed");
        }
        batch.commands.push_back(
            {std::string(v.substr(4, n)), std::string(v.substr(4 + n, layout::kCommandValueSize))});
        v.remove_prefix(4 + n + layout::kCommandValueSize);
      }
    }
    if (!it->status().ok()) return FromRocks(it->status(), "reading the command log");
  }
  index_tail->Add(std::move(batch));
  return Status::Ok();
}

}  // namespace nrpf::ledger
