// Shared helpers of nrpf-bench: timing, percentiles, peak RSS, the ledger's
// stage waits, JSON output.

#ifndef NRPF_TESTS_BENCH_BENCH_UTIL_H_
#define NRPF_TESTS_BENCH_BENCH_UTIL_H_

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "ledger/ledger.h"

namespace nrpf::bench {

using SteadyClock = std::chrono::steady_clock;

inline double SecondsSince(SteadyClock::time_point start) {
  return std::chrono::duration<double>(SteadyClock::now() - start).count();
}

// The p-th percentile (0..100) of `samples`, nearest rank. REQUIRES: non-empty.
inline double Percentile(std::vector<double> samples, double p) {
  std::sort(samples.begin(), samples.end());
  std::size_t rank = static_cast<std::size_t>(p / 100.0 * static_cast<double>(samples.size()));
  return samples[std::min(rank, samples.size() - 1)];
}

// The ceiling of a `*_vs_sign` ratio at a measured cost: what every core of
// the machine, fully busy, would do at `cpu_seconds` of CPU for `units`
// operations, over the raw one-core sign rate. 0 when nothing was measured.
inline double CpuBoundVsSign(double cpu_seconds, double units, double sign_raw) {
  if (cpu_seconds <= 0 || units <= 0 || sign_raw <= 0) return 0;
  const double cores = std::max(1u, std::thread::hardware_concurrency());
  return cores / (cpu_seconds / units) / sign_raw;
}

inline double PeakRssMb() {
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_maxrss) / 1024.0;  // ru_maxrss is KiB on Linux
}

// What one thread has used so far (/proc/self/task/<tid>/schedstat): its
// time on a core, and its time runnable but waiting for one (how much a
// pipeline stage is held back by the other threads, not by its work).
struct ThreadTimes {
  std::string name;
  double cpu_s = 0;
  double waiting_s = 0;
};

// Every thread of this process, by thread id.
inline std::map<long, ThreadTimes> ThreadTimesNow() {
  std::map<long, ThreadTimes> out;
  std::error_code ec;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task", ec)) {
    std::ifstream comm(task.path() / "comm"), sched(task.path() / "schedstat");
    ThreadTimes t;
    double on_cpu_ns = 0, waiting_ns = 0;
    if (!std::getline(comm, t.name) || !(sched >> on_cpu_ns >> waiting_ns)) continue;
    t.cpu_s = on_cpu_ns / 1e9;
    t.waiting_s = waiting_ns / 1e9;
    out.emplace(std::stol(task.path().filename().string()), std::move(t));
  }
  return out;
}

// What the threads alive at `after` used since `before`, added up by thread
// name. Matched by thread id: a thread that ended in between (its times gone
// from /proc) cannot be subtracted from a new one of the same name, and one
// born in between counts from zero.
inline std::map<std::string, ThreadTimes> ThreadTimesSince(const std::map<long, ThreadTimes>& before,
                                                           const std::map<long, ThreadTimes>& after) {
  std::map<std::string, ThreadTimes> out;
  for (const auto& [tid, a] : after) {
    auto b = before.find(tid);
    ThreadTimes& sum = out[a.name];
    sum.name = a.name;
    sum.cpu_s += a.cpu_s - (b == before.end() ? 0 : b->second.cpu_s);
    sum.waiting_s += a.waiting_s - (b == before.end() ? 0 : b->second.waiting_s);
  }
  return out;
}

// Median microseconds of a 4 KiB write + fdatasync in `dir`: the floor under
// any durable acknowledgement on this disk.
inline double FsyncMicrosP50(const std::filesystem::path& dir, int rounds = 200) {
  const std::string path = (dir / "fsync-probe").string();
  int fd = ::open(path.c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0600);
  if (fd < 0) return -1;
  std::vector<double> us;
  char block[4096] = {};
  for (int i = 0; i < rounds; ++i) {
    const auto t0 = SteadyClock::now();
    if (::write(fd, block, sizeof(block)) != static_cast<ssize_t>(sizeof(block)) || ::fdatasync(fd) != 0) break;
    us.push_back(SecondsSince(t0) * 1e6);
  }
  ::close(fd);
  ::unlink(path.c_str());
  return us.empty() ? -1 : Percentile(us, 50);
}

// Mean wait of an append in each pipeline stage between two snapshots.
struct StageMeansUs {
  double queued = 0, sequenced = 0, signed_ = 0, written = 0, synced = 0, completed = 0;
  double per_group = 0, wal_sync = 0;
  double total() const { return queued + sequenced + signed_ + written + synced + completed; }
};

inline StageMeansUs StageMeans(const ledger::PipelineStats& a, const ledger::PipelineStats& b) {
  StageMeansUs m;
  const double n = static_cast<double>(b.appends - a.appends);
  if (n == 0) return m;
  m.queued = static_cast<double>(b.queued_us - a.queued_us) / n;
  m.sequenced = static_cast<double>(b.sequenced_us - a.sequenced_us) / n;
  m.signed_ = static_cast<double>(b.signed_us - a.signed_us) / n;
  m.written = static_cast<double>(b.written_us - a.written_us) / n;
  m.synced = static_cast<double>(b.synced_us - a.synced_us) / n;
  m.completed = static_cast<double>(b.completed_us - a.completed_us) / n;
  if (b.groups > a.groups) m.per_group = n / static_cast<double>(b.groups - a.groups);
  if (b.wal_syncs > a.wal_syncs) {
    m.wal_sync = static_cast<double>(b.wal_sync_us - a.wal_sync_us) / static_cast<double>(b.wal_syncs - a.wal_syncs);
  }
  return m;
}

inline void PrintStageMeans(const StageMeansUs& m) {
  std::fprintf(stderr,
               "  mean wait per append (us): queued %.0f, sequenced %.0f, signed %.0f, written %.0f, synced %.0f, "
               "completed %.0f = %.0f; %.1f appends per group; WAL sync %.0f us each\n",
               m.queued, m.sequenced, m.signed_, m.written, m.synced, m.completed, m.total(), m.per_group, m.wal_sync);
}

// Ordered key -> number, printed as one JSON object.
class JsonReport {
 public:
  void Set(const std::string& key, double value) {
    if (values_.find(key) == values_.end()) order_.push_back(key);
    values_[key] = value;
  }
  std::string ToString() const {
    std::string out = "{";
    for (std::size_t i = 0; i < order_.size(); ++i) {
      char buf[64];
      const double v = values_.at(order_[i]);
      if (v == static_cast<double>(static_cast<long long>(v)) && v < 1e15) {
        std::snprintf(buf, sizeof(buf), "%lld", static_cast<long long>(v));
      } else {
        std::snprintf(buf, sizeof(buf), "%.4g", v);
      }
      out += (i ? ", \"" : "\"") + order_[i] + "\": " + buf;
    }
    return out + "}";
  }

 private:
  std::vector<std::string> order_;
  std::map<std::string, double> values_;
};

}  // namespace nrpf::bench

#endif  // NRPF_TESTS_BENCH_BENCH_UTIL_H_
