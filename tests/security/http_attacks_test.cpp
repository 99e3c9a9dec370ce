// Attacks on the coordinator's and the agent's HTTP APIs, tried against the real binaries: every
// one is refused and changes nothing in the ledger (or the agent's store).

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "stack.h"
#include "sw/common/http_socket.h"
#include "sw/coordinator/api/access_policy.h"

using namespace sw;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

// Every row of every table of a database but the audit log and tokens, as text: what an attack
// must not change.
std::string fingerprint(const std::string& path) {
  sqlite3* db = nullptr;
  // Read-write: a read-only connection does not see what is still in the WAL. Nothing is written.
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    return "cannot open " + path;
  }
  sqlite3_busy_timeout(db, 5000);
  std::vector<std::string> tables;
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name", -1, &st, nullptr);
  while (sqlite3_step(st) == SQLITE_ROW) tables.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)));
  sqlite3_finalize(st);
  std::ostringstream out;
  for (const auto& t : tables) {
    // The audit log and tokens change by design; the KPI history is the sampler's, on its own clock.
    if (t == "audit_log" || t == "api_tokens" || t == "sqlite_sequence" || t == "kpi_series" || t == "kpi_points") {
      continue;
    }
    out << "[" << t << "]\n";
    sqlite3_prepare_v2(db, ("SELECT * FROM \"" + t + "\"").c_str(), -1, &st, nullptr);
    while (sqlite3_step(st) == SQLITE_ROW) {
      for (int i = 0; i < sqlite3_column_count(st); ++i) {
        const unsigned char* v = sqlite3_column_text(st, i);
        out << (v ? reinterpret_cast<const char*>(v) : "NULL") << '|';
      }
      out << '\n';
    }
    sqlite3_finalize(st);
  }
  sqlite3_close(db);
  return out.str();
}

int connectTo(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

struct RawReply {
  int status = 0;
  std::string head;
  json body;
  bool closed = false;  // the server closed the connection after the answer
};

// Sends request on a new connection, reads one answer (at most wait), then whether it closed.
RawReply rawHttp(int port, const std::string& request, std::chrono::seconds wait = 5s) {
  RawReply out;
  int fd = connectTo(port);
  if (fd < 0) return out;
  timeval tv{static_cast<time_t>(wait.count()), 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  std::string got;
  char buf[4096];
  size_t want = std::string::npos;
  for (;;) {
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) {
      out.closed = n == 0;
      break;
    }
    got.append(buf, static_cast<size_t>(n));
    auto head_end = got.find("\r\n\r\n");
    if (head_end != std::string::npos && want == std::string::npos) {
      auto cl = got.find("Content-Length: ");
      want = cl == std::string::npos || cl > head_end ? head_end + 4 : head_end + 4 + std::stoul(got.substr(cl + 16));
    }
    if (want != std::string::npos && got.size() >= want) {
      // Whether the server closes now (it should after refusing an unread body).
      timeval shortwait{1, 0};
      setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &shortwait, sizeof shortwait);
      out.closed = recv(fd, buf, sizeof buf, 0) == 0;
      break;
    }
  }
  close(fd);
  if (got.rfind("HTTP/1.1 ", 0) != 0) return out;
  out.status = std::stoi(got.substr(9, 3));
  auto head_end = got.find("\r\n\r\n");
  out.head = got.substr(0, head_end);
  if (head_end != std::string::npos) out.body = json::parse(got.substr(head_end + 4), nullptr, false);
  return out;
}

std::string code(const json& body) {
  return body.is_object() && body.contains("error") ? body["error"].value("code", "") : "";
}

const std::map<std::string, std::string> kNoToken = {{"Authorization", ""}};
std::map<std::string, std::string> bearer(const std::string& t) { return {{"Authorization", "Bearer " + t}}; }

test::HttpReply call(int port, const std::string& method, const std::string& path,
                     const std::map<std::string, std::string>& headers, const std::string& body = "{}") {
  if (method == "GET") return test::httpGet(port, path, headers);
  return test::httpPost(port, path, body, headers);
}

// A coordinator with a ledger that has something in it: a catalog item, a price, a device's sale.
struct CoordinatorFixture : ::testing::Test {
  test::TempDir dir;
  test::Broker broker;
  std::unique_ptr<test::CoordinatorProc> coord;
  std::string viewer, manager1;

