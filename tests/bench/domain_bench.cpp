// nrpf-bench generate: a synthetic caseload into a data directory.
// nrpf-bench domain: commands through decide + append + projections from 64
// concurrent clients, projection rebuild, case reads and person search, on a
// generated caseload of at least 1,000,000 events, beside the raw
// single-core sign rate measured in the same run.

#include <atomic>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "domain/calendar.h"
#include "domain/task_pool.h"
#include "projections/projector.h"
#include "replay/case_report.h"
#include "tests/bench/bench_util.h"
#include "tests/bench/caseload.h"
#include "tests/bench/benchmarks.h"
#include "tests/bench/generator.h"

namespace nrpf::bench {

namespace {

using namespace nrpf::domain;  // NOLINT

void ReportGeneration(const GeneratorReport& r, double seconds, JsonReport* json) {
  json->Set("synthetic", 1);
  json->Set("events", static_cast<double>(r.events));
  json->Set("cases", static_cast<double>(r.cases));
  json->Set("organisations", static_cast<double>(r.organisations));
  json->Set("users", static_cast<double>(r.users));
  json->Set("commands", static_cast<double>(r.commands));
  json->Set("generate_s", seconds);
  json->Set("generate_events_per_s", static_cast<double>(r.events) / seconds);
  for (const auto& [name, n] : r.commands_by_name) std::fprintf(stderr, "  %-28s %llu\n", name.c_str(), static_cast<unsigned long long>(n));
  for (const auto& [reason, n] : r.refusals_by_reason) {
    std::fprintf(stderr, "  refused %-40s %llu\n", reason.c_str(), static_cast<unsigned long long>(n));
  }
}

// What the read and command phases work on: open cases by council.
struct Caseload {
  std::vector<std::string> councils;
  std::vector<std::vector<std::string>> open_cases;  // by council
  std::vector<std::pair<std::string, std::string>> people;  // (council, applicant name)
};

Caseload SnapshotCaseload(const CaseService& service) {
  Caseload out;
  service.projector().Read([&](const projections::Projections& p) {
    for (const auto& [org, ids] : p.organisation_cases()) {
      const OrganisationState* o = p.Organisation(org);
      if (o == nullptr || o->kind != fb::OrganisationKind::Council) continue;
      std::vector<std::string> open;
      for (const std::string& id : ids) {
        const CaseState* c = p.Case(id);
        if (c->open()) open.push_back(id);
        if (c->applicant.details && out.people.size() < 200000) out.people.emplace_back(org, c->applicant.details->FullName());
      }
      if (open.empty()) continue;
      out.councils.push_back(org);
      out.open_cases.push_back(std::move(open));
    }
    return 0;
  });
  return out;
}

std::string Misspelt(std::string name, std::mt19937_64& rng) {
  if (name.size() < 5) return name;
  const std::size_t i = 1 + rng() % (name.size() - 3);
  if (name[i] != ' ' && name[i + 1] != ' ') std::swap(name[i], name[i + 1]);
  return name;
}

}  // namespace

int RunGenerate(const BenchArgs& args) {
  const GeneratorOptions g = GeneratorFor(args, 100000);
  std::fprintf(stderr, "generating a synthetic caseload (seed %llu) into %s\n",
               static_cast<unsigned long long>(g.seed), args.dir.c_str());
  const auto start = SteadyClock::now();
  auto report = GenerateInto(args.dir, g);
  if (!report.ok()) {
    std::fprintf(stderr, "generate failed: %s\n", report.status().ToString().c_str());
    return 1;
  }
  JsonReport json;
  ReportGeneration(*report, SecondsSince(start), &json);
  json.Set("peak_rss_mb", PeakRssMb());
  std::printf("%s\n", json.ToString().c_str());
  // Its accounts have no passwords (credentials are never in the log): the
  // server issues the operator a one-time password, and the operator
  // resets the others' (`nrpf reset-password user_id=council-001-admin`).
  std::fprintf(stderr,
               "serve it with:\n  nrpf-ledgerd --data-dir %s --origin %s --first-admin %s\n"
               "then log in as %s with the one-time password it prints\n",
               args.dir.c_str(), kSyntheticOrigin, kSyntheticOperator, kSyntheticOperator);
  return 0;
}

int RunDomainBench(const BenchArgs& args) {
  JsonReport json;
  const double sign_raw_start = RawRate(false, 2.0);
  if (!args.reuse) {
    const GeneratorOptions g = GeneratorFor(args, 1000000);
    std::fprintf(stderr, "generating %llu events of synthetic caseload into %s\n",
                 static_cast<unsigned long long>(g.max_events), args.dir.c_str());
    const auto start = SteadyClock::now();
    auto report = GenerateInto(args.dir, g);
    if (!report.ok()) {
      std::fprintf(stderr, "generate failed: %s\n", report.status().ToString().c_str());
      return 1;
    }
    ReportGeneration(*report, SecondsSince(start), &json);
  }

  // Durable from here on: the command phase syncs the WAL like production.
  auto start = SteadyClock::now();
  auto opened = OpenService(args.dir, /*sync=*/true);
  if (!opened.ok()) {
    std::fprintf(stderr, "open failed: %s\n", opened.status().ToString().c_str());
    return 1;
  }
  CaseService& service = *opened->service;
  const std::uint64_t events = opened->ledger->Size();
  json.Set("events", static_cast<double>(events));
  json.Set("open_catch_up_s", SecondsSince(start));

  std::fprintf(stderr, "rebuilding projections from %llu events\n", static_cast<unsigned long long>(events));
  start = SteadyClock::now();
  {
    auto rebuilt = projections::Rebuild(*opened->ledger);
    if (!rebuilt.ok()) {
      std::fprintf(stderr, "rebuild failed: %s\n", rebuilt.status().ToString().c_str());
      return 1;
    }
    json.Set("rebuild_events_per_s", static_cast<double>(events) / SecondsSince(start));
    json.Set("cases", static_cast<double>((*rebuilt)->case_count()));
  }

  const Caseload load = SnapshotCaseload(service);
  if (load.councils.empty()) {
    std::fprintf(stderr, "the caseload has no open cases\n");
    return 1;
  }
  std::mt19937_64 rng(args.seed);

  std::fprintf(stderr, "case reads and searches\n");
  std::vector<double> read_us;
  for (int i = 0; i < 50000; ++i) {
    const std::size_t c = rng() % load.councils.size();
    const std::string& id = load.open_cases[c][rng() % load.open_cases[c].size()];
    const std::string reader = load.councils[c] + "-admin";
    const auto t = SteadyClock::now();
    auto r = service.ReadCase(reader, id);
    read_us.push_back(SecondsSince(t) * 1e6);
    if (!r.ok()) {
      std::fprintf(stderr, "read failed: %s\n", r.status().ToString().c_str());
      return 1;
    }
  }
  json.Set("case_read_us_p50", Percentile(read_us, 50));
  json.Set("case_read_us_p99", Percentile(read_us, 99));

  std::vector<double> search_us;
  std::size_t found = 0;
  for (int i = 0; i < 10000 && !load.people.empty(); ++i) {
    const auto& [org, name] = load.people[rng() % load.people.size()];
    projections::SearchQuery q;
    q.name = (i % 2 == 0) ? name : Misspelt(name, rng);
    const auto t = SteadyClock::now();
    auto r = service.Search(org + "-admin", q);
    search_us.push_back(SecondsSince(t) * 1e6);
    if (r.ok() && !r->empty()) ++found;
  }
  json.Set("search_us_p50", Percentile(search_us, 50));
  json.Set("search_us_p99", Percentile(search_us, 99));
  json.Set("search_found_fraction", static_cast<double>(found) / static_cast<double>(search_us.size()));

  // Each case report over every council (as the Home Office asks for them)
  // and over the largest council. A report holds the projections' read
  // lock, which their writer (and so every command) waits for, one council
  // at a time: the largest council's time is the longest such wait.
  {
    std::fprintf(stderr, "case reports\n");
    double all_max_ms = 0, one_max_ms = 0;
    service.projector().Read([&](const projections::Projections& state) {
      replay::CaseReportOptions o;
      o.now_us = opened->clock->NowMicros();
      o.to = IsoDate(LondonDate(o.now_us));
      std::vector<std::string> all;
      std::string largest;
      std::size_t largest_cases = 0;
      for (const auto& [org, ids] : state.organisation_cases()) {
        all.push_back(org);
        if (ids.size() > largest_cases) {
          largest_cases = ids.size();
          largest = org;
        }
      }
      for (const replay::CaseReportKind kind :
           {replay::CaseReportKind::kFinance, replay::CaseReportKind::kReferrals, replay::CaseReportKind::kResolution,
            replay::CaseReportKind::kPerformance, replay::CaseReportKind::kThousandDay}) {
        o.kind = kind;
        for (const bool every : {true, false}) {
          o.organisations = every ? all : std::vector<std::string>{largest};
          const auto t = SteadyClock::now();
          const replay::CaseReport r = replay::BuildCaseReport(state, o);
          const double ms = SecondsSince(t) * 1e3;
          double& worst = every ? all_max_ms : one_max_ms;
          worst = std::max(worst, ms);
          std::fprintf(stderr, "  %-13s %-16s %7zu rows %8.1f ms\n", std::string(replay::CaseReportName(kind)).c_str(),
                       every ? "every council" : largest.c_str(), r.rows.size(), ms);
        }
      }
      return 0;
    });
    json.Set("report_all_councils_ms_max", all_max_ms);
    json.Set("report_one_council_ms_max", one_max_ms);
  }

  // 64 concurrent clients: councils record advice and raise queries, the
  // Home Office records status checks (each raising alerts by the rules).
  const int clients = args.appenders > 0 ? args.appenders : 64;
  const int per_client = 400;
  const int client_nice = args.client_nice >= 0 ? args.client_nice : ledger::kSubmitterNiceSteps;
  std::fprintf(stderr, "%d clients x %d commands\n", clients, per_client);
  // Advice given today, as the synthetic clock has it (a later date is refused).
  const std::string today = IsoDate(LondonDate(opened->clock->NowMicros()));
  std::atomic<std::uint64_t> done{0}, refused{0};
  std::mutex refusals_mu;
  std::map<std::string, std::uint64_t> refusals;  // by code/reason, guarded by refusals_mu
  std::atomic<int> finished{0};
  std::atomic<bool> release{false};
  std::vector<std::vector<double>> latencies(static_cast<std::size_t>(clients));
  const std::map<long, ThreadTimes> threads_before = ThreadTimesNow();
  const ledger::PipelineStats stages_before = opened->ledger->Stats().pipeline;
  const std::uint64_t size_before = opened->ledger->Size();
  start = SteadyClock::now();
  // Client t's i-th command.
  auto command_of = [&](int t, int i, std::mt19937_64& r) {
    const bool home_office = t % 4 == 3;
    const std::size_t c = r() % load.councils.size();
    const std::string& id = load.open_cases[c][r() % load.open_cases[c].size()];
    CommandRequest req;
    if (home_office) {
      req.actor_user_id = "ho-" + std::to_string(1 + r() % 8);
      req.command = UpdateImmigrationStatus{id, fb::ImmigrationStatus::ApplicationPending, "[synthetic] bench"};
    } else if (i % 2 == 0) {
      req.actor_user_id = load.councils[c] + "-admin";
      req.command = RecordAdvice{id, today, fb::AdvisedOf::HomeOfficeInformationReturned, "[synthetic] bench"};
    } else {
      req.actor_user_id = load.councils[c] + "-admin";
      req.command = RaiseQuery{id, fb::QueryTopic::StatusUpdate, false, fb::UrgentReason::None, "[synthetic] bench"};
    }
    return req;
  };
  auto settle = [&](int t, const Result<CommandOutcome>& out, SteadyClock::time_point t0) {
    latencies[static_cast<std::size_t>(t)].push_back(SecondsSince(t0) * 1e6);
    (out.ok() ? done : refused)++;
    if (!out.ok()) {
      std::lock_guard lock(refusals_mu);
      ++refusals[std::string(CodeName(out.status().code())) + "/" + out.status().reason()];
    }
  };
  std::vector<std::thread> threads;
  std::unique_ptr<TaskPool> client_threads;
  std::vector<std::mt19937_64> client_rngs;
  std::function<void(int, int)> issue;  // asynchronous clients: client t sends its i-th command
  if (args.blocking_clients) {
    // A thread per client, each waiting in Execute for its command.
    for (int t = 0; t < clients; ++t) {
      threads.emplace_back([&, t] {
        // As nrpf-ledgerd's workers ran before commands were asynchronous (worker_nice).
        (void)ledger::LowerThreadPriority(client_nice);
        std::mt19937_64 r(args.seed * 1000 + static_cast<std::uint64_t>(t));
        for (int i = 0; i < per_client; ++i) {
          const CommandRequest req = command_of(t, i, r);
          const auto t0 = SteadyClock::now();
          settle(t, service.Execute(req), t0);
        }
        // Stay alive until the main thread has read this thread's CPU time.
        finished++;
        while (!release.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      });
    }
  } else {
    // Every client has a command in flight at all times, through
    // ExecuteAsync as nrpf-ledgerd's workers run them: no thread waits for
    // a write; each answer posts the client's next command to two threads.
    // Named as the clients' threads were, so that their CPU is the clients'.
    client_threads = std::make_unique<TaskPool>(2, static_cast<std::size_t>(clients) * 4, "nrpf-bench", client_nice);
    for (int t = 0; t < clients; ++t) client_rngs.emplace_back(args.seed * 1000 + static_cast<std::uint64_t>(t));
    // At most one task a client is queued at a time, so the queue never refuses.
    const auto post = [&](std::function<void()> fn) { (void)client_threads->TrySubmit({std::move(fn), {}}); };
    issue = [&](int t, int i) {
      CommandRequest req = command_of(t, i, client_rngs[static_cast<std::size_t>(t)]);
      const auto t0 = SteadyClock::now();
      service.ExecuteAsync(std::move(req), client_threads->AsExecutor(),
                           [&, t, i, t0](Result<CommandOutcome> out) {
                             settle(t, out, t0);
                             if (i + 1 < per_client) {
                               post([&, t, i] { issue(t, i + 1); });
                             } else {
                               finished++;
                             }
                           });
    };
    for (int t = 0; t < clients; ++t) post([&, t] { issue(t, 0); });
  }
  while (finished.load() < clients) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  const double seconds = SecondsSince(start);
  // Where the CPU went, per thread name (the clients are "nrpf-bench").
  const std::map<std::string, ThreadTimes> used_by = ThreadTimesSince(threads_before, ThreadTimesNow());
  const StageMeansUs stages = StageMeans(stages_before, opened->ledger->Stats().pipeline);
  release = true;
  for (auto& th : threads) th.join();
  client_threads.reset();
  const double written = static_cast<double>(opened->ledger->Size() - size_before);
  double cpu_total = 0;
  for (const auto& [name, times] : used_by) {
    const double used = times.cpu_s, waited = times.waiting_s;
    cpu_total += used;
    std::fprintf(stderr, "  cpu %-16s %7.2f s  %6.1f us/event, waited for a core %6.1f us/event\n", name.c_str(),
                 used, used * 1e6 / written, waited * 1e6 / written);
  }
  json.Set("command_events_written", written);
  json.Set("command_cpu_us_per_event", cpu_total * 1e6 / written);
  json.Set("command_cpu_cores_busy", cpu_total / seconds);
  std::vector<double> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  const double sign_raw = std::max(sign_raw_start, RawRate(false, 2.0));
  json.Set("sign_per_s_raw", sign_raw);
  json.Set("commands_per_s", static_cast<double>(done.load()) / seconds);
  json.Set("commands_vs_sign", static_cast<double>(done.load()) / seconds / sign_raw);
  // What the cores would allow at this run's CPU per command, with every
  // core busy however many clients wait (as append_cpu_bound_vs_sign does
  // for the bare ledger): the ceiling of commands_vs_sign at this cost.
  const double commands = static_cast<double>(done.load());
  json.Set("command_events_per_command", commands > 0 ? written / commands : 0);
  json.Set("commands_cpu_bound_vs_sign", CpuBoundVsSign(cpu_total, commands, sign_raw));
  json.Set("commands_refused", static_cast<double>(refused.load()));
  for (const auto& [reason, n] : refusals) {
    std::fprintf(stderr, "  refused %-40s %llu\n", reason.c_str(), static_cast<unsigned long long>(n));
  }
  json.Set("command_us_p50", Percentile(all, 50));
  json.Set("command_us_p99", Percentile(all, 99));
  // How much of a command's time is its append in the ledger (the rest:
  // deciding, and waiting for the projections to include the write).
  double sum = 0;
  for (double us : all) sum += us;
  json.Set("command_us_mean", all.empty() ? 0 : sum / static_cast<double>(all.size()));
  json.Set("command_ledger_us_mean", stages.total());
  PrintStageMeans(stages);
  json.Set("clients", clients);
  json.Set("clients_blocking", args.blocking_clients ? 1 : 0);
  json.Set("client_nice", client_nice);
  json.Set("peak_rss_mb", PeakRssMb());
  std::printf("%s\n", json.ToString().c_str());
  CloseAndClean(args, &opened);
  return 0;
}

}  // namespace nrpf::bench
