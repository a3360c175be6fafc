// nrpf: the command-line client of nrpf-ledgerd (binary listener).
//
//   nrpf [flags] <operation> [field=value]...
//   nrpf [flags] login <user id>        password: $NRPF_PASSWORD, --password-file, or asked
//   nrpf [flags] change-password        $NRPF_PASSWORD and $NRPF_NEW_PASSWORD, files, or asked
//   nrpf [flags] logout
//   nrpf ops | nrpf help <operation>
//
// Flags: --server HOST:PORT ($NRPF_SERVER, default 127.0.0.1:7700),
// --ca FILE ($NRPF_CA; speaks TLS and checks the server against it), --tls
// (TLS with the system's CAs), --server-name NAME, --token-file FILE
// ($NRPF_TOKEN_FILE, default ~/.config/nrpf/token; $NRPF_TOKEN wins),
// --json, --input FILE|- (the body as JSON), --command-id ID,
// --expected-version N, --timeout SECONDS, --count N and --wait SECONDS
// (subscriptions).
//
// Passwords and tokens are never taken from the command line, where other
// users of the machine could read them. Exit codes: cli/exit_codes.h.

#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/client.h"
#include "cli/exit_codes.h"
#include "cli/render.h"
#include "cli/request_json.h"
#include "server/api_codec.h"
#include "server/api_error.h"
#include "server/frame.h"

namespace {

using namespace nrpf;         // NOLINT: a program's main file
using namespace nrpf::cli;    // NOLINT

struct Args {
  ClientOptions client;
  std::string token_file;
  std::string password_file;
  std::string new_password_file;
  std::string input;
  std::string save_dir;  // --save DIR: a document goes to DIR/<its file name>
  std::string command_id;
  std::optional<std::uint64_t> expected_version;
  bool json = false;
  long count = -1;
  long wait_s = 0;
  std::string op;
  std::vector<std::string> words;
  bool help = false;  // --help
};

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? "" : v;
}

constexpr const char* kUsage =
    "usage: nrpf [flags] <operation> [field=value]...\n"
    "       nrpf login <user id> | nrpf change-password | nrpf logout | nrpf ops | nrpf help <operation>\n";

constexpr const char* kFlags =
    "flags:\n"
    "  --server HOST:PORT        the binary listener ($NRPF_SERVER; default 127.0.0.1:7700)\n"
    "  --ca FILE                 TLS, checking the server against that CA ($NRPF_CA)\n"
    "  --tls                     TLS, checking the server against the system's CAs\n"
    "  --server-name NAME        the name the server's certificate must carry\n"
    "  --token-file FILE         where login keeps the token ($NRPF_TOKEN_FILE; default ~/.config/nrpf/token);\n"
    "                            $NRPF_TOKEN overrides it\n"
    "  --password-file FILE      the password ($NRPF_PASSWORD; else asked for at the terminal)\n"
    "  --new-password-file FILE  change-password's new password ($NRPF_NEW_PASSWORD)\n"
    "  --json                    print the answer as JSON (errors too, on stdout)\n"
    "  --input FILE|-            the request's fields as a JSON body, from a file or stdin\n"
    "  --save DIR                a report or export: save it in DIR under its own name, never over a file\n"
    "  --command-id ID           idempotency key: a retry with the same id and request writes nothing\n"
    "  --expected-version N      refuse the command if the case has moved past version N\n"
    "  --timeout SECONDS         how long to wait for an answer\n"
    "  --count N, --wait SECONDS subscriptions: stop after N pushes, or SECONDS without one\n"
    "  --help                    this text\n"
    "passwords and tokens are never taken on the command line. exit codes: docs/api.md\n";

int Usage(const std::string& why) {
  if (!why.empty()) std::fprintf(stderr, "nrpf: %s\n", why.c_str());
  std::fprintf(stderr, "%s(nrpf --help lists the flags)\n", kUsage);
  return kExitUsage;
}

int Help() {
  std::printf("%s%s", kUsage, kFlags);
  return kExitOk;
}

