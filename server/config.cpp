#include "server/config.h"

#include <charconv>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>

namespace nrpf::server {

namespace {

Status Bad(std::string_view key, std::string message) {
  return Status::InvalidArgument(std::string(key) + ": " + std::move(message)).WithReason("config_invalid");
}

std::string Trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) return "";
  const auto last = s.find_last_not_of(" \t\r");
  return std::string(s.substr(first, last - first + 1));
}

template <typename T>
bool ParseNumber(std::string_view text, T* out) {
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, *out);
  return ec == std::errc() && ptr == end && !text.empty();
}

bool ParseDuration(std::string_view text, std::chrono::milliseconds* out) {
  struct Unit {
    std::string_view suffix;
    std::int64_t ms;
  };
  static constexpr Unit kUnits[] = {{"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}};
  std::int64_t scale = 1000;
  for (const Unit& u : kUnits) {
    if (text.size() > u.suffix.size() && text.substr(text.size() - u.suffix.size()) == u.suffix) {
      // "ms" ends in "s" as well: the first match in kUnits order wins.
      const std::string_view number = text.substr(0, text.size() - u.suffix.size());
      if (number.back() >= '0' && number.back() <= '9') {
        scale = u.ms;
        text = number;
        break;
      }
    }
  }
  std::int64_t n = 0;
  if (!ParseNumber(text, &n) || n < 0 || n > (std::int64_t{1} << 40)) return false;
  *out = std::chrono::milliseconds(n * scale);
  return true;
}

// "http://" or "https://", then a host and perhaps ":port": no path, no
// trailing slash, nothing a browser would not send as an Origin.
bool ValidOrigin(std::string_view o) {
  std::string_view rest;
  if (o.substr(0, 7) == "http://") {
    rest = o.substr(7);
  } else if (o.substr(0, 8) == "https://") {
    rest = o.substr(8);
  } else {
    return false;
  }
  if (rest.empty()) return false;
  for (const char ch : rest) {
    const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '.' || ch == '-' || ch == ':' ||
                    ch == '[' || ch == ']';
    if (!ok) return false;
  }
  return true;
}

using Setter = std::function<bool(ServerConfig&, std::string_view)>;

Setter Text(std::string ServerConfig::*field) {
  return [field](ServerConfig& c, std::string_view v) {
    c.*field = std::string(v);
    return true;
  };
}

template <typename T>
Setter Count(T Limits::*field, T min) {
  return [field, min](ServerConfig& c, std::string_view v) {
    T n{};
    if (!ParseNumber(v, &n) || n < min) return false;
    c.limits.*field = n;
    return true;
  };
}

Setter Duration(std::chrono::milliseconds Limits::*field) {
  return [field](ServerConfig& c, std::string_view v) { return ParseDuration(v, &(c.limits.*field)); };
}

const std::map<std::string, Setter, std::less<>>& Setters() {
  static const std::map<std::string, Setter, std::less<>> kSetters = {
      {"data_dir", Text(&ServerConfig::data_dir)},
      {"key_dir", Text(&ServerConfig::key_dir)},
      {"master_key", Text(&ServerConfig::master_key)},
      {"credentials_dir", Text(&ServerConfig::credentials_dir)},
      {"origin", Text(&ServerConfig::origin)},
      {"listen", Text(&ServerConfig::listen)},
      {"http_listen", Text(&ServerConfig::http_listen)},
      {"tls_cert", Text(&ServerConfig::tls_cert)},
      {"tls_key", Text(&ServerConfig::tls_key)},
      {"port_file", Text(&ServerConfig::port_file)},
      {"log_level", Text(&ServerConfig::log_level)},
      {"cors_origins",
       [](ServerConfig& c, std::string_view v) {
         c.cors_origins.clear();
         while (!v.empty()) {
           const std::size_t comma = v.find(',');
           const std::string origin = Trim(v.substr(0, comma));
           v = comma == std::string_view::npos ? std::string_view() : v.substr(comma + 1);
           if (!ValidOrigin(origin)) return false;
           c.cors_origins.push_back(origin);
         }
         return true;
       }},
      {"log_format",
       [](ServerConfig& c, std::string_view v) {
         if (v == "text") c.log_format = LogFormat::kText;
         else if (v == "json") c.log_format = LogFormat::kJson;
         else return false;
         return true;
       }},
      {"max_connections", Count(&Limits::max_connections, std::size_t{1})},
      {"max_frame_bytes", Count(&Limits::max_frame_bytes, std::size_t{1024})},
      {"max_body_bytes", Count(&Limits::max_body_bytes, std::size_t{1024})},
      {"max_header_bytes", Count(&Limits::max_header_bytes, std::size_t{1024})},
      {"max_in_flight", Count(&Limits::max_in_flight, std::size_t{1})},
      {"max_queued_bytes", Count(&Limits::max_queued_bytes, std::size_t{64 * 1024})},
      {"max_subscriptions", Count(&Limits::max_subscriptions, std::size_t{0})},
      {"handshake_timeout", Duration(&Limits::handshake_timeout)},
      {"read_timeout", Duration(&Limits::read_timeout)},
      {"idle_timeout", Duration(&Limits::idle_timeout)},
      {"write_timeout", Duration(&Limits::write_timeout)},
      {"shutdown_grace", Duration(&Limits::shutdown_grace)},
      {"io_threads", Count(&Limits::io_threads, 0u)},
      {"workers", Count(&Limits::workers, 1u)},
      {"worker_queue", Count(&Limits::worker_queue, std::size_t{1})},
      {"worker_nice",
       [](ServerConfig& c, std::string_view v) {
         return ParseNumber(v, &c.limits.worker_nice) && c.limits.worker_nice >= 0 && c.limits.worker_nice <= 19;
       }},
      {"session_ttl",
       [](ServerConfig& c, std::string_view v) { return ParseDuration(v, &c.accounts.session_ttl); }},
      {"max_failed_logins",
       [](ServerConfig& c, std::string_view v) {
         return ParseNumber(v, &c.accounts.max_failed_logins) && c.accounts.max_failed_logins > 0;
       }},
      {"login_rate_per_address",
       [](ServerConfig& c, std::string_view v) {
         return ParseNumber(v, &c.accounts.login_rate_per_address) && c.accounts.login_rate_per_address > 0;
       }},
      {"login_rate_per_account",
       [](ServerConfig& c, std::string_view v) {
         return ParseNumber(v, &c.accounts.login_rate_per_account) && c.accounts.login_rate_per_account > 0;
       }},
      {"pwhash_ops",
       [](ServerConfig& c, std::string_view v) {
         return ParseNumber(v, &c.accounts.pwhash_ops) && c.accounts.pwhash_ops >= 1;
       }},
      {"pwhash_mem_kib",
       [](ServerConfig& c, std::string_view v) {
         return ParseNumber(v, &c.accounts.pwhash_mem_kib) && c.accounts.pwhash_mem_kib >= 8;
       }},
      {"max_concurrent_hashes",
       [](ServerConfig& c, std::string_view v) {
         return ParseNumber(v, &c.accounts.max_concurrent_hashes) && c.accounts.max_concurrent_hashes >= 1;
       }},
      {"min_password_length",
       [](ServerConfig& c, std::string_view v) {
         return ParseNumber(v, &c.accounts.min_password_length) && c.accounts.min_password_length >= 8;
       }},
      {"first_organisation",
       [](ServerConfig& c, std::string_view v) {
         c.accounts.first_organisation = std::string(v);
         return !v.empty();
       }},
      {"first_admin",
       [](ServerConfig& c, std::string_view v) {
         c.accounts.first_admin = std::string(v);
         return !v.empty();
       }},
  };
  return kSetters;
}

std::string Normalise(std::string_view key) {
  std::string k(key);
  for (char& c : k) {
    if (c == '-') c = '_';
  }
  return k;
}

}  // namespace

void ServerConfig::Resolve() {
  const std::filesystem::path dir(data_dir);
  if (key_dir.empty()) key_dir = (dir / "keys").string();
  if (master_key.empty()) master_key = (dir / "master.key").string();
  if (credentials_dir.empty()) credentials_dir = (dir / "credentials").string();
}

Status ApplySetting(ServerConfig* config, std::string_view key, std::string_view value) {
  const std::string k = Normalise(key);
  auto it = Setters().find(k);
  if (it == Setters().end()) return Bad(k, "unknown setting");
  if (!it->second(*config, value)) return Bad(k, "cannot use the value \"" + std::string(value) + "\"");
  return Status::Ok();
}

Status LoadConfigFile(ServerConfig* config, const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::NotFound("cannot read the configuration file " + path).WithReason("config_invalid");
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (const auto hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    const std::string text = Trim(line);
    if (text.empty()) continue;
    const auto eq = text.find('=');
    if (eq == std::string::npos) {
      return Bad(path + ":" + std::to_string(number), "expected key = value");
    }
    std::string value = Trim(std::string_view(text).substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
    NRPF_RETURN_IF_ERROR(ApplySetting(config, Trim(std::string_view(text).substr(0, eq)), value));
  }
  return Status::Ok();
}

Status ParseCommandLine(int argc, char** argv, ServerConfig* config, bool* help) {
  *help = false;
  std::vector<std::pair<std::string, std::string>> flags;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      *help = true;
      return Status::Ok();
    }
    if (arg.rfind("--", 0) != 0) return Bad(arg, "not a flag");
    arg = arg.substr(2);
    std::string value;
    if (const auto eq = arg.find('='); eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg.resize(eq);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      return Bad(arg, "needs a value");
    }
    flags.emplace_back(Normalise(arg), value);
  }
  for (const auto& [key, value] : flags) {
    if (key == "config") NRPF_RETURN_IF_ERROR(LoadConfigFile(config, value));
  }
  for (const auto& [key, value] : flags) {
    if (key != "config") NRPF_RETURN_IF_ERROR(ApplySetting(config, key, value));
  }
  return Status::Ok();
}

std::string UsageText() {
  std::string out =
      "usage: nrpf-ledgerd [--config FILE] [--<setting> VALUE]...\n"
      "       nrpf-ledgerd --rotate-signing-key [--config FILE] [--<setting> VALUE]...\n"
      "         (with the daemon stopped: appends a new signing key to the log, prints it, exits)\n"
      "Settings (also `setting = value` lines of the --config file; docs/operations.md):\n";
  for (const auto& [key, setter] : Setters()) {
    std::string flag = key;
    for (char& c : flag) {
      if (c == '_') c = '-';
    }
    out += "  --" + flag + "\n";
  }
  return out;
}

}  // namespace nrpf::server
