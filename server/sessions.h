// The two kinds of client connection. Each takes an accepted socket, runs
// the TLS handshake first when `tls` is set (within handshake_timeout), and
// serves until the client leaves, a deadline passes or the server stops.
//
//  binary: size-prefixed FlatBuffers frames (server/frame.h), pipelined,
//          answered by request id, with pushes for subscriptions
//          (binary_session.cpp)
//  http:   HTTP/1.1 with JSON bodies of the same schema, and Server-Sent
//          Events for subscriptions (http_session.cpp)
//
// Both register with ctx.connections first and close at once when it is
// full.

#ifndef NRPF_SERVER_SESSIONS_H_
#define NRPF_SERVER_SESSIONS_H_

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include "server/connection.h"
#include "server/io_threads.h"

namespace nrpf::server {

// An accepted socket, on the I/O thread that will run its connection.
using Socket = boost::asio::basic_stream_socket<boost::asio::ip::tcp, IoExecutor>;

void StartBinarySession(Socket socket, boost::asio::ssl::context* tls, ConnectionContext ctx);
void StartHttpSession(Socket socket, boost::asio::ssl::context* tls, ConnectionContext ctx);

}  // namespace nrpf::server

#endif  // NRPF_SERVER_SESSIONS_H_
