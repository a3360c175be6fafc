// Tampering directly in RocksDB, behind the ledger's back: verify must name
// the exact position where bytes, tree or signature stop agreeing.

#include <catch2/catch.hpp>

#include <rocksdb/db.h>

#include "ledger/coding.h"
#include "ledger/layout.h"
#include "ledger/ledger.h"
#include "projections/projector.h"
#include "test_util.h"

using namespace nrpf;
using namespace nrpf::ledger;

namespace {

constexpr std::uint64_t kEvents = 200;

void Populate(const LedgerOptions& o) {
  auto l = test::OpenOrDie(o);
  for (std::uint64_t i = 1; i < kEvents; ++i) {
    NewEvent e = test::Event("case-" + std::to_string(i % 7), "case.event", "body " + std::to_string(i));
    e.personal.push_back({"person-" + std::to_string(i % 5), "applicant", "Name " + std::to_string(i)});
    REQUIRE(l->Append(test::Request("cmd-" + std::to_string(i), {e})).ok());
  }
  REQUIRE(l->Size() == kEvents);
}

using RawEdit = std::function<void(rocksdb::DB*, std::vector<rocksdb::ColumnFamilyHandle*>&)>;

// Opens the raw RocksDB, lets `edit` change it, closes it again.
void EditRaw(const std::string& path, const RawEdit& edit) {
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
  for (const char* name : layout::kCfNames) cfs.emplace_back(name, rocksdb::ColumnFamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  rocksdb::Options opts;
  REQUIRE(rocksdb::DB::Open(opts, path, cfs, &handles, &raw).ok());
  edit(raw, handles);
  for (auto* h : handles) REQUIRE(raw->DestroyColumnFamilyHandle(h).ok());
  delete raw;
}

void FlipByte(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf, const std::string& key, std::size_t offset) {
  std::string v;
  REQUIRE(db->Get(rocksdb::ReadOptions(), cf, key, &v).ok());
  REQUIRE(offset < v.size());
  v[offset] = static_cast<char>(v[offset] ^ 0x01);
  REQUIRE(db->Put(rocksdb::WriteOptions(), cf, key, v).ok());
}

// The key of the commit group entry ("signatures", "leaves") holding `pos`,
// and the offset of pos's entry in its value.
std::pair<std::string, std::size_t> GroupEntry(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf, std::uint64_t pos,
                                               std::size_t entry_size) {
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), cf));
  it->SeekForPrev(layout::PositionKey(pos));
  REQUIRE(it->Valid());
  const std::uint64_t first = DecodeFixed64BE(it->key().data());
  REQUIRE((pos - first + 1) * entry_size <= it->value().size());
  return {it->key().ToString(), (pos - first) * entry_size};
}

// Flips byte `offset` of the signature of `pos`, inside its signature group.
void FlipSignatureByte(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf, std::uint64_t pos, std::size_t offset) {
  auto [key, at] = GroupEntry(db, cf, pos, layout::kSignatureEntrySize);
  FlipByte(db, cf, key, at + offset);
}

VerifyReport VerifyReadOnly(LedgerOptions o) {
  o.read_only = true;
  auto l = test::OpenOrDie(o);
  return l->Verify({});
}

// A fresh populated log, changed behind the ledger's back by `edit`, then
// verified read-only.
VerifyReport TamperAndVerify(const RawEdit& edit) {
  test::TempDir dir;
  auto o = test::OptionsIn(dir);
  Populate(o);
  EditRaw(o.db_path, edit);
  return VerifyReadOnly(o);
}

}  // namespace

TEST_CASE("an untouched log verifies", "[tamper]") {
  test::TempDir dir;
  auto o = test::OptionsIn(dir);
  Populate(o);
  auto report = VerifyReadOnly(o);
  CHECK(report.ok);
  CHECK(report.events_checked == kEvents);
}

TEST_CASE("a flipped byte in a stored record is found at its position", "[tamper]") {
  for (std::uint64_t pos : std::vector<std::uint64_t>{1, 77, kEvents - 1}) {
    auto report = TamperAndVerify([&](rocksdb::DB* db, auto& h) {
      std::string v;
      REQUIRE(db->Get(rocksdb::ReadOptions(), h[layout::kRecords], layout::PositionKey(pos), &v).ok());
      // Flip a byte of the body text, which keeps the FlatBuffer well formed.
      const std::size_t at = v.find("body ");
      REQUIRE(at != std::string::npos);
      FlipByte(db, h[layout::kRecords], layout::PositionKey(pos), at + 1);
    });
    CHECK_FALSE(report.ok);
    REQUIRE(report.first_bad_position.has_value());
    // The stored leaf hash and the event's own signature (over a root that
    // includes the original bytes) both disagree at pos.
    CHECK(*report.first_bad_position == pos);
    CHECK_FALSE(report.reason.empty());
  }
}

