#include "raw_limits.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "bench.h"
#include "sw/common/paho_transport.h"
#include "sw/common/sqlite.h"
#include "sw/loadgen/mqtt_client.h"

namespace sw::bench {

namespace {
double seconds(std::chrono::steady_clock::time_point a, std::chrono::steady_clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}
}  // namespace

RawSqlite measureRawInsert(common::SqlDb& db, size_t rows, size_t batch, size_t row_bytes) {
  const bool sqlite = db.dialect() == common::SqlDialect::kSqlite;
  (void)db.exec("DROP TABLE IF EXISTS raw_insert");
  if (auto s = db.exec(sqlite ? "CREATE TABLE raw_insert (k INTEGER PRIMARY KEY, a TEXT, b INTEGER, c BLOB)"
                              : "CREATE TABLE raw_insert (k BIGINT PRIMARY KEY, a TEXT, b BIGINT, c BYTEA)");
      !s) {
    throw std::runtime_error(s.error().toString());
  }
  auto st = db.prepare("INSERT INTO raw_insert (k, a, b, c) VALUES (?, ?, ?, ?)");
  if (!st) throw std::runtime_error(st.error().toString());
  std::string blob(row_bytes, 'x');
  auto t0 = std::chrono::steady_clock::now();
  size_t k = 0;
  while (k < rows) {
    auto txn = common::SqlTxn::begin(db);
    for (size_t i = 0; i < batch && k < rows; ++i, ++k) {
      st->bind(1, static_cast<int64_t>(k)).bind(2, std::string_view("store-0042")).bind(3, static_cast<int64_t>(k % 97));
      st->bindBlob(4, blob);
      (void)st->run();
    }
    (void)txn->commit();
  }
  auto t1 = std::chrono::steady_clock::now();
  (void)db.exec("DROP TABLE raw_insert");
  return {static_cast<double>(rows) / seconds(t0, t1)};
}

RawSqlite measureRawSqliteInsert(const std::string& dir, size_t rows, size_t batch, size_t row_bytes) {
  auto db = common::SqliteSqlDb::open({.path = dir + "/raw-insert.db"});
  if (!db) throw std::runtime_error(db.error().toString());
  return measureRawInsert(**db, rows, batch, row_bytes);
}

RawCommit measureRawSqliteCommit(const std::string& dir, size_t commits, size_t warmup) {
  auto db = common::SqliteDb::open({.path = dir + "/raw-commit.db"});
  if (!db) throw std::runtime_error(db.error().toString());
  (void)db->exec("CREATE TABLE t (k INTEGER PRIMARY KEY, v BLOB)");
  auto st = db->prepare("INSERT INTO t (v) VALUES (?)");
  std::string blob(120, 'x');
  std::vector<double> ms;
  for (size_t i = 0; i < warmup + commits; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    auto txn = common::SqliteTxn::begin(*db);
    st->bindBlob(1, blob);
    (void)st->run();
    (void)txn->commit();
    if (i >= warmup) ms.push_back(seconds(t0, std::chrono::steady_clock::now()) * 1000);
  }
  double p50 = percentile(ms, 50), p99 = percentile(ms, 99);
  return {p50, p99, ms.back()};  // percentile() sorted ms
}

RawMqtt measureRawMqtt(const std::string& broker_url, size_t messages, size_t payload_bytes, int window) {
  common::MqttConfig sub_cfg;
  sub_cfg.broker_url = broker_url;
  sub_cfg.client_id = "raw-sub";
  auto sub = common::makePahoTransport(sub_cfg);
  std::atomic<size_t> received{0};
  std::mutex mu;
  std::condition_variable cv;
  sub->addMessageHandler("#", [&](std::string_view, std::string_view) {
    if (++received == messages) cv.notify_all();
  });
  (void)sub->subscribe("raw/bench", 1);
  sub->start();
  common::MqttConfig pub_cfg;
  pub_cfg.broker_url = broker_url;
  pub_cfg.client_id = "raw-pub";
  pub_cfg.max_inflight = window;
  auto pub = common::makePahoTransport(pub_cfg);
  pub->start();
  for (int i = 0; i < 500 && !(pub->isConnected() && sub->isConnected()); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::string payload(payload_bytes, 'p');
  auto t0 = std::chrono::steady_clock::now();
  for (size_t i = 0; i < messages; ++i) {
    if (!pub->publish("raw/bench", payload, 1, false, 30'000)) throw std::runtime_error("raw publish failed");
  }
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait_for(lock, std::chrono::seconds(120), [&] { return received.load() >= messages; });
  }
  auto t1 = std::chrono::steady_clock::now();
  pub->stop();
  sub->stop();
  double s = seconds(t0, t1);
  return {static_cast<double>(received.load()) / s, static_cast<double>(received.load() * payload_bytes) / s};
}

namespace {

// One side of the round trip: counts connects, hands messages on.
class Side final : public loadgen::MqttConnection::Handler {
 public:
  bool up = false;
  std::function<void(std::string_view)> on_message;
  void mqttUp() override { up = true; }
  void mqttFailed(const std::string& why) override { throw std::runtime_error("raw round trip: " + why); }
  void mqttLost(const std::string& why) override { throw std::runtime_error("raw round trip: " + why); }
  void mqttMessage(std::string_view, std::string_view payload) override { on_message(payload); }
};

}  // namespace

RawRoundTrip measureRawMqttRoundTrip(const std::string& broker_url, size_t exchanges, size_t payload_bytes) {
  auto addr = loadgen::parseBrokerUrl(broker_url);
  if (!addr) throw std::runtime_error(addr.error().toString());
  const common::Clock& clock = common::SystemClock::instance();
  auto loop = loadgen::EventLoop::create(clock);
  if (!loop) throw std::runtime_error(loop.error().toString());
  Side echo_side, ask_side;
  loadgen::MqttConnection echo(**loop, {*addr, "raw-echo", 60, 10'000, {"raw/ping"}}, echo_side);
  loadgen::MqttConnection ask(**loop, {*addr, "raw-ask", 60, 10'000, {"raw/pong"}}, ask_side);
  size_t answers = 0;
  echo_side.on_message = [&](std::string_view payload) { (void)echo.publish("raw/pong", payload, 1, false); };
  ask_side.on_message = [&](std::string_view) { ++answers; };
  echo.connect(std::nullopt);
  ask.connect(std::nullopt);
  const std::string payload(payload_bytes, 'r');
  // Until both subscriptions are in place: a ping every 100 ms until one comes back.
  const int64_t t_setup = clock.monoMs();
  int64_t last_ping = -1'000;
  while (answers == 0) {
    if (clock.monoMs() - t_setup > 10'000) throw std::runtime_error("raw round trip: no answer in 10 s");
    if (echo_side.up && ask_side.up && clock.monoMs() - last_ping >= 100) {
      last_ping = clock.monoMs();
      (void)ask.publish("raw/ping", payload, 1, false);
    }
    (*loop)->run(5);
  }
  // Answers to the setup pings still on their way are let through first.
  const int64_t settle = clock.monoMs();
  while (clock.monoMs() - settle < 200) (*loop)->run(10);
  std::vector<double> ms;
  for (size_t i = 0; i < exchanges; ++i) {
    const size_t before = answers;
    auto t0 = std::chrono::steady_clock::now();
    if (!ask.publish("raw/ping", payload, 1, false)) throw std::runtime_error("raw round trip: publish refused");
    while (answers == before) {
      if (seconds(t0, std::chrono::steady_clock::now()) > 10) throw std::runtime_error("raw round trip: no answer");
      (*loop)->run(10);
    }
    ms.push_back(seconds(t0, std::chrono::steady_clock::now()) * 1000);
  }
  echo.drop(loadgen::mqtt::kReasonNormal);
  ask.drop(loadgen::mqtt::kReasonNormal);
  return {percentile(ms, 50), percentile(ms, 99)};
}

}  // namespace sw::bench
