// The HTTP layer shared by every API: socket options (TCP_NODELAY on both ends), error answers
// that name what was wrong, and answers that stay valid JSON whatever bytes were stored.

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <dirent.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>
#include <sstream>

#include "stack.h"
#include "sim_fixture.h"
#include "sw/common/codec.h"
#include "sw/common/http_server.h"
#include "sw/common/http_socket.h"
#include "sw/common/json_text.h"
#include "sw/common/mqtt.h"
#include "sw/common/paho_transport.h"
#include "sw/common/topics.h"

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

struct RawReply {
  int status = 0;
  json body;
};

// Sends `request` as it is on a new connection and reads one answer. Waits at most 3 s for it
// (cpp-httplib's own read timeout is 5 s, so a request it waits on until then gets no answer).
RawReply rawHttp(int port, const std::string& request) {
  RawReply out;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval tv{3, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      send(fd, request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size())) {
    close(fd);
    return out;
  }
  std::string got;
  char buf[4096];
  for (;;) {
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    got.append(buf, static_cast<size_t>(n));
    auto head_end = got.find("\r\n\r\n");
    if (head_end == std::string::npos) continue;
    auto cl = got.find("Content-Length: ");
    if (cl == std::string::npos || cl > head_end) break;
    size_t len = std::stoul(got.substr(cl + 16));
    if (got.size() >= head_end + 4 + len) break;
  }
  close(fd);
  if (got.rfind("HTTP/1.1 ", 0) != 0) return out;
  out.status = std::stoi(got.substr(9, 3));
  auto head_end = got.find("\r\n\r\n");
  if (head_end != std::string::npos) out.body = json::parse(got.substr(head_end + 4), nullptr, false);
  return out;
}