TEST_CASE("a record rewritten together with its stored leaf hash and ancestor fails at its signature", "[tamper]") {
  const std::uint64_t pos = 100;  // its lowest stored ancestor, level 5, covers 96..127
  auto report = TamperAndVerify([&](rocksdb::DB* db, auto& h) {
    std::vector<Hash> leaves;
    for (std::uint64_t p = 96; p < 128; ++p) {
      std::string v;
      REQUIRE(db->Get(rocksdb::ReadOptions(), h[layout::kRecords], layout::PositionKey(p), &v).ok());
      if (p == pos) {
        v[v.find("body ") + 1] ^= 0x01;
        REQUIRE(db->Put(rocksdb::WriteOptions(), h[layout::kRecords], layout::PositionKey(pos), v).ok());
      }
      leaves.push_back(LeafHash(v));
    }
    // A careful forger also rewrites the stored leaf hash and the ancestor, so
    // the tree checks at 100 and 127 pass.
    auto [key, at] = GroupEntry(db, h[layout::kLeaves], pos, 32);
    std::string group;
    REQUIRE(db->Get(rocksdb::ReadOptions(), h[layout::kLeaves], key, &group).ok());
    group.replace(at, 32, AsBytes(leaves[pos - 96]));
    REQUIRE(db->Put(rocksdb::WriteOptions(), h[layout::kLeaves], key, group).ok());
    while (leaves.size() > 1) {
      for (std::size_t i = 0; i < leaves.size() / 2; ++i) leaves[i] = NodeHash(leaves[2 * i], leaves[2 * i + 1]);
      leaves.resize(leaves.size() / 2);
    }
    REQUIRE(db->Put(rocksdb::WriteOptions(), h[layout::kTree], layout::TreeKey(5, pos / 32), AsBytes(leaves[0])).ok());
  });
  CHECK_FALSE(report.ok);
  REQUIRE(report.first_bad_position.has_value());
  CHECK(*report.first_bad_position == pos);
  CHECK(report.reason.find("signature") != std::string::npos);
}

TEST_CASE("a flipped byte in a stored leaf hash is found at its position", "[tamper]") {
  for (std::uint64_t pos : std::vector<std::uint64_t>{0, 33, kEvents - 1}) {
    auto report = TamperAndVerify([&](rocksdb::DB* db, auto& h) {
      auto [key, at] = GroupEntry(db, h[layout::kLeaves], pos, 32);
      FlipByte(db, h[layout::kLeaves], key, at + 9);
    });
    CHECK_FALSE(report.ok);
    REQUIRE(report.first_bad_position.has_value());
    CHECK(*report.first_bad_position == pos);
    CHECK(report.reason.find("leaf hash") != std::string::npos);
  }
}

TEST_CASE("a flipped byte in a stored tree node is found where the node completes", "[tamper]") {
  struct Case {
    std::uint32_t level;
    std::uint64_t index;
  };
  for (Case c : {Case{5, 0}, Case{5, 4}, Case{6, 1}, Case{7, 0}}) {
    auto report = TamperAndVerify([&](rocksdb::DB* db, auto& h) {
      FlipByte(db, h[layout::kTree], layout::TreeKey(c.level, c.index), 7);
    });
    CHECK_FALSE(report.ok);
    REQUIRE(report.first_bad_position.has_value());
    const std::uint64_t completes_at = ((c.index + 1) << c.level) - 1;
    CHECK(*report.first_bad_position == completes_at);
  }
}

TEST_CASE("a flipped byte in a stored signature is found at its position", "[tamper]") {
  for (std::uint64_t pos : std::vector<std::uint64_t>{0, 50, kEvents - 1}) {
    auto report = TamperAndVerify([&](rocksdb::DB* db, auto& h) {
      FlipSignatureByte(db, h[layout::kSignatures], pos, 4 + 20);
    });
    CHECK_FALSE(report.ok);
    REQUIRE(report.first_bad_position.has_value());
    CHECK(*report.first_bad_position == pos);
    CHECK(report.reason.find("signature") != std::string::npos);
  }
}

