#include "ledger/ledger.h"

#include <rocksdb/cache.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <sodium.h>

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

std::string KeyFileName(const std::string& dir, std::uint32_t key_id) {
  std::string id;
  PutFixed32BE(&id, key_id);
  return (std::filesystem::path(dir) / (ToHex(id) + ".key")).string();
}

rocksdb::Options DbOptions(const LedgerOptions& o, std::shared_ptr<rocksdb::Cache> cache) {
  rocksdb::Options opts;
  opts.create_if_missing = o.create_if_missing;
  opts.create_missing_column_families = o.create_if_missing;
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

  rocksdb::Options db_opts = DbOptions(options, rocksdb::NewLRUCache(options.block_cache_bytes));
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
  for (const char* name : layout::kCfNames) cfs.emplace_back(name, rocksdb::ColumnFamilyOptions(db_opts));
  rocksdb::DB* raw = nullptr;
  rocksdb::Status rs;
  if (options.read_only) {
    rs = rocksdb::DB::OpenForReadOnly(db_opts, options.db_path, cfs, &impl->cf, &raw);
  } else {
    std::error_code ec;
    std::filesystem::create_directories(options.db_path, ec);
    rs = rocksdb::DB::Open(db_opts, options.db_path, cfs, &impl->cf, &raw);
  }
  if (!rs.ok()) return FromRocks(rs, "cannot open ledger at " + options.db_path);
  impl->db.reset(raw);
  rocksdb::DB* db = impl->db.get();

  // Format and origin.
  std::string value;
  rs = db->Get(rocksdb::ReadOptions(), impl->Cf(layout::kDefault), layout::kFormatKey, &value);
  bool fresh = rs.IsNotFound();
  if (fresh && options.read_only) return Status::NotFound("no ledger at " + options.db_path);
  if (!fresh) {
    if (!rs.ok()) return FromRocks(rs, "cannot read the ledger format");
    if (value != layout::kFormatVersion) {
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
const std::string& Ledger::origin() const { return impl_->origin; }

// ---- Tree nodes and proofs.

Result<Hash> Ledger::Impl::Node(std::uint32_t level, std::uint64_t index) const {
  if (level >= kCachedLevel) {
    std::shared_lock<std::shared_mutex> lock(cache_mu);
    const std::size_t slot = level - kCachedLevel;
    if (slot < upper_nodes.size() && index < upper_nodes[slot].size()) return upper_nodes[slot][index];
    return Status::NotFound("tree node " + std::to_string(level) + "/" + std::to_string(index));
  }
  rocksdb::PinnableSlice value;
  if (level == 0) {
    // Leaves are not stored twice: the leaf hash is recomputed from the record.
    rocksdb::Status s = db->Get(rocksdb::ReadOptions(), Cf(layout::kRecords), layout::PositionKey(index), &value);
    if (!s.ok()) return FromRocks(s, "record " + std::to_string(index));
    return LeafHash(value.ToStringView());
  }
  rocksdb::Status s = db->Get(rocksdb::ReadOptions(), Cf(layout::kTree), layout::TreeKey(level, index), &value);
  if (!s.ok()) return FromRocks(s, "tree node " + std::to_string(level) + "/" + std::to_string(index));
  std::optional<Hash> h = HashFromBytes(value.ToStringView());
  if (!h) return Status::Corruption("tree node is not 32 bytes");
  return *h;
}

NodeReader Ledger::Impl::Reader() const {
  return [this](std::uint32_t level, std::uint64_t index) { return Node(level, index); };
}

namespace {
Status CheckTreeSize(std::uint64_t tree_size, std::uint64_t committed) {
  if (tree_size > committed) {
    return Status::InvalidArgument("tree size " + std::to_string(tree_size) +
                                   " is beyond the log (" + std::to_string(committed) + " events)");
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
  if (tree_size == 0) return Status::InvalidArgument("the empty tree has no signed checkpoint");
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

Result<std::vector<Hash>> Ledger::ProveConsistency(std::uint64_t old_size, std::uint64_t new_size) const {
  NRPF_RETURN_IF_ERROR(CheckTreeSize(new_size, Size()));
  return ConsistencyProof(old_size, new_size, impl_->Reader());
}

// ---- Reads.

namespace {
// One stored event from its record and signature values, checked.
Result<StoredEvent> MakeStoredEvent(std::uint64_t pos, std::string_view record, std::string_view sig) {
  if (sig.size() != layout::kSignatureValueSize) {
    return Status::Corruption("signature " + std::to_string(pos) + " is malformed");
  }
  StoredEvent e;
  e.position = pos;
  e.bytes = std::string(record);
  Result<const fb::Record*> r = VerifyRecordBytes(e.bytes, pos);
  if (!r.ok()) return r.status();
  e.key_id = DecodeFixed32BE(sig.data());
  std::memcpy(e.signature.data(), sig.data() + 4, 64);
  return e;
}
}  // namespace

Result<std::vector<StoredEvent>> Ledger::Impl::ReadFrom(std::uint64_t from, std::size_t max) const {
  std::vector<StoredEvent> out;
  const std::uint64_t size = committed_size.load();
  if (from >= size || max == 0) return out;
  const std::uint64_t end = from + std::min<std::uint64_t>(max, size - from);
  rocksdb::ReadOptions ro;
  const std::string upper = layout::PositionKey(end);
  rocksdb::Slice upper_slice(upper);
  ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> rec(db->NewIterator(ro, Cf(layout::kRecords)));
  std::unique_ptr<rocksdb::Iterator> sig(db->NewIterator(ro, Cf(layout::kSignatures)));
  const std::string start = layout::PositionKey(from);
  rec->Seek(start);
  sig->Seek(start);
  for (std::uint64_t pos = from; pos < end; ++pos, rec->Next(), sig->Next()) {
    if (!rec->Valid() || DecodeFixed64BE(rec->key().data()) != pos) {
      if (!rec->status().ok()) return FromRocks(rec->status(), "reading records");
      return Status::Corruption("record " + std::to_string(pos) + " is missing");
    }
    if (!sig->Valid() || DecodeFixed64BE(sig->key().data()) != pos) {
      if (!sig->status().ok()) return FromRocks(sig->status(), "reading signatures");
      return Status::Corruption("signature " + std::to_string(pos) + " is missing");
    }
    Result<StoredEvent> e = MakeStoredEvent(pos, rec->value().ToStringView(), sig->value().ToStringView());
    if (!e.ok()) return e.status();
    out.push_back(std::move(e).value());
  }
  return out;
}

Result<std::vector<StoredEvent>> Ledger::Impl::ReadPositions(
    const std::vector<std::uint64_t>& positions) const {
  std::vector<StoredEvent> out;
  out.reserve(positions.size());
  // Point reads: index scans hand over scattered positions, for which an
  // iterator pair per event would cost far more than two Gets.
  const std::uint64_t size = committed_size.load();
  rocksdb::PinnableSlice record, sig;
  for (std::uint64_t p : positions) {
    if (p >= size) return Status::NotFound("no event at position " + std::to_string(p));
    const std::string key = layout::PositionKey(p);
    record.Reset();
    sig.Reset();
    rocksdb::Status s = db->Get(rocksdb::ReadOptions(), Cf(layout::kRecords), key, &record);
    if (s.ok()) s = db->Get(rocksdb::ReadOptions(), Cf(layout::kSignatures), key, &sig);
    if (s.IsNotFound()) return Status::Corruption("record or signature " + std::to_string(p) + " is missing");
    if (!s.ok()) return FromRocks(s, "reading event " + std::to_string(p));
    Result<StoredEvent> e = MakeStoredEvent(p, record.ToStringView(), sig.ToStringView());
    if (!e.ok()) return e.status();
    out.push_back(std::move(e).value());
  }
  return out;
}

Result<std::vector<StoredEvent>> Ledger::ReadRange(std::uint64_t from, std::size_t max) const {
  return impl_->ReadFrom(from, max);
}

Result<StoredEvent> Ledger::Read(std::uint64_t position) const {
  Result<std::vector<StoredEvent>> one = impl_->ReadFrom(position, 1);
  if (!one.ok()) return one.status();
  if (one->empty()) return Status::NotFound("no event at position " + std::to_string(position));
  return std::move(one->front());
}

namespace {
// Positions from an index (stream or subject) with keys prefix||0x00||be64.
Result<std::vector<std::uint64_t>> ScanIndex(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf,
                                             const std::string& prefix, std::uint64_t from,
                                             std::size_t max, std::uint64_t committed,
                                             bool position_in_key) {
  std::vector<std::uint64_t> positions;
  const std::string p = layout::IndexPrefix(prefix);
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), cf));
  for (it->Seek(layout::IndexKey(prefix, from)); it->Valid() && positions.size() < max; it->Next()) {
    rocksdb::Slice k = it->key();
    if (!k.starts_with(p) || k.size() != p.size() + 8) break;
    const std::uint64_t pos = position_in_key ? DecodeFixed64BE(k.data() + p.size())
                                              : DecodeFixed64BE(it->value().data());
    if (!position_in_key && it->value().size() != 8) return Status::Corruption("stream index value");
    if (pos >= committed) break;
    positions.push_back(pos);
  }
  if (!it->status().ok()) return FromRocks(it->status(), "reading index");
  return positions;
}
}  // namespace

Result<std::vector<StoredEvent>> Ledger::ReadStream(const std::string& stream_id,
                                                    std::uint64_t from_version,
                                                    std::size_t max) const {
  Result<std::vector<std::uint64_t>> pos =
      ScanIndex(impl_->db.get(), impl_->Cf(layout::kStreams), stream_id, std::max<std::uint64_t>(from_version, 1),
                max, Size(), /*position_in_key=*/false);
  if (!pos.ok()) return pos.status();
  return impl_->ReadPositions(*pos);
}

Result<std::uint64_t> Ledger::Impl::StoredStreamVersion(const std::string& stream_id) const {
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), Cf(layout::kStreams)));
  const std::string prefix = layout::IndexPrefix(stream_id);
  it->SeekForPrev(layout::IndexKey(stream_id, UINT64_MAX));
  if (!it->status().ok()) return FromRocks(it->status(), "reading stream " + stream_id);
  if (!it->Valid() || !it->key().starts_with(prefix) || it->key().size() != prefix.size() + 8) return std::uint64_t{0};
  return DecodeFixed64BE(it->key().data() + prefix.size());
}

