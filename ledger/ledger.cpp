#include "ledger/ledger.h"

#include <rocksdb/cache.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <sodium.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <thread>

#include "ledger/coding.h"
#include "ledger/ledger_impl.h"
#include "schema/ledger_events_generated.h"

namespace nrpf::ledger {

Status FromRocks(const rocksdb::Status& s, const std::string& context) {
  if (s.ok()) return Status::Ok();
  if (s.IsNotFound()) return Status::NotFound(context + ": " + s.ToString());
  if (s.IsCorruption()) return Status::Corruption(context + ": " + s.ToString());
  if (s.IsInvalidArgument()) return Status::InvalidArgument(context + ": " + s.ToString());
  return Status::IOError(context + ": " + s.ToString());
}

Result<const fb::Record*> VerifyRecordBytes(std::string_view bytes, std::uint64_t position) {
  const auto* data = reinterpret_cast<const std::uint8_t*>(bytes.data());
  flatbuffers::Verifier verifier(data, bytes.size(), /*max_depth=*/16, /*max_tables=*/100000);
  if (bytes.size() < 8 || !fb::RecordBufferHasIdentifier(data) || !fb::VerifyRecordBuffer(verifier)) {
    return Status::Corruption("record at position " + std::to_string(position) +
                              " is not a well-formed NRPL record");
  }
  const fb::Record* r = fb::GetRecord(data);
  if (r->position() != position) {
    return Status::Corruption("record stored at position " + std::to_string(position) +
                              " says it is at " + std::to_string(r->position()));
  }
  return r;
}

namespace {

// How long a read-only open keeps retrying while a writer compacts away the
// files it was about to open.
constexpr std::chrono::seconds kReadOnlyOpenPatience{30};

std::string KeyFileName(const std::string& dir, std::uint32_t key_id) {
  std::string id;
  PutFixed32BE(&id, key_id);
  return (std::filesystem::path(dir) / (ToHex(id) + ".key")).string();
}

rocksdb::Options DbOptions(const LedgerOptions& o, std::shared_ptr<rocksdb::Cache> cache) {
  rocksdb::Options opts;
  if (o.env != nullptr) opts.env = o.env;
  opts.create_if_missing = o.create_if_missing;
  opts.create_missing_column_families = !o.read_only;  // newer formats add families
  opts.paranoid_checks = true;
  opts.IncreaseParallelism(2);
  opts.max_background_jobs = 2;
  // WAL files are deleted as soon as every column family has flushed past
  // them (never archived), so shredded keys do not linger in old WALs.
  opts.WAL_ttl_seconds = 0;
  opts.WAL_size_limit_MB = 0;
  opts.recycle_log_file_num = 0;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = std::move(cache);
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  table.cache_index_and_filter_blocks = false;
  opts.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  // Point lookups that usually miss (a new command id) skip the memtable.
  opts.memtable_whole_key_filtering = true;
  opts.memtable_prefix_bloom_size_ratio = 0.02;
  return opts;
}

}  // namespace

Ledger::Impl::~Impl() {
  if (db) {
    for (auto* h : cf) {
      if (h != nullptr) (void)db->DestroyColumnFamilyHandle(h);  // closing anyway
    }
    cf.clear();
    (void)db->Close();  // the DB is going away whatever Close reports
  }
}

Result<std::unique_ptr<Ledger>> Ledger::Open(const LedgerOptions& options) {
  if (sodium_init() < 0) return Status::Unavailable("libsodium failed to initialise");
  if (options.db_path.empty()) return Status::InvalidArgument("db_path is required");
  if (options.master_key_path.empty()) return Status::InvalidArgument("master_key_path is required");
  if (!options.read_only && options.signing_key_dir.empty()) {
    return Status::InvalidArgument("signing_key_dir is required");
  }
  // The origin doubles as the signed-note key name: no spaces, no '+'.
  if (!SigningKey::Generate(options.origin).ok()) {
    return Status::InvalidArgument("origin \"" + options.origin + "\" must be non-empty without spaces or '+'");
  }
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->clock = options.clock != nullptr ? options.clock : SystemClock::Default();
  impl->read_only = options.read_only;
  unsigned threads = options.threads != 0 ? options.threads : std::thread::hardware_concurrency();
  impl->pool = std::make_unique<WorkerPool>(std::max(1u, threads));

  impl->db_options = DbOptions(options, rocksdb::NewLRUCache(options.block_cache_bytes));
  const rocksdb::Options& db_opts = impl->db_options;
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
  std::vector<int> slots;  // layout::Cf of each descriptor
  std::vector<std::string> existing;
  if (options.read_only) {
    // A read-only open cannot create the families a newer format added.
    rocksdb::Status ls = rocksdb::DB::ListColumnFamilies(db_opts, options.db_path, &existing);
    if (!ls.ok()) return FromRocks(ls, "cannot open ledger at " + options.db_path);
  }
  for (int c = 0; c < layout::kCfCount; ++c) {
    const char* name = layout::kCfNames[c];
    if (options.read_only && std::find(existing.begin(), existing.end(), name) == existing.end()) continue;
    cfs.emplace_back(name, rocksdb::ColumnFamilyOptions(db_opts));
    slots.push_back(c);
  }
  rocksdb::DB* raw = nullptr;
  rocksdb::Status rs;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  if (options.read_only) {
    // Beside a running writer, a file the MANIFEST names can be compacted
    // away between reading the MANIFEST and opening the file: read the
    // MANIFEST again. Once open, the view holds its files open (RocksDB's
    // default max_open_files = -1), so later deletions do not touch it.
    // A writer compacting hard can win that race many times over, so this
    // retries for a while (kReadOnlyOpenPatience) rather than a few times.
    const auto give_up = std::chrono::steady_clock::now() + kReadOnlyOpenPatience;
    for (int attempt = 0;; ++attempt) {
      handles.clear();
      rs = rocksdb::DB::OpenForReadOnly(db_opts, options.db_path, cfs, &handles, &raw);
      const bool vanished = (rs.IsIOError() || rs.IsCorruption() || rs.IsPathNotFound()) &&
                            rs.ToString().find("No such file") != std::string::npos;
      if (!vanished || std::chrono::steady_clock::now() >= give_up) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(std::min(5 * (attempt + 1), 50)));
    }
  } else {
    if (options.create_if_missing) {
      std::error_code ec;
      std::filesystem::create_directories(options.db_path, ec);
    }
    rs = rocksdb::DB::Open(db_opts, options.db_path, cfs, &handles, &raw);
  }
  if (!rs.ok()) return FromRocks(rs, "cannot open ledger at " + options.db_path);
  impl->db.reset(raw);
  impl->cf.assign(layout::kCfCount, nullptr);
  for (std::size_t i = 0; i < handles.size(); ++i) impl->cf[static_cast<std::size_t>(slots[i])] = handles[i];
  rocksdb::DB* db = impl->db.get();
  for (int c : {layout::kDefault, layout::kRecords, layout::kSignatures, layout::kTree, layout::kStreams,
                layout::kSubjects, layout::kCommands, layout::kSubjectKeys, layout::kSigningKeys}) {
    if (impl->cf[static_cast<std::size_t>(c)] == nullptr) {
      return Status::Corruption(std::string("column family ") + layout::kCfNames[c] + " is missing");
    }
  }

