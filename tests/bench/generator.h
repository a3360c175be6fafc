// A synthetic national NRPF caseload, played through the real service:
// every event is decided by the rules and appended, sealed and signed like a
// user's. Reproducible from a seed: the same seed yields the same
// organisations, people, commands and times (the ledger's random event ids,
// nonces and signatures differ run to run). Everything it writes is labelled
// synthetic: organisation names start "Synthetic", every address is on
// "Synthetic Street" and every note starts "[synthetic]".
//
// Proportions follow docs/domain.md "Synthetic caseloads": about 91 councils
// in the real service, ~5,700 households a year, ~3 Home Office checks and
// queries per case, families ~70% of households, and so on.

#ifndef NRPF_TESTS_BENCH_GENERATOR_H_
#define NRPF_TESTS_BENCH_GENERATOR_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "domain/service.h"
#include "ledger/clock.h"

namespace nrpf::bench {

// The origin of a generated log, and the network-support operator the
// generator acts as (nrpf-ledgerd's --origin and --first-admin to serve it).
inline constexpr char kSyntheticOrigin[] = "bench.nrpf-ledger.local/log";
inline constexpr char kSyntheticOperator[] = "ns-admin";

struct GeneratorOptions {
  std::uint64_t seed = 1;
  std::size_t councils = 40;
  // Stop creating cases after this many, and stop altogether once the log
  // holds this many events (0 = no event limit).
  std::size_t cases = 10000;
  std::uint64_t max_events = 0;
  // Years of activity; cases start evenly over them.
  int years = 3;
  // First day of activity (UTC microseconds). Default: 2021-04-01 09:00 UTC.
  std::int64_t start_us = 1617267600000000;
};

struct GeneratorReport {
  std::size_t organisations = 0;
  std::size_t users = 0;
  std::size_t cases = 0;
  std::uint64_t commands = 0;
  std::uint64_t events = 0;  // log size at the end
  std::int64_t end_us = 0;   // simulated time of the last command
  std::map<std::string, std::uint64_t> commands_by_name;
  std::map<std::string, std::uint64_t> refusals_by_reason;  // rules refusing a planned step
  std::vector<std::string> council_users;                   // one caseworker per council
  std::vector<std::string> home_office_users;
};

// Plays the caseload through `service`, moving `clock` (which the ledger and
// the service must both read) forward as simulated time passes.
// REQUIRES: an empty log.
Result<GeneratorReport> GenerateCaseload(domain::CaseService& service, ManualClock& clock,
                                         const GeneratorOptions& options);

}  // namespace nrpf::bench

#endif  // NRPF_TESTS_BENCH_GENERATOR_H_
