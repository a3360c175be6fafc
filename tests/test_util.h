// Helpers shared by the tests: scratch directories and small ledgers.

#ifndef NRPF_TESTS_TEST_UTIL_H_
#define NRPF_TESTS_TEST_UTIL_H_

#include <filesystem>
#include <memory>
#include <random>
#include <string>

#include "ledger/ledger.h"

namespace nrpf::test {

// A fresh directory under the system temp dir, removed on destruction.
class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() /
            ("nrpf-test-" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string Sub(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

inline ledger::LedgerOptions OptionsIn(const TempDir& dir, const Clock* clock = nullptr) {
  ledger::LedgerOptions o;
  o.db_path = dir.Sub("ledger");
  o.master_key_path = dir.Sub("master.key");
  o.signing_key_dir = dir.Sub("keys");
  o.origin = "test.nrpf.local/log";
  o.clock = clock;
  return o;
}

inline std::unique_ptr<ledger::Ledger> OpenOrDie(const ledger::LedgerOptions& o) {
  auto r = ledger::Ledger::Open(o);
  if (!r.ok()) throw std::runtime_error("open failed: " + r.status().ToString());
  return std::move(r).value();
}

inline ledger::NewEvent Event(std::string stream, std::string type, std::string body = "body") {
  ledger::NewEvent e;
  e.stream_id = std::move(stream);
  e.type = std::move(type);
  e.body = std::move(body);
  return e;
}

inline ledger::AppendRequest Request(std::string command_id, std::vector<ledger::NewEvent> events,
                                     std::vector<ledger::StreamExpectation> expectations = {}) {
  ledger::AppendRequest r;
  r.command_id = std::move(command_id);
  r.actor = {"user-1", "council-1", "council_user"};
  r.events = std::move(events);
  r.expectations = std::move(expectations);
  return r;
}

}  // namespace nrpf::test

#endif  // NRPF_TESTS_TEST_UTIL_H_
