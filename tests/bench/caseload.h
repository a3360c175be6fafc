// Opening a benchmark's data directory as a service, and generating a
// synthetic caseload into it: shared by nrpf-bench generate, domain and audit.

#ifndef NRPF_TESTS_BENCH_CASELOAD_H_
#define NRPF_TESTS_BENCH_CASELOAD_H_

#include <filesystem>
#include <memory>

#include "domain/service.h"
#include "ledger/clock.h"
#include "tests/bench/benchmarks.h"
#include "tests/bench/generator.h"

namespace nrpf::bench {

ledger::LedgerOptions OptionsFor(const std::filesystem::path& dir, const Clock* clock, bool sync);

struct Opened {
  std::unique_ptr<ManualClock> clock;
  std::unique_ptr<ledger::Ledger> ledger;
  std::unique_ptr<domain::CaseService> service;
};

// The service over DIR/ledger, its clock resuming where the log left off.
Result<Opened> OpenService(const std::filesystem::path& dir, bool sync);

// The generator's options for a run of nrpf-bench with `args`.
GeneratorOptions GeneratorFor(const BenchArgs& args, std::uint64_t default_events);

// The end of a run on a data directory: closes the service and ledger,
// then removes DIR unless the run was asked to --keep it or --reuse it.
void CloseAndClean(const BenchArgs& args, Result<Opened>* opened);

// A fresh caseload in DIR (the log there is replaced), as a synthetic bulk
// load without WAL syncs.
Result<GeneratorReport> GenerateInto(const std::filesystem::path& dir, const GeneratorOptions& g);

}  // namespace nrpf::bench

#endif  // NRPF_TESTS_BENCH_CASELOAD_H_