Result<std::uint64_t> Ledger::StreamVersion(const std::string& stream_id) const {
  return impl_->StoredStreamVersion(stream_id);
}

Result<AppendResult> DecodeCommandEntry(std::string_view v) {
  if (v.size() != layout::kCommandValueSize) return Status::Corruption("command entry is malformed");
  AppendResult r;
  r.first_position = DecodeFixed64BE(v.data() + 32);
  r.count = DecodeFixed32BE(v.data() + 40);
  r.recorded_at_us = static_cast<std::int64_t>(DecodeFixed64BE(v.data() + 44));
  r.duplicate = true;
  return r;
}

Result<std::vector<StoredEvent>> Ledger::ReadSubject(const std::string& subject_id, std::uint64_t from,
                                                     std::size_t max) const {
  Result<std::vector<std::uint64_t>> pos = ScanIndex(impl_->db.get(), impl_->Cf(layout::kSubjects),
                                                     subject_id, from, max, Size(), /*position_in_key=*/true);
  if (!pos.ok()) return pos.status();
  return impl_->ReadPositions(*pos);
}

Result<AppendResult> Ledger::LookupCommand(const std::string& command_id) const {
  std::string v;
  rocksdb::Status s = impl_->db->Get(rocksdb::ReadOptions(), impl_->Cf(layout::kCommands), command_id, &v);
  if (!s.ok()) return FromRocks(s, "command " + command_id);
  return DecodeCommandEntry(v);
}