  // Format and origin.
  std::string value;
  rs = db->Get(rocksdb::ReadOptions(), impl->Cf(layout::kDefault), layout::kFormatKey, &value);
  bool fresh = rs.IsNotFound();
  bool format1 = false;
  if (fresh && options.read_only) return Status::NotFound("no ledger at " + options.db_path);
  if (!fresh) {
    if (!rs.ok()) return FromRocks(rs, "cannot read the ledger format");
    format1 = value == layout::kFormatVersion1;
    if (value != layout::kFormatVersion && !format1) {
      return Status::FailedPrecondition("ledger format " + value + " is not supported by this build");
    }
    rs = db->Get(rocksdb::ReadOptions(), impl->Cf(layout::kDefault), layout::kOriginKey, &impl->origin);
    if (!rs.ok()) return FromRocks(rs, "cannot read the ledger origin");
    if (!options.read_only && impl->origin != options.origin) {
      return Status::FailedPrecondition("the ledger at " + options.db_path + " was created with origin \"" +
                                        impl->origin + "\", not \"" + options.origin + "\"");
    }
  } else {
    impl->origin = options.origin;
    rocksdb::WriteBatch meta;
    (void)meta.Put(impl->Cf(layout::kDefault), layout::kFormatKey, layout::kFormatVersion);
    (void)meta.Put(impl->Cf(layout::kDefault), layout::kOriginKey, impl->origin);
    (void)meta.Put(impl->Cf(layout::kDefault), layout::kIndexedKey, layout::PositionKey(0));
    (void)meta.Put(impl->Cf(layout::kDefault), layout::kLeavesFromKey, layout::PositionKey(0));
    rocksdb::WriteOptions sync;
    sync.sync = true;
    rs = db->Write(sync, &meta);
    if (!rs.ok()) return FromRocks(rs, "cannot initialise the ledger");
  }

