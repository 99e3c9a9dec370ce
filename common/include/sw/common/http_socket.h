#pragma once
// How every cpp-httplib server and client in Stockwire sets up its sockets. Make clients with
// makeHttpClient() and pass servers through tuneHttpServer() before they bind (HttpServerRunner
// does); nothing else in the tree should construct an httplib::Client or bind an
// httplib::Server by hand.
//
// Why: cpp-httplib leaves TCP_NODELAY off (CPPHTTPLIB_TCP_NODELAY false). On a kept-alive
// connection a request or answer goes out as two writes (headers, then body); with Nagle on the
// second waits for the ACK of the first, which the peer delays by up to 40 ms. Measured before
// this: 41.7 ms p50 per sale on a kept-alive connection to the agent, 0.8 ms on a fresh one.

#include <httplib.h>

#include <memory>
#include <string>

namespace sw::common {

// TCP_NODELAY on the listening socket (Linux copies it to every accepted connection).
void tuneHttpServer(httplib::Server& server);
// TCP_NODELAY on every connection the client opens.
void tuneHttpClient(httplib::Client& client);

// An httplib::Client already tuned. scheme_host_port: "http://host:port".
httplib::Client makeHttpClient(const std::string& scheme_host_port);
httplib::Client makeHttpClient(const std::string& host, int port);
// An HTTPS client, tuned the same way, that trusts the CA certificates in ca_file (PEM).
std::unique_ptr<httplib::SSLClient> makeHttpsClient(const std::string& host, int port, const std::string& ca_file);

}  // namespace sw::common
