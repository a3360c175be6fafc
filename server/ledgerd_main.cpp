// nrpf-ledgerd: opens (or creates) the ledger, prints its public keys and
// its signed checkpoint, and serves until SIGINT or SIGTERM.
//
// Usage: nrpf-ledgerd [--data-dir DIR] [--master-key FILE] [--origin NAME]
//   --data-dir DIR     RocksDB log at DIR/ledger, signing keys at DIR/keys.
//                      Default: ./var
//   --master-key FILE  Master key that wraps subject data keys.
//                      Default: DIR/master.key (keep it off the DB's backups)
//   --origin NAME      Checkpoint origin of a new log. Default: nrpf-ledger.local/log

#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>

#include "ledger/ledger.h"

namespace {

void Usage() {
  std::fprintf(stderr,
               "usage: nrpf-ledgerd [--data-dir DIR] [--master-key FILE] [--origin NAME]\n");
}

}  // namespace

int main(int argc, char** argv) {
  std::string data_dir = "var";
  std::string master_key;
  std::string origin = "nrpf-ledger.local/log";
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        Usage();
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--data-dir") {
      data_dir = value();
    } else if (arg == "--master-key") {
      master_key = value();
    } else if (arg == "--origin") {
      origin = value();
    } else if (arg == "--help" || arg == "-h") {
      Usage();
      return 0;
    } else {
      Usage();
      return 2;
    }
  }
  if (master_key.empty()) master_key = (std::filesystem::path(data_dir) / "master.key").string();

  // Block the stop signals before any thread starts, then wait for them.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);

  nrpf::ledger::LedgerOptions options;
  options.db_path = (std::filesystem::path(data_dir) / "ledger").string();
  options.signing_key_dir = (std::filesystem::path(data_dir) / "keys").string();
  options.master_key_path = master_key;
  options.origin = origin;
  auto ledger = nrpf::ledger::Ledger::Open(options);
  if (!ledger.ok()) {
    spdlog::error("cannot open the ledger: {}", ledger.status().ToString());
    return 1;
  }
  auto& l = **ledger;
  auto keys = l.PublicKeys();
  if (keys.ok()) {
    for (const auto& k : *keys) std::printf("public key (from position %llu): %s\n",
                                            static_cast<unsigned long long>(k.first_position),
                                            k.key.ToString().c_str());
  }
  auto note = l.SignedCheckpoint(l.Size());
  if (note.ok()) std::printf("checkpoint:\n%s", note->c_str());
  std::fflush(stdout);
  spdlog::info("ledger open at {} with {} events; waiting for SIGINT/SIGTERM", options.db_path, l.Size());

  int sig = 0;
  sigwait(&stop, &sig);
  spdlog::info("received {}, closing the ledger", sig == SIGINT ? "SIGINT" : "SIGTERM");
  ledger->reset();
  return 0;
}
