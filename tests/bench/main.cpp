// nrpf-bench: performance measurements (not tests).
//
//   nrpf-bench ledger [--json] [--events N] [--appenders N] [--dir DIR] [--keep | --reuse]
//
// --keep leaves the log in DIR; --reuse measures such a log again without
// appending (verify and proofs only). Human-readable progress goes to stderr; the result is one JSON object on
// stdout. --dir must be on the disk being measured (not tmpfs). Default:
// ./bench-data.

#include <cstdio>
#include <cstring>
#include <string>

#include "tests/bench/benchmarks.h"

namespace {
int Usage() {
  std::fprintf(stderr, "usage: nrpf-bench ledger [--json] [--events N] [--appenders N] [--dir DIR] [--keep | --reuse]\n");
  return 2;
}
}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return Usage();
  const std::string command = argv[1];
  nrpf::bench::BenchArgs args;
  args.dir = "bench-data";
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--json") {
      args.json = true;
    } else if (a == "--keep") {
      args.keep = true;
    } else if (a == "--reuse") {
      args.reuse = true;
    } else if (a == "--events" && i + 1 < argc) {
      args.events = std::stoull(argv[++i]);
    } else if (a == "--appenders" && i + 1 < argc) {
      args.appenders = std::stoi(argv[++i]);
    } else if (a == "--dir" && i + 1 < argc) {
      args.dir = argv[++i];
    } else {
      return Usage();
    }
  }
  if (command == "ledger") return nrpf::bench::RunLedgerBench(args);
  return Usage();
}
