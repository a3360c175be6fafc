#include "server/server.h"

#include <openssl/ssl.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <filesystem>

#include "server/api_error.h"

namespace nrpf::server {

static_assert(Limits{}.worker_nice == ledger::kSubmitterNiceSteps);

namespace net = boost::asio;

namespace {

Status ConfigError(std::string message) {
  return Status::InvalidArgument(std::move(message)).WithReason("config_invalid");
}

Result<std::optional<Endpoint>> ListenerEndpoint(const std::string& text, bool tls, const char* name) {
  if (text.empty() || text == "off") return std::optional<Endpoint>();
  Result<Endpoint> e = ParseEndpoint(text);
  if (!e.ok()) return ConfigError(std::string(name) + ": " + e.status().message());
  if (!tls && !IsLoopbackHost(e->host)) {
    return Status::InvalidArgument(std::string(name) + " " + text +
                                   " is not a loopback address: plaintext is refused there; set tls_cert and tls_key")
        .WithReason("plaintext_not_loopback");
  }
  return std::optional<Endpoint>(*e);
}

// The ledger of a resolved configuration.
ledger::LedgerOptions LedgerOptionsOf(const ServerConfig& config) {
  ledger::LedgerOptions lo;
  lo.db_path = (std::filesystem::path(config.data_dir) / "ledger").string();
  lo.signing_key_dir = config.key_dir;
  lo.master_key_path = config.master_key;
  lo.origin = config.origin;
  return lo;
}

}  // namespace

Result<ledger::PublishedKey> RotateSigningKey(ServerConfig config, const std::string& operator_name) {
  config.Resolve();
  ledger::LedgerOptions options = LedgerOptionsOf(config);
  options.create_if_missing = false;  // a mistyped data_dir is an error, not a new log
  if (!std::filesystem::exists(options.db_path)) {
    return Status::NotFound("no ledger at " + options.db_path + ": data_dir names no log (a rotation never creates one)");
  }
  Result<std::unique_ptr<ledger::Ledger>> ledger = ledger::Ledger::Open(options);
  if (!ledger.ok()) return ledger.status();
  // Recorded as the ledger's own act, done by whoever runs the daemon.
  Result<ledger::VerifierKey> key = (*ledger)->RotateSigningKey({"host:" + operator_name, "", "ledger"});
  if (!key.ok()) return key.status();
  Result<std::vector<ledger::PublishedKey>> keys = (*ledger)->PublicKeys();
  if (!keys.ok()) return keys.status();
  return keys->back();
}

Server::Server(ServerConfig config) : config_(std::move(config)) {}

Server::~Server() { Shutdown(); }

Result<std::unique_ptr<Server>> Server::Open(ServerConfig config) {
  config.Resolve();
  if (config.tls_cert.empty() != config.tls_key.empty()) return ConfigError("set both tls_cert and tls_key, or neither");
  std::unique_ptr<Server> server(new Server(std::move(config)));
  NRPF_RETURN_IF_ERROR(server->OpenAll());
  return server;
}

Status Server::OpenAll() {
  const bool tls = !config_.tls_cert.empty();
  Result<std::optional<Endpoint>> binary_at = ListenerEndpoint(config_.listen, tls, "listen");
  if (!binary_at.ok()) return binary_at.status();
  Result<std::optional<Endpoint>> http_at = ListenerEndpoint(config_.http_listen, tls, "http_listen");
  if (!http_at.ok()) return http_at.status();
  if (tls) {
    tls_ = std::make_unique<net::ssl::context>(net::ssl::context::tls_server);
    boost::system::error_code ec;
    tls_->set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                          net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 | net::ssl::context::no_tlsv1_1 |
                          net::ssl::context::single_dh_use,
                      ec);
    SSL_CTX_set_min_proto_version(tls_->native_handle(), TLS1_2_VERSION);
    if (!ec) tls_->use_certificate_chain_file(config_.tls_cert, ec);
    if (ec) return ConfigError("tls_cert " + config_.tls_cert + ": " + ec.message());
    tls_->use_private_key_file(config_.tls_key, net::ssl::context::pem, ec);
    if (ec) return ConfigError("tls_key " + config_.tls_key + ": " + ec.message());
  }

