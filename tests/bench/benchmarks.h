// The nrpf-bench subcommands.

#ifndef NRPF_TESTS_BENCH_BENCHMARKS_H_
#define NRPF_TESTS_BENCH_BENCHMARKS_H_

#include <cstdint>
#include <filesystem>

namespace nrpf::bench {

struct BenchArgs {
  bool json = false;             // print only the JSON object on stdout
  std::uint64_t events = 0;      // 0 = the subcommand's default
  std::filesystem::path dir;     // scratch directory for data
  bool keep = false;             // keep the scratch data afterwards
  bool reuse = false;            // measure the data a --keep run left (no appends)
  int appenders = 0;             // concurrent appenders/clients; 0 = the subcommand's default
};

int RunLedgerBench(const BenchArgs& args);

}  // namespace nrpf::bench

#endif  // NRPF_TESTS_BENCH_BENCHMARKS_H_
