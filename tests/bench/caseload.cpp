#include "tests/bench/caseload.h"

namespace nrpf::bench {

using namespace nrpf::domain;  // NOLINT

ledger::LedgerOptions OptionsFor(const std::filesystem::path& dir, const Clock* clock, bool sync) {
  ledger::LedgerOptions o;
  o.db_path = (dir / "ledger").string();
  o.master_key_path = (dir / "master.key").string();
  o.signing_key_dir = (dir / "keys").string();
  o.origin = kSyntheticOrigin;
  o.clock = clock;
  o.sync = sync;
  return o;
}

Result<Opened> OpenService(const std::filesystem::path& dir, bool sync) {
  Opened o;
  o.clock = std::make_unique<ManualClock>(0);
  auto ledger = ledger::Ledger::Open(OptionsFor(dir, o.clock.get(), sync));
  if (!ledger.ok()) return ledger.status();
  o.ledger = std::move(ledger).value();
  // Simulated time resumes where the log left it.
  if (o.ledger->Size() > 0) {
    auto last = o.ledger->Read(o.ledger->Size() - 1);
    if (!last.ok()) return last.status();
    o.clock->Set(last->record()->recorded_at_us() + 1);
  }
  ServiceOptions so;
  so.clock = o.clock.get();
  auto service = CaseService::Open(o.ledger.get(), so);
  if (!service.ok()) return service.status();
  o.service = std::move(service).value();
  return o;
}

GeneratorOptions GeneratorFor(const BenchArgs& args, std::uint64_t default_events) {
  GeneratorOptions g;
  g.seed = args.seed;
  g.councils = args.councils > 0 ? static_cast<std::size_t>(args.councils) : 60;
  g.max_events = args.events > 0 ? args.events : default_events;
  // About twelve events a case over the whole span; the event limit ends the run.
  g.cases = args.cases > 0 ? args.cases : static_cast<std::size_t>(g.max_events / 12);
  g.years = 3;
  return g;
}

Result<GeneratorReport> GenerateInto(const std::filesystem::path& dir, const GeneratorOptions& g) {
  std::error_code ec;
  std::filesystem::remove_all(dir / "ledger", ec);
  std::filesystem::create_directories(dir);
  // A synthetic bulk load: no WAL sync (docs/benchmarks.md).
  auto opened = OpenService(dir, /*sync=*/false);
  if (!opened.ok()) return opened.status();
  opened->clock->Set(g.start_us);
  return GenerateCaseload(*opened->service, *opened->clock, g);
}

void CloseAndClean(const BenchArgs& args, Result<Opened>* opened) {
  *opened = Status::Cancelled("closing");
  if (args.keep || args.reuse) return;
  std::error_code ec;
  std::filesystem::remove_all(args.dir, ec);
}

}  // namespace nrpf::bench