  Result<std::unique_ptr<ledger::Ledger>> ledger = ledger::Ledger::Open(LedgerOptionsOf(config_));
  if (!ledger.ok()) return ledger.status();
  ledger_ = std::move(ledger).value();
  Result<std::unique_ptr<domain::CaseService>> service = domain::CaseService::Open(ledger_.get(), {});
  if (!service.ok()) return service.status();
  service_ = std::move(service).value();
  Result<std::unique_ptr<Accounts>> accounts =
      Accounts::Open(service_.get(), SystemClock::Default(), config_.accounts, config_.credentials_dir, &metrics_);
  if (!accounts.ok()) return accounts.status();
  accounts_ = std::move(accounts).value();
  Result<std::optional<std::string>> otp = accounts_->EnsureFirstAdmin();
  if (!otp.ok()) return otp.status();
  first_admin_password_ = std::move(otp).value();

  workers_ = std::make_unique<domain::TaskPool>(config_.limits.workers, config_.limits.worker_queue,
                                                "nrpf-worker-api", config_.limits.worker_nice);
  hub_ = std::make_unique<FeedHub>(ledger_.get(), &service_->projector(), std::chrono::seconds(30));
  // A logout ends the session's subscriptions at once, not at the next tick.
  accounts_->SetSessionsEndedListener([hub = hub_.get()] { hub->Poke(); });
  dispatcher_ = std::make_unique<Dispatcher>(
      DispatcherDeps{service_.get(), accounts_.get(), workers_.get(), &metrics_, SystemClock::Default(),
                     (std::filesystem::path(config_.data_dir) / "rebuild").string()});
  connections_ = std::make_unique<Connections>(config_.limits.max_connections);
  io_ = std::make_unique<IoThreads>(config_.limits.io_threads);
  const ConnectionContext ctx{service_.get(), dispatcher_.get(), hub_.get(), &metrics_, connections_.get(),
                              &config_.limits, &config_.cors_origins};
  if (*binary_at) {
    Result<std::shared_ptr<Listener>> l = Listener::Open(*io_, **binary_at, Listener::Protocol::kBinary, tls_.get(), ctx);
    if (!l.ok()) return l.status();
    binary_ = *l;
  }
  if (*http_at) {
    Result<std::shared_ptr<Listener>> l = Listener::Open(*io_, **http_at, Listener::Protocol::kHttp, tls_.get(), ctx);
    if (!l.ok()) return l.status();
    http_ = *l;
  }

  metrics_.AddGauge("nrpf_log_size", "Events in the log.", [this] { return static_cast<double>(ledger_->Size()); });
  metrics_.AddGauge("nrpf_projections_position", "Events the projections include.",
                    [this] { return static_cast<double>(service_->projector().next_position()); });
  metrics_.AddGauge("nrpf_worker_queue", "Commands waiting for a worker.",
                    [this] { return static_cast<double>(workers_->queued()); });
  metrics_.AddGauge("nrpf_workers_busy", "Workers running a request (a command only while it is decided).",
                    [this] { return static_cast<double>(workers_->running()); });
  metrics_.AddGauge("nrpf_commands_in_flight",
                    "Commands decided, and case reads whose record is being written, not yet answered.",
                    [this] { return static_cast<double>(dispatcher_->in_flight()); });
  metrics_.AddGauge("nrpf_sessions", "Open sessions.", [this] { return static_cast<double>(accounts_->session_count()); });
  metrics_.AddCounter("nrpf_command_conflict_retries_total",
                      "Commands decided again because something they read changed before their append.",
                      [this] { return static_cast<double>(service_->conflict_retries()); });
  AddLedgerMetrics();
  return Status::Ok();
}

