#include "sw/common/http_socket.h"

namespace sw::common {

void tuneHttpServer(httplib::Server& server) { server.set_tcp_nodelay(true); }

void tuneHttpClient(httplib::Client& client) { client.set_tcp_nodelay(true); }

httplib::Client makeHttpClient(const std::string& scheme_host_port) {
  httplib::Client c(scheme_host_port);
  tuneHttpClient(c);
  return c;
}

httplib::Client makeHttpClient(const std::string& host, int port) {
  httplib::Client c(host, port);
  tuneHttpClient(c);
  return c;
}

}  // namespace sw::common
