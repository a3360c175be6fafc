// TLS on both listeners, with a throwaway certificate made in the test with
// OpenSSL: the client and an HTTPS request complete a verified handshake; a
// plaintext client gets nothing from a TLS listener; a name the
// certificate does not carry is refused; and the daemon refuses to start a
// plaintext listener on a non-loopback address.

#include <catch2/catch.hpp>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>

#include <cstdio>

#include "cli/client.h"
#include "server/endpoint.h"
#include "server/frame.h"
#include "tests/server_harness.h"

namespace nrpf::test {
namespace {

namespace net = boost::asio;

// A self-signed P-256 certificate for 127.0.0.1 and localhost, valid for a day.
void MakeCertificate(const std::string& cert_path, const std::string& key_path) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  REQUIRE(key != nullptr);
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), -60);
  X509_gmtime_adj(X509_getm_notAfter(cert), 24 * 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("nrpf-test"), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  for (const auto& [nid, value] : std::vector<std::pair<int, const char*>>{
           {NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost"},
           {NID_basic_constraints, "critical,CA:TRUE"},
           {NID_key_usage, "critical,digitalSignature,keyCertSign"}}) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    REQUIRE(ext != nullptr);
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
  }
  REQUIRE(X509_sign(cert, key, EVP_sha256()) > 0);
  FILE* c = std::fopen(cert_path.c_str(), "w");
  FILE* k = std::fopen(key_path.c_str(), "w");
  REQUIRE(c != nullptr);
  REQUIRE(k != nullptr);
  PEM_write_X509(c, cert);
  PEM_write_PrivateKey(k, key, nullptr, nullptr, 0, nullptr, nullptr);
  std::fclose(c);
  std::fclose(k);
  X509_free(cert);
  EVP_PKEY_free(key);
}

// GET `target` over HTTPS, checking the server against `ca`. The raw answer.
std::string HttpsGet(const std::string& hostport, const std::string& ca, const std::string& target) {
  Result<server::Endpoint> e = server::ParseEndpoint(hostport);
  REQUIRE(e.ok());
  net::io_context ioc;
  net::ssl::context ssl(net::ssl::context::tls_client);
  ssl.load_verify_file(ca);
  ssl.set_verify_mode(net::ssl::verify_peer);
  net::ssl::stream<net::ip::tcp::socket> stream(ioc, ssl);
  stream.set_verify_callback(net::ssl::host_name_verification(e->host));
  net::ip::tcp::resolver resolver(ioc);
  net::connect(stream.lowest_layer(), resolver.resolve(e->host, std::to_string(e->port)));
  stream.handshake(net::ssl::stream_base::client);
  const std::string request = "GET " + target + " HTTP/1.1\r\nHost: " + hostport + "\r\nConnection: close\r\n\r\n";
  net::write(stream, net::buffer(request));
  std::string answer;
  boost::system::error_code ec;
  char buf[4096];
  for (;;) {
    const std::size_t n = stream.read_some(net::buffer(buf), ec);
    answer.append(buf, n);
    if (ec) break;
  }
  return answer;
}

TEST_CASE("both listeners speak TLS with a verified certificate and give plaintext clients nothing", "[server][tls]") {
  TempDir dir;
  const std::string cert = dir.Sub("cert.pem"), key = dir.Sub("key.pem");
  MakeCertificate(cert, key);
  ServerProcess server(dir.Sub("server"), {"--tls-cert", cert, "--tls-key", key});
  REQUIRE(server.Stdout().find("http api: https://") != std::string::npos);

  // nrpf over TLS: the first admin logs in.
  std::map<std::string, std::string> env = {{"NRPF_SERVER", server.binary()},
                                            {"NRPF_TOKEN_FILE", dir.Sub("token")},
                                            {"NRPF_PASSWORD", server.first_password()}};
  CliResult login = RunNrpf({"--ca", cert, "login", "admin"}, env);
  INFO(login.err);
  CHECK(login.code == 0);
  CHECK(login.out.find("must_change_password  yes") != std::string::npos);

  // HTTPS.
  const std::string health = HttpsGet(server.http(), cert, "/health");
  CHECK(health.rfind("HTTP/1.1 200 OK", 0) == 0);
  CHECK(health.find("\"status\": \"ok\"") != std::string::npos);

  // Without TLS, a client of either listener gets no answer, only a close.
  {
    RawSocket plain(server.http());
    plain.Send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
    bool closed = false;
    const std::string got = plain.Receive(std::chrono::seconds(5), &closed);
    CHECK(got.find("HTTP/1.1") == std::string::npos);
    CHECK(got.find("\"status\"") == std::string::npos);
    CHECK((closed || plain.WaitClosed(std::chrono::seconds(15))));
  }
  {
    cli::RequestSpec spec;
    spec.op = api::fb::Op::WhoAmI;
    Result<std::string> frame = cli::BuildRequestFrame(spec);
    REQUIRE(frame.ok());
    RawSocket plain(server.binary());
    plain.Send(*frame);
    bool closed = false;
    const std::string got = plain.Receive(std::chrono::seconds(5), &closed);
    CHECK(got.find("NRPA") == std::string::npos);
    CHECK((closed || plain.WaitClosed(std::chrono::seconds(15))));
  }
  CliResult no_tls = RunNrpf({"--timeout", "5", "who-am-i"}, env);
  CHECK(no_tls.code == 3);

  // The certificate names 127.0.0.1 and localhost, nothing else.
  CliResult wrong_name = RunNrpf({"--ca", cert, "--server-name", "elsewhere.example", "who-am-i"}, env);
  CHECK(wrong_name.code == 3);
  CHECK(wrong_name.err.find("tls_failed") != std::string::npos);
  // A client that trusts another authority refuses the server.
  const std::string other_cert = dir.Sub("other.pem"), other_key = dir.Sub("other-key.pem");
  MakeCertificate(other_cert, other_key);
  CHECK(RunNrpf({"--ca", other_cert, "who-am-i"}, env).code == 3);

  // Still serving after all that.
  CliResult who = RunNrpf({"--ca", cert, "who-am-i"}, env);
  CHECK(who.code == 0);
  CHECK(server.Stop() == 0);
}

TEST_CASE("the daemon refuses plaintext on a non-loopback address and half a TLS configuration", "[server][tls]") {
  std::string err;
  CHECK(RunServerToExit({"--listen", "0.0.0.0:0"}, &err, std::chrono::seconds(30)) == 2);
  CHECK(err.find("plaintext_not_loopback") != std::string::npos);
  CHECK(RunServerToExit({"--http-listen", "[::]:0"}, &err, std::chrono::seconds(30)) == 2);
  CHECK(err.find("plaintext_not_loopback") != std::string::npos);
  CHECK(RunServerToExit({"--tls-cert", "/nonexistent.pem"}, &err, std::chrono::seconds(30)) == 2);
  CHECK(err.find("tls_key") != std::string::npos);
  CHECK(RunServerToExit({"--no-such-setting", "1"}, &err, std::chrono::seconds(30)) == 2);
}

}  // namespace
}  // namespace nrpf::test
