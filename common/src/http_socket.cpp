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

std::unique_ptr<httplib::SSLClient> makeHttpsClient(const std::string& host, int port, const std::string& ca_file) {
  auto c = std::make_unique<httplib::SSLClient>(host, port);
  c->set_tcp_nodelay(true);
  c->set_ca_cert_path(ca_file.c_str());
  c->enable_server_certificate_verification(true);
  return c;
}

}  // namespace sw::common