  void SetUp() override {
    coord = std::make_unique<test::CoordinatorProc>(dir, broker.url());
    coord->start();
    viewer = coord->createToken("viewer-1", "viewer");
    manager1 = coord->createToken("manager-store-1", "store_manager", "store-1");
    httplib::Client c = common::makeHttpClient("127.0.0.1", coord->port());
    httplib::Headers auth = {{"Authorization", "Bearer " + coord->adminToken()}};
    auto r = c.Post("/v1/catalog", auth, "sku,gtins,name,unit,weight_priced,tax_class\nSKU-1,,Pencil,each,false,std\n",
                    "text/csv");
    ASSERT_TRUE(r && r->status == 200) << (r ? r->body : "no answer");
    r = c.Post("/v1/prices", auth, "{\"sku\":\"SKU-1\",\"price\":\"1.00\",\"currency\":\"EUR\",\"location\":\"store-1\"}\n",
               "application/x-ndjson");
    ASSERT_TRUE(r && r->status == 200) << (r ? r->body : "no answer");
  }
  std::string ledger() { return fingerprint(coord->db()); }
};

}  // namespace

TEST_F(CoordinatorFixture, EveryRouteButThePublicOnesRefusesARequestWithoutAToken) {
  const std::string before = ledger();
  for (const auto& r : coordinator::apiRoutes()) {
    if (r.access == coordinator::RouteAccess::kPublic) continue;
    auto reply = call(coord->port(), r.method, r.path, kNoToken);
    EXPECT_EQ(reply.status, 401) << r.method << ' ' << r.path;
    EXPECT_EQ(code(reply.body), "unauthorized") << r.method << ' ' << r.path << ' ' << reply.body.dump();
  }
  auto raw = rawHttp(coord->port(), "GET /v1/stock?sku=SKU-1 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(raw.status, 401);
  EXPECT_NE(raw.head.find("WWW-Authenticate: Bearer"), std::string::npos) << raw.head;
  // The console page itself holds no data and is served without one.
  EXPECT_EQ(call(coord->port(), "GET", "/", kNoToken).status, 200);
  EXPECT_EQ(call(coord->port(), "GET", "/healthz", kNoToken).status, 200);
  EXPECT_NE(test::httpGetText(coord->port(), "/").find("sessionStorage"), std::string::npos);
  EXPECT_EQ(ledger(), before);
}

TEST_F(CoordinatorFixture, AnUnknownOrRevokedTokenIsRefused) {
  const std::string before = ledger();
  const std::string made_up = "swt_" + std::string(64, 'a');
  for (const std::string& t : {made_up, std::string("not-a-token"), std::string("")}) {
    auto r = call(coord->port(), "POST", "/v1/price-lists", bearer(t), R"({"mappings":[{"location":"store-1","price_list":"x"}]})");
    EXPECT_EQ(r.status, 401) << t;
  }
  const std::string doomed = coord->createToken("doomed", "admin");
  EXPECT_EQ(call(coord->port(), "GET", "/v1/devices", bearer(doomed)).status, 200) << doomed << coord->logs();
  test::Child revoke = test::Child::spawn({test::coordinatorBinary(), "token", "revoke", "--db", coord->db(), "--name",
                                           "doomed"},
                                          dir.file("revoke"));
  ASSERT_EQ(revoke.wait(20s).value_or(-1), 0) << revoke.stderrText();
  EXPECT_EQ(call(coord->port(), "GET", "/v1/devices", bearer(doomed)).status, 401);
  EXPECT_EQ(call(coord->port(), "POST", "/v1/price-lists", bearer(doomed),
                 R"({"mappings":[{"location":"store-1","price_list":"x"}]})").status, 401);
  EXPECT_EQ(ledger(), before);
}

TEST_F(CoordinatorFixture, AViewerTokenIsRefusedOnEveryWriteRoute) {
  const std::string before = ledger();
  size_t writes = 0;
  for (const auto& r : coordinator::apiRoutes()) {
    if (r.method == "GET" || r.access == coordinator::RouteAccess::kPublic) continue;
    ++writes;
    auto reply = call(coord->port(), r.method, r.path, bearer(viewer));
    EXPECT_EQ(reply.status, 403) << r.method << ' ' << r.path << ' ' << reply.body.dump();
    EXPECT_EQ(code(reply.body), "forbidden") << r.path;
  }
  EXPECT_GE(writes, 6u);
  // A viewer reads everything but the audit log.
  EXPECT_EQ(call(coord->port(), "GET", "/v1/stock?sku=SKU-1", bearer(viewer)).status, 200);
  EXPECT_EQ(call(coord->port(), "GET", "/v1/audit", bearer(viewer)).status, 403);
  EXPECT_EQ(ledger(), before);
}

// The money routes (coordinator/README.md "Revenue, the sales report and the accounting export"):
// the report for admins and store managers, the journal export (which records each export) for
// admins only; their parameters refused with bad_param; nothing in the ledger changes.
TEST_F(CoordinatorFixture, TheSalesReportIsForManagersAndTheJournalExportForAdminsOnly) {
  const std::string before = ledger();
  const std::string report = "/v1/reports/sales?from=2026-12-01&to=2026-12-07&period=week";
  const std::string journal = "/v1/exports/journal?day=2020-01-01&format=quickbooks";
  EXPECT_EQ(call(coord->port(), "GET", report, bearer(viewer)).status, 403);
  EXPECT_EQ(code(call(coord->port(), "GET", journal, bearer(viewer)).body), "forbidden");
  EXPECT_EQ(call(coord->port(), "GET", journal, bearer(manager1)).status, 403);
  auto managed = call(coord->port(), "GET", report, bearer(manager1));
  ASSERT_EQ(managed.status, 200) << managed.body.dump();
  EXPECT_TRUE(managed.body["rows"].is_array()) << managed.body.dump();
  EXPECT_TRUE(managed.body["fulfilment_accuracy"].contains("shipped_settled_orders")) << managed.body.dump();
  EXPECT_EQ(managed.body["period"], "week");
  // An admin's export of a day without sales: the header alone, the same on a second export.
  const std::string first = test::httpGetText(coord->port(), journal);
  EXPECT_EQ(first, "Journal No,Journal Date,Account Name,Debits,Credits,Description,Location,Class\r\n");
  EXPECT_EQ(test::httpGetText(coord->port(), journal), first);
  for (const char* bad : {"/v1/reports/sales?from=2026-02-30", "/v1/reports/sales?to=2026-12-07&to=2026-12-08",
                          "/v1/reports/sales?by=store", "/v1/reports/sales?format=xml", "/v1/reports/sales?q=1",
                          "/v1/reports/sales?from=2026-12-08&to=2026-12-01", "/v1/exports/journal?day=2026-12-07",
                          "/v1/exports/journal?format=netsuite", "/v1/exports/journal?day=yesterday&format=netsuite",
                          "/v1/exports/journal?day=2026-12-07&format=excel",
                          "/v1/exports/journal?day=2026-12-07&format=netsuite&day=2026-12-08"}) {
    auto r = call(coord->port(), "GET", bad, {});
    EXPECT_EQ(r.status, 400) << bad << " " << r.body.dump();
    EXPECT_EQ(code(r.body), "bad_param") << bad << " " << r.body.dump();
  }
  EXPECT_EQ(ledger(), before);
}

TEST_F(CoordinatorFixture, AStoreManagerCannotWriteAnotherStoreOrAdminRoutes) {
  const std::string before = ledger();
  httplib::Client c = common::makeHttpClient("127.0.0.1", coord->port());
  httplib::Headers auth = {{"Authorization", "Bearer " + manager1}};
  auto other = c.Post("/v1/prices", auth,
                      "{\"sku\":\"SKU-1\",\"price\":\"0.01\",\"currency\":\"EUR\",\"location\":\"store-2\"}\n",
                      "application/x-ndjson");
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 403) << other->body;
  // One row of its own and one of another store: the whole upload is refused.
  auto mixed = c.Post("/v1/prices", auth,
                      "{\"sku\":\"SKU-1\",\"price\":\"0.02\",\"currency\":\"EUR\",\"location\":\"store-1\"}\n"
                      "{\"sku\":\"SKU-1\",\"price\":\"0.02\",\"currency\":\"EUR\",\"price_list\":\"default\"}\n",
                      "application/x-ndjson");
  ASSERT_TRUE(mixed);
  EXPECT_EQ(mixed->status, 403) << mixed->body;
  for (const char* path : {"/v1/catalog", "/v1/price-lists", "/v1/channels/shopify/reconcile",
                           "/v1/channels/dead-letters/1/replay", "/v1/fulfilments/1/retry"}) {
    EXPECT_EQ(call(coord->port(), "POST", path, bearer(manager1)).status, 403) << path;
  }
  EXPECT_EQ(ledger(), before);
  // Its own store's price goes through (the control: the refusals above are about the store).
  auto own = c.Post("/v1/prices", auth,
                    "{\"sku\":\"SKU-1\",\"price\":\"1.10\",\"currency\":\"EUR\",\"location\":\"store-1\"}\n",
                    "application/x-ndjson");
  ASSERT_TRUE(own);
  EXPECT_EQ(own->status, 200) << own->body;
  EXPECT_NE(ledger(), before);
}