  // Master key: created on first start; a read-only view opens sealed data
  // only when the key file exists.
  if (!options.read_only || std::filesystem::exists(options.master_key_path)) {
    Result<MasterKey> mk = MasterKey::LoadOrCreate(options.master_key_path);
    if (!mk.ok()) return mk.status();
    impl->master.emplace(std::move(mk).value());
    impl->command_digest_key = impl->master->DeriveSubkey(1, "nrpfcmd1");
  }

  // Size: the last stored record.
  {
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), impl->Cf(layout::kRecords)));
    it->SeekToLast();
    if (!it->status().ok()) return FromRocks(it->status(), "cannot read the last record");
    if (it->Valid()) {
      if (it->key().size() != 8) return Status::Corruption("record key is not 8 bytes");
      const std::uint64_t last = DecodeFixed64BE(it->key().data());
      impl->committed_size = last + 1;
      Result<const fb::Record*> r = VerifyRecordBytes(it->value().ToStringView(), last);
      if (r.ok()) impl->last_time_us = (*r)->recorded_at_us();
    }
  }
  const std::uint64_t size = impl->committed_size.load();
  impl->next_position = size;
  impl->sequenced_size.store(size);

  // Upper tree levels into memory.
  {
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), impl->Cf(layout::kTree)));
    for (it->Seek(layout::TreeKey(kCachedLevel, 0)); it->Valid(); it->Next()) {
      rocksdb::Slice k = it->key();
      if (k.size() != 9 || it->value().size() != 32) return Status::Corruption("malformed tree node key");
      const auto level = static_cast<std::uint32_t>(static_cast<unsigned char>(k[0]));
      const std::uint64_t index = DecodeFixed64BE(k.data() + 1);
      if (((index + 1) << level) > size) continue;  // written ahead of a failed commit
      auto& row = [&]() -> std::vector<Hash>& {
        const std::size_t slot = level - kCachedLevel;
        if (impl->upper_nodes.size() <= slot) impl->upper_nodes.resize(slot + 1);
        return impl->upper_nodes[slot];
      }();
      if (row.size() != index) return Status::Corruption("tree level " + std::to_string(level) + " has a gap");
      row.push_back(*HashFromBytes(it->value().ToStringView()));
    }
    if (!it->status().ok()) return FromRocks(it->status(), "cannot read the tree");
  }

  // The index tail: format 1 wrote every index entry with its event; format
  // 2 says how far the ingested indexes go, and the rest is rebuilt here.
  std::uint64_t indexed = size;
  impl->leaves_from = UINT64_MAX;  // format 1, read-only: no leaf hashes stored
  if (!format1) {
    auto position_entry = [&](std::string_view key) -> Result<std::uint64_t> {
      std::string v;
      rocksdb::Status gs = db->Get(rocksdb::ReadOptions(), impl->Cf(layout::kDefault), key, &v);
      if (!gs.ok()) return FromRocks(gs, "cannot read \"" + std::string(key) + "\"");
      if (v.size() != 8) return Status::Corruption("the \"" + std::string(key) + "\" entry is malformed");
      return DecodeFixed64BE(v.data());
    };
    Result<std::uint64_t> ix = position_entry(layout::kIndexedKey);
    if (!ix.ok()) return ix.status();
    indexed = std::min(*ix, size);
    Result<std::uint64_t> lf = position_entry(layout::kLeavesFromKey);
    if (!lf.ok()) return lf.status();
    impl->leaves_from = *lf;
  } else if (!options.read_only) {
    // Upgrade to format 2. Nothing stored changes; added are the stream heads
    // and these two entries: format 1's indexes are complete, and its
    // per-event signatures are signature groups of one.
    NRPF_RETURN_IF_ERROR(impl->FillStreamHeads());
    rocksdb::WriteBatch upgrade;
    (void)upgrade.Put(impl->Cf(layout::kDefault), layout::kFormatKey, layout::kFormatVersion);
    (void)upgrade.Put(impl->Cf(layout::kDefault), layout::kIndexedKey, layout::PositionKey(size));
    (void)upgrade.Put(impl->Cf(layout::kDefault), layout::kLeavesFromKey, layout::PositionKey(size));
    impl->leaves_from = size;
    rocksdb::WriteOptions sync;
    sync.sync = true;
    rs = db->Write(sync, &upgrade);
    if (!rs.ok()) return FromRocks(rs, "cannot upgrade the ledger to format 2");
  }
  impl->stream_heads = !format1 || !options.read_only;
  impl->index_tail = std::make_unique<IndexTail>(indexed, options.index_tail_entries);
  NRPF_RETURN_IF_ERROR(impl->RecoverIndexTail(indexed));

  auto ledger = std::unique_ptr<Ledger>(new Ledger(std::move(impl)));
  Impl* im = ledger->impl_.get();
  if (options.read_only) return ledger;

  // Right edge of the tree, and the current signing key.
  std::vector<Hash> edge;
  for (auto [level, index] : CompactRangeNodes(size)) {
    Result<Hash> h = im->Node(level, index);
    if (!h.ok()) return Status::Corruption("tree edge node missing: " + h.status().message());
    edge.push_back(*h);
  }
  im->frontier = CompactRange(size, std::move(edge));

  Result<std::vector<PublishedKey>> keys = im->LoadPublishedKeys();
  if (!keys.ok()) return keys.status();
  if (size == 0) {
    Result<std::shared_ptr<SigningKey>> key = im->CreateSigningKey();
    if (!key.ok()) return key.status();
    im->signer = *key;
  } else {
    if (keys->empty()) return Status::Corruption("the log has events but no signing key");
    Result<std::shared_ptr<SigningKey>> key = im->LoadSigningKey(keys->back().key);
    if (!key.ok()) return key.status();
    im->signer = *key;
    // The stored tree edge must match the last signed checkpoint; otherwise
    // appending would extend a tree nobody signed.
    Result<StoredEvent> last = ledger->Read(size - 1);
    if (!last.ok()) return last.status();
    std::string body = CheckpointBody({im->origin, size, im->frontier.Root()});
    bool verified = false;
    for (const PublishedKey& k : *keys) {
      if (k.key.key_id() == last->key_id) verified = k.key.Verify(body, last->signature);
    }
    if (!verified) {
      return Status::Corruption("the last checkpoint (size " + std::to_string(size) +
                                ") does not verify against the stored tree; run verify");
    }
  }

  NRPF_RETURN_IF_ERROR(im->LoadSequencerState());
  im->StartPipeline();
  if (size == 0) {
    // Genesis: the first event introduces the first key and is signed by it.
    AppendRequest genesis;
    genesis.command_id = "ledger.genesis";
    genesis.actor.role = "ledger";
    NewEvent e;
    e.stream_id = std::string(layout::kLedgerStream);
    e.type = std::string(layout::kGenesisType);
    e.body = im->IntroducedKeyBody(*im->signer);
    genesis.events.push_back(std::move(e));
    genesis.expectations.push_back({std::string(layout::kLedgerStream), 0});
    auto op = std::make_unique<PendingOp>();
    op->request = std::move(genesis);
    Result<AppendResult> r = im->Submit(std::move(op));
    if (!r.ok()) return r.status();
  }
  return ledger;
}

