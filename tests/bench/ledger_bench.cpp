// nrpf-bench ledger: raw Ed25519 rates, signed durable appends with 64
// concurrent appenders, full verify, inclusion proofs and peak RSS, all in
// one run on one machine so the ratios compare like with like.

#include <sodium.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <filesystem>
#include <random>
#include <thread>

#include "ledger/checkpoint.h"
#include "ledger/ledger.h"
#include "tests/bench/bench_util.h"
#include "tests/bench/benchmarks.h"

namespace nrpf::bench {

namespace {

using namespace nrpf::ledger;

double RawRateOnce(bool verify, double seconds) {
  auto key = SigningKey::Generate("bench.nrpf-ledger.local/log");
  const std::string body = CheckpointBody({"bench.nrpf-ledger.local/log", 123456, Sha256("root")});
  const Signature sig = key->Sign(body);
  std::uint64_t n = 0;
  bool ok = true;
  const auto start = SteadyClock::now();
  while (SecondsSince(start) < seconds) {
    for (int i = 0; i < 256; ++i) {
      if (verify) {
        ok &= key->verifier().Verify(body, sig);
      } else {
        Signature s = key->Sign(body);
        ok &= s[0] == sig[0];
      }
    }
    n += 256;
  }
  const double rate = static_cast<double>(n) / SecondsSince(start);
  if (!ok) std::fprintf(stderr, "raw %s produced a wrong result\n", verify ? "verify" : "sign");
  return rate;
}

// The same on every core at once, summed: what the machine's cores deliver
// together (on a shared host, less than cores x one core).
double RawRateAllCores(bool verify, double seconds) {
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  std::vector<double> rates(cores);
  std::vector<std::thread> threads;
  for (unsigned c = 0; c < cores; ++c) threads.emplace_back([&, c] { rates[c] = RawRateOnce(verify, seconds); });
  for (auto& t : threads) t.join();
  double sum = 0;
  for (double r : rates) sum += r;
  return sum;
}

}  // namespace

double RawRate(bool verify, double seconds, int windows) {
  double best = 0;
  for (int w = 0; w < windows; ++w) best = std::max(best, RawRateOnce(verify, seconds / windows));
  return best;
}

int RunLedgerBench(const BenchArgs& args) {
  JsonReport report;
  const std::uint64_t events = args.events != 0 ? args.events : 1'000'000;
  const int appenders = args.appenders != 0 ? args.appenders : 64;

  // Raw rates are measured now, after the appends (signing) and at the end;
  // the highest is used, so a slow moment of the shared host cannot flatter
  // the ratios.
  double sign_raw = RawRate(false, 2.0);
  double verify_raw = RawRate(true, 2.0);
  const double sign_all = RawRateAllCores(false, 1.0);
  const double verify_all = RawRateAllCores(true, 1.0);
  std::fprintf(stderr, "raw ed25519: %.0f sign/s, %.0f verify/s on one core; %.0f sign/s, %.0f verify/s on all %u cores at once\n",
               sign_raw, verify_raw, sign_all, verify_all, std::thread::hardware_concurrency());

  const std::filesystem::path dir = args.dir / "ledger-bench";
  if (!args.reuse) std::filesystem::remove_all(dir);
  LedgerOptions o;
  o.db_path = (dir / "ledger").string();
  o.master_key_path = (dir / "master.key").string();
  o.signing_key_dir = (dir / "keys").string();
  o.origin = "bench.nrpf-ledger.local/log";
  auto opened = Ledger::Open(o);
  if (!opened.ok()) {
    std::fprintf(stderr, "open: %s\n", opened.status().ToString().c_str());
    return 1;
  }
  Ledger& l = **opened;

  double append_rate = 0, threads_rate = 0, cpu_total = 0, signer_cpu = 0, fsync_p50 = 0;
  StageMeansUs stages;
  std::uint64_t async_events = 1;
  if (!args.reuse) {
    // Signed, durable appends: one event per request, each event with a body
    // and one sealed personal section (a realistic case event). Measured two
    // ways: 64 logical appenders on the asynchronous API (how the network
    // server drives the ledger: each appender sends its next event when the
    // previous one is durable), and 64 OS threads on the blocking API.
    const std::string body(200, 'b');
    auto make_request = [&](std::uint64_t i, int t) {
      AppendRequest req;
      req.command_id = "bench-" + std::to_string(i);
      req.actor = {"user-" + std::to_string(t), "council-" + std::to_string(t % 91), "council_user"};
      NewEvent e;
      e.stream_id = "case-" + std::to_string(i % 5700);
      e.type = "case.note_added";
      e.body = body;
      e.personal.push_back({"person-" + std::to_string(i % 5700), "applicant", "SYNTHETIC name and date of birth"});
      req.events.push_back(std::move(e));
      return req;
    };
    std::atomic<bool> failed{false};
    async_events = (events - 1) * 3 / 4;  // the rest go through blocking threads
    std::atomic<std::uint64_t> next{0};
    std::mutex done_mu;
    std::condition_variable done_cv;
    int finished = 0;
    std::function<void(int)> issue = [&](int t) {
      const std::uint64_t i = next.fetch_add(1);
      if (i >= async_events || failed) {
        std::lock_guard<std::mutex> lock(done_mu);
        if (++finished == appenders) done_cv.notify_all();
        return;
      }
      l.AppendAsync(make_request(i, t), [&, t](Result<AppendResult> r) {
        if (!r.ok()) {
          std::fprintf(stderr, "append: %s\n", r.status().ToString().c_str());
          failed = true;
        }
        issue(t);
      });
    };
    const PipelineStats stages_before = l.Stats().pipeline;
    const auto cpu_before = ThreadTimesNow();
    const auto append_start = SteadyClock::now();
    for (int t = 0; t < appenders; ++t) issue(t);
    {
      std::unique_lock<std::mutex> lock(done_mu);
      done_cv.wait(lock, [&] { return finished == appenders; });
    }
    const double append_s = SecondsSince(append_start);
    const auto cpu_after = ThreadTimesNow();
    const PipelineStats stages_after = l.Stats().pipeline;
    if (failed) return 1;
    append_rate = static_cast<double>(async_events) / append_s;
    for (const auto& [name, times] : ThreadTimesSince(cpu_before, cpu_after)) {
      const double used = times.cpu_s;
      if (used <= 0) continue;
      cpu_total += used;
      if (name == "nrpf-signer") signer_cpu = used;
      std::fprintf(stderr, "  thread %-16s %5.1f us CPU per append, %3.0f%% of a core\n", name.c_str(),
                   used / static_cast<double>(async_events) * 1e6, used / append_s * 100);
    }
    fsync_p50 = FsyncMicrosP50(dir);
    std::fprintf(stderr, "  all threads      %5.1f us CPU per append, %3.0f%% of the 2 cores; fsync p50 %.0f us\n",
                 cpu_total / static_cast<double>(async_events) * 1e6, cpu_total / append_s / 2 * 100, fsync_p50);
    std::fprintf(stderr, "appends: %llu events in %.1f s = %.0f/s with %d asynchronous appenders (synced WAL)\n",
                 static_cast<unsigned long long>(async_events), append_s, append_rate, appenders);
    stages = StageMeans(stages_before, stages_after);
    PrintStageMeans(stages);

    // Sampled again right after the phase the ratio is about, so a slow
    // moment at the start or the end cannot flatter it.
    sign_raw = std::max(sign_raw, RawRate(false, 2.0));

    std::atomic<std::uint64_t> next_blocking{async_events};
    const auto threads_start = SteadyClock::now();
    std::vector<std::thread> threads;
    for (int t = 0; t < appenders; ++t) {
      threads.emplace_back([&, t] {
        for (std::uint64_t i = next_blocking.fetch_add(1); i < events - 1 && !failed; i = next_blocking.fetch_add(1)) {
          auto r = l.Append(make_request(i, t));
          if (!r.ok()) {
            std::fprintf(stderr, "append: %s\n", r.status().ToString().c_str());
            failed = true;
          }
        }
      });
    }
    for (auto& th : threads) th.join();
    const double threads_s = SecondsSince(threads_start);
    if (failed) return 1;
    threads_rate = static_cast<double>(events - 1 - async_events) / threads_s;
    std::fprintf(stderr, "appends: %llu events in %.1f s = %.0f/s with %d blocking appender threads\n",
                 static_cast<unsigned long long>(events - 1 - async_events), threads_s, threads_rate, appenders);
  }

  // Full verify on every core.
  const auto verify_start = SteadyClock::now();
  VerifyReport vr = l.Verify({});
  const double verify_s = SecondsSince(verify_start);
  if (!vr.ok) {
    std::fprintf(stderr, "verify failed at %llu: %s\n",
                 static_cast<unsigned long long>(vr.first_bad_position.value_or(0)), vr.reason.c_str());
    return 1;
  }
  const double verify_rate = static_cast<double>(vr.events_checked) / verify_s;
  std::fprintf(stderr, "verify: %llu events in %.1f s = %.0f/s\n",
               static_cast<unsigned long long>(vr.events_checked), verify_s, verify_rate);

  // Inclusion proofs at random positions of the whole tree.
  const std::uint64_t size = l.Size();
  const Hash root = *l.RootAt(size);
  std::mt19937_64 rng(42);
  std::vector<double> gen_us, ver_us;
  for (int i = 0; i < 10000; ++i) {
    const std::uint64_t pos = rng() % size;
    const Hash leaf = LeafHash(l.Read(pos)->bytes);
    auto t0 = SteadyClock::now();
    auto proof = l.ProveInclusion(pos, size);
    gen_us.push_back(SecondsSince(t0) * 1e6);
    t0 = SteadyClock::now();
    Status ok = VerifyInclusion(pos, size, leaf, *proof, root);
    ver_us.push_back(SecondsSince(t0) * 1e6);
    if (!ok.ok()) {
      std::fprintf(stderr, "proof of %llu did not verify\n", static_cast<unsigned long long>(pos));
      return 1;
    }
  }
  const double proof_p50 = Percentile(gen_us, 50);
  const double proof_verify_p50 = Percentile(ver_us, 50);
  std::fprintf(stderr, "inclusion proof on %llu events: generate p50 %.1f us, verify p50 %.1f us\n",
               static_cast<unsigned long long>(size), proof_p50, proof_verify_p50);

  sign_raw = std::max(sign_raw, RawRate(false, 2.0));
  verify_raw = std::max(verify_raw, RawRate(true, 2.0));
  std::fprintf(stderr, "raw ed25519 (highest of the samples): %.0f sign/s, %.0f verify/s on one core\n", sign_raw,
               verify_raw);
  report.Set("sign_per_s_raw", std::round(sign_raw));
  report.Set("verify_per_s_raw", std::round(verify_raw));
  report.Set("append_per_s", std::round(append_rate));
  report.Set("append_vs_sign", append_rate / sign_raw);
  report.Set("append_per_s_blocking_threads", std::round(threads_rate));
  report.Set("append_cpu_us_per_event", cpu_total / static_cast<double>(async_events) * 1e6);
  report.Set("fsync_us_p50", std::round(fsync_p50));
  // What bounds append_per_s (docs/benchmarks.md): with a fixed number of
  // appenders, append_per_s = appenders / append_latency_us_mean (Little's
  // law); and however many appenders, the cores do at most
  // cores / append_cpu_us_per_event appends per second.
  report.Set("append_latency_us_mean", stages.total());
  report.Set("append_synced_us_mean", stages.synced);
  report.Set("wal_sync_us_mean", stages.wal_sync);
  report.Set("append_signer_us_per_event", signer_cpu / static_cast<double>(async_events) * 1e6);
  report.Set("append_cpu_bound_vs_sign", CpuBoundVsSign(cpu_total, static_cast<double>(async_events), sign_raw));
  report.Set("verify_per_s", std::round(verify_rate));
  report.Set("verify_vs_raw", verify_rate / verify_raw);
  report.Set("sign_per_s_raw_all_cores", std::round(sign_all));
  report.Set("verify_per_s_raw_all_cores", std::round(verify_all));
  report.Set("proof_us_p50", proof_p50);
  report.Set("proof_verify_us_p50", proof_verify_p50);
  report.Set("events", static_cast<double>(size));
  report.Set("peak_rss_mb", std::round(PeakRssMb()));
  std::printf("%s\n", report.ToString().c_str());  // the one JSON object, with or without --json
  opened->reset();
  if (!args.keep && !args.reuse) std::filesystem::remove_all(dir);
  return 0;
}

}  // namespace nrpf::bench
