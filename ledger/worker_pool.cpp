#include "ledger/worker_pool.h"

#include <pthread.h>

#include <algorithm>

namespace nrpf::ledger {


WorkerPool::WorkerPool(unsigned threads) {
  for (unsigned i = 1; i < threads; ++i) {
    workers_.emplace_back([this] {
      pthread_setname_np(pthread_self(), "nrpf-worker");
      WorkerLoop();
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
    // Small blocks handed out on demand: a participant that loses its core
    // to another thread does not hold the others up with a fixed share.
    job_grain_ = std::max<std::size_t>(1, n / (std::size_t{threads()} * 32));
    next_.store(0);
    pending_ = static_cast<unsigned>(workers_.size());
    ++generation_;
  }
  work_cv_.notify_all();
  RunBlocks(fn, n, job_grain_);
  std::unique_lock<std::mutex> lock(mu_);
  done_cv_.wait(lock, [this] { return pending_ == 0; });
  job_ = nullptr;
}

void WorkerPool::RunBlocks(const std::function<void(std::size_t, std::size_t)>& fn, std::size_t n,
                           std::size_t grain) {
  for (std::size_t b = next_.fetch_add(grain); b < n; b = next_.fetch_add(grain)) fn(b, std::min(n, b + grain));
}

void WorkerPool::WorkerLoop() {
  std::uint64_t seen = 0;
  for (;;) {
    const std::function<void(std::size_t, std::size_t)>* job;
    std::size_t n;
    std::size_t grain;
    {
      std::unique_lock<std::mutex> lock(mu_);
      work_cv_.wait(lock, [&] { return stopping_ || generation_ != seen; });
      if (stopping_) return;
      seen = generation_;
      job = job_;
      n = job_n_;
      grain = job_grain_;
    }
    RunBlocks(*job, n, grain);
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (--pending_ == 0) done_cv_.notify_one();
    }
  }
}

}  // namespace nrpf::ledger
