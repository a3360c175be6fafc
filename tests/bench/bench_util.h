// Shared helpers of nrpf-bench: timing, percentiles, peak RSS, JSON output.

#ifndef NRPF_TESTS_BENCH_BENCH_UTIL_H_
#define NRPF_TESTS_BENCH_BENCH_UTIL_H_

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

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

inline double PeakRssMb() {
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_maxrss) / 1024.0;  // ru_maxrss is KiB on Linux
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
