// Folds the NRPF caseload written by an earlier version
// (tests/fixtures/domain-v1): every stored body passes its verifier and the
// projections come out exactly as that version folded them. Stored events
// are never rewritten; only the fold may grow.

#include <catch2/catch.hpp>
#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "projections/projector.h"
#include "tests/test_util.h"

namespace nrpf::test {
namespace {

TEST_CASE("a caseload written by version 1 folds to the same projections", "[domain][fixture]") {
  TempDir dir;
  const std::filesystem::path src = std::filesystem::path(NRPF_FIXTURES) / "domain-v1";
  std::filesystem::copy(src, dir.path() / "domain-v1", std::filesystem::copy_options::recursive);
  ledger::LedgerOptions o;
  o.db_path = dir.Sub("domain-v1/ledger");
  o.master_key_path = dir.Sub("domain-v1/master.key");
  o.signing_key_dir = dir.Sub("domain-v1/keys");
  o.origin = "fixture.nrpf-ledger.local/log";
  o.read_only = true;
  ::chmod(o.master_key_path.c_str(), 0600);
  auto ledger = OpenOrDie(o);

  std::ifstream in(src / "expected-dump.txt", std::ios::binary);
  std::stringstream expected;
  expected << in.rdbuf();
  REQUIRE(expected.str().size() > 1000);

  std::size_t decoded = 0;
  for (std::uint64_t p = 0; p < ledger->Size(); p += 512) {
    auto batch = ledger->ReadRange(p, 512);
    REQUIRE(batch.ok());
    for (const auto& e : *batch) {
      auto view = domain::DecodeEvent(e, {});
      REQUIRE(view.ok());
      decoded += view->body != nullptr ? 1 : 0;
    }
  }
  CHECK(decoded + 1 >= ledger->Size());  // all but the ledger's own genesis

  auto rebuilt = projections::Rebuild(*ledger);
  REQUIRE(rebuilt.ok());
  const std::string dump = (*rebuilt)->Dump();
  CHECK(dump.size() == expected.str().size());
  CHECK(dump == expected.str());
  CHECK(ledger->Verify({}).ok);
}

}  // namespace
}  // namespace nrpf::test
