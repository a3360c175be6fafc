// The indexer: moves the index tail (index_tail.h) into RocksDB's "streams",
// "stream_heads", "subjects" and "commands" families as sorted files, then records how far
// the indexes go ("indexed") and drops the command log before it. And the
// rebuild of the tail at open, from "records" and "command_log". And the
// merging of small SST files.
//
// Ingestion is idempotent: a crash after the files are in but before
// "indexed" moves only means the next open rebuilds entries RocksDB already
// holds, identical ones, which the next ingestion writes again.

#include <rocksdb/db.h>
#include <rocksdb/metadata.h>
#include <rocksdb/options.h>
#include <rocksdb/sst_file_writer.h>

#include <algorithm>
#include <filesystem>

#include "ledger/coding.h"
#include "ledger/ledger_impl.h"

namespace nrpf::ledger {

namespace {

// Writes one family's entries to `file` in key order. Entries are grouped by
// id in the tail, ids are unique per family and never contain 0x00, so
// sorting the ids bytewise and emitting each id's numbers in ascending order
// is key order (id || 0x00 || be64(n)): only the distinct ids are sorted.
template <typename Map, typename EmitId>
Status WriteSorted(const Map& map, rocksdb::SstFileWriter* writer, EmitId&& emit) {
  std::vector<const typename Map::value_type*> ids;
  ids.reserve(map.size());
  for (const auto& entry : map) ids.push_back(&entry);
  std::sort(ids.begin(), ids.end(), [](const auto* a, const auto* b) { return a->first < b->first; });
  std::string key;
  for (const auto* entry : ids) NRPF_RETURN_IF_ERROR(emit(*entry, writer, &key));
  return Status::Ok();
}

Status Put(rocksdb::SstFileWriter* writer, const std::string& key, std::string_view value) {
  return FromRocks(writer->Put(key, rocksdb::Slice(value.data(), value.size())), "writing an index file");
}

// key = id || 0x00 || be64(n), built in place.
void IndexKeyInto(const std::string& id, std::uint64_t n, std::string* key) {
  key->assign(id);
  key->push_back('\0');
  PutFixed64BE(key, n);
}

}  // namespace

Status Ledger::Impl::IngestFrozen(const std::shared_ptr<const IndexGeneration>& gen) {
  const IndexGeneration& g = *gen;
  std::vector<rocksdb::IngestExternalFileArg> args;
  std::vector<std::string> files;
  // Writes one file for family `cf` with `write`, and queues it for ingestion.
  auto add_file = [&](layout::Cf family, bool empty, auto&& write) -> Status {
    if (empty) return Status::Ok();
    // Named so RocksDB's own file scan ignores it; moved into the DB below.
    const std::string file = options.db_path + "/ingest-" + std::to_string(++ingest_counter) + ".sst.tmp";
    files.push_back(file);
    rocksdb::SstFileWriter writer(rocksdb::EnvOptions(), db_options, Cf(family), /*invalidate_page_cache=*/false);
    NRPF_RETURN_IF_ERROR(FromRocks(writer.Open(file), "creating " + file));
    NRPF_RETURN_IF_ERROR(write(&writer));
    NRPF_RETURN_IF_ERROR(FromRocks(writer.Finish(), "finishing " + file));
    rocksdb::IngestExternalFileArg arg;
    arg.column_family = Cf(family);
    arg.external_files = {file};
    arg.options.move_files = true;
    arg.options.write_global_seqno = false;
    args.push_back(std::move(arg));
    return Status::Ok();
  };
  Status s = add_file(layout::kStreams, g.streams.empty(), [&](rocksdb::SstFileWriter* w) {
    return WriteSorted(g.streams, w, [](const auto& entry, rocksdb::SstFileWriter* writer, std::string* key) {
      std::uint64_t last = 0;
      for (const auto& [version, position] : entry.second) {
        if (version == last) continue;  // an entry rebuilt twice
        last = version;
        IndexKeyInto(entry.first, version, key);
        std::string value;  // 8 bytes: no allocation
        PutFixed64BE(&value, position);
        NRPF_RETURN_IF_ERROR(Put(writer, *key, value));
      }
      return Status::Ok();
    });
  });
  if (s.ok()) {
    s = add_file(layout::kStreamHeads, g.streams.empty(), [&](rocksdb::SstFileWriter* w) {
      return WriteSorted(g.streams, w, [](const auto& entry, rocksdb::SstFileWriter* writer, std::string*) {
        std::string value;
        PutFixed64BE(&value, entry.second.back().first);
        return Put(writer, entry.first, value);
      });
    });
  }
  if (s.ok()) {
    s = add_file(layout::kSubjects, g.subjects.empty(), [&](rocksdb::SstFileWriter* w) {
      return WriteSorted(g.subjects, w, [](const auto& entry, rocksdb::SstFileWriter* writer, std::string* key) {
        std::uint64_t last = UINT64_MAX;
        for (std::uint64_t position : entry.second) {
          if (position == last) continue;
          last = position;
          IndexKeyInto(entry.first, position, key);
          NRPF_RETURN_IF_ERROR(Put(writer, *key, {}));
        }
        return Status::Ok();
      });
    });
  }
  if (s.ok()) {
    s = add_file(layout::kCommands, g.commands.empty(), [&](rocksdb::SstFileWriter* w) {
      return WriteSorted(g.commands, w, [](const auto& entry, rocksdb::SstFileWriter* writer, std::string*) {
        return Put(writer, entry.first, entry.second);
      });
    });
  }
  if (s.ok() && !args.empty()) s = FromRocks(db->IngestExternalFiles(args), "ingesting the index tail");
  for (const std::string& f : files) {
    std::error_code ec;
    std::filesystem::remove(f, ec);  // moved already, or left over from a failure
  }
  if (!s.ok()) return s;

  rocksdb::WriteBatch marker;
  (void)marker.Put(Cf(layout::kDefault), layout::kIndexedKey, layout::PositionKey(g.end));
  (void)marker.DeleteRange(Cf(layout::kCommandLog), layout::PositionKey(0), layout::PositionKey(g.end));
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
  auto last_merge = last;
  std::unique_lock<std::mutex> lock(index_mu);
  for (;;) {
    index_cv.wait_for(lock, std::min<std::chrono::milliseconds>(options.index_tail_max_age, std::chrono::seconds(1)));
    if (stop_indexer) return;
    const auto now = std::chrono::steady_clock::now();
    if (options.small_file_merge_interval.count() > 0 && now - last_merge >= options.small_file_merge_interval) {
      lock.unlock();
      // A merge refused because RocksDB's own compaction took a file
      // meanwhile loses nothing, and the next interval tries again. One
      // that fails writing (a full disk) stops RocksDB's writes, as any
      // failed compaction does, and appends then fail until a reopen. Both
      // are counted in Stats().small_file_merges_failed.
      (void)MergeSmallFiles();
      last_merge = std::chrono::steady_clock::now();
      lock.lock();
      if (stop_indexer) return;
    }
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

Result<std::size_t> Ledger::Impl::MergeSmallFiles() {
  // A file under kSmallFileBytes is small; kMinRun or more adjacent small
  // files of a level become one file. Merged files are small again only in
  // families of tiny entries, and merge again later: the count of files
  // stays about logarithmic. One call rewrites at most kMaxBytesPerCall, so
  // it holds up an erasure or a close for a second or so, not minutes; a
  // backlog goes over several calls.
  constexpr std::uint64_t kSmallFileBytes = 4u << 20;
  constexpr std::size_t kMinRun = 8;
  constexpr std::uint64_t kMaxBytesPerCall = 64u << 20;
  std::lock_guard<std::mutex> merging(merge_mu);
  std::size_t merged = 0;
  std::uint64_t bytes = 0;
  Status first_error;
  for (rocksdb::ColumnFamilyHandle* family : cf) {
    // Every Shred rewrites all of "subject_keys" itself, and nothing else
    // may rewrite those files meanwhile (Shred holds merge_mu too).
    if (family == nullptr || family == Cf(layout::kSubjectKeys)) continue;
    rocksdb::ColumnFamilyMetaData meta;
    db->GetColumnFamilyMetaData(family, &meta);
    for (const rocksdb::LevelMetaData& level : meta.levels) {
      if (level.level == 0) continue;  // RocksDB compacts level 0 by itself
      // Files of levels 1.. are sorted by key and do not overlap.
      std::vector<std::string> run;
      std::uint64_t run_bytes = 0;
      auto merge_run = [&] {
        if (run.size() >= kMinRun) {
          rocksdb::CompactionOptions co;
          co.compression = rocksdb::kDisableCompressionOption;  // the family's own
          Status s = FromRocks(db->CompactFiles(co, family, run, level.level), "merging small files");
          if (s.ok()) {
            merged += run.size() - 1;
            bytes += run_bytes;
          } else {
            small_file_merges_failed.fetch_add(1);
            if (first_error.ok()) first_error = s;
          }
        }
        run.clear();
        run_bytes = 0;
      };
      for (const rocksdb::SstFileMetaData& f : level.files) {
        if (bytes + run_bytes >= kMaxBytesPerCall) break;
        if (f.size < kSmallFileBytes && !f.being_compacted) {
          run.push_back(f.name);
          run_bytes += f.size;
        } else {
          merge_run();
        }
      }
      merge_run();
    }
  }
  small_files_merged.fetch_add(merged);
  if (merged == 0 && !first_error.ok()) return first_error;
  return merged;
}

Status Ledger::Impl::FillStreamHeads() {
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), Cf(layout::kStreams)));
  rocksdb::WriteBatch batch;
  std::string stream, version;
  auto flush_head = [&]() -> Status {
    if (stream.empty()) return Status::Ok();
    (void)batch.Put(Cf(layout::kStreamHeads), stream, version);
    if (batch.Count() < 4096) return Status::Ok();
    Status s = FromRocks(db->Write(rocksdb::WriteOptions(), &batch), "filling stream heads");
    batch.Clear();
    return s;
  };
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const rocksdb::Slice k = it->key();
    if (k.size() < 10 || k[k.size() - 9] != '\0') return Status::Corruption("stream index key is malformed");
    const std::string_view id(k.data(), k.size() - 9);
    if (id != stream) {
      NRPF_RETURN_IF_ERROR(flush_head());
      stream.assign(id);
    }
    version.assign(k.data() + k.size() - 8, 8);  // keys ascend: the last one is the head
  }
  if (!it->status().ok()) return FromRocks(it->status(), "reading the stream index");
  NRPF_RETURN_IF_ERROR(flush_head());
  rocksdb::WriteOptions sync;
  sync.sync = true;
  return FromRocks(db->Write(sync, &batch), "filling stream heads");
}

Status Ledger::Impl::LoadSequencerState() {
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;
  {
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ro, Cf(layout::kStreamHeads)));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      if (it->value().size() != 8) return Status::Corruption("stream head of " + it->key().ToString() + " is malformed");
      stream_versions.emplace(it->key().ToString(), DecodeFixed64BE(it->value().data()));
    }
    if (!it->status().ok()) return FromRocks(it->status(), "reading the stream heads");
  }
  // Newer than "stream_heads": the entries not yet ingested.
  index_tail->StreamHeads(&stream_versions);
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ro, Cf(layout::kSubjectKeys)));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    subject_key_entries.emplace(it->key().ToString(), it->value().ToString());
  }
  if (!it->status().ok()) return FromRocks(it->status(), "reading the subject keys");
  return Status::Ok();
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
