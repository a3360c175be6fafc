// Shared by the auditor tests: a generated caseload in a scratch directory,
// and helpers to run nrpf-replay and the worked example against it.

#ifndef NRPF_TESTS_REPLAY_WORLD_H_
#define NRPF_TESTS_REPLAY_WORLD_H_

#include <catch2/catch.hpp>
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "tests/bench/generator.h"
#include "tests/domain_world.h"

namespace nrpf::test {

// A synthetic caseload of `cases` cases played through the real service.
struct GeneratedCaseload {
  explicit GeneratedCaseload(std::size_t cases = 600) : clock(0) {
    ledger::LedgerOptions o = OptionsIn(dir, &clock);
    o.sync = false;  // a synthetic bulk load
    o.db_path = dir.Sub("data/ledger");
    o.master_key_path = dir.Sub("data/master.key");
    o.signing_key_dir = dir.Sub("data/keys");
    options = o;
    ledger = OpenOrDie(o);
    ServiceOptions so;
    so.clock = &clock;
    auto opened = CaseService::Open(ledger.get(), so);
    REQUIRE(opened.ok());
    service = std::move(opened).value();
    bench::GeneratorOptions g;
    g.seed = 11;
    g.councils = 12;
    g.cases = cases;
    g.years = 2;
    auto r = bench::GenerateCaseload(*service, clock, g);
    REQUIRE(r.ok());
    report = *r;
    REQUIRE(service->projector().WaitFor(ledger->Size(), std::chrono::seconds(30)).ok());
  }

  std::string data_dir() const { return dir.Sub("data"); }

  TempDir dir;
  ManualClock clock;
  ledger::LedgerOptions options;
  std::unique_ptr<ledger::Ledger> ledger;
  std::unique_ptr<CaseService> service;
  bench::GeneratorReport report;
};

struct Run {
  int exit_code = -1;
  std::string out;
};

// Runs a command line through the shell, capturing stdout.
inline Run RunCommand(const std::string& command) {
  Run r;
  FILE* p = ::popen(command.c_str(), "r");
  REQUIRE(p != nullptr);
  char buf[65536];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), p)) > 0) r.out.append(buf, n);
  const int status = ::pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

inline std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void WriteText(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

}  // namespace nrpf::test

#endif  // NRPF_TESTS_REPLAY_WORLD_H_