TEST_F(CoordinatorFixture, TheAuditLogRecordsWhoDidWhatFromWhere) {
  auto ok = call(coord->port(), "POST", "/v1/price-lists", {},
                 R"({"mappings":[{"location":"store-1","price_list":"summer"}]})");
  ASSERT_EQ(ok.status, 200) << ok.body.dump();
  ASSERT_EQ(call(coord->port(), "POST", "/v1/catalog", bearer(viewer)).status, 403);
  ASSERT_EQ(call(coord->port(), "POST", "/v1/catalog", kNoToken).status, 401);
  auto log = test::httpGet(coord->port(), "/v1/audit?limit=3");
  ASSERT_EQ(log.status, 200) << log.body.dump();
  const json& e = log.body["entries"];
  ASSERT_EQ(e.size(), 3u) << log.body.dump();
  // Newest first.
  EXPECT_EQ(e[0]["who"], "");
  EXPECT_EQ(e[0]["status"], 401);
  EXPECT_EQ(e[1]["who"], "viewer-1");
  EXPECT_EQ(e[1]["role"], "viewer");
  EXPECT_EQ(e[1]["status"], 403);
  EXPECT_EQ(e[1]["outcome"], "forbidden");
  EXPECT_EQ(e[2]["who"].get<std::string>().rfind("harness-admin-", 0), 0u) << e[2].dump();
  EXPECT_EQ(e[2]["role"], "admin");
  EXPECT_EQ(e[2]["method"], "POST");
  EXPECT_EQ(e[2]["path"], "/v1/price-lists");
  EXPECT_EQ(e[2]["status"], 200);
  EXPECT_EQ(e[2]["outcome"], "ok");
  EXPECT_EQ(e[2]["remote"], "127.0.0.1");
  EXPECT_GT(e[2]["at_ms"].get<int64_t>(), 0);
  // Filters and paging.
  auto viewer_only = test::httpGet(coord->port(), "/v1/audit?who=viewer-1");
  ASSERT_EQ(viewer_only.body["entries"].size(), 1u) << viewer_only.body.dump();
  auto refused = test::httpGet(coord->port(), "/v1/audit?refused=1&limit=1");
  ASSERT_EQ(refused.body["entries"].size(), 1u);
  ASSERT_TRUE(refused.body.contains("next_before"));
  auto next = test::httpGet(coord->port(), "/v1/audit?refused=1&limit=1&before=" +
                                               std::to_string(refused.body["next_before"].get<int64_t>()));
  ASSERT_EQ(next.body["entries"].size(), 1u);
  EXPECT_EQ(next.body["entries"][0]["who"], "viewer-1");
  // It is durable: a restarted coordinator shows the same entries.
  coord->stop();
  coord->start();
  auto again = test::httpGet(coord->port(), "/v1/audit?who=viewer-1");
  EXPECT_EQ(again.body["entries"].size(), 1u);
}

