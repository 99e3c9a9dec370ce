#include "raw_limits.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "bench.h"
#include "sw/common/paho_transport.h"
#include "sw/common/sqlite.h"

namespace sw::bench {

namespace {
double seconds(std::chrono::steady_clock::time_point a, std::chrono::steady_clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}
}  // namespace

RawSqlite measureRawSqliteInsert(const std::string& dir, size_t rows, size_t batch, size_t row_bytes) {
  auto db = common::SqliteDb::open({.path = dir + "/raw-insert.db"});
  if (!db) throw std::runtime_error(db.error().toString());
  (void)db->exec("CREATE TABLE t (k INTEGER PRIMARY KEY, a TEXT, b INTEGER, c BLOB)");
  auto st = db->prepare("INSERT INTO t (k, a, b, c) VALUES (?, ?, ?, ?)");
  std::string blob(row_bytes, 'x');
  auto t0 = std::chrono::steady_clock::now();
  size_t k = 0;
  while (k < rows) {
    auto txn = common::SqliteTxn::begin(*db);
    for (size_t i = 0; i < batch && k < rows; ++i, ++k) {
      st->bind(1, static_cast<int64_t>(k)).bind(2, std::string_view("store-0042")).bind(3, static_cast<int64_t>(k % 97));
      st->bindBlob(4, blob);
      (void)st->run();
    }
    (void)txn->commit();
  }
  auto t1 = std::chrono::steady_clock::now();
  return {static_cast<double>(rows) / seconds(t0, t1)};
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

}  // namespace sw::bench
