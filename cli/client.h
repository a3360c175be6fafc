// A blocking client of nrpf-ledgerd's binary listener: one connection,
// plaintext or TLS, frames in and out with a deadline on every exchange.
// Used by the nrpf command line, the tests and nrpf-bench.
//
// Thread-compatible: one thread uses a Client at a time.

#ifndef NRPF_CLI_CLIENT_H_
#define NRPF_CLI_CLIENT_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "ledger/status.h"
#include "schema/api_generated.h"

namespace nrpf::cli {

struct ClientOptions {
  // host:port of the binary listener. Default: 127.0.0.1:7700.
  std::string server = "127.0.0.1:7700";
  // Speak TLS, checking the server's certificate against `ca_file` (PEM),
  // or the system's store when empty. Default: plaintext.
  bool tls = false;
  std::string ca_file;
  // The name the certificate must carry. Default: the host of `server`.
  std::string server_name;
  // Deadline of connecting and of each exchange. Default: 30 s.
  std::chrono::milliseconds timeout{30000};
  // Largest answer accepted. Default: 64 MiB.
  std::size_t max_frame_bytes = 64u << 20;
};

// One request to send: the op, its body as JSON of the op's table, and the
// envelope fields.
struct RequestSpec {
  api::fb::Op op = api::fb::Op::NONE;
  std::string body_json = "{}";
  std::uint64_t request_id = 1;
  std::string command_id;
  std::optional<std::uint64_t> expected_version;
  std::string token;
};

// A size-prefixed Request frame of `spec` (made by FlatBuffers' JSON parser
// from the schema). invalid_argument/invalid_json when the body is not JSON
// of the op's table.
Result<std::string> BuildRequestFrame(const RequestSpec& spec);
// The same for a spec of just these fields.
Result<std::string> BuildRequestFrame(api::fb::Op op, std::string body_json, std::uint64_t request_id,
                                      std::string token = "");

class Client {
 public:
  // kUnavailable/connect_failed when the server cannot be reached;
  // kUnavailable/tls_failed when the TLS handshake fails.
  static Result<std::unique_ptr<Client>> Connect(const ClientOptions& options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  Status Send(const std::string& frame);
  // The next frame from the server, verified. kCancelled/deadline_exceeded
  // when none arrives within `timeout`; kUnavailable/connection_closed when
  // the server closed the connection.
  Result<std::string> Receive(std::chrono::milliseconds timeout);
  // Sends `frame` and returns the Reply to `request_id` (pushes and other
  // replies that arrive first are dropped). When `document` is given and
  // the answer is a Document, the whole document (its Part frames and the
  // Reply's piece, in order) is put there. The deadline restarts with each
  // piece that arrives.
  Result<std::string> Call(const std::string& frame, std::uint64_t request_id, std::string* document = nullptr);

  // Raw bytes, for tests of hostile input.
  Status SendRaw(std::string_view bytes);

  class Impl;

 private:
  explicit Client(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  std::chrono::milliseconds timeout_;
};

}  // namespace nrpf::cli

#endif  // NRPF_CLI_CLIENT_H_