// POST without a body, as `curl -X POST URL` sends it: no Content-Length, no Transfer-Encoding.
RawReply postWithoutBody(int port, const std::string& path) {
  const std::string token = test::bearerForPort(port);
  const std::string auth = token.empty() ? std::string() : "Authorization: Bearer " + token + "\r\n";
  return rawHttp(port, "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                           "\r\nContent-Type: application/json\r\n" + auth + "Connection: close\r\n\r\n");
}

std::string code(const json& body) { return body.is_object() ? body["error"].value("code", "") : ""; }
std::string message(const json& body) { return body.is_object() ? body["error"].value("message", "") : ""; }

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

// Issue 15 item 12: every error names what was wrong. The agent's API, the real binary.
TEST(HttpErrors, TheAgentNamesWhatIsWrongWithARequest) {
  test::TempDir dir;
  test::AgentProc till(dir, "till-1", "store-1", "tcp://127.0.0.1:" + std::to_string(test::freePort()));
  till.start();

  // No body and no Content-Length (curl -X POST): an empty body, answered at once.
  auto none = postWithoutBody(till.port(), "/v1/sales");
  EXPECT_EQ(none.status, 400);
  EXPECT_EQ(code(none.body), "missing_body") << none.body.dump();

  struct Case {
    const char* path;
    std::string body;
    const char* code;
    const char* says;  // part of the message
  };
  const Case cases[] = {
      {"/v1/sales", "", "missing_body", "no body"},
      {"/v1/sales", "{\"lines\":", "bad_json", "parse error"},
      {"/v1/sales", "[1,2]", "bad_json", "not an array"},
      {"/v1/sales", "\"x\"", "bad_json", "not a string"},
      {"/v1/sales", R"({"lines":"A"})", "no_lines", "'lines'"},
      {"/v1/sales", R"({"lines":[{"sku":"A","qty":"1"}]})", "bad_qty", "'qty'"},
      {"/v1/movements", "", "missing_body", "no body"},
      {"/v1/voids", "{", "bad_json", "parse error"},
      {"/v1/tasks/00000000-0000-0000-0000-000000000000/confirm", "", "missing_body", "\"picked\""},
      {"/v1/tasks/00000000-0000-0000-0000-000000000000/confirm", "{}", "no_lines", "'lines'"},
      {"/v1/tasks/00000000-0000-0000-0000-000000000000/confirm", R"({"lines":[{"sku":1}]})", "bad_line", "picked"},
  };
  for (const Case& c : cases) {
    auto r = test::httpPost(till.port(), c.path, c.body);
    EXPECT_EQ(r.status, 400) << c.path << " " << c.body;
    EXPECT_EQ(code(r.body), c.code) << c.path << " " << c.body << " -> " << r.body.dump();
    EXPECT_NE(message(r.body).find(c.says), std::string::npos) << c.path << " " << c.body << " -> " << r.body.dump();
  }
  // Bad bytes inside the JSON are a bad_json too, and the answer is still JSON.
  auto bytes = test::httpPost(till.port(), "/v1/sales", "{\"lines\":[{\"sku\":\"\xff\xfe\",\"qty\":1}]}");
  EXPECT_EQ(bytes.status, 400);
  EXPECT_EQ(code(bytes.body), "bad_json") << bytes.body.dump();

  auto nope = test::httpGet(till.port(), "/v1/nope");
  EXPECT_EQ(nope.status, 404);
  EXPECT_EQ(code(nope.body), "not_found");
  EXPECT_NE(message(nope.body).find("GET /v1/nope"), std::string::npos) << nope.body.dump();
  // A body declared over the limit is refused before any of it is read (none is sent here: the
  // answer comes without it).
  const std::string host = "Host: 127.0.0.1:" + std::to_string(till.port()) + "\r\n";
  auto big = rawHttp(till.port(), "POST /v1/sales HTTP/1.1\r\n" + host + "Content-Type: application/json\r\n"
                                  "Content-Length: 2097152\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(big.status, 413);
  EXPECT_EQ(code(big.body), "body_too_large") << big.body.dump();
  // cpp-httplib 0.11 puts no limit on a chunked body: chunked request bodies are refused.
  auto framing = rawHttp(till.port(), "POST /v1/sales HTTP/1.1\r\n" + host + "Content-Type: application/json\r\n"
                                      "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\n");
  EXPECT_EQ(framing.status, 411);
  EXPECT_EQ(code(framing.body), "length_required") << framing.body.dump();

  EXPECT_EQ(till.status()["last_seq"], 0);  // none of it recorded anything
}

// The coordinator's API, the real binary with one channel (the WooCommerce simulator).
TEST(HttpErrors, TheCoordinatorNamesWhatIsWrongWithARequest) {
  test::TempDir dir;
  test::Broker broker;
  // Without channels first: reconcile and replay without a body say that channels are off.
  {
    test::CoordinatorProc coord(dir, broker.url());
    coord.start();
    for (const char* path : {"/v1/channels/woocommerce/reconcile", "/v1/channels/dead-letters/1/replay"}) {
      auto r = postWithoutBody(coord.port(), path);
      EXPECT_EQ(r.status, 400) << path;
      EXPECT_EQ(code(r.body), "channels_disabled") << path << " -> " << r.body.dump();
    }
    coord.stop();
  }
  test::ChannelSim sim("woocommerce");
  json seeded = sim.seed(json::array({{{"sku", "SKU-1"}, {"quantity", 0}}}));
  json cfg = {{"channels", {{"woocommerce", {{"connector", sim.connectorConfig(seeded, "whsec-1")}}}}}};
  {
    std::ofstream out(dir.file("channels.json"));
    out << cfg.dump();
  }
  test::TempDir dir2;  // a fresh ledger and logs for the second coordinator
  test::CoordinatorProc coord(dir2, broker.url(), {}, {"--channels-config", dir.file("channels.json")});
  coord.start();

  // The issue's case: no body at all. Reconcile needs none and runs.
  auto rec = postWithoutBody(coord.port(), "/v1/channels/woocommerce/reconcile?wait_ms=0");
  EXPECT_TRUE(rec.status == 200 || rec.status == 202) << rec.status << " " << rec.body.dump();
  EXPECT_TRUE(rec.body.contains("reconcile")) << rec.body.dump();
  auto unknown = postWithoutBody(coord.port(), "/v1/channels/Etsy2/reconcile");
  EXPECT_EQ(unknown.status, 400);
  EXPECT_EQ(code(unknown.body), "unknown_channel") << unknown.body.dump();
  EXPECT_NE(message(unknown.body).find("Etsy2"), std::string::npos);
  auto replay_bad = postWithoutBody(coord.port(), "/v1/channels/dead-letters/abc/replay");
  EXPECT_EQ(code(replay_bad.body), "bad_id") << replay_bad.body.dump();
  auto replay_none = postWithoutBody(coord.port(), "/v1/channels/dead-letters/424242/replay");
  EXPECT_EQ(replay_none.status, 404);
  EXPECT_EQ(code(replay_none.body), "not_found") << replay_none.body.dump();
  auto hook = test::httpPost(coord.port(), "/v1/channels/Etsy2/webhooks", "{}");
  EXPECT_EQ(hook.status, 404);
  EXPECT_EQ(code(hook.body), "unknown_channel") << hook.body.dump();
  // The webhook answers in the one error shape too: code, kind and message.
  EXPECT_EQ(hook.body["error"].value("kind", ""), "reject") << hook.body.dump();
  EXPECT_NE(message(hook.body).find("Etsy2"), std::string::npos) << hook.body.dump();
  auto wait = postWithoutBody(coord.port(), "/v1/channels/woocommerce/reconcile?wait_ms=soon");
  EXPECT_EQ(code(wait.body), "bad_param") << wait.body.dump();

  struct Case {
    std::string body;
    const char* code;
    const char* says;
  };
  const Case cases[] = {
      {"", "missing_body", "\"mappings\""},
      {"{", "bad_json", "parse error"},
      {"[]", "bad_json", "not an array"},
      {R"({"mappings":3})", "no_mappings", "'mappings'"},
      {R"({"mappings":[{"location":"store-1"}]})", "bad_mapping", "price_list"},
  };
  for (const Case& c : cases) {
    auto r = test::httpPost(coord.port(), "/v1/price-lists", c.body);
    EXPECT_EQ(r.status, 400) << c.body;
    EXPECT_EQ(code(r.body), c.code) << c.body << " -> " << r.body.dump();
    EXPECT_NE(message(r.body).find(c.says), std::string::npos) << c.body << " -> " << r.body.dump();
  }
  auto nobody = postWithoutBody(coord.port(), "/v1/price-lists");
  EXPECT_EQ(code(nobody.body), "missing_body") << nobody.body.dump();
  auto nope = test::httpPost(coord.port(), "/v1/stock", "{}");
  EXPECT_EQ(nope.status, 404);
  EXPECT_NE(message(nope.body).find("POST /v1/stock"), std::string::npos) << nope.body.dump();
}

// Issue 15 item 14: one message of random bytes made GET /v1/quarantine a 500 for ever (its
// reason quotes the bytes and nlohmann's dump() threw on them).
TEST(HttpJson, QuarantinedBytesAreShownSafelyAndSayHow) {
  test::TempDir dir;
  test::Broker broker;
  test::CoordinatorProc coord(dir, broker.url());
  coord.start();
  common::MqttConfig mc;
  mc.broker_url = broker.url();
  mc.client_id = "prankster";
  auto t = common::makePahoTransport(mc);
  t->start();
  ASSERT_TRUE(test::waitFor([&] { return t->isConnected(); }, 10s));
  for (const char* d : {"till-x", "till-y", "till-z"}) test::registerDevice(coord.db(), d, "store-1");
  const std::string random_bytes("\xff\xfe\x00garbage\xc3\x28", 12);
  const std::string text_then_bad = "{\"v\":1,\"dev\":\"\xff world";  // JSON-ish, valid up to byte 14
  ASSERT_TRUE(t->publish(common::topics::events("till-x"), random_bytes, 1, false).ok());
  ASSERT_TRUE(t->publish(common::topics::events("till-y"), text_then_bad, 1, false).ok());
  // A well-formed batch whose event type is not UTF-8: the reason ("unknown event type") quotes it.
  const json event = {{"seq", 1},      {"id", common::newUuid()}, {"type", "\xff\xfesale"},
                      {"at", 1},       {"loc", "store-1"},        {"lines", {{{"sku", "A"}, {"qty", 1}}}}};
  const std::vector<uint8_t> packed = json::to_msgpack(
      {{"v", 1}, {"dev", "till-z"}, {"epoch", common::newUuid()}, {"sent", 1}, {"events", {event}}});
  const std::string bad_key(packed.begin(), packed.end());
  ASSERT_TRUE(t->publish(common::topics::events("till-z"), bad_key, 1, false).ok());
  ASSERT_TRUE(test::waitFor(
      [&] {
        auto r = test::httpGet(coord.port(), "/v1/quarantine");
        return r.status == 200 && r.body["quarantined"].size() == 3;
      },
      10s))
      << test::httpGetText(coord.port(), "/v1/quarantine");
  auto q = test::httpGet(coord.port(), "/v1/quarantine").body["quarantined"];
  std::map<std::string, json> by_device;
  for (const auto& row : q) by_device[row["device_id"].get<std::string>()] = row;
  const json& a = by_device["till-x"]["payload"];
  EXPECT_EQ(a["encoding"], "utf-8+base64") << a.dump();
  EXPECT_EQ(a["text"], "");
  EXPECT_EQ(a["bad_byte_at"], 0);
  EXPECT_EQ(a["base64"], "//4AZ2FyYmFnZcMo");  // all 12 bytes
  EXPECT_EQ(by_device["till-x"]["payload_bytes"], 12);
  const json& b = by_device["till-y"]["payload"];
  EXPECT_EQ(b["encoding"], "utf-8+base64") << b.dump();
  EXPECT_EQ(b["text"], "{\"v\":1,\"dev\":\"");
  EXPECT_EQ(b["bad_byte_at"], 14);
  EXPECT_EQ(b["base64"], "/yB3b3JsZA==");  // "\xff world"
  const json& c = by_device["till-z"];
  EXPECT_EQ(c["payload"]["bad_byte_at"], 0);
  EXPECT_EQ(c["payload_bytes"], bad_key.size());
  // The reason's bad bytes became U+FFFD: the answer is valid JSON and says what was refused.
  EXPECT_NE(c["reason"].get<std::string>().find("unknown event type '\xef\xbf\xbd\xef\xbf\xbdsale'"), std::string::npos)
      << c["reason"];
  // And the rest of the API still answers.
  EXPECT_EQ(test::httpGet(coord.port(), "/v1/kpis").status, 200);
  auto small = test::httpGet(coord.port(), "/v1/quarantine?payload_max=4");
  ASSERT_EQ(small.status, 200);
  for (const auto& row : small.body["quarantined"]) EXPECT_EQ(row["payload"]["truncated"], true);
  EXPECT_EQ(code(test::httpGet(coord.port(), "/v1/quarantine?payload_max=x").body), "bad_param");
  t->stop();
}

// Query numbers were parsed four ways: "10abc" passed as 10 on some routes, from_seq=-1 wrapped
// round to 2^64-1. Every route now refuses them the same way: 400 bad_param.
TEST(HttpApi, EveryRouteRefusesASloppyNumberTheSameWay) {
  test::TempDir dir;
  test::Broker broker;
  test::CoordinatorProc coord(dir, broker.url());
  coord.start();
  for (const char* path : {"/v1/quarantine?limit=10abc", "/v1/events?device=till-1&from_seq=-1",
                           "/v1/events?device=till-1&limit=10abc", "/v1/orders?limit=10abc", "/v1/audit?limit=1e3",
                           "/v1/anomalies?limit=0", "/v1/events?sku=A&location=store-1&after=+1",
                           "/v1/kpis?window_h=%2010", "/v1/discrepancies?tolerance=-1"}) {
    auto r = test::httpGet(coord.port(), path);
    EXPECT_EQ(r.status, 400) << path << " " << r.body.dump();
    EXPECT_EQ(code(r.body), "bad_param") << path << " " << r.body.dump();
  }
  EXPECT_EQ(test::httpGet(coord.port(), "/v1/events?device=till-1&from_seq=1&limit=10").status, 200);
}

// A UTF-16 export (what Excel's "Unicode text" writes) got a 500; a wrong encoding is a 400
// that says so, and nothing is imported.
TEST(HttpJson, AnUploadInAnotherEncodingIsA400ThatNamesIt) {
  test::TempDir dir;
  test::Broker broker;
  test::CoordinatorProc coord(dir, broker.url());
  coord.start();
  auto post = [&](const std::string& body, const std::string& type) {
    httplib::Client c = common::makeHttpClient("127.0.0.1", coord.port());
    auto r = c.Post("/v1/catalog", {{"Authorization", "Bearer " + coord.adminToken()}}, body, type.c_str());
    RawReply out;
    if (r) {
      out.status = r->status;
      out.body = json::parse(r->body, nullptr, false);
    }
    return out;
  };
  const std::string csv = "sku,gtins,name,unit,weight_priced,tax_class\nSKU-1,,Caf\xc3\xa9,each,false,standard\n";
  auto utf16 = [](const std::string& s, bool le, bool bom) {
    std::string out = bom ? (le ? std::string("\xff\xfe") : std::string("\xfe\xff")) : std::string();
    for (char ch : s) {  // ASCII only in this helper; é below goes as its UTF-16 unit
      if (le) out += {ch, '\0'};
      else out += {'\0', ch};
    }
    return out;
  };
  const std::string ascii = "sku,gtins,name,unit,weight_priced,tax_class\nSKU-1,,Cafe,each,false,standard\n";
  struct Case {
    std::string body;
    std::string type;
    const char* says;
  };
  const Case cases[] = {
      {utf16(ascii, true, true), "text/csv", "UTF-16 little-endian"},
      {utf16(ascii, false, true), "text/csv", "UTF-16 big-endian"},
      {utf16(ascii, true, false), "text/csv", "UTF-16 little-endian without a byte-order mark"},
      {csv, "text/csv; charset=windows-1252", "charset=windows-1252"},
      {std::string("\xff\xfe\x00\x00s\0\0\0", 8), "text/csv", "UTF-32"},
  };
  for (const Case& c : cases) {
    auto r = post(c.body, c.type);
    EXPECT_EQ(r.status, 400) << c.says;
    EXPECT_EQ(code(r.body), "bad_encoding") << c.says << " -> " << r.body.dump();
    EXPECT_NE(message(r.body).find(c.says), std::string::npos) << r.body.dump();
  }
  EXPECT_EQ(test::httpGet(coord.port(), "/v1/catalog/SKU-1").status, 404);  // nothing imported
  // UTF-8, with or without the BOM spreadsheets write, and declared or not, is read.
  EXPECT_EQ(post("\xef\xbb\xbf" + csv, "text/csv; charset=utf-8").status, 200);
  auto item = test::httpGet(coord.port(), "/v1/catalog/SKU-1");
  EXPECT_EQ(item.status, 200);
  EXPECT_EQ(item.body["name"], "Caf\xc3\xa9");
}