bool ParseArgs(int argc, char** argv, Args* a, std::string* error) {
  a->client.server = Env("NRPF_SERVER").empty() ? a->client.server : Env("NRPF_SERVER");
  a->client.ca_file = Env("NRPF_CA");
  a->client.tls = !a->client.ca_file.empty();
  a->token_file = Env("NRPF_TOKEN_FILE");
  if (a->token_file.empty() && !Env("HOME").empty()) a->token_file = Env("HOME") + "/.config/nrpf/token";
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::optional<std::string> {
      if (i + 1 >= argc) return std::nullopt;
      return std::string(argv[++i]);
    };
    auto number = [&](long* out) {
      std::optional<std::string> v = value();
      char* end = nullptr;
      if (!v) return false;
      *out = std::strtol(v->c_str(), &end, 10);
      return end != nullptr && *end == '\0' && *out >= 0;
    };
    if (arg.rfind("--", 0) != 0 && arg != "-h") {
      if (a->op.empty()) {
        a->op = arg;
      } else {
        a->words.push_back(arg);
      }
      continue;
    }
    std::optional<std::string> v;
    long n = 0;
    if (arg == "--help" || arg == "-h") {
      a->help = true;
    } else if (arg == "--json") {
      a->json = true;
    } else if (arg == "--tls") {
      a->client.tls = true;
    } else if (arg == "--server" && (v = value())) {
      a->client.server = *v;
    } else if (arg == "--ca" && (v = value())) {
      a->client.ca_file = *v;
      a->client.tls = true;
    } else if (arg == "--server-name" && (v = value())) {
      a->client.server_name = *v;
    } else if (arg == "--token-file" && (v = value())) {
      a->token_file = *v;
    } else if (arg == "--password-file" && (v = value())) {
      a->password_file = *v;
    } else if (arg == "--new-password-file" && (v = value())) {
      a->new_password_file = *v;
    } else if (arg == "--input" && (v = value())) {
      a->input = *v;
    } else if (arg == "--save" && (v = value())) {
      a->save_dir = *v;
    } else if (arg == "--command-id" && (v = value())) {
      a->command_id = *v;
    } else if (arg == "--expected-version" && number(&n)) {
      a->expected_version = static_cast<std::uint64_t>(n);
    } else if (arg == "--timeout" && number(&n)) {
      a->client.timeout = std::chrono::seconds(n);
    } else if (arg == "--count" && number(&n)) {
      a->count = n;
    } else if (arg == "--wait" && number(&n)) {
      a->wait_s = n;
    } else if (arg == "--password" || arg == "--token") {
      *error = arg + " is not accepted: give secrets in a file or the environment (see nrpf --help)";
      return false;
    } else {
      *error = "unknown flag " + arg;
      return false;
    }
  }
  return true;
}

// --save: the document in `dir` under the name the server gave it, created
// new (an existing file is never written over); its path on stdout.
int SaveDocument(const std::string& dir, const api::fb::Document* d, const std::string& document) {
  if (d == nullptr || d->filename() == nullptr || d->filename()->size() == 0) {
    std::fprintf(stderr, "nrpf: the answer has no file name to save it under; leave out --save\n");
    return kExitFailure;
  }
  const std::string name = d->filename()->str();
  if (name.find('/') != std::string::npos || name.front() == '.') {
    std::fprintf(stderr, "nrpf: the server named the document %s, which is not a plain file name\n", name.c_str());
    return kExitFailure;
  }
  const std::string path = (std::filesystem::path(dir) / name).string();
  std::FILE* f = std::fopen(path.c_str(), "wbx");  // x: fails if it exists
  if (f == nullptr) {
    std::fprintf(stderr, "nrpf: cannot create %s: %s\n", path.c_str(), std::strerror(errno));
    return kExitFailure;
  }
  const bool written = std::fwrite(document.data(), 1, document.size(), f) == document.size();
  if (std::fclose(f) != 0 || !written) {
    std::fprintf(stderr, "nrpf: cannot write %s\n", path.c_str());
    std::remove(path.c_str());
    return kExitFailure;
  }
  std::printf("%s\n", path.c_str());
  return kExitOk;
}

