#include "server/metrics.h"

#include <algorithm>
#include <cstdio>

#include "server/api_codec.h"

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

// "create_case", or "invalid" for requests that named no operation.
std::string OpLabel(unsigned op) {
  const std::string_view name = op == 0 ? std::string_view() : api::OpName(static_cast<api::fb::Op>(op));
  return name.empty() ? "invalid" : std::string(name);
}

void Counter(std::string* out, const char* name, const char* help, double value) {
  Line(out, std::string("# HELP ") + name + " " + help);
  Line(out, std::string("# TYPE ") + name + " counter");
  Line(out, std::string(name) + " " + Number(value));
}

}  // namespace

void Metrics::Add(std::string name, std::string help, const char* type, std::function<double()> read,
                  std::string labels) {
  std::lock_guard lock(mu_);
  Family& f = families_[std::move(name)];
  f.help = std::move(help);
  f.type = type;
  for (auto& sample : f.samples) {
    if (sample.first == labels) {
      sample.second = std::move(read);
      return;
    }
  }
  f.samples.emplace_back(std::move(labels), std::move(read));
}

void Metrics::AddGauge(std::string name, std::string help, std::function<double()> read) {
  Add(std::move(name), std::move(help), "gauge", std::move(read), "");
}

void Metrics::AddCounter(std::string name, std::string help, std::function<double()> read, std::string labels) {
  Add(std::move(name), std::move(help), "counter", std::move(read), std::move(labels));
}

void Metrics::CountRequest(unsigned op, Code code, double seconds) {
  if (op >= kOps) op = 0;
  const auto c = std::min<unsigned>(static_cast<unsigned>(code), kCodes - 1);
  requests_[op][c].fetch_add(1, std::memory_order_relaxed);
  Latency& l = latency_[op];
  for (std::size_t i = 0; i < kBuckets; ++i) {
    if (seconds <= kBounds[i]) {
      l.buckets[i].fetch_add(1, std::memory_order_relaxed);
      break;
    }
  }
  l.count.fetch_add(1, std::memory_order_relaxed);
  l.sum_ns.fetch_add(static_cast<std::uint64_t>(seconds * 1e9), std::memory_order_relaxed);
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

  Line(&out, "# HELP nrpf_requests_total Requests answered, by operation and error code.");
  Line(&out, "# TYPE nrpf_requests_total counter");
  for (unsigned op = 0; op < kOps; ++op) {
    for (unsigned c = 0; c < kCodes; ++c) {
      const std::uint64_t n = requests_[op][c].load(std::memory_order_relaxed);
      if (n == 0) continue;
      Line(&out, "nrpf_requests_total{op=\"" + OpLabel(op) + "\",code=\"" +
                     std::string(CodeName(static_cast<Code>(c))) + "\"} " + Number(static_cast<double>(n)));
    }
  }
  Line(&out, "# HELP nrpf_request_seconds Time from a whole request to its answer, by operation.");
  Line(&out, "# TYPE nrpf_request_seconds histogram");
  for (unsigned op = 0; op < kOps; ++op) {
    const Latency& l = latency_[op];
    const std::uint64_t count = l.count.load(std::memory_order_relaxed);
    if (count == 0) continue;
    const std::string label = "op=\"" + OpLabel(op) + "\"";
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < kBuckets; ++i) {
      cumulative += l.buckets[i].load(std::memory_order_relaxed);
      Line(&out, "nrpf_request_seconds_bucket{" + label + ",le=\"" + Number(kBounds[i]) + "\"} " +
                     Number(static_cast<double>(cumulative)));
    }
    Line(&out, "nrpf_request_seconds_bucket{" + label + ",le=\"+Inf\"} " + Number(static_cast<double>(count)));
    Line(&out, "nrpf_request_seconds_sum{" + label + "} " +
                   Number(static_cast<double>(l.sum_ns.load(std::memory_order_relaxed)) / 1e9));
    Line(&out, "nrpf_request_seconds_count{" + label + "} " + Number(static_cast<double>(count)));
  }
  std::lock_guard lock(mu_);
  for (const auto& [name, family] : families_) {
    Line(&out, "# HELP " + name + " " + family.help);
    Line(&out, "# TYPE " + name + " " + family.type);
    for (const auto& [labels, read] : family.samples) {
      Line(&out, name + (labels.empty() ? "" : "{" + labels + "}") + " " + Number(read()));
    }
  }
  return out;
}

}  // namespace nrpf::server
