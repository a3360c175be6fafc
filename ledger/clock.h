// Time source. Rules and the ledger never read the wall clock directly, so
// tests run on fixed dates.

#ifndef NRPF_LEDGER_CLOCK_H_
#define NRPF_LEDGER_CLOCK_H_

#include <atomic>
#include <cstdint>

namespace nrpf {

class Clock {
 public:
  virtual ~Clock() = default;
  // UTC microseconds since 1970-01-01T00:00:00Z. Thread-safe.
  virtual std::int64_t NowMicros() const = 0;
};

// The operating system's real-time clock.
class SystemClock final : public Clock {
 public:
  std::int64_t NowMicros() const override;
  static SystemClock* Default();
};

// A clock that moves only when told to. Thread-safe.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(std::int64_t now_us) : now_us_(now_us) {}
  std::int64_t NowMicros() const override { return now_us_.load(); }
  void Set(std::int64_t now_us) { now_us_.store(now_us); }
  void Advance(std::int64_t delta_us) { now_us_.fetch_add(delta_us); }

 private:
  std::atomic<std::int64_t> now_us_;
};

}  // namespace nrpf

#endif  // NRPF_LEDGER_CLOCK_H_