std::optional<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Chomp(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

// A secret from the environment, a file, or the terminal (without echo) or stdin.
std::optional<std::string> Secret(const char* env, const std::string& file, const char* prompt) {
  if (!Env(env).empty()) return Env(env);
  if (!file.empty()) {
    std::optional<std::string> s = ReadFile(file);
    return s ? std::optional<std::string>(Chomp(*s)) : std::nullopt;
  }
  const bool tty = isatty(STDIN_FILENO);
  termios old{};
  if (tty) {
    std::fprintf(stderr, "%s", prompt);
    tcgetattr(STDIN_FILENO, &old);
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  }
  std::string line;
  const bool got = static_cast<bool>(std::getline(std::cin, line));
  if (tty) {
    tcsetattr(STDIN_FILENO, TCSANOW, &old);
    std::fprintf(stderr, "\n");
  }
  return got ? std::optional<std::string>(Chomp(line)) : std::nullopt;
}

std::string Token(const Args& a) {
  if (!Env("NRPF_TOKEN").empty()) return Env("NRPF_TOKEN");
  if (a.token_file.empty()) return "";
  return Chomp(ReadFile(a.token_file).value_or(""));
}

bool SaveToken(const std::string& path, const std::string& token) {
  if (path.empty()) return false;
  std::error_code ec;
  const std::filesystem::path p(path);
  if (p.has_parent_path()) std::filesystem::create_directories(p.parent_path(), ec);
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!out) return false;
    ::chmod(tmp.c_str(), 0600);
    out << token << "\n";
    if (!out.flush()) return false;
  }
  std::filesystem::rename(tmp, p, ec);
  return !ec;
}

std::string JsonText(const std::string& s) { return "\"" + api::JsonEscape(s) + "\""; }

// Prints an answer and returns its exit code.
int Print(const std::string& frame, bool json) {
  const api::fb::Response* r = api::VerifiedResponse(frame);
  const Status status = api::StatusOf(r->error());
  if (json) {
    Result<std::string> text = api::TableToJson(r, "Response");
    std::printf("%s\n", text.ok() ? text->c_str() : "{}");
  } else if (status.ok()) {
    std::fputs(RenderText(*r).c_str(), stdout);
  } else {
    std::fputs(RenderText(*r).c_str(), stderr);
  }
  std::fflush(stdout);
  return ExitCodeOf(status);
}

int Transport(const Status& s) {
  std::fprintf(stderr, "nrpf: %s\n", s.ToString().c_str());
  return s.code() == Code::kInvalidArgument ? kExitUsage : kExitUnreachable;
}

