#include "tests/server_harness.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <thread>

#include "cli/client.h"
#include "server/api_codec.h"
#include "server/api_error.h"
#include "server/endpoint.h"
#include "tests/child_process.h"

namespace nrpf::test {

namespace {

using SteadyClock = std::chrono::steady_clock;

std::string ReadWhole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> ServerArgs(const std::string& dir, const std::vector<std::string>& flags) {
  std::vector<std::string> args = {NRPF_LEDGERD,
                                   "--data-dir", dir,
                                   "--listen", "127.0.0.1:0",
                                   "--http-listen", "127.0.0.1:0",
                                   "--port-file", dir + "/ports",
                                   "--pwhash-ops", "1",
                                   "--pwhash-mem-kib", "64",
                                   "--log-level", "warn"};
  args.insert(args.end(), flags.begin(), flags.end());
  return args;
}

}  // namespace

ServerProcess::ServerProcess(std::string data_dir, std::vector<std::string> flags) : dir_(std::move(data_dir)) {
  std::filesystem::create_directories(dir_);
  std::filesystem::remove(dir_ + "/ports");
  pid_ = SpawnChildToFiles(ServerArgs(dir_, flags), dir_ + "/stdout.txt", dir_ + "/stderr.txt");
  if (pid_ < 0) throw std::runtime_error("fork failed");
  const auto deadline = SteadyClock::now() + std::chrono::seconds(60);
  while (!std::filesystem::exists(dir_ + "/ports")) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("nrpf-ledgerd exited at start: " + Stderr());
    }
    if (SteadyClock::now() > deadline) throw std::runtime_error("nrpf-ledgerd did not bind in time");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::istringstream ports(ReadWhole(dir_ + "/ports"));
  std::string kind, address;
  while (ports >> kind >> address) (kind == "binary" ? binary_ : http_) = address;
  std::istringstream out(Stdout());
  std::string line;
  const std::string marker = "one-time password: ";
  while (std::getline(out, line)) {
    if (line.rfind(marker, 0) == 0) first_password_ = line.substr(marker.size());
  }
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) Stop();
}

int ServerProcess::Stop(std::chrono::seconds watchdog) {
  if (pid_ <= 0) return status_;
  kill(pid_, SIGTERM);
  status_ = ReapChild(pid_, watchdog);
  pid_ = -1;
  return status_;
}

bool ServerProcess::running() {
  if (pid_ <= 0) return false;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == pid_) {
    status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    pid_ = -1;
    return false;
  }
  return true;
}

std::string ServerProcess::Stdout() const { return ReadWhole(dir_ + "/stdout.txt"); }
std::string ServerProcess::Stderr() const { return ReadWhole(dir_ + "/stderr.txt"); }

int RunServerToExit(const std::vector<std::string>& flags, std::string* err, std::chrono::seconds watchdog,
                    std::string* out) {
  TempDir dir;
  const pid_t pid = SpawnChildToFiles(ServerArgs(dir.Sub("data"), flags), dir.Sub("out.txt"), dir.Sub("err.txt"));
  const int status = ReapChild(pid, watchdog);
  *err = ReadWhole(dir.Sub("err.txt"));
  if (out != nullptr) *out = ReadWhole(dir.Sub("out.txt"));
  return status;
}

