// A fixed set of threads that split a loop between them and the caller.
// Used to sign a commit group and to verify signatures on every core.

#ifndef NRPF_LEDGER_WORKER_POOL_H_
#define NRPF_LEDGER_WORKER_POOL_H_

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace nrpf::ledger {

class WorkerPool {
 public:
  // `threads` counts the caller: a pool of 1 runs everything on the caller.
  explicit WorkerPool(unsigned threads);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  unsigned threads() const { return static_cast<unsigned>(workers_.size()) + 1; }

  // Calls fn(begin, end) on disjoint blocks covering [0, n), in parallel
  // (blocks are claimed on demand), and returns when all are done. Not
  // reentrant: one caller at a time.
  void ParallelFor(std::size_t n, const std::function<void(std::size_t, std::size_t)>& fn);

 private:
  void WorkerLoop();
  void RunBlocks(const std::function<void(std::size_t, std::size_t)>& fn, std::size_t n, std::size_t grain);

  std::vector<std::thread> workers_;

  std::mutex mu_;
  std::condition_variable work_cv_;
  std::condition_variable done_cv_;
  // Guarded by mu_.
  const std::function<void(std::size_t, std::size_t)>* job_ = nullptr;
  std::size_t job_n_ = 0;
  std::size_t job_grain_ = 1;
  std::atomic<std::size_t> next_{0};  // next unclaimed index of the current job
  std::uint64_t generation_ = 0;
  unsigned pending_ = 0;
  bool stopping_ = false;
};

}  // namespace nrpf::ledger

#endif  // NRPF_LEDGER_WORKER_POOL_H_
