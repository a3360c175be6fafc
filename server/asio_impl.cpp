// The compiled part of Boost.Asio, its SSL support and Beast, built once for
// every target that links nrpf::asio (BOOST_*_SEPARATE_COMPILATION).
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
