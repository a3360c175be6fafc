// nrpf-ledgerd's configuration: a file of `key = value` lines, then flags
// (`--key value` or `--key=value`) that override it. Every key, its default
// and its meaning are in docs/operations.md; each field below says its
// default too.

#ifndef NRPF_SERVER_CONFIG_H_
#define NRPF_SERVER_CONFIG_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/status.h"
#include "server/endpoint.h"

namespace nrpf::server {

enum class LogFormat { kText, kJson };

// Bounds on what a client may hold: every read has a deadline, every frame,
// body and queue a size.
struct Limits {
  // Open connections on both listeners together; beyond it a new connection
  // is closed at once. Default: 4096.
  std::size_t max_connections = 4096;
  // Largest binary frame (after the 4-byte prefix), either direction.
  // Default: 1 MiB.
  std::size_t max_frame_bytes = 1u << 20;
  // Largest HTTP request body. Default: 1 MiB.
  std::size_t max_body_bytes = 1u << 20;
  // Largest HTTP request line and headers. Default: 16 KiB.
  std::size_t max_header_bytes = 16u << 10;
  // Requests of one connection being worked on at once; the connection is
  // not read further until one is answered (backpressure). Default: 64.
  std::size_t max_in_flight = 64;
  // Bytes of answers and pushes waiting to be written to one connection;
  // subscriptions pause above it, and a client that does not read for
  // write_timeout is disconnected. Default: 8 MiB.
  std::size_t max_queued_bytes = 8u << 20;
  // Live subscriptions of one connection. Default: 16.
  std::size_t max_subscriptions = 16;
  // TLS handshake. Default: 10 s.
  std::chrono::milliseconds handshake_timeout{10000};
  // A frame or HTTP request, once begun, must arrive whole within it.
  // Default: 10 s.
  std::chrono::milliseconds read_timeout{10000};
  // A connection with nothing in flight and no subscription is closed after
  // this long without a request. Default: 300 s.
  std::chrono::milliseconds idle_timeout{300000};
  // A write that the client does not take within it closes the connection.
  // Default: 30 s.
  std::chrono::milliseconds write_timeout{30000};
  // At SIGINT/SIGTERM, how long in-flight work may take before it is
  // cancelled. Default: 10 s.
  std::chrono::milliseconds shutdown_grace{10000};
  // Threads running the sockets, each owning the connections dealt to it.
  // 0 (the default): half the cores, at least one, so that on a busy machine
  // they are not all waiting behind the ledger's signers for a core.
  unsigned io_threads = 0;
  // Threads running commands (each blocks until its write is durable).
  // Default: 64.
  unsigned workers = 64;
  // Commands waiting for a worker; beyond it a command is refused with
  // unavailable/busy. Default: 1024.
  std::size_t worker_queue = 1024;
  // Nice levels the workers run below the ledger's append pipeline, so its
  // serial stages run first when every core is busy; 0 = the same.
  // Default: 5, ledger::kSubmitterNiceSteps (checked in server.cpp).
  int worker_nice = 5;
};

struct AccountOptions {
  // Lifetime of a session token. Default: 8 h.
  std::chrono::milliseconds session_ttl{8 * 3600 * 1000};
  // Consecutive failed logins that lock an account (a user.locked event).
  // Default: 5.
  std::uint32_t max_failed_logins = 5;
  // Login attempts per minute from one address, and for one account
  // (bursts of the same size). Default: 30 and 10.
  double login_rate_per_address = 30;
  double login_rate_per_account = 10;
  // Argon2id cost (crypto_pwhash): passes and memory in KiB.
  // Default: 2 and 65536 (libsodium's "interactive").
  std::uint64_t pwhash_ops = 2;
  std::size_t pwhash_mem_kib = 65536;
  // Password hashes computed at once (each holds pwhash_mem_kib). Default: 2.
  unsigned max_concurrent_hashes = 2;
  // Length of a new password in bytes. Default: 12..1024.
  std::size_t min_password_length = 12;
  std::size_t max_password_length = 1024;
  // The first network-support organisation and admin, created on the first
  // start. Default: "network-support" and "admin".
  std::string first_organisation = "network-support";
  std::string first_admin = "admin";
};

struct ServerConfig {
  // Everything the daemon stores. Default: "var".
  std::string data_dir = "var";
  // Private signing keys. Default: <data_dir>/keys.
  std::string key_dir;
  // The master key that wraps every person's data key; keep it outside
  // data_dir and its backups. Default: <data_dir>/master.key.
  std::string master_key;
  // The credential store. Default: <data_dir>/credentials.
  std::string credentials_dir;
  // Checkpoint origin of a new log. Default: "nrpf-ledger.local/log".
  std::string origin = "nrpf-ledger.local/log";
  // Binary listener, host:port ("[::1]:7700" for IPv6; port 0 lets the OS
  // choose; "off" disables it). Default: 127.0.0.1:7700.
  std::string listen = "127.0.0.1:7700";
  // HTTP/JSON listener, the same form. Default: 127.0.0.1:7780.
  std::string http_listen = "127.0.0.1:7780";
  // PEM certificate chain and private key. When set, both listeners speak
  // only TLS; without them only loopback addresses may listen. Default: none.
  std::string tls_cert;
  std::string tls_key;
  // After binding, the daemon writes "binary <host:port>" and
  // "http <host:port>" lines here. Default: none.
  std::string port_file;
  // Default: text.
  LogFormat log_format = LogFormat::kText;
  // trace, debug, info, warn, error. Default: info.
  std::string log_level = "info";
  // Web origins ("https://casework.example.gov.uk", scheme, host and port)
  // whose browser pages may call the HTTP listener (CORS); a comma-separated
  // list in the file or flag. Default: none (browsers allow same-origin only).
  std::vector<std::string> cors_origins;
  Limits limits;
  AccountOptions accounts;

  // The defaults that depend on data_dir, filled in.
  void Resolve();
};

// Sets `key` (underscores or dashes) to `value`. kInvalidArgument for an
// unknown key or a value of the wrong form. Durations take a unit: ms, s,
// m or h ("250ms", "10s", "8h"); a bare number is seconds.
Status ApplySetting(ServerConfig* config, std::string_view key, std::string_view value);

// Reads a configuration file: `key = value` lines, '#' starts a comment.
Status LoadConfigFile(ServerConfig* config, const std::string& path);

// --config FILE first (wherever it appears), then every other flag in order.
// `help` is set for --help.
Status ParseCommandLine(int argc, char** argv, ServerConfig* config, bool* help);

std::string UsageText();

}  // namespace nrpf::server

#endif  // NRPF_SERVER_CONFIG_H_
