// nrpf-bench api: the network API end to end, against a real nrpf-ledgerd
// started on loopback in DIR/api-bench (a durable log on the disk under
// test), driven over its binary listener.
//
//   1. sign_per_s_raw: single-core Ed25519 signs of a checkpoint body, the
//      higher of the start and the end of the run (RawRate).
//   2. Set-up through the API: councils, `connections` caseworkers (each
//      logs in and sets a password) and one case each.
//   3. Reads: every connection sends get_counters (the home page) and waits
//      for the answer, back to back, for --seconds; read_us_* are the
//      client's times from send to answer. read_1conn_us_*: the same from one
//      connection alone. case_read_us_*: get_case, which is recorded in the
//      log (case.accessed) before it is answered. read_paced_us_*: every
//      connection reads once every 10 ms (a steady load, not saturation).
//   4. Writes: every connection records advice on its own case (a command:
//      decided, sealed, signed, fsynced, in the projections), back to back.
//      writes_vs_sign = writes_per_s / sign_per_s_raw.
//   5. Idle: 1,000 more connections authenticate and then wait; reads go on
//      beside them, and each idle one must still answer at the end.
//   6. server_peak_rss_mb: VmHWM of the server process.
//
// The client is one thread with asynchronous sockets, so that it takes as
// little of the machine as it can from the server it measures.

#include <signal.h>
#include <sys/resource.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <thread>

#include "cli/client.h"
#include "server/endpoint.h"
#include "server/frame.h"
#include "tests/bench/bench_util.h"
#include "tests/bench/benchmarks.h"
#include "tests/child_process.h"

namespace nrpf::bench {

namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;
namespace fb = ::nrpf::api::fb;

std::string Frame(fb::Op op, const std::string& body, std::uint64_t id, const std::string& token = "") {
  Result<std::string> f = cli::BuildRequestFrame(op, body, id, token);
  if (!f.ok()) {
    std::fprintf(stderr, "frame: %s\n", f.status().ToString().c_str());
    std::exit(1);
  }
  return *f;
}

// One blocking call; exits the benchmark on any failure (set-up only).
const fb::Response* MustCall(cli::Client& c, const std::string& frame, std::uint64_t id, std::string* storage) {
  Result<std::string> r = c.Call(frame, id);
  if (!r.ok()) {
    std::fprintf(stderr, "call: %s\n", r.status().ToString().c_str());
    std::exit(1);
  }
  *storage = std::move(r).value();
  const fb::Response* response = api::VerifiedResponse(*storage);
  if (response->error() != nullptr) {
    std::fprintf(stderr, "refused: %s\n", response->error()->reason()->c_str());
    std::exit(1);
  }
  return response;
}

// A connection driven by one thread's io_context: sends a request, reads
// its answer, calls back.
class Conn : public std::enable_shared_from_this<Conn> {
 public:
  explicit Conn(net::io_context& ioc) : socket_(ioc) {}
  tcp::socket& socket() { return socket_; }

  // Sends `frame` and calls `done(ok, answer)` with the next frame read.
  void Exchange(const std::string* frame, std::function<void(bool, const std::string&)> done) {
    done_ = std::move(done);
    net::async_write(socket_, net::buffer(*frame), [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
      if (ec) return self->done_(false, self->in_);
      self->ReadPrefix();
    });
  }

 private:
  void ReadPrefix() {
    in_.resize(4);
    net::async_read(socket_, net::buffer(in_.data(), 4), [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
      if (ec) return self->done_(false, self->in_);
      const std::uint32_t n = api::DecodeFramePrefix(reinterpret_cast<const unsigned char*>(self->in_.data()));
      self->in_.resize(4 + n);
      net::async_read(self->socket_, net::buffer(self->in_.data() + 4, n),
                      [self](boost::system::error_code ec2, std::size_t) { self->done_(!ec2, self->in_); });
    });
  }