CliResult RunNrpf(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
                  const std::string& input) {
  int in[2], out[2], err[2];
  if (pipe(in) != 0 || pipe(out) != 0 || pipe(err) != 0) throw std::runtime_error("pipe failed");
  std::vector<std::string> argv = {NRPF_CLI};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<std::string> envv = {"PATH=/usr/bin:/bin"};
  for (const auto& [k, v] : env) envv.push_back(k + "=" + v);
  // The child must not hold the parent's ends, or the pipes never close.
  for (int fd : {in[1], out[0], err[0]}) fcntl(fd, F_SETFD, FD_CLOEXEC);
  const pid_t pid = SpawnChild(argv, envv, in[0], out[1], err[1]);
  close(in[0]);
  close(out[1]);
  close(err[1]);
  if (!input.empty() && write(in[1], input.data(), input.size()) < 0) {
    // The child may have exited without reading; its status says why.
  }
  close(in[1]);
  CliResult r;
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  std::string* sinks[2] = {&r.out, &r.err};
  int open_fds = 2;
  const auto deadline = SteadyClock::now() + std::chrono::seconds(120);
  while (open_fds > 0 && SteadyClock::now() < deadline) {
    if (poll(fds, 2, 1000) < 0) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP))) continue;
      char buf[8192];
      const ssize_t n = read(fds[i].fd, buf, sizeof(buf));
      if (n <= 0) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      } else {
        sinks[i]->append(buf, static_cast<std::size_t>(n));
      }
    }
  }
  for (pollfd& f : fds) {
    if (f.fd >= 0) close(f.fd);
  }
  r.code = ReapChild(pid, std::chrono::seconds(10));
  return r;
}

std::string RequestFrame(api::fb::Op op, const std::string& body, std::uint64_t id, const std::string& token) {
  Result<std::string> f = cli::BuildRequestFrame(op, body, id, token);
  if (!f.ok()) throw std::runtime_error("cannot build a frame: " + f.status().ToString());
  return *f;
}

std::optional<std::string> ParseResponseJson(const std::string& json) {
  Result<std::string> table = api::JsonToTable("Response", json);
  if (!table.ok()) return std::nullopt;
  return std::move(table).value();
}

CliUser::CliUser(const ServerProcess& server, const TempDir& dir, std::string user_id)
    : server_(server.binary()), user_id_(std::move(user_id)), token_file_(dir.Sub("token-" + user_id_)) {}

CliResult CliUser::Run(std::vector<std::string> args, std::map<std::string, std::string> env) const {
  env["NRPF_SERVER"] = server_;
  env["NRPF_TOKEN_FILE"] = token_file_;
  return RunNrpf(args, env);
}

CliUser::Answer CliUser::Json(std::vector<std::string> args, std::map<std::string, std::string> env) const {
  args.insert(args.begin(), "--json");
  CliResult r = Run(std::move(args), std::move(env));
  std::optional<std::string> parsed = ParseResponseJson(r.out);
  if (!parsed) throw std::runtime_error("nrpf printed no Response (exit " + std::to_string(r.code) + "): " + r.out + r.err);
  return Answer{r.code, std::move(*parsed)};
}

std::string CliUser::Answer::reason() const {
  const api::fb::Error* e = (*this)->error();
  return e == nullptr ? "" : e->reason() ? e->reason()->str() : "?";
}

void CliUser::LogIn(const std::string& password, const std::string& final_password) {
  Answer login = Json({"login", user_id_}, {{"NRPF_PASSWORD", password}});
  if (login.code != 0) throw std::runtime_error("login of " + user_id_ + " failed: " + login.reason());
  if (!login->body_as_SessionView()->must_change_password()) return;
  CliResult changed = Run({"change-password"}, {{"NRPF_PASSWORD", password}, {"NRPF_NEW_PASSWORD", final_password}});
  if (changed.code != 0) throw std::runtime_error("password change of " + user_id_ + " failed: " + changed.err);
}

// ---- raw transport ----

RawSocket::RawSocket(const std::string& hostport, int receive_buffer) {
  Result<server::Endpoint> e = server::ParseEndpoint(hostport);
  if (!e.ok()) throw std::runtime_error("bad address " + hostport);
  fd_ = socket(AF_INET, SOCK_STREAM, 0);
  if (receive_buffer > 0) setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof(receive_buffer));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(e->port);
  inet_pton(AF_INET, e->host.c_str(), &addr.sin_addr);
  if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd_);
    fd_ = -1;
    throw std::runtime_error("cannot connect to " + hostport + ": " + std::strerror(errno));
  }
}

RawSocket::~RawSocket() {
  if (fd_ >= 0) close(fd_);
}

