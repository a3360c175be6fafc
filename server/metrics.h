// Counters and gauges of the daemon, rendered for Prometheus (GET /metrics,
// text exposition format 0.0.4). No label carries personal data, an account
// or an address: only listener names, operation names and error codes.
//
// Thread-safe: every value is atomic; labelled families take a mutex.

#ifndef NRPF_SERVER_METRICS_H_
#define NRPF_SERVER_METRICS_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ledger/status.h"

namespace nrpf::server {

class Metrics {
 public:
  // Gauges read at render time (log size, queue depth, ...).
  void AddGauge(std::string name, std::string help, std::function<double()> read);
  // Counters kept elsewhere (the ledger's), read at render time. `labels`
  // ("stage=\"synced\"") tells apart the samples of one family, which share
  // the family's help text.
  void AddCounter(std::string name, std::string help, std::function<double()> read, std::string labels = "");

  std::atomic<std::uint64_t> connections_accepted{0};
  std::atomic<std::uint64_t> connections_refused{0};   // over max_connections
  std::atomic<std::int64_t> connections_open{0};
  std::atomic<std::uint64_t> tls_handshake_failures{0};
  std::atomic<std::uint64_t> frames_rejected{0};       // malformed or oversize
  std::atomic<std::uint64_t> timeouts{0};              // read, idle and write deadlines
  std::atomic<std::uint64_t> logins_failed{0};
  std::atomic<std::uint64_t> lockouts{0};
  std::atomic<std::uint64_t> pushes{0};

  // One request answered: its operation (an api::fb::Op value; 0 before
  // one is known), its error code, and how long it took. Lock-free.
  void CountRequest(unsigned op, Code code, double seconds);

  std::string Render() const;

  static constexpr unsigned kOps = 64;      // > api::fb::Op::MAX
  static constexpr unsigned kCodes = 16;    // > Code::kCancelled
  static constexpr unsigned kBuckets = 12;

 private:
  struct Latency {
    std::atomic<std::uint64_t> buckets[kBuckets] = {};  // not cumulative; summed at render
    std::atomic<std::uint64_t> count{0};
    std::atomic<std::uint64_t> sum_ns{0};
  };
  std::atomic<std::uint64_t> requests_[kOps][kCodes] = {};
  Latency latency_[kOps];
  mutable std::mutex mu_;
  // Families read at render time, by name: guarded by mu_.
  struct Family {
    std::string help;
    const char* type = "gauge";
    std::vector<std::pair<std::string, std::function<double()>>> samples;  // labels, read
  };
  void Add(std::string name, std::string help, const char* type, std::function<double()> read, std::string labels);
  std::map<std::string, Family> families_;
};

}  // namespace nrpf::server

#endif  // NRPF_SERVER_METRICS_H_
