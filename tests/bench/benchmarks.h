// The nrpf-bench subcommands.

#ifndef NRPF_TESTS_BENCH_BENCHMARKS_H_
#define NRPF_TESTS_BENCH_BENCHMARKS_H_

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace nrpf::bench {

struct BenchArgs {
  bool json = false;             // print only the JSON object on stdout
  std::uint64_t events = 0;      // 0 = the subcommand's default
  std::filesystem::path dir;     // scratch directory for data
  bool keep = false;             // keep the scratch data afterwards
  bool reuse = false;            // measure the data a --keep run left (no appends)
  int appenders = 0;             // concurrent appenders/clients; 0 = the subcommand's default
  int client_nice = -1;          // domain: nice steps of the clients (as the server's workers); -1 = the default
  bool blocking_clients = false;  // domain: a thread per client in CaseService::Execute, not ExecuteAsync
  std::uint64_t cases = 0;       // generate/domain: cases to create; 0 = enough for `events`
  std::uint64_t seed = 1;        // generate/domain: the caseload's seed
  int councils = 0;              // generate/domain: 0 = the subcommand's default
  std::string server_binary;     // api: the nrpf-ledgerd to start; "" = the one built beside
  std::vector<std::string> server_args;  // api: more flags for it (--server-arg, repeated)
};

int RunLedgerBench(const BenchArgs& args);
int RunGenerate(const BenchArgs& args);
int RunDomainBench(const BenchArgs& args);
int RunApiBench(const BenchArgs& args);
int RunAuditBench(const BenchArgs& args);

// Single-core Ed25519 signs (or verifies) per second over a checkpoint body
// of the same shape the ledger signs: the best of `windows` windows, so a
// moment of interference from the host does not pass for the core's speed.
double RawRate(bool verify, double seconds, int windows = 5);

}  // namespace nrpf::bench

#endif  // NRPF_TESTS_BENCH_BENCHMARKS_H_