TEST_CASE("a deleted record is found at the gap", "[tamper]") {
  auto report = TamperAndVerify([&](rocksdb::DB* db, auto& h) {
    REQUIRE(db->Delete(rocksdb::WriteOptions(), h[layout::kRecords], layout::PositionKey(120)).ok());
  });
  CHECK_FALSE(report.ok);
  CHECK(report.first_bad_position == 120u);
}

TEST_CASE("a writable open refuses a log whose last checkpoint does not verify", "[tamper]") {
  test::TempDir dir;
  auto o = test::OptionsIn(dir);
  Populate(o);
  EditRaw(o.db_path, [&](rocksdb::DB* db, auto& h) {
    FlipSignatureByte(db, h[layout::kSignatures], kEvents - 1, 10);
  });
  auto l = Ledger::Open(o);
  CHECK(l.status().code() == Code::kCorruption);
}

TEST_CASE("a range verify checks its events and the stored tree it starts from", "[tamper]") {
  auto range = [](const LedgerOptions& o, std::uint64_t from) {
    auto ro = o;
    ro.read_only = true;
    auto l = test::OpenOrDie(ro);
    VerifyOptions v;
    v.from = from;
    return l->Verify(v);
  };
  test::TempDir dir;
  auto o = test::OptionsIn(dir);
  Populate(o);
  VerifyReport whole = range(o, 100);
  CHECK(whole.ok);
  CHECK(whole.events_checked == kEvents - 100);
  // A change inside the range is named.
  EditRaw(o.db_path, [&](rocksdb::DB* db, auto& h) { FlipSignatureByte(db, h[layout::kSignatures], 150, 30); });
  VerifyReport bad = range(o, 100);
  CHECK_FALSE(bad.ok);
  CHECK(bad.first_bad_position == 150u);
  // A stored node the range starts from that disagrees with the signed
  // checkpoint before the range stops it at its first event.
  EditRaw(o.db_path, [&](rocksdb::DB* db, auto& h) { FlipByte(db, h[layout::kTree], layout::TreeKey(6, 0), 3); });
  VerifyReport start = range(o, 100);
  CHECK_FALSE(start.ok);
  CHECK(start.first_bad_position == 100u);
  CHECK(start.reason.find("signed checkpoint") != std::string::npos);
}

TEST_CASE("a sealed section that no longer authenticates stops the fold, it is never shown as erased", "[tamper]") {
  test::TempDir dir;
  auto o = test::OptionsIn(dir);
  Populate(o);
  const std::uint64_t pos = 77;
  EditRaw(o.db_path, [&](rocksdb::DB* db, auto& h) {
    std::string v;
    REQUIRE(db->Get(rocksdb::ReadOptions(), h[layout::kRecords], layout::PositionKey(pos), &v).ok());
    const fb::Record* r = flatbuffers::GetRoot<fb::Record>(v.data());
    REQUIRE(r->sealed() != nullptr);
    const auto* ciphertext = r->sealed()->Get(0)->ciphertext();
    const std::size_t at = static_cast<std::size_t>(ciphertext->data() - reinterpret_cast<const std::uint8_t*>(v.data()));
    FlipByte(db, h[layout::kRecords], layout::PositionKey(pos), at);
  });
  auto ro = o;
  ro.read_only = true;
  auto l = test::OpenOrDie(ro);
  Result<std::unique_ptr<projections::Projections>> rebuilt = projections::Rebuild(*l);
  REQUIRE_FALSE(rebuilt.ok());
  CHECK(rebuilt.status().message().find("event 77") != std::string::npos);

  // Without the master key the same log folds, as metadata only.
  auto without_key = ro;
  without_key.master_key_path = dir.Sub("no-such-master.key");
  auto metadata_only = test::OpenOrDie(without_key);
  CHECK_FALSE(metadata_only->CanOpenSealed());
  CHECK(projections::Rebuild(*metadata_only).ok());
  l.reset();
  metadata_only.reset();

  // A data key entry that is gone (not shredded: that leaves a marker) is
  // damage too.
  EditRaw(o.db_path, [&](rocksdb::DB* db, auto& h) {
    REQUIRE(db->Delete(rocksdb::WriteOptions(), h[layout::kSubjectKeys], "person-3").ok());
  });
  auto after_delete = test::OpenOrDie(ro);
  Result<std::unique_ptr<projections::Projections>> refolded = projections::Rebuild(*after_delete);
  REQUIRE_FALSE(refolded.ok());
  CHECK(refolded.status().code() == Code::kCorruption);
  CHECK(refolded.status().message().find("person-3") != std::string::npos);
}