TEST_F(CoordinatorFixture, OversizedAndMalformedBodiesAreRefusedBeforeTheyAreRead) {
  const std::string before = ledger();
  // A webhook declaring 250 MB: refused at once, without a byte of it sent, and the connection closed.
  auto t0 = std::chrono::steady_clock::now();
  auto hook = rawHttp(coord->port(), "POST /v1/channels/shopify/webhooks HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                     "Content-Type: application/json\r\nContent-Length: 262144000\r\n\r\n");
  EXPECT_EQ(hook.status, 413);
  EXPECT_EQ(code(hook.body), "body_too_large") << hook.body.dump();
  EXPECT_TRUE(hook.closed);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s);
  // Same for an admin's write with an over-limit body, and for a chunked body (no length).
  const std::string auth = "Authorization: Bearer " + coord->adminToken() + "\r\n";
  auto big = rawHttp(coord->port(), "POST /v1/price-lists HTTP/1.1\r\nHost: 127.0.0.1\r\n" + auth +
                                        "Content-Type: application/json\r\nContent-Length: 5000000\r\n\r\n{");
  EXPECT_EQ(big.status, 413);
  EXPECT_TRUE(big.closed);
  auto chunked = rawHttp(coord->port(), "POST /v1/price-lists HTTP/1.1\r\nHost: 127.0.0.1\r\n" + auth +
                                            "Transfer-Encoding: chunked\r\n\r\n100000\r\n{");
  EXPECT_EQ(chunked.status, 411);
  EXPECT_TRUE(chunked.closed);
  // An unauthenticated body is not read either.
  auto anon = rawHttp(coord->port(), "POST /v1/catalog HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/csv\r\n"
                                     "Content-Length: 1000\r\n\r\nsku");
  EXPECT_EQ(anon.status, 401);
  EXPECT_TRUE(anon.closed);
  // Malformed JSON.
  auto bad = call(coord->port(), "POST", "/v1/price-lists", {}, "{\"mappings\":[{");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(code(bad.body), "bad_json") << bad.body.dump();
  EXPECT_EQ(ledger(), before);
}

