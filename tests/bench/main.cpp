// nrpf-bench: performance measurements (not tests).
//
//   nrpf-bench ledger   [--json] [--events N] [--appenders N] [--dir DIR] [--keep | --reuse]
//   nrpf-bench generate [--events N] [--cases N] [--councils N] [--seed S] [--dir DIR]
//   nrpf-bench domain   [--json] [--events N] [--cases N] [--councils N] [--seed S]
//                       [--appenders N] [--client-nice STEPS] [--blocking-clients] [--dir DIR]
//                       [--keep | --reuse]
//   nrpf-bench api      [--json] [--appenders N (connections)] [--events S (seconds a phase)]
//                       [--dir DIR] [--server-binary PATH] [--server-arg FLAG]...
//   nrpf-bench audit    [--json] [--events N] [--seed S] [--dir DIR] [--keep | --reuse]
//
// generate writes a synthetic caseload (labelled synthetic throughout) into
// DIR/ledger, keys beside it; domain generates one (or, with --reuse, uses
// the one in DIR) and measures commands, rebuild, reads and search on it.
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
  std::fprintf(stderr,
               "usage: nrpf-bench ledger   [--json] [--events N] [--appenders N] [--dir DIR] [--keep | --reuse]\n"
               "       nrpf-bench generate [--events N] [--cases N] [--councils N] [--seed S] [--dir DIR]\n"
               "       nrpf-bench domain   [--json] [--events N] [--cases N] [--councils N] [--seed S]\n"
               "                           [--appenders N] [--client-nice STEPS] [--blocking-clients] [--dir DIR]\n"
               "                           [--keep | --reuse]\n"
               "       nrpf-bench api      [--json] [--appenders N] [--events SECONDS] [--dir DIR] [--server-binary PATH]\n"
               "                           [--server-arg FLAG]...\n"
               "       nrpf-bench audit    [--json] [--events N] [--seed S] [--dir DIR] [--keep | --reuse]\n");
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
    } else if (a == "--client-nice" && i + 1 < argc) {
      args.client_nice = std::stoi(argv[++i]);
    } else if (a == "--blocking-clients") {
      args.blocking_clients = true;
    } else if (a == "--cases" && i + 1 < argc) {
      args.cases = std::stoull(argv[++i]);
    } else if (a == "--seed" && i + 1 < argc) {
      args.seed = std::stoull(argv[++i]);
    } else if (a == "--councils" && i + 1 < argc) {
      args.councils = std::stoi(argv[++i]);
    } else if (a == "--dir" && i + 1 < argc) {
      args.dir = argv[++i];
    } else if (a == "--server-binary" && i + 1 < argc) {
      args.server_binary = argv[++i];
    } else if (a == "--server-arg" && i + 1 < argc) {
      args.server_args.push_back(argv[++i]);
    } else {
      return Usage();
    }
  }
  if (command == "ledger") return nrpf::bench::RunLedgerBench(args);
  if (command == "generate") return nrpf::bench::RunGenerate(args);
  if (command == "domain") return nrpf::bench::RunDomainBench(args);
  if (command == "api") return nrpf::bench::RunApiBench(args);
  if (command == "audit") return nrpf::bench::RunAuditBench(args);
  return Usage();
}