Ledger::Ledger(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Ledger::~Ledger() { impl_->StopPipeline(); }

std::uint64_t Ledger::Size() const { return impl_->committed_size.load(); }

std::uint64_t Ledger::SequencedSize() const { return impl_->sequenced_size.load(); }

Status LowerThreadPriority(int steps) {
  if (steps < 0 || steps > 19) return Status::InvalidArgument("a priority step must be 0..19");
  if (steps == 0) return Status::Ok();
  const auto tid = static_cast<id_t>(::syscall(SYS_gettid));  // Linux: nice is per thread
  errno = 0;
  const int now = ::getpriority(PRIO_PROCESS, tid);
  if (now == -1 && errno != 0) return Status::IOError(std::string("getpriority: ") + std::strerror(errno));
  if (::setpriority(PRIO_PROCESS, tid, std::min(19, now + steps)) != 0) {
    return Status::IOError(std::string("setpriority: ") + std::strerror(errno));
  }
  return Status::Ok();
}

Status Ledger::Health() const {
  std::lock_guard<std::mutex> lock(impl_->commit_mu);
  return impl_->background_error;
}

LedgerStats Ledger::Stats() const {
  LedgerStats s;
  s.events = Size();
  s.indexed = std::min(impl_->index_tail->begin(), s.events);
  s.index_tail_entries = impl_->index_tail->entries();
  s.pipeline = Pipeline();
  s.small_files_merged = impl_->small_files_merged.load();
  s.small_file_merges_failed = impl_->small_file_merges_failed.load();
  s.reader_key_loads = impl_->reader_key_loads.load(std::memory_order_relaxed);
  for (rocksdb::ColumnFamilyHandle* family : impl_->cf) {
    if (family == nullptr) continue;  // a family an older format lacks, opened read-only
    for (int level = 0; level < impl_->db_options.num_levels; ++level) {
      std::string files;
      if (impl_->db->GetProperty(family, "rocksdb.num-files-at-level" + std::to_string(level), &files)) {
        s.sst_files += std::strtoull(files.c_str(), nullptr, 10);
      }
    }
  }
  return s;
}

PipelineStats Ledger::Pipeline() const {
  const Impl::PipelineCounters& c = impl_->pipeline;
  const auto get = [](const std::atomic<std::uint64_t>& v) { return v.load(std::memory_order_relaxed); };
  return PipelineStats{get(c.appends),   get(c.groups),       get(c.wal_syncs), get(c.wal_sync_us),
                       get(c.queued_us), get(c.sequenced_us), get(c.signed_us), get(c.written_us),
                       get(c.synced_us), get(c.completed_us)};
}

const std::string& Ledger::origin() const { return impl_->origin; }

// ---- Sealed data.

Result<StoredKey> Ledger::Impl::LoadSubjectKey(
    const std::string& subject_id) const {
  std::string v;
  rocksdb::Status s = db->Get(rocksdb::ReadOptions(), Cf(layout::kSubjectKeys), subject_id, &v);
  if (s.IsNotFound()) return StoredKey();
  if (!s.ok()) return FromRocks(s, "subject key");
  return DecodeSubjectKey(subject_id, v);
}

Result<StoredKey> Ledger::Impl::DecodeSubjectKey(const std::string& subject_id, std::string_view v) const {
  if (!v.empty() && v[0] == 'X') return Status::Shredded("the personal data of subject " + subject_id + " was erased");
  if (v.size() < 5 || v[0] != 'K') return Status::Corruption("subject key entry is malformed");
  if (!master) return Status::Unavailable("the master key is not available to this reader");
  Result<DataKey> key = master->Unwrap(subject_id, v.substr(5));
  if (!key.ok()) return key.status();
  return StoredKey(std::make_pair(*key, DecodeFixed32BE(v.data() + 1)));
}

Result<StoredKey> Ledger::Impl::ReaderSubjectKey(
    const std::string& subject_id) const {
  std::uint64_t epoch;
  {
    std::lock_guard<std::mutex> lock(reader_keys_mu);
    auto it = reader_keys.find(subject_id);
    if (it != reader_keys.end()) return StoredKey(it->second);
    epoch = reader_keys_epoch;
  }
  reader_key_loads.fetch_add(1, std::memory_order_relaxed);
  Result<StoredKey> loaded = LoadSubjectKey(subject_id);
  if (loaded.ok() && loaded->has_value()) {
    std::lock_guard<std::mutex> lock(reader_keys_mu);
    if (epoch == reader_keys_epoch) {
      if (reader_keys.size() >= kReaderKeyCacheMax) reader_keys.clear();
      reader_keys.emplace(subject_id, **loaded);
    }
  }
  return loaded;
}

void Ledger::Impl::RememberReaderKeys(const CommitGroup& g) {
  if (g.sealed_with.empty()) return;
  // Not a subject whose shred is already sequenced: its key is on its way out.
  std::vector<bool> erasing(g.sealed_with.size(), false);
  {
    std::lock_guard<std::mutex> lock(inflight_mu);
    for (std::size_t i = 0; i < g.sealed_with.size(); ++i) {
      auto it = inflight_keys.find(g.sealed_with[i].first);
      erasing[i] = it != inflight_keys.end() && !it->second.key;
    }
  }
  std::lock_guard<std::mutex> lock(reader_keys_mu);
  for (std::size_t i = 0; i < g.sealed_with.size(); ++i) {
    if (erasing[i]) continue;
    if (reader_keys.size() >= kReaderKeyCacheMax) reader_keys.clear();
    reader_keys.insert_or_assign(g.sealed_with[i].first, g.sealed_with[i].second);
  }
}

void Ledger::Impl::ForgetReaderKey(const std::string& subject_id) {
  std::lock_guard<std::mutex> lock(reader_keys_mu);
  reader_keys.erase(subject_id);
  ++reader_keys_epoch;
}

bool Ledger::CanOpenSealed() const { return impl_->master.has_value(); }

Result<std::string> Ledger::OpenSealed(const StoredEvent& event, std::size_t index) const {
  const fb::Record* r = event.record();
  if (r->sealed() == nullptr || index >= r->sealed()->size()) {
    return Status::InvalidArgument("event " + std::to_string(event.position) + " has no sealed section " +
                                   std::to_string(index));
  }
  const fb::SealedSection* sec = r->sealed()->Get(static_cast<flatbuffers::uoffset_t>(index));
  const std::string subject = sec->subject_id() ? sec->subject_id()->str() : "";
  Result<StoredKey> key = impl_->ReaderSubjectKey(subject);
  if (!key.ok()) return key.status();
  if (!key->has_value()) return Status::NotFound("no data key for subject " + subject);
  if ((*key)->second != sec->key_id()) return Status::NotFound("data key generation " + std::to_string(sec->key_id()) + " of subject " + subject + " is gone");
  auto bytes = [](const flatbuffers::Vector<std::uint8_t>* v) {
    return v ? std::string(reinterpret_cast<const char*>(v->data()), v->size()) : std::string();
  };
  SealedBytes sealed{bytes(sec->nonce()), bytes(sec->ciphertext())};
  return OpenSection((*key)->first, subject, sec->label() ? sec->label()->string_view() : "",
              bytes(r->event_id()), sealed);
}

Result<bool> Ledger::IsShredded(const std::string& subject_id) const {
  std::string v;
  rocksdb::Status s = impl_->db->Get(rocksdb::ReadOptions(), impl_->Cf(layout::kSubjectKeys), subject_id, &v);
  if (s.IsNotFound()) return false;
  if (!s.ok()) return FromRocks(s, "subject key");
  return !v.empty() && v[0] == 'X';
}

Status Ledger::Shred(const std::string& subject_id) { return Shred(std::vector<std::string>{subject_id}); }

Status Ledger::Shred(const std::vector<std::string>& subject_ids) {
  if (impl_->read_only) return Status::Unavailable("the ledger is open read-only");
  if (subject_ids.empty()) return Status::Ok();
  for (const std::string& s : subject_ids) {
    if (s.empty()) return Status::InvalidArgument("subject id is empty");
  }
  // Every marker first, sequenced together where they fit one group.
  std::vector<std::promise<Result<AppendResult>>> done(subject_ids.size());
  for (std::size_t i = 0; i < subject_ids.size(); ++i) {
    auto op = std::make_unique<PendingOp>();
    op->kind = PendingOp::Kind::kShred;
    op->subject_id = subject_ids[i];
    op->done = [&done, i](Result<AppendResult> r) { done[i].set_value(std::move(r)); };
    impl_->SubmitAsync(std::move(op));
  }
  Status failed;
  for (auto& d : done) {
    Result<AppendResult> r = d.get_future().get();
    if (!r.ok() && failed.ok()) failed = r.status();
  }
  if (!failed.ok()) return failed;
  // The markers replaced the wrapped keys; now push the old values out of
  // every file: flush all memtables (retiring the WALs that held them) and
  // rewrite every SST of the key family.
  std::lock_guard<std::mutex> no_merge(impl_->merge_mu);
  rocksdb::FlushOptions fo;
  fo.wait = true;
  NRPF_RETURN_IF_ERROR(FromRocks(impl_->db->Flush(fo, impl_->cf), "flush after shredding"));
  rocksdb::CompactRangeOptions co;
  co.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  co.exclusive_manual_compaction = false;
  return FromRocks(impl_->db->CompactRange(co, impl_->Cf(layout::kSubjectKeys), nullptr, nullptr),
                   "compacting shredded key");
}

Result<std::size_t> Ledger::MergeSmallFiles() {
  if (impl_->read_only) return Status::Unavailable("the ledger is open read-only");
  return impl_->MergeSmallFiles();
}

// ---- Signing keys.

Result<std::vector<PublishedKey>> Ledger::Impl::LoadPublishedKeys() const {
  std::vector<PublishedKey> keys;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), Cf(layout::kSigningKeys)));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    if (it->key().size() != 8) return Status::Corruption("signing key entry is malformed");
    Result<VerifierKey> k = VerifierKey::Parse(it->value().ToStringView());
    if (!k.ok()) return Status::Corruption("published key: " + k.status().message());
    keys.push_back({DecodeFixed64BE(it->key().data()), *k});
  }
  if (!it->status().ok()) return FromRocks(it->status(), "reading signing keys");
  return keys;
}

