// The ledger on a disk that fails: a WAL fsync that fails stops the ledger
// (every later append is refused with the same error, and Health() says so),
// nothing acknowledged is lost, nothing is half-written, and after a reopen on
// a healthy disk the log verifies and a retry of the failed command lands once.

#include <catch2/catch.hpp>

#include <memory>
#include <string>

#include "ledger/ledger.h"
#include "tests/failing_fs.h"
#include "tests/test_util.h"

using namespace nrpf;
using namespace nrpf::ledger;
using nrpf::test::Event;
using nrpf::test::Request;

TEST_CASE("a failed WAL fsync stops the ledger without losing or half-writing anything", "[ledger]") {
  test::TempDir dir;
  test::FailingFileSystem::Switches disk;
  std::atomic<bool>& fail = disk.fail;
  std::unique_ptr<rocksdb::Env> env = test::FailingEnv(&disk);
  LedgerOptions o = test::OptionsIn(dir);
  o.env = env.get();
  {
    auto l = test::OpenOrDie(o);
    for (int i = 0; i < 5; ++i) {
      REQUIRE(l->Append(Request("ok-" + std::to_string(i), {Event("case-1", "case.noted")})).ok());
    }
    CHECK(l->Health().ok());

    fail = true;
    Result<AppendResult> failed = l->Append(Request("failed", {Event("case-1", "case.noted")}));
    REQUIRE_FALSE(failed.ok());
    INFO(failed.status().ToString());
    CHECK(failed.status().message().find("fsync") != std::string::npos);
    CHECK(l->Size() == 6);  // never published: readers do not see it
    CHECK_FALSE(l->Read(6).ok());

    // The disk recovers, but the ledger stays stopped: later groups were
    // sequenced on top of the failed one.
    fail = false;
    const Status health = l->Health();
    CHECK(health.code() == Code::kUnavailable);
    Result<AppendResult> after = l->Append(Request("after", {Event("case-2", "case.noted")}));
    REQUIRE_FALSE(after.ok());
    CHECK(after.status().code() == Code::kUnavailable);
    CHECK(after.status().message() == health.message());
    // Reads of what was acknowledged go on.
    auto events = l->ReadStream("case-1", 1, 100);
    REQUIRE(events.ok());
    CHECK(events->size() == 5);
  }

  auto reopened = test::OpenOrDie(o);
  CHECK(reopened->Health().ok());
  CHECK(reopened->Verify({}).ok);
  // The failed append was written but never made durable: it may or may not
  // have survived, so its outcome is learnt by retrying it with its command id.
  const std::uint64_t size = reopened->Size();
  CHECK((size == 6 || size == 7));
  Result<AppendResult> retried = reopened->Append(Request("failed", {Event("case-1", "case.noted")}));
  REQUIRE(retried.ok());
  CHECK(retried->duplicate == (size == 7));
  auto events = reopened->ReadStream("case-1", 1, 100);
  REQUIRE(events.ok());
  REQUIRE(events->size() == 6);  // five acknowledged, the retried one once
  for (std::size_t v = 0; v < events->size(); ++v) CHECK((*events)[v].record()->stream_version() == v + 1);
  CHECK(reopened->LookupCommand("after").status().code() == Code::kNotFound);
  CHECK(reopened->Verify({}).ok);
}