void Server::AddLedgerMetrics() {
  using ledger::PipelineStats;
  const auto counter = [this](const char* name, const char* help, std::uint64_t PipelineStats::*field, double scale,
                              std::string labels = "") {
    metrics_.AddCounter(
        name, help, [this, field, scale] { return static_cast<double>(ledger_->Pipeline().*field) * scale; },
        std::move(labels));
  };
  counter("nrpf_ledger_appends_total", "Appends (and erasures) the ledger acknowledged.", &PipelineStats::appends, 1);
  counter("nrpf_ledger_commit_groups_total", "Commit groups made durable.", &PipelineStats::groups, 1);
  counter("nrpf_ledger_wal_syncs_total", "fsyncs of the write-ahead log.", &PipelineStats::wal_syncs, 1);
  counter("nrpf_ledger_wal_sync_seconds_total", "Time spent in fsyncs of the write-ahead log.",
          &PipelineStats::wal_sync_us, 1e-6);
  metrics_.AddGauge("nrpf_ledger_sst_files", "Live SST files of the ledger's RocksDB, all column families.",
                    [this] { return static_cast<double>(ledger_->Stats().sst_files); });
  metrics_.AddCounter("nrpf_ledger_small_files_merged_total", "Small SST files merged away into larger ones.",
                      [this] { return static_cast<double>(ledger_->Stats().small_files_merged); });
  metrics_.AddCounter("nrpf_ledger_small_file_merges_failed_total",
                      "Merges of small SST files that RocksDB refused or that failed.",
                      [this] { return static_cast<double>(ledger_->Stats().small_file_merges_failed); });
  const char* wait = "nrpf_ledger_append_wait_seconds_total";
  const char* help =
      "Time acknowledged appends waited in each stage of the ledger's pipeline, summed; over "
      "nrpf_ledger_appends_total, the mean wait.";
  counter(wait, help, &PipelineStats::queued_us, 1e-6, "stage=\"queued\"");
  counter(wait, help, &PipelineStats::sequenced_us, 1e-6, "stage=\"sequenced\"");
  counter(wait, help, &PipelineStats::signed_us, 1e-6, "stage=\"signed\"");
  counter(wait, help, &PipelineStats::written_us, 1e-6, "stage=\"written\"");
  counter(wait, help, &PipelineStats::synced_us, 1e-6, "stage=\"synced\"");
  counter(wait, help, &PipelineStats::completed_us, 1e-6, "stage=\"completed\"");
}

std::string Server::binary_address() const { return binary_ ? binary_->address() : ""; }
std::string Server::http_address() const { return http_ ? http_->address() : ""; }

void Server::Start() {
  hub_->Start();
  if (binary_) binary_->Start();
  if (http_) http_->Start();
  io_->Start("nrpf-io");
  spdlog::info("serving: binary {} http {} tls {}, {} I/O threads", binary_ ? binary_->address() : "off",
               http_ ? http_->address() : "off", tls_ ? "on" : "off", io_->size());
}

void Server::Housekeeping() {
  if (accounts_) accounts_->PurgeExpired();
}

void Server::Shutdown() {
  if (stopped_) return;
  stopped_ = true;
  if (dispatcher_ == nullptr) return;  // Open failed part way; members close themselves
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + config_.limits.shutdown_grace;
  spdlog::info("stopping: {} connections open, {} commands queued, {} running", connections_->size(),
               workers_->queued(), workers_->running());
  dispatcher_->Stop();
  if (binary_) binary_->Stop();
  if (http_) http_->Stop();
  connections_->ShutdownAll();
  while (connections_->size() > 0 && Clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  workers_->Shutdown(std::max(left, std::chrono::milliseconds(0)));
  // Commands decided before the stop are answered once their writes land
  // (a continuation the stopped workers no longer take is refused): every
  // one of them, as the workers' running tasks are, since the service and
  // the answers' connections must outlive them. Each is bounded by its
  // append and by projection_wait.
  if (!dispatcher_->WaitForInFlight(std::max(deadline, Clock::now()))) {
    spdlog::warn("stopping: waiting for {} commands and recorded reads still in flight", dispatcher_->in_flight());
    dispatcher_->WaitForInFlight();
  }
  connections_->CloseAll();
  const auto close_by = Clock::now() + std::chrono::seconds(2);
  while (connections_->size() > 0 && Clock::now() < close_by) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  hub_->Stop();
  io_->Stop();
  binary_.reset();
  http_.reset();
  dispatcher_.reset();
  workers_.reset();
  accounts_->SetSessionsEndedListener(nullptr);  // nothing ends a session any more
  hub_.reset();
  accounts_.reset();
  service_.reset();
  // Nothing appends any more: the log's last state, for the operator.
  if (auto note = ledger_->SignedCheckpoint(ledger_->Size()); note.ok()) final_checkpoint_ = std::move(note).value();
  ledger_.reset();  // finishes queued appends and flushes
  spdlog::info("stopped");
}

}  // namespace nrpf::server