Result<std::vector<PublishedKey>> Ledger::PublicKeys() const { return impl_->LoadPublishedKeys(); }

Result<std::shared_ptr<SigningKey>> Ledger::Impl::LoadSigningKey(const VerifierKey& vkey) const {
  const std::string path = KeyFileName(options.signing_key_dir, vkey.key_id());
  Result<std::string> text = ReadSecretFile(path);
  if (!text.ok()) return Status(text.status().code(), "signing key " + vkey.ToString() + ": " + text.status().message());
  Result<SigningKey> key = SigningKey::Parse(*text);
  if (!key.ok()) return key.status();
  if (key->verifier().ToString() != vkey.ToString()) {
    return Status::Corruption(path + " does not hold the key " + vkey.ToString());
  }
  return std::make_shared<SigningKey>(std::move(key).value());
}

Result<std::shared_ptr<SigningKey>> Ledger::Impl::CreateSigningKey() const {
  Result<SigningKey> key = SigningKey::Generate(origin);
  if (!key.ok()) return key.status();
  std::error_code ec;
  std::filesystem::create_directories(options.signing_key_dir, ec);
  std::filesystem::permissions(options.signing_key_dir, std::filesystem::perms::owner_all,
                               std::filesystem::perm_options::replace, ec);
  NRPF_RETURN_IF_ERROR(WriteSecretFile(KeyFileName(options.signing_key_dir, key->verifier().key_id()),
                                       key->ToPrivateText() + "\n"));
  return std::make_shared<SigningKey>(std::move(key).value());
}

