// A fixed set of threads running work off the threads that must not wait
// (a server's I/O threads, the projections' thread that answers commands),
// behind a bounded queue: when the queue is full a task is refused at once,
// so the caller answers unavailable/busy instead of holding memory.
//
// Thread-safe.

#ifndef NRPF_DOMAIN_TASK_POOL_H_
#define NRPF_DOMAIN_TASK_POOL_H_

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "ledger/status.h"

namespace nrpf::domain {

// Runs `run` later, on another thread, or `cancel` with the reason instead
// when it cannot (a full queue, a stop): exactly one of them, once.
using Executor = std::function<void(std::function<void()> run, std::function<void(Status)> cancel)>;

class TaskPool {
 public:
  struct Task {
    std::function<void()> run;
    std::function<void()> cancel;  // instead of run, when the pool stops first
  };

  // Each thread runs `nice_steps` nice levels below the caller's
  // (ledger::LowerThreadPriority; 0 = the same).
  TaskPool(unsigned threads, std::size_t max_queued, const std::string& thread_name, int nice_steps = 0);
  // Shutdown(0).
  ~TaskPool();
  TaskPool(const TaskPool&) = delete;
  TaskPool& operator=(const TaskPool&) = delete;

  // Queues `task`; false, and nothing queued, when the queue is full or the
  // pool is stopping.
  bool TrySubmit(Task task);
  // The pool as an Executor: a task it cannot take is cancelled with
  // unavailable/busy, or unavailable/shutting_down once it is stopping.
  // REQUIRES: the pool outlives the executor's use.
  Executor AsExecutor();

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

}  // namespace nrpf::domain

#endif  // NRPF_DOMAIN_TASK_POOL_H_
