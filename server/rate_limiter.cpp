#include "server/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace nrpf::server {

RateLimiter::RateLimiter(double per_minute, std::size_t max_keys)
    : capacity_(std::max(1.0, per_minute)), per_us_(per_minute / 60e6), max_keys_(max_keys) {}

double RateLimiter::Refilled(const Bucket& b, std::int64_t now_us) const {
  const double elapsed = static_cast<double>(std::max<std::int64_t>(0, now_us - b.at_us));
  return std::min(capacity_, b.tokens + elapsed * per_us_);
}

void RateLimiter::ForgetFull(std::int64_t now_us) {
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    it = Refilled(it->second, now_us) >= capacity_ ? buckets_.erase(it) : std::next(it);
  }
}

bool RateLimiter::Take(std::string_view key, std::int64_t now_us, std::int64_t* retry_after_us) {
  std::lock_guard lock(mu_);
  auto it = buckets_.find(std::string(key));
  if (it == buckets_.end()) {
    if (buckets_.size() >= max_keys_) ForgetFull(now_us);
    if (buckets_.size() >= max_keys_) {
      *retry_after_us = static_cast<std::int64_t>(std::ceil(1.0 / per_us_));
      return false;
    }
    it = buckets_.emplace(std::string(key), Bucket{capacity_, now_us}).first;
  }
  Bucket& b = it->second;
  b.tokens = Refilled(b, now_us);
  b.at_us = now_us;
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return true;
  }
  *retry_after_us = static_cast<std::int64_t>(std::ceil((1.0 - b.tokens) / per_us_));
  return false;
}

}  // namespace nrpf::server
