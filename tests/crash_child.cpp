// Appends from many threads until it is killed, printing one line per
// acknowledged append: "ack <command id> <position>\n". Used by crash_test.
//
// Usage: ledger_crash_child DIR THREADS ROUND

#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "ledger/ledger.h"

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: ledger_crash_child DIR THREADS ROUND\n");
    return 2;
  }
  const std::string dir = argv[1];
  const int threads = std::atoi(argv[2]);
  const std::string round = argv[3];
  nrpf::ledger::LedgerOptions o;
  o.db_path = dir + "/ledger";
  o.master_key_path = dir + "/master.key";
  o.signing_key_dir = dir + "/keys";
  auto ledger = nrpf::ledger::Ledger::Open(o);
  if (!ledger.ok()) {
    std::fprintf(stderr, "open: %s\n", ledger.status().ToString().c_str());
    return 1;
  }
  std::mutex out_mu;
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (std::uint64_t i = 0;; ++i) {
        nrpf::ledger::AppendRequest req;
        req.command_id = "r" + round + "-t" + std::to_string(t) + "-" + std::to_string(i);
        req.actor = {"crash-user", "crash-org", "council_user"};
        nrpf::ledger::NewEvent e;
        e.stream_id = "stream-" + std::to_string(t);
        e.type = "crash.test";
        e.body = req.command_id;
        e.personal.push_back({"person-" + std::to_string(t), "applicant", "name " + req.command_id});
        req.events.push_back(e);
        if (i % 3 == 0) req.events.push_back(e);  // some multi-event appends
        auto r = (*ledger)->Append(req);
        if (!r.ok()) {
          std::fprintf(stderr, "append: %s\n", r.status().ToString().c_str());
          _exit(1);
        }
        std::string line = "ack " + req.command_id + " " + std::to_string(r->first_position) + " " +
                           std::to_string(r->count) + "\n";
        std::lock_guard<std::mutex> lock(out_mu);
        // One write per line, unbuffered: what the parent reads was acknowledged.
        if (::write(1, line.data(), line.size()) != static_cast<ssize_t>(line.size())) _exit(1);
      }
    });
  }
  for (auto& w : workers) w.join();
  return 0;
}
