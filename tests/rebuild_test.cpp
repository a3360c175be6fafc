// Projections dropped and rebuilt from the log equal the incrementally built
// ones byte for byte, on a generated caseload of 10,000 cases.

#include <catch2/catch.hpp>

#include "projections/projector.h"
#include "tests/bench/generator.h"
#include "tests/domain_world.h"

namespace nrpf::test {
namespace {

TEST_CASE("rebuilt projections equal the live ones on 10,000 generated cases", "[rebuild]") {
  TempDir dir;
  ManualClock clock(0);
  ledger::LedgerOptions o = OptionsIn(dir, &clock);
  o.sync = false;  // a synthetic bulk load; durability is the crash test's subject
  auto ledger = OpenOrDie(o);
  ServiceOptions so;
  so.clock = &clock;
  auto service = CaseService::Open(ledger.get(), so);
  REQUIRE(service.ok());
  bench::GeneratorOptions g;
  g.seed = 7;
  g.councils = 30;
  g.cases = 10000;
  g.years = 3;
  auto report = bench::GenerateCaseload(**service, clock, g);
  REQUIRE(report.ok());
  REQUIRE(report->cases >= 10000);
  // Every kind of event the domain defines, except the access audit the
  // server writes, appears in the caseload.
  std::map<std::string, int> seen;
  for (std::uint64_t p = 0; p < ledger->Size(); p += 1024) {
    auto batch = ledger->ReadRange(p, 1024);
    REQUIRE(batch.ok());
    for (const auto& e : *batch) ++seen[e.record()->event_type()->str()];
  }
  for (std::string_view type : AllEventTypes()) {
    if (type == event_type::kCaseAccessed) continue;
    INFO(type);
    CHECK(seen.count(std::string(type)) == 1);
  }

  REQUIRE((*service)->projector().WaitFor(ledger->Size(), std::chrono::seconds(30)).ok());
  const std::string live = (*service)->projector().Read([](const projections::Projections& p) { return p.Dump(); });
  auto rebuilt = projections::Rebuild(*ledger);
  REQUIRE(rebuilt.ok());
  const std::string again = (*rebuilt)->Dump();
  CHECK(again.size() == live.size());
  CHECK(again == live);
  // The rebuild is of the same log: it holds every case.
  CHECK((*rebuilt)->case_count() == report->cases);
}

}  // namespace
}  // namespace nrpf::test
