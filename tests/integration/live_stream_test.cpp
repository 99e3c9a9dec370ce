// Issue 18, "live": GET /v1/stream tells an open console what changed, needs a token like every
// API route, and keeps a bounded number of streams open (each holds an HTTP worker).

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

#include "sw/common/http_socket.h"
#include "sw/harness/stack.h"
#include "test_support.h"

using namespace sw;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

// A client reading GET /v1/stream on its own thread; what arrived so far is in text().
class StreamReader {
 public:
  StreamReader(int port, const std::string& token) : client_(common::makeHttpClient("127.0.0.1", port)) {
    client_.set_read_timeout(30, 0);
    thread_ = std::thread([this, token] {
      auto res = client_.Get("/v1/stream", {{"Authorization", "Bearer " + token}},
                             [this](const httplib::Response& r) {
                               status_ = r.status;
                               return true;
                             },
                             [this](const char* data, size_t len) {
                               std::lock_guard lock(mu_);
                               text_.append(data, len);
                               return !stopping_.load();
                             });
      if (res && status_ == 0) status_ = res->status;
      done_ = true;
    });
  }
  ~StreamReader() {
    stopping_ = true;
    client_.stop();
    thread_.join();
  }
  std::string text() {
    std::lock_guard lock(mu_);
    return text_;
  }
  int status() const { return status_.load(); }
  bool done() const { return done_.load(); }
  // The data of every `event: change` message so far.
  std::vector<json> changes() {
    std::vector<json> out;
    const std::string t = text();
    size_t at = 0;
    while ((at = t.find("event: change\ndata: ", at)) != std::string::npos) {
      at += 20;
      size_t end = t.find("\n\n", at);
      if (end == std::string::npos) break;
      out.push_back(json::parse(t.substr(at, end - at)));
      at = end;
    }
    return out;
  }

 private:
  httplib::Client client_;
  std::mutex mu_;
  std::string text_;
  std::atomic<int> status_{0};
  std::atomic<bool> stopping_{false}, done_{false};
  std::thread thread_;
};

bool changedPart(const std::vector<json>& changes, const std::string& part) {
  for (const json& c : changes) {
    for (const json& p : c["changed"]) {
      if (p == part) return true;
    }
  }
  return false;
}

}  // namespace

TEST(LiveStream, AnOpenStreamIsToldWhenASaleReachesTheLedger) {
  test::TempDir dir;
  test::Broker broker;
  test::CoordinatorProc coord(dir, broker.url());
  coord.start();
  test::AgentProc till(dir, "till-1", "store-1", broker.url());
  till.start();
  ASSERT_TRUE(test::waitFor([&] {
    json d = coord.device("till-1");
    return d.is_object() && d.value("online", false);
  }, 20s));

  StreamReader stream(coord.port(), coord.adminToken());
  ASSERT_TRUE(test::waitFor([&] { return stream.text().find("event: hello\ndata: ") != std::string::npos; }, 20s))
      << stream.status() << " " << stream.text();
  EXPECT_EQ(stream.status(), 200);
  EXPECT_NE(stream.text().find("retry: 3000\n"), std::string::npos);
  const size_t hello = stream.text().find("data: ") + 6;
  json first = json::parse(stream.text().substr(hello, stream.text().find("\n\n", hello) - hello));
  ASSERT_TRUE(first["parts"].contains("ledger")) << first.dump();
  const uint64_t ledger_before = first["parts"]["ledger"].get<uint64_t>();

  ASSERT_EQ(till.sell("SKU-1", 2).status, 201);
  ASSERT_TRUE(test::waitFor([&] { return changedPart(stream.changes(), "ledger"); }, 20s)) << stream.text();
  for (const json& c : stream.changes()) {
    if (!changedPart({c}, "ledger")) continue;
    EXPECT_GT(c["parts"]["ledger"].get<uint64_t>(), ledger_before) << c.dump();
    break;
  }
  EXPECT_EQ(coord.onHand("SKU-1", "store-1"), -2) << "the change was told once the ledger had the sale";
}

TEST(LiveStream, NeedsATokenAndKeepsAtMostAQuarterOfTheWorkers) {
  test::TempDir dir;
  test::Broker broker;
  // 4 HTTP workers: one stream at a time.
  test::CoordinatorProc coord(dir, broker.url(), {}, {"--http-workers", "4"});
  coord.start();
  auto anonymous = test::httpGet(coord.port(), "/v1/stream", {{"Authorization", ""}});
  EXPECT_EQ(anonymous.status, 401);
  {
    StreamReader one(coord.port(), coord.adminToken());
    ASSERT_TRUE(test::waitFor([&] { return one.text().find("event: hello") != std::string::npos; }, 20s)) << one.text();
    StreamReader two(coord.port(), coord.adminToken());
    ASSERT_TRUE(test::waitFor([&] { return two.done(); }, 20s));
    EXPECT_EQ(two.status(), 503);
    EXPECT_NE(two.text().find("too_many_streams"), std::string::npos) << two.text();
    // The API still answers while the stream is open.
    EXPECT_EQ(test::httpGet(coord.port(), "/v1/devices").status, 200);
  }
  // Once the first stream is gone its slot is free again.
  ASSERT_TRUE(test::waitFor([&] {
    StreamReader again(coord.port(), coord.adminToken());
    test::waitFor([&] { return again.done() || again.text().find("event: hello") != std::string::npos; }, 10s);
    return again.text().find("event: hello") != std::string::npos;
  }, 30s));
}