  tcp::socket socket_;
  std::string in_;
  std::function<void(bool, const std::string&)> done_;
};

struct Phase {
  std::vector<double> us;
  std::uint64_t errors = 0;
  double seconds = 0;
};

// Every connection sends its frame back to back for `seconds`.
Phase Drive(net::io_context& ioc, const std::vector<std::shared_ptr<Conn>>& conns,
            const std::vector<std::string>& frames, double seconds) {
  Phase p;
  const auto start = SteadyClock::now();
  const auto stop_at = start + std::chrono::duration_cast<SteadyClock::duration>(std::chrono::duration<double>(seconds));
  std::function<void(std::size_t)> next = [&](std::size_t i) {
    if (SteadyClock::now() >= stop_at) return;
    const auto t0 = SteadyClock::now();
    conns[i]->Exchange(&frames[i], [&, i, t0](bool ok, const std::string& answer) {
      if (!ok || api::VerifiedResponse(answer) == nullptr || api::VerifiedResponse(answer)->error() != nullptr) {
        ++p.errors;
      } else {
        p.us.push_back(SecondsSince(t0) * 1e6);
      }
      next(i);
    });
  };
  for (std::size_t i = 0; i < conns.size(); ++i) next(i);
  ioc.restart();
  ioc.run();
  p.seconds = SecondsSince(start);
  return p;
}

// Every connection sends its frame once every `interval` (starting at a
// random offset), for `seconds`: latency at a steady load, not at saturation.
Phase DrivePaced(net::io_context& ioc, const std::vector<std::shared_ptr<Conn>>& conns,
                 const std::vector<std::string>& frames, double seconds, std::chrono::microseconds interval) {
  Phase p;
  const auto start = SteadyClock::now();
  const auto stop_at = start + std::chrono::duration_cast<SteadyClock::duration>(std::chrono::duration<double>(seconds));
  std::vector<std::unique_ptr<net::steady_timer>> timers;
  for (std::size_t i = 0; i < conns.size(); ++i) timers.push_back(std::make_unique<net::steady_timer>(ioc));
  std::function<void(std::size_t, SteadyClock::time_point)> at = [&](std::size_t i, SteadyClock::time_point when) {
    if (when >= stop_at) return;
    timers[i]->expires_at(when);
    timers[i]->async_wait([&, i, when](boost::system::error_code) {
      const auto t0 = SteadyClock::now();
      conns[i]->Exchange(&frames[i], [&, i, t0, when](bool ok, const std::string& answer) {
        if (!ok || api::VerifiedResponse(answer) == nullptr || api::VerifiedResponse(answer)->error() != nullptr) {
          ++p.errors;
        } else {
          p.us.push_back(SecondsSince(t0) * 1e6);
        }
        at(i, when + interval);
      });
    });
  };
  for (std::size_t i = 0; i < conns.size(); ++i) at(i, start + interval * static_cast<long>(i) / static_cast<long>(conns.size()));
  ioc.restart();
  ioc.run();
  p.seconds = SecondsSince(start);
  return p;
}

std::vector<std::shared_ptr<Conn>> Open(net::io_context& ioc, const server::Endpoint& at, std::size_t n) {
  std::vector<std::shared_ptr<Conn>> conns;
  const tcp::endpoint ep(net::ip::make_address(at.host), at.port);
  for (std::size_t i = 0; i < n; ++i) {
    auto c = std::make_shared<Conn>(ioc);
    boost::system::error_code ec;
    c->socket().connect(ep, ec);
    if (ec) {
      std::fprintf(stderr, "connection %zu: %s\n", i, ec.message().c_str());
      break;
    }
    c->socket().set_option(tcp::no_delay(true));
    conns.push_back(std::move(c));
  }
  return conns;
}

// Authenticates every connection with its token (frames[i]); returns how many answered.
std::size_t AuthenticateAll(net::io_context& ioc, const std::vector<std::shared_ptr<Conn>>& conns,
                            const std::vector<std::string>& frames) {
  std::size_t ok = 0;
  for (std::size_t i = 0; i < conns.size(); ++i) {
    conns[i]->Exchange(&frames[i], [&](bool good, const std::string& answer) {
      if (good && api::VerifiedResponse(answer) != nullptr && api::VerifiedResponse(answer)->error() == nullptr) ++ok;
    });
  }
  ioc.restart();
  ioc.run();
  return ok;
}

double ProcessStatusKb(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::stod(line.substr(field.size() + 1));
  }
  return -1;
}

double ProcessCpuSeconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::istringstream rest(stat.substr(stat.rfind(')') + 2));
  std::string field;
  double utime = 0, stime = 0;
  for (int i = 0; i < 13 && rest >> field; ++i) {
    if (i == 11) utime = std::stod(field);
    if (i == 12) stime = std::stod(field);
  }
  return (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

void Report(JsonReport* json, const std::string& prefix, const Phase& p) {
  if (p.us.empty()) return;
  json->Set(prefix + "_us_p50", Percentile(p.us, 50));
  json->Set(prefix + "_us_p99", Percentile(p.us, 99));
}

}  // namespace

int RunApiBench(const BenchArgs& args) {
  JsonReport json;
  const int connections = args.appenders != 0 ? args.appenders : 64;
  const double seconds = args.events != 0 ? static_cast<double>(args.events) : 10.0;  // --events: seconds per phase
  const std::size_t idle = 1000;
  struct rlimit rl {};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  const double sign_raw_start = RawRate(false, 2.0);

  const std::filesystem::path dir = args.dir / "api-bench";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string binary = args.server_binary.empty() ? std::string(NRPF_LEDGERD) : args.server_binary;
  std::vector<std::string> server_args = {
      binary, "--data-dir", dir.string(), "--listen", "127.0.0.1:0", "--http-listen", "off",
      "--port-file", (dir / "ports").string(), "--max-connections", "4096", "--log-level", "warn",
      // Set-up logs in thousands of times; what is measured never hashes a password.
      "--pwhash-ops", "1", "--pwhash-mem-kib", "1024", "--login-rate-per-address", "100000"};
  server_args.insert(server_args.end(), args.server_args.begin(), args.server_args.end());
  const pid_t pid = test::SpawnChildToFiles(server_args, (dir / "stdout.txt").string(), (dir / "stderr.txt").string());
  while (!std::filesystem::exists(dir / "ports")) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  std::string kind, address, otp;
  {
    std::ifstream ports(dir / "ports");
    ports >> kind >> address;
    std::ifstream out(dir / "stdout.txt");
    std::string line;
    while (std::getline(out, line)) {
      if (line.rfind("one-time password: ", 0) == 0) otp = line.substr(19);
    }
  }
  std::fprintf(stderr, "server pid %d on %s\n", static_cast<int>(pid), address.c_str());
  const server::Endpoint at = *server::ParseEndpoint(address);

  // Set-up, through the API.
  cli::ClientOptions o;
  o.server = address;
  auto admin = std::move(cli::Client::Connect(o)).value();
  std::string s;
  const std::string final_password = "benchmark password (synthetic)";
  auto log_in = [&](cli::Client& c, const std::string& user, const std::string& password) {
    const fb::Response* r = MustCall(c, Frame(fb::Op::Login, R"({"user_id":")" + user + R"(","password":")" + password + "\"}", 1), 1, &s);
    const std::string token = r->body_as_SessionView()->token()->str();
    if (r->body_as_SessionView()->must_change_password()) {
      MustCall(c, Frame(fb::Op::ChangePassword, R"({"current_password":")" + password + R"(","new_password":")" +
                                                    final_password + "\"}", 2, token), 2, &s);
    }
    return token;
  };
  const std::string admin_token = log_in(*admin, "admin", otp);
  const int councils = 8;
  // Network support gives each council its first admin, who creates the caseworkers.
  std::vector<std::string> council_admins;  // their tokens, by council
  for (int c = 0; c < councils; ++c) {
    MustCall(*admin, Frame(fb::Op::RegisterOrganisation, R"({"organisation_id":"council-)" + std::to_string(c) +
                                                            R"(","kind":"Council","name":"Synthetic council )" +
                                                            std::to_string(c) + R"(","nation":"EnglandAndWales"})",
                           3, admin_token), 3, &s);
    MustCall(*admin, Frame(fb::Op::CreateTeam, R"({"organisation_id":"council-)" + std::to_string(c) +
                                                  R"(","team_id":"team-a","name":"Team A"})", 4, admin_token), 4, &s);
    const std::string council_admin = "council-" + std::to_string(c) + "-admin";
    const fb::Response* made = MustCall(
        *admin, Frame(fb::Op::CreateUser, R"({"user_id":")" + council_admin + R"(","organisation_id":"council-)" +
                                              std::to_string(c) +
                                              R"(","role":"CouncilAdmin","team_id":"team-a","name":"Synthetic admin"})",
                      5, admin_token), 5, &s);
    const std::string admin_otp = made->body_as_CommandResult()->one_time_password()->str();
    council_admins.push_back(log_in(*admin, council_admin, admin_otp));
  }
  std::vector<std::string> tokens;
  for (int i = 0; i < connections; ++i) {
    const std::string user = "cw-" + std::to_string(i), org = "council-" + std::to_string(i % councils);
    const fb::Response* created = MustCall(
        *admin, Frame(fb::Op::CreateUser, R"({"user_id":")" + user + R"(","organisation_id":")" + org +
                                              R"(","role":"CouncilUser","team_id":"team-a","name":"Synthetic worker"})",
                      5, council_admins[static_cast<std::size_t>(i % councils)]), 5, &s);
    const std::string user_otp = created->body_as_CommandResult()->one_time_password()->str();
    auto c = std::move(cli::Client::Connect(o)).value();
    tokens.push_back(log_in(*c, user, user_otp));
    MustCall(*c, Frame(fb::Op::CreateCase, R"({"team_id":"team-a","caseworker_id":")" + user +
                                               R"(","household_type":"FamilyWithChildren","legislation":"ChildrenAct1989S17",)"
                                               R"("applicant":{"given_names":"Synthetic","family_name":"Person )" +
                                               std::to_string(i) + R"(","date_of_birth":"1990-01-01"},)"
                                               R"("referral_date":"2025-03-01"})", 6, tokens.back()), 6, &s);
  }
  std::fprintf(stderr, "set up %d councils, %d caseworkers with a case each\n", councils, connections);

  net::io_context ioc;
  std::vector<std::shared_ptr<Conn>> conns = Open(ioc, at, static_cast<std::size_t>(connections));
  std::vector<std::string> auth, reads, case_reads, writes;
  for (int i = 0; i < connections; ++i) {
    auth.push_back(Frame(fb::Op::Authenticate, R"({"token":")" + tokens[static_cast<std::size_t>(i)] + "\"}", 1));
    reads.push_back(Frame(fb::Op::GetCounters, "{}", 2));
    case_reads.push_back(Frame(fb::Op::GetCase, R"({"case_id":")" + std::to_string(i + 1) + "\"}", 3));
    writes.push_back(Frame(fb::Op::RecordAdvice, R"({"case_id":")" + std::to_string(i + 1) +
                                                    R"(","advised_on":"2025-03-02","of":"DetailsSharedWithHomeOffice"})", 4));
  }
  if (AuthenticateAll(ioc, conns, auth) != conns.size()) {
    std::fprintf(stderr, "not every connection authenticated\n");
    return 1;
  }
  json.Set("connections", static_cast<double>(conns.size()));

  double cpu = ProcessCpuSeconds(pid);
  const Phase read = Drive(ioc, conns, reads, seconds);
  const double read_cpu = ProcessCpuSeconds(pid) - cpu;
  Report(&json, "read", read);
  json.Set("reads_per_s", static_cast<double>(read.us.size()) / read.seconds);
  json.Set("read_server_cpu_us", read_cpu / static_cast<double>(read.us.size()) * 1e6);
  std::fprintf(stderr, "reads: %zu in %.1f s, %llu errors, server %.0f%% of a core\n", read.us.size(), read.seconds,
               static_cast<unsigned long long>(read.errors), read_cpu / read.seconds * 100);

  // The same read from one connection alone: the service time without the
  // queueing that 64 clients in a closed loop add (Little's law).
  const Phase single = Drive(ioc, {conns[0]}, {reads[0]}, seconds / 2);
  Report(&json, "read_1conn", single);
  // All connections at a steady load: each reads every 10 ms.
  const Phase paced = DrivePaced(ioc, conns, reads, seconds / 2, std::chrono::microseconds(10000));
  Report(&json, "read_paced", paced);
  json.Set("read_paced_per_s", static_cast<double>(paced.us.size()) / paced.seconds);

  const Phase case_read = Drive(ioc, conns, case_reads, seconds / 2);
  Report(&json, "case_read", case_read);
  json.Set("case_reads_per_s", static_cast<double>(case_read.us.size()) / case_read.seconds);

  cpu = ProcessCpuSeconds(pid);
  const Phase write = Drive(ioc, conns, writes, seconds);
  const double write_cpu = ProcessCpuSeconds(pid) - cpu;
  Report(&json, "write", write);
  const double writes_per_s = static_cast<double>(write.us.size()) / write.seconds;
  json.Set("writes_per_s", writes_per_s);
  json.Set("write_server_cpu_us", write_cpu / static_cast<double>(write.us.size()) * 1e6);
  json.Set("write_errors", static_cast<double>(write.errors));
  std::fprintf(stderr, "writes: %zu in %.1f s, %llu errors, server %.0f%% of a core\n", write.us.size(), write.seconds,
               static_cast<unsigned long long>(write.errors), write_cpu / write.seconds * 100);

  // Idle connections: authenticated, then silent, while reads go on.
  std::vector<std::shared_ptr<Conn>> idle_conns = Open(ioc, at, idle);
  std::vector<std::string> idle_auth(idle_conns.size(), auth[0]);
  const std::size_t authenticated = AuthenticateAll(ioc, idle_conns, idle_auth);
  const Phase beside_idle = Drive(ioc, conns, reads, seconds / 2);
  Report(&json, "read_beside_idle", beside_idle);
  std::vector<std::string> who(idle_conns.size(), Frame(fb::Op::WhoAmI, "{}", 9));
  const std::size_t still = AuthenticateAll(ioc, idle_conns, who);
  json.Set("idle_connections", static_cast<double>(std::min(authenticated, still)));
  json.Set("server_peak_rss_mb", ProcessStatusKb(pid, "VmHWM") / 1024.0);

  const double sign_raw = std::max(sign_raw_start, RawRate(false, 2.0));
  json.Set("sign_per_s_raw", sign_raw);
  json.Set("writes_vs_sign", writes_per_s / sign_raw);
  // What the cores would allow at this run's server CPU per write, were the
  // server given every core (the client's own CPU left out): the ceiling of
  // writes_vs_sign at this cost.
  json.Set("writes_cpu_bound_vs_sign", CpuBoundVsSign(write_cpu, static_cast<double>(write.us.size()), sign_raw));
  idle_conns.clear();
  conns.clear();
  admin.reset();
  kill(pid, SIGTERM);
  const int status = test::ReapChild(pid, std::chrono::seconds(60));
  json.Set("server_exit_status", status);
  std::printf("%s\n", json.ToString().c_str());
  return status == 0 ? 0 : 1;
}

}  // namespace nrpf::bench
