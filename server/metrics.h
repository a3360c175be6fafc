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

namespace nrpf::server {

class Metrics {
 public:
  // Gauges read at render time (log size, queue depth, ...).
  void AddGauge(std::string name, std::string help, std::function<double()> read);

  std::atomic<std::uint64_t> connections_accepted{0};
  std::atomic<std::uint64_t> connections_refused{0};   // over max_connections
  std::atomic<std::int64_t> connections_open{0};
  std::atomic<std::uint64_t> tls_handshake_failures{0};
  std::atomic<std::uint64_t> frames_rejected{0};       // malformed or oversize
  std::atomic<std::uint64_t> timeouts{0};              // read, idle and write deadlines
  std::atomic<std::uint64_t> logins_failed{0};
  std::atomic<std::uint64_t> lockouts{0};
  std::atomic<std::uint64_t> pushes{0};

  // One request answered: its operation ("create_case", or "invalid" before
  // one is known), its error code ("ok" on success), and how long it took.
  void CountRequest(std::string_view op, std::string_view code, double seconds);

  std::string Render() const;

 private:
  struct Latency {
    std::uint64_t buckets[12] = {};  // cumulative at render
    std::uint64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex mu_;
  std::map<std::pair<std::string, std::string>, std::uint64_t> requests_;  // guarded by mu_
  std::map<std::string, Latency> latency_;                                 // guarded by mu_
  std::map<std::string, std::pair<std::string, std::function<double()>>> gauges_;  // guarded by mu_
};

}  // namespace nrpf::server

#endif  // NRPF_SERVER_METRICS_H_