std::string Ledger::Impl::IntroducedKeyBody(const SigningKey& key) const {
  flatbuffers::FlatBufferBuilder b(256);
  const VerifierKey& v = key.verifier();
  auto body = fb::CreateSigningKeyIntroducedDirect(
      b, origin.c_str(), v.name().c_str(), v.key_id(),
      std::make_unique<std::vector<std::uint8_t>>(v.public_key().begin(), v.public_key().end()).get(),
      v.ToString().c_str());
  fb::FinishSigningKeyIntroducedBuffer(b, body);
  return std::string(reinterpret_cast<const char*>(b.GetBufferPointer()), b.GetSize());
}

Result<VerifierKey> Ledger::RotateSigningKey(const Actor& actor) {
  if (impl_->read_only) return Status::Unavailable("the ledger is open read-only");
  Result<std::shared_ptr<SigningKey>> key = impl_->CreateSigningKey();
  if (!key.ok()) return key.status();
  auto op = std::make_unique<PendingOp>();
  op->rotate_to = *key;
  op->request.actor = actor;
  NewEvent e;
  e.stream_id = std::string(layout::kLedgerStream);
  e.type = std::string(layout::kKeyRotatedType);
  e.body = impl_->IntroducedKeyBody(**key);
  op->request.events.push_back(std::move(e));
  Result<AppendResult> r = impl_->Submit(std::move(op));
  if (!r.ok()) return r.status();
  return (*key)->verifier();
}

