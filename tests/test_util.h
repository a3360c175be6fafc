// Helpers shared by the tests: scratch directories and small ledgers.

#ifndef NRPF_TESTS_TEST_UTIL_H_
#define NRPF_TESTS_TEST_UTIL_H_

#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

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

// "path reason" of each field a refusal names, in order; none for ok.
inline std::vector<std::string> FieldsOf(const Status& s) {
  std::vector<std::string> out;
  for (const FieldError& f : s.fields()) out.push_back(f.field + " " + f.reason);
  return out;
}
template <typename T>
std::vector<std::string> FieldsOf(const Result<T>& r) {
  return FieldsOf(r.status());
}

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

// Each thread of a process (`task_dir`: /proc/self/task or /proc/<pid>/task)
// as its name and the fields of its stat line after the name: field 3 of
// proc(5), the state, is [0]; utime [11], stime [12], nice [16].
inline std::vector<std::pair<std::string, std::vector<std::string>>> ThreadStats(const std::filesystem::path& task_dir) {
  std::vector<std::pair<std::string, std::vector<std::string>>> out;
  for (const auto& task : std::filesystem::directory_iterator(task_dir)) {
    std::ifstream in(task.path() / "stat");
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto open = stat.find('('), close = stat.rfind(')');
    if (open == std::string::npos || close == std::string::npos || close + 2 > stat.size()) continue;
    std::istringstream rest(stat.substr(close + 2));
    std::vector<std::string> fields;
    for (std::string f; rest >> f;) fields.push_back(std::move(f));
    out.emplace_back(stat.substr(open + 1, close - open - 1), std::move(fields));
  }
  return out;
}

}  // namespace nrpf::test

#endif  // NRPF_TESTS_TEST_UTIL_H_
