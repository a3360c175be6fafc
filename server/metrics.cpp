#include "server/metrics.h"

#include <cstdio>

namespace nrpf::server {

namespace {

constexpr double kBounds[12] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                0.01,   0.025,   0.05,   0.1,   0.5,    2.5};

void Line(std::string* out, const std::string& text) {
  *out += text;
  *out += '\n';
}

std::string Number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.17g", v);
  return buf;
}

void Counter(std::string* out, const char* name, const char* help, double value) {
  Line(out, std::string("# HELP ") + name + " " + help);
  Line(out, std::string("# TYPE ") + name + " counter");
  Line(out, std::string(name) + " " + Number(value));
}

}  // namespace

void Metrics::AddGauge(std::string name, std::string help, std::function<double()> read) {
  std::lock_guard lock(mu_);
  gauges_[std::move(name)] = {std::move(help), std::move(read)};
}

void Metrics::CountRequest(std::string_view op, std::string_view code, double seconds) {
  std::lock_guard lock(mu_);
  ++requests_[{std::string(op), std::string(code)}];
  Latency& l = latency_[std::string(op)];
  for (std::size_t i = 0; i < 12; ++i) {
    if (seconds <= kBounds[i]) {
      ++l.buckets[i];
      break;
    }
  }
  ++l.count;
  l.sum += seconds;
}

std::string Metrics::Render() const {
  std::string out;
  Counter(&out, "nrpf_connections_accepted_total", "Connections accepted on both listeners.",
          static_cast<double>(connections_accepted.load()));
  Counter(&out, "nrpf_connections_refused_total", "Connections closed at once because max_connections was reached.",
          static_cast<double>(connections_refused.load()));
  Line(&out, "# HELP nrpf_connections_open Connections open now.");
  Line(&out, "# TYPE nrpf_connections_open gauge");
  Line(&out, "nrpf_connections_open " + Number(static_cast<double>(connections_open.load())));
  Counter(&out, "nrpf_tls_handshake_failures_total", "TLS handshakes that failed or timed out.",
          static_cast<double>(tls_handshake_failures.load()));
  Counter(&out, "nrpf_frames_rejected_total", "Inbound frames or bodies refused as malformed or too large.",
          static_cast<double>(frames_rejected.load()));
  Counter(&out, "nrpf_timeouts_total", "Connections closed by a read, idle or write deadline.",
          static_cast<double>(timeouts.load()));
  Counter(&out, "nrpf_logins_failed_total", "Logins refused for a wrong password or an unknown account.",
          static_cast<double>(logins_failed.load()));
  Counter(&out, "nrpf_lockouts_total", "Accounts locked after too many failed logins.",
          static_cast<double>(lockouts.load()));
  Counter(&out, "nrpf_pushes_total", "Subscription frames pushed to clients.", static_cast<double>(pushes.load()));

  std::lock_guard lock(mu_);
  Line(&out, "# HELP nrpf_requests_total Requests answered, by operation and error code.");
  Line(&out, "# TYPE nrpf_requests_total counter");
  for (const auto& [key, n] : requests_) {
    Line(&out, "nrpf_requests_total{op=\"" + key.first + "\",code=\"" + key.second + "\"} " +
                   Number(static_cast<double>(n)));
  }
  Line(&out, "# HELP nrpf_request_seconds Time from a whole request to its answer, by operation.");
  Line(&out, "# TYPE nrpf_request_seconds histogram");
  for (const auto& [op, l] : latency_) {
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < 12; ++i) {
      cumulative += l.buckets[i];
      Line(&out, "nrpf_request_seconds_bucket{op=\"" + op + "\",le=\"" + Number(kBounds[i]) + "\"} " +
                     Number(static_cast<double>(cumulative)));
    }
    Line(&out, "nrpf_request_seconds_bucket{op=\"" + op + "\",le=\"+Inf\"} " + Number(static_cast<double>(l.count)));
    Line(&out, "nrpf_request_seconds_sum{op=\"" + op + "\"} " + Number(l.sum));
    Line(&out, "nrpf_request_seconds_count{op=\"" + op + "\"} " + Number(static_cast<double>(l.count)));
  }
  for (const auto& [name, gauge] : gauges_) {
    Line(&out, "# HELP " + name + " " + gauge.first);
    Line(&out, "# TYPE " + name + " gauge");
    Line(&out, name + " " + Number(gauge.second()));
  }
  return out;
}

}  // namespace nrpf::server
