#include "server/io_threads.h"

#include <pthread.h>

#include <algorithm>

namespace nrpf::server {

namespace net = boost::asio;

IoThreads::IoThreads(unsigned threads) {
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency() / 2);
  for (unsigned i = 0; i < threads; ++i) {
    // Each is run by one thread only, which lets Asio skip waking others.
    contexts_.push_back(std::make_unique<net::io_context>(1));
  }
}

IoThreads::~IoThreads() { Stop(); }

net::io_context& IoThreads::Next() {
  return *contexts_[next_.fetch_add(1, std::memory_order_relaxed) % contexts_.size()];
}

void IoThreads::Start(const char* name) {
  if (!threads_.empty()) return;
  for (auto& c : contexts_) {
    work_.push_back(net::make_work_guard(*c));
    net::io_context* ioc = c.get();
    threads_.emplace_back([ioc] { ioc->run(); });
    pthread_setname_np(threads_.back().native_handle(), name);
  }
}

void IoThreads::Stop() {
  for (auto& w : work_) w.reset();
  work_.clear();
  for (auto& c : contexts_) c->stop();
  for (std::thread& t : threads_) t.join();
  threads_.clear();
}

}  // namespace nrpf::server