TEST_F(CoordinatorFixture, InjectionAndTraversalStringsInEveryParameterChangeNothing) {
  const std::string before = ledger();
  const std::vector<std::string> evil = {"' OR '1'='1", "1; DROP TABLE events; --", "../../../../etc/passwd",
                                         "..%2F..%2Fetc%2Fpasswd", "%00", "\" OR 1=1 --", "-1", "99999999999999999999999"};
  const std::map<std::string, std::vector<std::string>> params = {
      {"/v1/stock", {"sku", "location"}},
      {"/v1/events", {"device", "from_seq", "limit", "sku", "location", "after"}},
      {"/v1/quarantine", {"limit", "payload_max"}},
      {"/v1/anomalies", {"device", "code", "before", "limit"}},
      {"/v1/discrepancies", {"location", "sku", "tolerance", "all"}},
      {"/v1/transfers", {"location", "sku", "open"}},
      {"/v1/kpis", {"tolerance", "window_h"}},
      {"/v1/kpis/history", {"series", "since_ms", "until_ms"}},
      {"/v1/prices", {"sku", "location"}},
      {"/v1/catalog", {"q", "limit"}},
      {"/v1/available", {"sku", "channel"}},
      {"/v1/channels/dead-letters", {"channel", "limit", "before"}},
      {"/v1/orders", {"channel", "status", "limit", "before"}},
      {"/v1/audit", {"who", "method", "path", "status", "since_ms", "until_ms", "before", "limit"}},
  };
  auto enc = [](const std::string& s) {
    std::string out;
    for (unsigned char ch : s) {
      char b[4];
      std::snprintf(b, sizeof b, "%%%02X", ch);
      out += std::isalnum(ch) ? std::string(1, static_cast<char>(ch)) : std::string(b);
    }
    return out;
  };
  size_t tried = 0;
  for (const auto& r : coordinator::apiRoutes()) {
    std::vector<std::string> paths;
    auto it = params.find(r.path);
    for (const std::string& v : evil) {
      if (it != params.end()) {
        for (const auto& p : it->second) paths.push_back(r.path + "?" + p + "=" + enc(v));
      }
      // The last path segment, where the route has one that is a value.
      if (r.path.find("/SKU-1") != std::string::npos || r.path.find("/shopify/1") != std::string::npos ||
          r.path.find("/1/") != std::string::npos || r.path.find("/shopify/") != std::string::npos) {
        std::string p = r.path;
        for (const char* seg : {"SKU-1", "/1/", "shopify"}) {
          auto at = p.find(seg);
          if (at == std::string::npos) continue;
          std::string s = seg;
          bool slashes = s.front() == '/';
          p.replace(at, s.size(), (slashes ? "/" : "") + enc(v) + (slashes ? "/" : ""));
          break;
        }
        paths.push_back(p);
      }
    }
    for (const auto& p : paths) {
      auto reply = call(coord->port(), r.method, p, {}, "{}");
      ++tried;
      EXPECT_TRUE(reply.status >= 200 && reply.status < 500) << r.method << ' ' << p << " -> " << reply.status << ' '
                                                             << reply.body.dump();
      if (reply.status == 200 && p.rfind("/v1/stock", 0) == 0) {
        EXPECT_TRUE(reply.body.value("locations", json::array()).empty() && reply.body.value("skus", json::array()).empty())
            << p << " -> " << reply.body.dump();
      }
    }
  }
  EXPECT_GT(tried, 300u);
  // Still answering, and nothing changed.
  EXPECT_EQ(test::httpGet(coord->port(), "/v1/stock?sku=SKU-1").status, 200);
  EXPECT_EQ(ledger(), before);
}

