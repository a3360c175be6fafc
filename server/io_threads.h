// The threads that run the sockets: one io_context each, run by one thread.
// A connection belongs to one of them for its whole life, so its handlers run
// in order on that thread with no strand, no lock taken between threads and
// no hand-off from one thread to another. Accepted connections are dealt to
// the threads in turn.

#ifndef NRPF_SERVER_IO_THREADS_H_
#define NRPF_SERVER_IO_THREADS_H_

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/basic_waitable_timer.hpp>
#include <boost/asio/io_context.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

namespace nrpf::server {

// The executor of a connection and of its timers: its thread's io_context.
using IoExecutor = boost::asio::io_context::executor_type;
using IoTimer = boost::asio::basic_waitable_timer<std::chrono::steady_clock,
                                                  boost::asio::wait_traits<std::chrono::steady_clock>, IoExecutor>;

class IoThreads {
 public:
  // `threads` io_contexts, or for 0 half the cores, at least one; none runs
  // until Start.
  explicit IoThreads(unsigned threads);
  ~IoThreads();  // Stop()

  IoThreads(const IoThreads&) = delete;
  IoThreads& operator=(const IoThreads&) = delete;

  // The io_context for the next accepted connection, in turn. Thread-safe.
  boost::asio::io_context& Next();
  // The first io_context: where the listening sockets run.
  boost::asio::io_context& first() { return *contexts_.front(); }
  std::size_t size() const { return contexts_.size(); }

  // Starts one thread per io_context, named `name`.
  void Start(const char* name);
  // Stops every io_context, dropping handlers not yet run, and joins the
  // threads. Idempotent.
  void Stop();

 private:
  std::vector<std::unique_ptr<boost::asio::io_context>> contexts_;
  std::vector<boost::asio::executor_work_guard<IoExecutor>> work_;
  std::vector<std::thread> threads_;
  std::atomic<std::size_t> next_{0};
};

}  // namespace nrpf::server

#endif  // NRPF_SERVER_IO_THREADS_H_
