// nrpf-ledgerd: the network server. Opens (or creates) the ledger, prints
// its public keys and signed checkpoint (and, on a first start, the first
// admin's one-time password), serves the binary and HTTP listeners, and
// stops cleanly on SIGINT or SIGTERM.
//
//   nrpf-ledgerd [--config FILE] [--<setting> VALUE]...
//   nrpf-ledgerd --rotate-signing-key [--config FILE] [--<setting> VALUE]...
//     (the daemon stopped: appends a new signing key to the log and exits)
//
// Every setting is in docs/operations.md. Exit codes: 0 after a clean stop;
// 1 when the ledger, the credential store or a listener cannot be opened;
// 2 for a bad flag or configuration (including plaintext on a non-loopback
// address).

#include <spdlog/spdlog.h>
#include <pwd.h>
#include <sys/resource.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <string_view>
#include <vector>

#include "server/logging.h"
#include "server/server.h"

namespace {

// Sockets are descriptors: allow as many as the hard limit does.
void RaiseDescriptorLimit() {
  struct rlimit rl {};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

bool WritePortFile(const std::string& path, const nrpf::server::Server& server) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!out) return false;
    if (!server.binary_address().empty()) out << "binary " << server.binary_address() << "\n";
    if (!server.http_address().empty()) out << "http " << server.http_address() << "\n";
    if (!out.flush()) return false;
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  return !ec;
}

// The account running this process, for the record of an act done at the host.
std::string OperatorName() {
  if (const struct passwd* pw = getpwuid(geteuid()); pw != nullptr && pw->pw_name != nullptr) return pw->pw_name;
  return "uid-" + std::to_string(geteuid());
}

// --rotate-signing-key: rotate, print the new key, exit.
int RotateSigningKey(const nrpf::server::ServerConfig& config) {
  nrpf::Result<nrpf::ledger::PublishedKey> key = nrpf::server::RotateSigningKey(config, OperatorName());
  if (!key.ok()) {
    spdlog::error("cannot rotate the signing key: {}", key.status().ToString());
    return 1;
  }
  std::printf("new public key (from position %llu): %s\n", static_cast<unsigned long long>(key->first_position),
              key->key.ToString().c_str());
  std::printf("publish it beside the earlier keys; the earlier keys still verify the events they signed\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // An action, not a setting: taken out before the settings are read.
  bool rotate = false;
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    if (i > 0 && std::string_view(argv[i]) == "--rotate-signing-key") {
      rotate = true;
    } else {
      args.push_back(argv[i]);
    }
  }
  argc = static_cast<int>(args.size());
  argv = args.data();
  nrpf::server::ServerConfig config;
  bool help = false;
  nrpf::Status parsed = nrpf::server::ParseCommandLine(argc, argv, &config, &help);
  if (help) {
    std::fputs(nrpf::server::UsageText().c_str(), stdout);
    return 0;
  }
  if (!parsed.ok()) {
    std::fprintf(stderr, "nrpf-ledgerd: %s\n%s", parsed.ToString().c_str(), nrpf::server::UsageText().c_str());
    return 2;
  }
  nrpf::Status logging = nrpf::server::SetUpLogging(config.log_format, config.log_level);
  if (!logging.ok()) {
    std::fprintf(stderr, "nrpf-ledgerd: %s\n", logging.ToString().c_str());
    return 2;
  }
  if (rotate) return RotateSigningKey(config);
  RaiseDescriptorLimit();

  // Block the stop signals before any thread starts, so that every thread
  // inherits the mask and only sigtimedwait below sees them.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  auto opened = nrpf::server::Server::Open(config);
  if (!opened.ok()) {
    spdlog::error("cannot start: {}", opened.status().ToString());
    return opened.status().reason() == "config_invalid" || opened.status().reason() == "plaintext_not_loopback" ? 2 : 1;
  }
  nrpf::server::Server& server = **opened;
  nrpf::ledger::Ledger& ledger = server.ledger();
  if (auto keys = ledger.PublicKeys(); keys.ok()) {
    for (const auto& k : *keys) {
      std::printf("public key (from position %llu): %s\n", static_cast<unsigned long long>(k.first_position),
                  k.key.ToString().c_str());
    }
  }
  if (auto note = ledger.SignedCheckpoint(ledger.Size()); note.ok()) std::printf("checkpoint:\n%s", note->c_str());
  server.Start();
  if (!server.binary_address().empty()) std::printf("binary api: %s\n", server.binary_address().c_str());
  if (!server.http_address().empty()) std::printf("http api: http%s://%s\n", config.tls_cert.empty() ? "" : "s",
                                                   server.http_address().c_str());
  if (server.first_admin_password()) {
    std::printf("first admin: %s\none-time password: %s\n(shown once: log in and change it)\n",
                server.first_admin().c_str(), server.first_admin_password()->c_str());
  }
  std::fflush(stdout);
  if (!config.port_file.empty() && !WritePortFile(config.port_file, server)) {
    spdlog::error("cannot write the port file");
    server.Shutdown();
    return 1;
  }

  int sig = 0;
  for (;;) {
    const struct timespec minute {60, 0};
    sig = sigtimedwait(&stop, nullptr, &minute);
    if (sig == SIGINT || sig == SIGTERM) break;
    server.Housekeeping();
  }
  spdlog::info("received {}", sig == SIGINT ? "SIGINT" : "SIGTERM");
  server.Shutdown();
  // Kept with a backup of the stopped data directory: what it must match.
  if (!server.final_checkpoint().empty()) {
    std::printf("checkpoint at stop:\n%s", server.final_checkpoint().c_str());
    std::fflush(stdout);
  }
  return 0;
}
