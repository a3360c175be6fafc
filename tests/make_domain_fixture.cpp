// Writes a small synthetic caseload of every NRPF event shape this version
// stores, for domain_fixture_test to fold with every later version. Run once
// per schema change (fixtures are never rewritten):
//   make_domain_fixture tests/fixtures/domain-v<n>   (domain-v1, domain-v2 so far)
// expected-dump.txt is the projections' canonical dump of the fixture as this
// version folds it.

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "projections/projector.h"
#include "tests/bench/generator.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_domain_fixture DIR\n");
    return 2;
  }
  const std::filesystem::path dir = argv[1];
  if (std::filesystem::exists(dir)) {
    std::fprintf(stderr, "%s exists; fixtures are written once and never rewritten\n", argv[1]);
    return 1;
  }
  nrpf::ManualClock clock(0);
  nrpf::ledger::LedgerOptions o;
  o.db_path = (dir / "ledger").string();
  o.master_key_path = (dir / "master.key").string();
  o.signing_key_dir = (dir / "keys").string();
  o.origin = "fixture.nrpf-ledger.local/log";
  o.clock = &clock;
  auto ledger = nrpf::ledger::Ledger::Open(o);
  if (!ledger.ok()) return 1;
  nrpf::domain::ServiceOptions so;
  so.clock = &clock;
  auto service = nrpf::domain::CaseService::Open(ledger->get(), so);
  if (!service.ok()) return 1;
  nrpf::bench::GeneratorOptions g;
  g.seed = 2026;
  g.councils = 4;
  g.cases = 300;
  g.years = 3;
  auto report = nrpf::bench::GenerateCaseload(**service, clock, g);
  if (!report.ok()) {
    std::fprintf(stderr, "%s\n", report.status().ToString().c_str());
    return 1;
  }
  auto rebuilt = nrpf::projections::Rebuild(**ledger);
  if (!rebuilt.ok()) return 1;
  std::ofstream(dir / "expected-dump.txt") << (*rebuilt)->Dump();
  std::ofstream(dir / "checkpoint.txt") << *(*ledger)->SignedCheckpoint((*ledger)->Size());
  std::printf("%llu events, %zu cases\n", static_cast<unsigned long long>((*ledger)->Size()), report->cases);
  return 0;
}
