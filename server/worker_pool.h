// A fixed set of threads running blocking work (commands wait for durable
// appends) off the I/O threads, behind a bounded queue: when the queue is
// full a task is refused at once, so the caller answers unavailable/busy
// instead of holding memory.
//
// Thread-safe.

#ifndef NRPF_SERVER_WORKER_POOL_H_
#define NRPF_SERVER_WORKER_POOL_H_

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace nrpf::server {

class WorkerPool {
 public:
  struct Task {
    std::function<void()> run;
    std::function<void()> cancel;  // instead of run, when the pool stops first
  };

  // Each thread runs `nice_steps` nice levels below the caller's
  // (ledger::LowerThreadPriority; 0 = the same).
  WorkerPool(unsigned threads, std::size_t max_queued, const std::string& thread_name, int nice_steps = 0);
  // Shutdown(0).
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queues `task`; false, and nothing queued, when the queue is full or the
  // pool is stopping.
  bool TrySubmit(Task task);

  // Takes no more work; lets queued tasks start for up to `grace`, then
  // cancels those still queued and waits for the running ones to return.
  void Shutdown(std::chrono::milliseconds grace);

  std::size_t queued() const;
  std::size_t running() const;

 private:
  void Work();

  const std::size_t max_queued_;
  mutable std::mutex mu_;
  std::condition_variable ready_;
  std::condition_variable drained_;
  std::deque<Task> queue_;   // guarded by mu_
  std::size_t running_ = 0;  // guarded by mu_
  bool stopping_ = false;    // guarded by mu_
  bool stopped_ = false;     // guarded by mu_: workers exit
  std::vector<std::thread> threads_;
};

}  // namespace nrpf::server

#endif  // NRPF_SERVER_WORKER_POOL_H_