// ---- Sealed data.

Result<std::optional<std::pair<DataKey, std::uint32_t>>> Ledger::Impl::LoadSubjectKey(
    const std::string& subject_id) const {
  std::string v;
  rocksdb::Status s = db->Get(rocksdb::ReadOptions(), Cf(layout::kSubjectKeys), subject_id, &v);
  if (s.IsNotFound()) return std::optional<std::pair<DataKey, std::uint32_t>>();
  if (!s.ok()) return FromRocks(s, "subject key");
  if (!v.empty() && v[0] == 'X') return Status::Shredded("the personal data of subject " + subject_id + " was erased");
  if (v.size() < 5 || v[0] != 'K') return Status::Corruption("subject key entry is malformed");
  if (!master) return Status::Unavailable("the master key is not available to this reader");
  Result<DataKey> key = master->Unwrap(subject_id, std::string_view(v).substr(5));
  if (!key.ok()) return key.status();
  return std::optional<std::pair<DataKey, std::uint32_t>>(std::make_pair(*key, DecodeFixed32BE(v.data() + 1)));
}

Result<std::string> Ledger::OpenSealed(const StoredEvent& event, std::size_t index) const {
  const fb::Record* r = event.record();
  if (r->sealed() == nullptr || index >= r->sealed()->size()) {
    return Status::InvalidArgument("event " + std::to_string(event.position) + " has no sealed section " +
                                   std::to_string(index));
  }
  const fb::SealedSection* sec = r->sealed()->Get(static_cast<flatbuffers::uoffset_t>(index));
  const std::string subject = sec->subject_id() ? sec->subject_id()->str() : "";
  Result<std::optional<std::pair<DataKey, std::uint32_t>>> key = impl_->LoadSubjectKey(subject);
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

Status Ledger::Shred(const std::string& subject_id) {
  if (impl_->read_only) return Status::Unavailable("the ledger is open read-only");
  if (subject_id.empty()) return Status::InvalidArgument("subject id is empty");
  auto op = std::make_unique<PendingOp>();
  op->kind = PendingOp::Kind::kShred;
  op->subject_id = subject_id;
  Result<AppendResult> r = impl_->Submit(std::move(op));
  if (!r.ok()) return r.status();
  // The marker replaced the wrapped key; now push the old value out of every
  // file: flush all memtables (retiring the WALs that held it) and rewrite
  // every SST of the key family.
  rocksdb::FlushOptions fo;
  fo.wait = true;
  NRPF_RETURN_IF_ERROR(FromRocks(impl_->db->Flush(fo, impl_->cf), "flush after shredding"));
  rocksdb::CompactRangeOptions co;
  co.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  co.exclusive_manual_compaction = false;
  return FromRocks(impl_->db->CompactRange(co, impl_->Cf(layout::kSubjectKeys), nullptr, nullptr),
                   "compacting shredded key");
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
  Result<std::vector<StoredEvent>> events = impl_->ReadFrom(next_, max);
  if (events.ok()) next_ += events->size();
  return events;
}

}  // namespace nrpf::ledger