// 200 sockets that connect and send nothing, then a real request: answered at once.
TEST_F(CoordinatorFixture, TwoHundredIdleSocketsDoNotSilenceTheCoordinator) {
  std::vector<int> idle;
  auto c0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 200; ++i) {
    int fd = connectTo(coord->port());
    ASSERT_GE(fd, 0) << i;
    idle.push_back(fd);
  }
  // cpp-httplib's own listen backlog (5) made these connects wait for SYN retransmits: 24 s.
  EXPECT_LT(std::chrono::steady_clock::now() - c0, 2s);
  std::this_thread::sleep_for(200ms);  // let the server accept them all before the real request
  auto t0 = std::chrono::steady_clock::now();
  auto r = test::httpGet(coord->port(), "/v1/stock?sku=SKU-1");
  auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(r.status, 200);
  EXPECT_LT(took, 1500ms) << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms";
  for (int fd : idle) close(fd);
}

// A client that sends half a request and stalls is dropped after the read timeout.
TEST_F(CoordinatorFixture, ASlowClientIsTimedOut) {
  int fd = connectTo(coord->port());
  ASSERT_GE(fd, 0);
  const std::string partial = "POST /v1/price-lists HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " +
                              coord->adminToken() + "\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{";
  send(fd, partial.data(), partial.size(), MSG_NOSIGNAL);
  timeval tv{12, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  auto t0 = std::chrono::steady_clock::now();
  char buf[4096];
  ssize_t n;
  while ((n = recv(fd, buf, sizeof buf, 0)) > 0) {
  }
  auto took = std::chrono::steady_clock::now() - t0;
  close(fd);
  EXPECT_EQ(n, 0) << "the server did not close the connection";
  EXPECT_LT(took, 9s);
}

TEST(CoordinatorFiles, TheLedgerFilesAreOwnerOnlyAndAWiderModeIsFixedAtStart) {
  test::TempDir dir;
  test::Broker broker;
  {
    std::ofstream(dir.file("coordinator.db")).flush();  // made by someone else, 0644
    ::chmod(dir.file("coordinator.db").c_str(), 0644);
  }
  test::CoordinatorProc coord(dir, broker.url());
  coord.start();
  ASSERT_EQ(test::httpGet(coord.port(), "/v1/devices").status, 200);
  for (const std::string& f : {coord.db(), coord.db() + "-wal", coord.db() + "-shm", coord.db() + ".orders",
                               coord.db() + ".orders-wal"}) {
    struct stat st {};
    ASSERT_EQ(::stat(f.c_str(), &st), 0) << f;
    EXPECT_EQ(st.st_mode & 0777, 0600u) << f;
  }
}

TEST(CoordinatorTls, ServesHttpsWithTheGivenCertificate) {
  test::TempDir dir;
  test::Broker broker;
  const std::string cert = dir.file("api.crt"), key = dir.file("api.key");
  const std::string cmd = "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 -addext "
                          "subjectAltName=IP:127.0.0.1 -keyout " + key + " -out " + cert + " >/dev/null 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  test::CoordinatorProc coord(dir, broker.url(), {}, {"--tls-cert", cert, "--tls-key", key});
  try {
    coord.start();  // its readiness probe speaks plain HTTP and gives up; the port is known from stdout
  } catch (const std::exception&) {
  }
  auto https = common::makeHttpsClient("127.0.0.1", coord.port(), cert);
  auto r = https->Get("/v1/stock?sku=SKU-1", {{"Authorization", "Bearer " + coord.adminToken()}});
  ASSERT_TRUE(r) << httplib::to_string(r.error());
  EXPECT_EQ(r->status, 200);
  auto anon = https->Get("/v1/stock?sku=SKU-1");
  ASSERT_TRUE(anon);
  EXPECT_EQ(anon->status, 401);
  // Plain HTTP on that port gets no answer.
  EXPECT_EQ(test::httpGet(coord.port(), "/healthz").status, 0);
}

// ---- the agent's local API ----

struct AgentFixture : ::testing::Test {
  test::TempDir dir;
  std::unique_ptr<test::AgentProc> till;
  void SetUp() override {
    till = std::make_unique<test::AgentProc>(dir, "till-1", "store-1",
                                             "tcp://127.0.0.1:" + std::to_string(test::freePort()));
    till->start();
  }
  std::string host() const { return "Host: 127.0.0.1:" + std::to_string(till->port()) + "\r\n"; }
  const std::string sale = R"({"lines":[{"sku":"SKU-1","qty":1,"unit_price":"1.00"}]})";
  std::string post(const std::string& headers, const std::string& body) {
    return "POST /v1/sales HTTP/1.1\r\n" + headers + "Content-Length: " + std::to_string(body.size()) +
           "\r\nConnection: close\r\n\r\n" + body;
  }
};

TEST_F(AgentFixture, ATextPlainPostFromAWebPageIsRefused) {
  // What a page can send cross-site without a preflight: text/plain, form encoding, no type.
  for (const std::string& type : std::vector<std::string>{"Content-Type: text/plain\r\n", "Content-Type: application/x-www-form-urlencoded\r\n",
                                 "Content-Type: multipart/form-data; boundary=x\r\n", std::string()}) {
    auto r = rawHttp(till->port(), post(host() + type, sale));
    EXPECT_EQ(r.status, 415) << type;
    EXPECT_EQ(code(r.body), "unsupported_media_type") << r.body.dump();
  }
  EXPECT_EQ(till->status()["last_seq"], 0);
}

TEST_F(AgentFixture, AForeignOriginIsRefused) {
  for (const std::string& origin : std::vector<std::string>{"http://evil.example", "null", "http://127.0.0.1:1", "https://127.0.0.1:" +
                                                                                         std::to_string(till->port())}) {
    auto r = rawHttp(till->port(), post(host() + "Origin: " + origin + "\r\nContent-Type: application/json\r\n", sale));
    EXPECT_EQ(r.status, 403) << origin;
    EXPECT_EQ(code(r.body), "foreign_origin") << r.body.dump();
  }
  EXPECT_EQ(till->status()["last_seq"], 0);
  // The agent's own origin is fine.
  auto own = rawHttp(till->port(), post(host() + "Origin: http://127.0.0.1:" + std::to_string(till->port()) +
                                            "\r\nContent-Type: application/json\r\n",
                                        sale));
  EXPECT_EQ(own.status, 201) << own.body.dump();
}

TEST_F(AgentFixture, AForeignHostIsRefused) {
  // DNS rebinding: a page on evil.example whose name now points at 127.0.0.1.
  for (const std::string& h : std::vector<std::string>{"Host: evil.example\r\n", "Host: evil.example:" + std::to_string(till->port()) + "\r\n",
                              "Host: 127.0.0.1:1\r\n", std::string()}) {
    auto r = rawHttp(till->port(), post(h + "Content-Type: application/json\r\n", sale));
    EXPECT_EQ(r.status, 421) << h;
    EXPECT_EQ(code(r.body), "foreign_host") << r.body.dump();
    auto get = rawHttp(till->port(), "GET /v1/status HTTP/1.1\r\n" + h + "Connection: close\r\n\r\n");
    EXPECT_EQ(get.status, 421) << h;
  }
  EXPECT_EQ(till->status()["last_seq"], 0);
}

TEST_F(AgentFixture, TwentyIdleSocketsDoNotStopASale) {
  std::vector<int> idle;
  for (int i = 0; i < 20; ++i) {
    int fd = connectTo(till->port());
    ASSERT_GE(fd, 0);
    idle.push_back(fd);
  }
  std::this_thread::sleep_for(200ms);
  auto t0 = std::chrono::steady_clock::now();
  auto r = till->sell("SKU-1", 1);
  auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(r.status, 201) << r.body.dump();
  EXPECT_LT(took, 1500ms) << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms";
  EXPECT_EQ(till->status()["last_seq"], 1);
  for (int fd : idle) close(fd);
}

TEST_F(AgentFixture, OversizedAndMalformedBodiesAreRefused) {
  auto big = rawHttp(till->port(), "POST /v1/sales HTTP/1.1\r\n" + host() +
                                       "Content-Type: application/json\r\nContent-Length: 262144000\r\n\r\n");
  EXPECT_EQ(big.status, 413);
  EXPECT_TRUE(big.closed);
  auto bad = rawHttp(till->port(), post(host() + "Content-Type: application/json\r\n", "{\"lines\":[{"));
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(code(bad.body), "bad_json") << bad.body.dump();
  for (const std::string v : {"..%2F..%2Fetc%2Fpasswd", "'%20OR%20'1'%3D'1", "%00"}) {
    for (const std::string path : {"/v1/stock/", "/v1/items/", "/v1/events/"}) {
      auto r = test::httpGet(till->port(), path + v);
      EXPECT_TRUE(r.status >= 200 && r.status < 500) << path << v << " -> " << r.status;
      if (r.status == 200) {  // a SKU that may be valid: nothing is known of it
        EXPECT_TRUE(r.body.value("locations", json::array()).empty()) << path << v << " -> " << r.body.dump();
      }
    }
  }
  EXPECT_EQ(till->status()["last_seq"], 0);
}

TEST(AgentApi, RefusesANonLoopbackAddress) {
  test::TempDir dir;
  test::Child agent = test::Child::spawn({test::agentBinary(), "run", "--device-id", "till-1", "--location", "store-1",
                                          "--broker", "tcp://127.0.0.1:1", "--db", dir.file("till.db"), "--http",
                                          "0.0.0.0:0"},
                                         dir.file("agent"));
  auto status = agent.wait(20s);
  ASSERT_TRUE(status.has_value());
  EXPECT_NE(agent.stderrText().find("loopback"), std::string::npos) << agent.stderrText();
}

TEST(AgentApi, WithATokenFileEveryRequestNeedsTheToken) {
  test::TempDir dir;
  {
    std::ofstream(dir.file("token")) << "local-secret-0123456789\n";
  }
  test::AgentProc till(dir, "till-1", "store-1", "tcp://127.0.0.1:" + std::to_string(test::freePort()), "till", {},
                       {"--api-token-file", dir.file("token")});
  till.start();
  EXPECT_EQ(test::httpGet(till.port(), "/v1/status").status, 401);
  EXPECT_EQ(till.sell("SKU-1", 1).status, 401);
  EXPECT_EQ(test::httpGet(till.port(), "/v1/status", {{"Authorization", "Bearer wrong-secret-0123456789"}}).status, 401);
  auto ok = test::httpGet(till.port(), "/v1/status", {{"Authorization", "Bearer local-secret-0123456789"}});
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body["last_seq"], 0);
}

TEST(AgentFiles, TheStoreIsOwnerOnly) {
  test::TempDir dir;
  test::AgentProc till(dir, "till-1", "store-1", "tcp://127.0.0.1:" + std::to_string(test::freePort()));
  till.start();
  ASSERT_EQ(till.sell("SKU-1", 1).status, 201);
  for (const std::string& f : {till.db(), till.db() + "-wal", till.db() + "-shm"}) {
    struct stat st {};
    ASSERT_EQ(::stat(f.c_str(), &st), 0) << f;
    EXPECT_EQ(st.st_mode & 0777, 0600u) << f;
  }
}