int Run(Args& a) {
  std::string op_name = a.op;
  for (char& c : op_name) {
    if (c == '-') c = '_';
  }
  if (op_name == "ops") {
    for (std::size_t i = 1; i <= static_cast<std::size_t>(api::fb::Op::MAX); ++i) {
      const auto op = static_cast<api::fb::Op>(i);
      std::printf("%-26s %s\n", std::string(api::OpName(op)).c_str(), TableSummary(api::OpTable(op)).c_str());
    }
    return kExitOk;
  }
  if (op_name == "help") {
    if (a.words.empty()) return Help();
    std::string name = a.words[0];
    for (char& c : name) {
      if (c == '-') c = '_';
    }
    std::optional<api::fb::Op> op = api::OpByName(name);
    if (!op) return Usage("no operation " + a.words[0] + " (nrpf ops lists them)");
    std::printf("%s: %s\nfields:\n%s", name.c_str(), TableSummary(api::OpTable(*op)).c_str(),
                DescribeTable(api::OpTable(*op)).c_str());
    return kExitOk;
  }
  std::optional<api::fb::Op> op = api::OpByName(op_name);
  if (!op) return Usage(a.op.empty() ? "" : "no operation " + a.op + " (nrpf ops lists them)");

  RequestSpec spec;
  spec.op = *op;
  spec.request_id = 1;
  spec.command_id = a.command_id;
  spec.expected_version = a.expected_version;
  std::string secret_a, secret_b;
  if (*op == api::fb::Op::Login) {
    if (a.words.size() != 1) return Usage("login <user id>");
    std::optional<std::string> password = Secret("NRPF_PASSWORD", a.password_file, "password: ");
    if (!password) return Usage("no password given");
    spec.body_json = "{\"user_id\":" + JsonText(a.words[0]) + ",\"password\":" + JsonText(*password) + "}";
  } else if (*op == api::fb::Op::ChangePassword) {
    std::optional<std::string> current = Secret("NRPF_PASSWORD", a.password_file, "current password: ");
    std::optional<std::string> next = Secret("NRPF_NEW_PASSWORD", a.new_password_file, "new password: ");
    if (!current || !next) return Usage("give the current and the new password");
    spec.body_json = "{\"current_password\":" + JsonText(*current) + ",\"new_password\":" + JsonText(*next) + "}";
  } else if (!a.input.empty()) {
    std::optional<std::string> body =
        a.input == "-" ? std::optional<std::string>(std::string(std::istreambuf_iterator<char>(std::cin), {}))
                       : ReadFile(a.input);
    if (!body) return Usage("cannot read " + a.input);
    spec.body_json = *body;
  } else {
    Result<std::string> body = AssignmentsToJson(api::OpTable(*op), a.words);
    if (!body.ok()) return Usage(body.status().message());
    spec.body_json = *body;
  }
  if (*op != api::fb::Op::Login) spec.token = Token(a);

  Result<std::string> frame = BuildRequestFrame(spec);
  if (!frame.ok()) return Usage(frame.status().message());
  Result<std::unique_ptr<Client>> client = Client::Connect(a.client);
  if (!client.ok()) return Transport(client.status());
  std::string document;
  Result<std::string> answer = (*client)->Call(*frame, spec.request_id, &document);
  if (!answer.ok()) return Transport(answer.status());
  const api::fb::Response* r = api::VerifiedResponse(*answer);
  const Status status = api::StatusOf(r->error());
  if (status.ok() && r->body_type() == api::fb::Reply::Document) {
    if (!a.save_dir.empty()) return SaveDocument(a.save_dir, r->body_as_Document(), document);
    // The replay reports: the document itself, as nrpf-replay writes it.
    std::fwrite(document.data(), 1, document.size(), stdout);
    if (!document.empty() && document.back() != '\n') std::fputc('\n', stdout);
    std::fflush(stdout);
    return kExitOk;
  }

  if (status.ok() && *op == api::fb::Op::Login) {
    const auto* session = r->body_as_SessionView();
    if (session == nullptr || session->token() == nullptr || !SaveToken(a.token_file, session->token()->str())) {
      std::fprintf(stderr, "nrpf: cannot save the session token to %s\n", a.token_file.c_str());
      return kExitFailure;
    }
  }
  if (status.ok() && *op == api::fb::Op::Logout && Env("NRPF_TOKEN").empty() && !a.token_file.empty()) {
    std::error_code ec;
    std::filesystem::remove(a.token_file, ec);
  }
  const int code = Print(*answer, a.json);
  if (!status.ok() || !api::IsSubscription(*op)) return code;

  // A subscription: print pushes until --count of them, --wait seconds
  // without one, or the end of the feed.
  long seen = 0;
  while (a.count < 0 || seen < a.count) {
    const auto wait = a.wait_s > 0 ? std::chrono::milliseconds(a.wait_s * 1000) : std::chrono::milliseconds(24L * 3600 * 1000);
    Result<std::string> push = (*client)->Receive(wait);
    if (!push.ok()) return push.status().code() == Code::kCancelled ? kExitOk : Transport(push.status());
    const api::fb::Response* p = api::VerifiedResponse(*push);
    if (p->request_id() != spec.request_id) continue;
    const int push_code = Print(*push, a.json);
    if (p->kind() == api::fb::FrameKind::End) return push_code;
    ++seen;
  }
  return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  std::string error;
  if (!ParseArgs(argc, argv, &a, &error)) return Usage(error);
  if (a.help) return Help();
  if (a.op.empty()) return Usage("");
  return Run(a);
}
