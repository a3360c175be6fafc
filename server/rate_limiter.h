// Token buckets by key (a client address, an account id): `per_minute`
// actions a minute, in bursts of up to `per_minute`. Memory is bounded: at
// most `max_keys` buckets are kept, full buckets being forgotten first
// (a full bucket is the same as none); beyond that a new key is refused.
//
// Thread-safe. Time comes from the caller.

#ifndef NRPF_SERVER_RATE_LIMITER_H_
#define NRPF_SERVER_RATE_LIMITER_H_

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace nrpf::server {

class RateLimiter {
 public:
  RateLimiter(double per_minute, std::size_t max_keys);

  // Takes one token for `key` at `now_us` and returns true, or returns false
  // and sets `*retry_after_us` to when one will be there.
  bool Take(std::string_view key, std::int64_t now_us, std::int64_t* retry_after_us);

 private:
  struct Bucket {
    double tokens = 0;
    std::int64_t at_us = 0;
  };
  double Refilled(const Bucket& b, std::int64_t now_us) const;
  void ForgetFull(std::int64_t now_us);  // REQUIRES: mu_ held

  const double capacity_;
  const double per_us_;
  const std::size_t max_keys_;
  std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;  // guarded by mu_
};

}  // namespace nrpf::server

#endif  // NRPF_SERVER_RATE_LIMITER_H_
