// Tests against the real nrpf-ledgerd: a process on OS-chosen loopback
// ports in a scratch directory, driven by the nrpf binary, raw HTTP and raw
// sockets, as clients would.
//
// Every server started here listens on 127.0.0.1 only and cannot outlive
// the test: it dies with the test process (PR_SET_PDEATHSIG), and the
// destructor stops it with SIGTERM, then SIGKILL after a watchdog delay.

#ifndef NRPF_TESTS_SERVER_HARNESS_H_
#define NRPF_TESTS_SERVER_HARNESS_H_

#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "schema/api_generated.h"
#include "tests/test_util.h"

namespace nrpf::test {

class ServerProcess {
 public:
  // Starts nrpf-ledgerd on `data_dir` with cheap password hashing and
  // `flags` added; waits until it has bound its ports. Throws on failure.
  explicit ServerProcess(std::string data_dir, std::vector<std::string> flags = {});
  // Stop(), when still running.
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  // SIGTERM, then waits up to `watchdog` before SIGKILL. The exit status:
  // the exit code, or 128 + the signal that ended it.
  int Stop(std::chrono::seconds watchdog = std::chrono::seconds(30));
  bool running();

  const std::string& binary() const { return binary_; }  // host:port
  const std::string& http() const { return http_; }      // host:port
  // The first admin's one-time password, when this start printed one.
  const std::string& first_password() const { return first_password_; }
  std::string Stdout() const;
  std::string Stderr() const;
  pid_t pid() const { return pid_; }

 private:
  std::string dir_;
  pid_t pid_ = -1;
  int status_ = -1;
  std::string binary_, http_, first_password_;
};

// Runs nrpf-ledgerd to completion (for starts that must fail, and actions
// that exit). Returns the exit status and what it wrote to stderr (and
// stdout).
int RunServerToExit(const std::vector<std::string>& args, std::string* err, std::chrono::seconds watchdog,
                    std::string* out = nullptr);

struct CliResult {
  int code = -1;
  std::string out;
  std::string err;
};

// Runs the nrpf binary with `args` and these environment variables (and
// nothing else from the test's environment but PATH), feeding `input`.
CliResult RunNrpf(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
                  const std::string& input = "");

// A user at a terminal: nrpf with their own token file against `server`.
class CliUser {
 public:
  CliUser(const ServerProcess& server, const TempDir& dir, std::string user_id);
  // nrpf <args>..., as this user.
  CliResult Run(std::vector<std::string> args, std::map<std::string, std::string> env = {}) const;
  // nrpf --json <args>...: the answer, parsed back with the schema.
  // REQUIRES: the output is a Response (throws otherwise).
  struct Answer {
    int code = -1;
    std::string buffer;  // the Response table
    const api::fb::Response* operator->() const { return flatbuffers::GetRoot<api::fb::Response>(buffer.data()); }
    std::string reason() const;  // "" when ok
  };
  Answer Json(std::vector<std::string> args, std::map<std::string, std::string> env = {}) const;
  // login with `password`; then, when it was a one-time password, changes it
  // to `final_password`. Throws unless both succeed.
  void LogIn(const std::string& password, const std::string& final_password);
  const std::string& id() const { return user_id_; }
  const std::string& token_file() const { return token_file_; }

 private:
  std::string server_;
  std::string user_id_;
  std::string token_file_;
};

// A size-prefixed Request frame of `op` with the JSON `body` (cli::BuildRequestFrame).
std::string RequestFrame(api::fb::Op op, const std::string& body, std::uint64_t id, const std::string& token = "");

// The Response table of JSON text (FlatBuffers' parser with the schema).
std::optional<std::string> ParseResponseJson(const std::string& json);

// ---- raw transport ----

class RawSocket {
 public:
  // Connects to host:port (blocking). `receive_buffer` > 0 sets SO_RCVBUF first.
  explicit RawSocket(const std::string& hostport, int receive_buffer = 0);
  ~RawSocket();
  RawSocket(const RawSocket&) = delete;
  RawSocket& operator=(const RawSocket&) = delete;

  bool Send(const std::string& bytes);
  // Whatever arrives within `timeout` (at most `max` bytes); sets *closed
  // when the peer closed (EOF or reset).
  std::string Receive(std::chrono::milliseconds timeout, bool* closed, std::size_t max = 1 << 20);
  // What arrives first: returns as soon as some bytes came (or the peer
  // closed, or `timeout` passed).
  std::string ReceiveSome(std::chrono::milliseconds timeout, bool* closed);
  // Reads until the peer closes or `timeout` passes; true when it closed.
  bool WaitClosed(std::chrono::milliseconds timeout);
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
};

struct HttpResult {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

// One HTTP/1.1 request on a fresh connection (Connection: close).
HttpResult Http(const std::string& hostport, const std::string& method, const std::string& target,
                const std::string& body = "", const std::vector<std::pair<std::string, std::string>>& headers = {});
// The value of the sample `name` (labels included) in a Prometheus text
// page; -1 when the page has no such sample.
double Sample(const std::string& page, const std::string& name);
// The same with "Authorization: Bearer <token>".
HttpResult HttpAs(const std::string& token, const std::string& hostport, const std::string& method,
                  const std::string& target, const std::string& body = "");

// The error reason of an HTTP answer's Response JSON ("" when ok or not JSON).
std::string ReasonOf(const HttpResult& r);
// "path reason" of each field an HTTP error names, in order.
std::vector<std::string> FieldErrorsOf(const HttpResult& r);

}  // namespace nrpf::test

#endif  // NRPF_TESTS_SERVER_HARNESS_H_
