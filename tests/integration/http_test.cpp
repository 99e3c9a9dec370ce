// The HTTP layer shared by every API: socket options (TCP_NODELAY on both ends), error answers
// that name what was wrong, and answers that stay valid JSON whatever bytes were stored.

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <dirent.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>
#include <sstream>

#include "stack.h"
#include "sw/common/http_server.h"
#include "sw/common/http_socket.h"

using namespace sw;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

struct SocketEnd {
  int fd = -1;
  int local_port = 0;
  int peer_port = 0;  // 0 when not connected (a listening socket)
  bool nodelay = false;
};

int portOf(const sockaddr_storage& a) {
  if (a.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in&>(a).sin_port);
  if (a.ss_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6&>(a).sin6_port);
  return 0;
}

// Every TCP socket this process holds, with its TCP_NODELAY as the kernel reports it.
std::vector<SocketEnd> tcpSockets() {
  std::vector<SocketEnd> out;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    int fd = -1;
    try {
      fd = std::stoi(entry.path().filename().string());
    } catch (const std::exception&) {
      continue;
    }
    sockaddr_storage local{}, peer{};
    socklen_t len = sizeof local;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len) != 0) continue;
    if (local.ss_family != AF_INET && local.ss_family != AF_INET6) continue;
    SocketEnd s;
    s.fd = fd;
    s.local_port = portOf(local);
    len = sizeof peer;
    if (getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &len) == 0) s.peer_port = portOf(peer);
    int on = 0;
    len = sizeof on;
    if (getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, &len) != 0) continue;
    s.nodelay = on != 0;
    out.push_back(s);
  }
  return out;
}

}  // namespace

// cpp-httplib leaves TCP_NODELAY off; with it off, every answer on a kept-alive connection waits
// ~40 ms for a delayed ACK. Checked on the real sockets, as the kernel sees them, at both ends
// of a kept-alive connection between an HttpServerRunner and a makeHttpClient client.
TEST(HttpSockets, ServerAndClientTurnNagleOffOnEveryConnection) {
  httplib::Server server;
  std::mutex mu;
  std::vector<SocketEnd> seen_in_handler;
  int server_port = 0;
  server.Get("/probe", [&](const httplib::Request&, httplib::Response& res) {
    std::lock_guard lock(mu);
    seen_in_handler = tcpSockets();
    res.set_content("{}", "application/json");
  });
  common::HttpServerRunner runner(server);
  ASSERT_TRUE(runner.start("127.0.0.1", 0));
  server_port = runner.port();

  httplib::Client client = common::makeHttpClient("127.0.0.1", server_port);
  client.set_keep_alive(true);
  for (int i = 0; i < 3; ++i) {  // the same connection each time
    auto r = client.Get("/probe");
    ASSERT_TRUE(r) << httplib::to_string(r.error());
    ASSERT_EQ(r->status, 200);
  }
  std::lock_guard lock(mu);
  std::optional<SocketEnd> listening, accepted, connecting;
  for (const SocketEnd& s : seen_in_handler) {
    if (s.local_port == server_port && s.peer_port == 0) listening = s;
    if (s.local_port == server_port && s.peer_port != 0) accepted = s;
    if (s.peer_port == server_port) connecting = s;
  }
  ASSERT_TRUE(listening && accepted && connecting) << "sockets not found under /proc/self/fd";
  EXPECT_TRUE(listening->nodelay) << "listening socket";
  EXPECT_TRUE(accepted->nodelay) << "the server's end of the connection";
  EXPECT_TRUE(connecting->nodelay) << "the client's end of the connection";
}

// The rule above holds only if nothing builds an httplib::Client or binds an httplib::Server
// by hand. This reads the tree's sources and names any place that does.
TEST(HttpSockets, EveryHttplibServerAndClientInTheTreeGoesThroughTheHelper) {
  const std::filesystem::path root = SW_SOURCE_DIR;
  const std::regex raw_client(R"(httplib::(Client|SSLClient)\s+\w+\s*[\(\{])");
  const std::regex unique_client(R"(make_(unique|shared)<httplib::(Client|SSLClient)>\((?!\s*(sw::)?common::makeHttpClient))");
  const std::regex server_member(R"(httplib::(Server|SSLServer)\s+\w+\s*[;\{])");
  std::vector<std::string> offenders;
  size_t servers = 0, files = 0;
  for (const char* top : {"agent", "common", "coordinator", "firmware-interfaces", "provisioning", "tools", "tests"}) {
    if (!std::filesystem::exists(root / top)) continue;
    for (const auto& e : std::filesystem::recursive_directory_iterator(root / top)) {
      const std::string ext = e.path().extension().string();
      if (!e.is_regular_file() || (ext != ".cpp" && ext != ".h")) continue;
      ++files;
      std::ifstream in(e.path());
      std::stringstream ss;
      ss << in.rdbuf();
      const std::string text = ss.str();
      const std::string name = std::filesystem::relative(e.path(), root).string();
      if (name == "common/src/http_socket.cpp" || name == "common/include/sw/common/http_socket.h" ||
          name == "tests/integration/http_test.cpp") {
        continue;
      }
      if (std::regex_search(text, raw_client) || std::regex_search(text, unique_client)) {
        offenders.push_back(name + ": constructs an httplib client without common::makeHttpClient");
      }
      if (std::regex_search(text, server_member)) {
        ++servers;
        if (text.find("HttpServerRunner") == std::string::npos && text.find("tuneHttpServer") == std::string::npos) {
          offenders.push_back(name + ": an httplib server neither run by HttpServerRunner nor passed to tuneHttpServer");
        }
      }
    }
  }
  EXPECT_GT(files, 100u);
  EXPECT_GE(servers, 3u);  // the agent's, the coordinator's, the channel simulator's (the scan sees them)
  for (const auto& o : offenders) ADD_FAILURE() << o;
}
