#include "domain/task_pool.h"

#include <pthread.h>

#include <latch>
#include <memory>

#include "ledger/ledger.h"

namespace nrpf::domain {

namespace {
Status ShuttingDown() { return Status::Unavailable("the server is stopping").WithReason("shutting_down"); }
}  // namespace

TaskPool::TaskPool(unsigned threads, std::size_t max_queued, const std::string& thread_name, int nice_steps)
    : max_queued_(max_queued) {
  // The pool is whole when constructed: every thread named and at its
  // priority, whatever the scheduler got round to.
  std::latch started(threads);
  for (unsigned i = 0; i < threads; ++i) {
    threads_.emplace_back([this, nice_steps, &started] {
      // A worker that keeps its priority still works: the setting only orders
      // who runs first when the cores are all busy.
      (void)ledger::LowerThreadPriority(nice_steps);
      started.count_down();
      Work();
    });
    pthread_setname_np(threads_.back().native_handle(), thread_name.substr(0, 15).c_str());
  }
  started.wait();
}

TaskPool::~TaskPool() { Shutdown(std::chrono::milliseconds(0)); }

bool TaskPool::TrySubmit(Task task) {
  {
    std::lock_guard lock(mu_);
    if (stopping_ || queue_.size() >= max_queued_) return false;
    queue_.push_back(std::move(task));
  }
  ready_.notify_one();
  return true;
}

Executor TaskPool::AsExecutor() {
  return [this](std::function<void()> run, std::function<void(Status)> cancel) {
    auto shared_cancel = std::make_shared<std::function<void(Status)>>(std::move(cancel));
    Task task;
    task.run = std::move(run);
    task.cancel = [shared_cancel] { (*shared_cancel)(ShuttingDown()); };
    if (TrySubmit(std::move(task))) return;
    bool stopping;
    {
      std::lock_guard lock(mu_);
      stopping = stopping_;
    }
    (*shared_cancel)(stopping ? ShuttingDown()
                              : Status::Unavailable("too many requests waiting; retry").WithReason("busy"));
  };
}

void TaskPool::Work() {
  for (;;) {
    Task task;
    {
      std::unique_lock lock(mu_);
      ready_.wait(lock, [&] { return stopped_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopped_
      task = std::move(queue_.front());
      queue_.pop_front();
      ++running_;
    }
    task.run();
    {
      std::lock_guard lock(mu_);
      --running_;
    }
    drained_.notify_all();
  }
}

void TaskPool::Shutdown(std::chrono::milliseconds grace) {
  std::deque<Task> cancelled;
  {
    std::unique_lock lock(mu_);
    if (stopped_ && threads_.empty()) return;
    stopping_ = true;
    drained_.wait_for(lock, grace, [&] { return queue_.empty(); });
    cancelled.swap(queue_);
    stopped_ = true;
  }
  ready_.notify_all();
  for (Task& t : cancelled) {
    if (t.cancel) t.cancel();
  }
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

std::size_t TaskPool::queued() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

std::size_t TaskPool::running() const {
  std::lock_guard lock(mu_);
  return running_;
}

}  // namespace nrpf::domain