// ---- Subscriptions.

std::unique_ptr<Subscription> Ledger::Subscribe(std::uint64_t from_position) const {
  return std::unique_ptr<Subscription>(new Subscription(impl_.get(), from_position));
}

Subscription::Subscription(const Ledger::Impl* impl, std::uint64_t from)
    : impl_(impl), next_(from), cancelled_(std::make_shared<std::atomic<bool>>(false)) {}

Subscription::~Subscription() = default;

void Subscription::Cancel() {
  cancelled_->store(true);
  std::lock_guard<std::mutex> lock(impl_->commit_mu);
  impl_->commit_cv.notify_all();
}

Result<std::vector<StoredEvent>> Subscription::Next(std::size_t max, std::chrono::milliseconds timeout) {
  {
    std::unique_lock<std::mutex> lock(impl_->commit_mu);
    impl_->commit_cv.wait_for(lock, timeout, [&] {
      return cancelled_->load() || impl_->closing || impl_->committed_size.load() > next_;
    });
    if (cancelled_->load() || impl_->closing) return Status::Cancelled("subscription closed");
    if (impl_->committed_size.load() <= next_) return std::vector<StoredEvent>();
  }
  std::vector<StoredEvent> recent = impl_->RecentFrom(next_, max);
  if (!recent.empty()) {
    next_ += recent.size();
    return recent;
  }
  Result<std::vector<StoredEvent>> events = impl_->ReadFrom(next_, max);
  if (events.ok()) next_ += events->size();
  return events;
}

std::vector<StoredEvent> Ledger::Impl::RecentFrom(std::uint64_t from, std::size_t max) const {
  std::vector<StoredEvent> out;
  const std::uint64_t committed = committed_size.load();
  std::shared_lock<std::shared_mutex> lock(recent_mu);
  if (recent.empty() || from < recent_begin || from >= recent_begin + recent.size()) return out;
  const std::uint64_t end = std::min<std::uint64_t>({recent_begin + recent.size(), committed, from + max});
  for (std::uint64_t p = from; p < end; ++p) out.push_back(recent[p - recent_begin]);
  return out;
}

}  // namespace nrpf::ledger