bool RawSocket::Send(const std::string& bytes) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

std::string RawSocket::Receive(std::chrono::milliseconds timeout, bool* closed, std::size_t max) {
  std::string out;
  *closed = false;
  const auto deadline = SteadyClock::now() + timeout;
  while (out.size() < max) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now()).count();
    if (left <= 0) break;
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left)) <= 0) break;
    char buf[16384];
    const ssize_t n = recv(fd_, buf, std::min(sizeof(buf), max - out.size()), 0);
    if (n <= 0) {
      *closed = true;
      break;
    }
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

std::string RawSocket::ReceiveSome(std::chrono::milliseconds timeout, bool* closed) {
  *closed = false;
  pollfd p{fd_, POLLIN, 0};
  if (poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return "";
  char buf[65536];
  const ssize_t n = recv(fd_, buf, sizeof(buf), 0);
  if (n <= 0) {
    *closed = true;
    return "";
  }
  return std::string(buf, static_cast<std::size_t>(n));
}

bool RawSocket::WaitClosed(std::chrono::milliseconds timeout) {
  const auto deadline = SteadyClock::now() + timeout;
  while (SteadyClock::now() < deadline) {
    bool closed = false;
    Receive(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now()), &closed);
    if (closed) return true;
  }
  return false;
}

HttpResult Http(const std::string& hostport, const std::string& method, const std::string& target,
                const std::string& body, const std::vector<std::pair<std::string, std::string>>& headers) {
  RawSocket s(hostport);
  std::string request = method + " " + target + " HTTP/1.1\r\nHost: " + hostport + "\r\nConnection: close\r\n";
  for (const auto& [k, v] : headers) request += k + ": " + v + "\r\n";
  if (!body.empty() || method == "POST") request += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  request += "\r\n" + body;
  s.Send(request);
  bool closed = false;
  std::string raw;
  const auto deadline = SteadyClock::now() + std::chrono::seconds(60);
  while (!closed && SteadyClock::now() < deadline) raw += s.Receive(std::chrono::seconds(1), &closed);
  HttpResult r;
  const auto head_end = raw.find("\r\n\r\n");
  if (raw.rfind("HTTP/1.1 ", 0) != 0 || head_end == std::string::npos) return r;
  r.status = std::stoi(raw.substr(9, 3));
  std::istringstream head(raw.substr(0, head_end));
  std::string line;
  std::getline(head, line);
  while (std::getline(head, line)) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ')) value.erase(0, 1);
    while (!value.empty() && (value.back() == '\r')) value.pop_back();
    r.headers[name] = value;
  }
  r.body = raw.substr(head_end + 4);
  return r;
}

double Sample(const std::string& page, const std::string& name) {
  const std::string prefix = name + " ";
  std::size_t at = 0;
  while (at < page.size()) {
    const std::size_t end = std::min(page.find('\n', at), page.size());
    const std::string_view line(page.data() + at, end - at);
    if (line.substr(0, prefix.size()) == prefix) return std::stod(std::string(line.substr(prefix.size())));
    at = end + 1;
  }
  return -1;
}

HttpResult HttpAs(const std::string& token, const std::string& hostport, const std::string& method,
                  const std::string& target, const std::string& body) {
  return Http(hostport, method, target, body, {{"Authorization", "Bearer " + token}});
}

std::string ReasonOf(const HttpResult& r) {
  std::optional<std::string> parsed = ParseResponseJson(r.body);
  if (!parsed) return "";
  const auto* response = flatbuffers::GetRoot<api::fb::Response>(parsed->data());
  return response->error() && response->error()->reason() ? response->error()->reason()->str() : "";
}

std::vector<std::string> FieldErrorsOf(const HttpResult& r) {
  std::optional<std::string> parsed = ParseResponseJson(r.body);
  if (!parsed) return {};
  return FieldsOf(api::StatusOf(flatbuffers::GetRoot<api::fb::Response>(parsed->data())->error()));
}

}  // namespace nrpf::test
