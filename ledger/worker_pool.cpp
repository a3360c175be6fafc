#include "ledger/worker_pool.h"

#include <pthread.h>

namespace nrpf::ledger {

namespace {
std::pair<std::size_t, std::size_t> Chunk(std::size_t n, unsigned parts, unsigned slot) {
  const std::size_t base = n / parts;
  const std::size_t extra = n % parts;
  const std::size_t begin = slot * base + std::min<std::size_t>(slot, extra);
  return {begin, begin + base + (slot < extra ? 1 : 0)};
}
}  // namespace

WorkerPool::WorkerPool(unsigned threads) {
  for (unsigned i = 1; i < threads; ++i) {
    workers_.emplace_back([this, i] {
      pthread_setname_np(pthread_self(), "nrpf-worker");
      WorkerLoop(i);
    });
  }
}

WorkerPool::~WorkerPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  work_cv_.notify_all();
  for (auto& t : workers_) t.join();
}

void WorkerPool::ParallelFor(std::size_t n,
                             const std::function<void(std::size_t, std::size_t)>& fn) {
  if (n == 0) return;
  if (workers_.empty() || n < 2) {
    fn(0, n);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    job_ = &fn;
    job_n_ = n;
    pending_ = static_cast<unsigned>(workers_.size());
    ++generation_;
  }
  work_cv_.notify_all();
  auto [begin, end] = Chunk(n, threads(), 0);
  if (begin < end) fn(begin, end);
  std::unique_lock<std::mutex> lock(mu_);
  done_cv_.wait(lock, [this] { return pending_ == 0; });
  job_ = nullptr;
}

void WorkerPool::WorkerLoop(unsigned slot) {
  std::uint64_t seen = 0;
  for (;;) {
    const std::function<void(std::size_t, std::size_t)>* job;
    std::size_t n;
    {
      std::unique_lock<std::mutex> lock(mu_);
      work_cv_.wait(lock, [&] { return stopping_ || generation_ != seen; });
      if (stopping_) return;
      seen = generation_;
      job = job_;
      n = job_n_;
    }
    auto [begin, end] = Chunk(n, threads(), slot);
    if (begin < end) (*job)(begin, end);
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (--pending_ == 0) done_cv_.notify_one();
    }
  }
}

}  // namespace nrpf::ledger
