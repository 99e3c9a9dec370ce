// Critical alerts to a webhook: raised once, retried until the receiver takes them, cleared once,
// signed. A real HTTP server on a free port plays the receiver; the devices are given directly.

#include <gtest/gtest.h>

#include <httplib.h>

#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

#include "sw/common/clock.h"
#include "sw/common/codec.h"
#include "sw/common/crypto.h"
#include "sw/common/http_socket.h"
#include "sw/coordinator/fleet/alert_notifier.h"
#include "test_support.h"

using namespace sw;
using namespace std::chrono_literals;
using coordinator::DeviceRow;
using nlohmann::json;

namespace {

DeviceRow deviceWithDisk(const std::string& id, int64_t disk_free_bytes) {
  const int64_t now = common::SystemClock::instance().nowMs();
  common::DeviceState s;
  s.online = true;
  s.session = "s";
  s.at_ms = now;
  s.last_seq = 10;
  s.last_acked_seq = 10;
  s.disk_free_bytes = disk_free_bytes;
  DeviceRow d;
  d.device_id = id;
  d.online = true;
  d.last_seen_ms = now;
  d.last_applied_seq = 10;
  d.state_json = common::encodeDeviceState(s);
  return d;
}

// Answers the first `fail_first` requests with 500, then 200; keeps every request.
class Receiver {
 public:
  struct Got {
    std::string event, delivery, signature, body;
    int answered = 0;
  };
  explicit Receiver(int fail_first) : fail_first_(fail_first) {
    common::tuneHttpServer(server_);
    server_.Post("/hook", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mu_);
      Got g{req.get_header_value("X-Stockwire-Event"), req.get_header_value("X-Stockwire-Delivery"),
            req.get_header_value("X-Stockwire-Signature"), req.body, 0};
      g.answered = static_cast<int>(got_.size()) < fail_first_ ? 500 : 200;
      res.status = g.answered;
      got_.push_back(std::move(g));
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~Receiver() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hook"; }
  std::vector<Got> got() {
    std::lock_guard<std::mutex> lock(mu_);
    return got_;
  }

 private:
  int fail_first_;
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::vector<Got> got_;
};

}  // namespace

TEST(AlertNotifier, ACriticalAlertIsRetriedUntilTakenThenClearedOnceAndSigned) {
  Receiver receiver(2);  // the receiver is down for the first two tries
  std::mutex mu;
  std::vector<DeviceRow> devices = {deviceWithDisk("till-1", 1LL << 20), deviceWithDisk("till-2", 1LL << 40)};
  coordinator::AlertWebhookConfig wc;
  wc.url = receiver.url();
  wc.secret = "hook-secret";
  wc.interval_ms = 20;
  wc.retry_initial_ms = 20;
  coordinator::ExposureLimits limits;
  limits.min_disk_free_bytes = 64LL << 20;  // till-1 has 1 MiB: critical (below a quarter)
  auto made = coordinator::AlertNotifier::create(
      wc,
      [&]() -> common::Result<std::vector<DeviceRow>> {
        std::lock_guard<std::mutex> lock(mu);
        return devices;
      },
      limits, common::SystemClock::instance());
  ASSERT_TRUE(made.ok()) << made.error().toString();
  coordinator::AlertNotifier& n = **made;
  n.start();

  ASSERT_TRUE(test::waitFor([&] { return n.stats().delivered == 1; }, 10s));
  auto got = receiver.got();
  ASSERT_EQ(got.size(), 3u);  // two refused tries, then taken
  for (const auto& g : got) {
    EXPECT_EQ(g.event, "alert.raised");
    EXPECT_EQ(g.delivery, got[0].delivery) << "a retry is the same delivery";
    EXPECT_EQ(g.body, got[0].body);
  }
  EXPECT_EQ(got[2].answered, 200);
  json body = json::parse(got[0].body);
  EXPECT_EQ(body["alert"]["device_id"], "till-1");
  EXPECT_EQ(body["alert"]["code"], "disk_low");
  EXPECT_EQ(body["alert"]["level"], "critical");
  EXPECT_EQ(got[0].signature,
            "sha256=" + common::crypto::hex(common::crypto::hmacSha256("hook-secret", got[0].body)));
  EXPECT_GE(n.stats().failed_attempts, 2u);

  // Still critical on the next scans: not announced again.
  const uint64_t scans = n.stats().scans;
  ASSERT_TRUE(test::waitFor([&] { return n.stats().scans >= scans + 5; }, 10s));
  EXPECT_EQ(receiver.got().size(), 3u);

  // The disk is freed: one alert.cleared.
  {
    std::lock_guard<std::mutex> lock(mu);
    devices[0] = deviceWithDisk("till-1", 1LL << 40);
  }
  ASSERT_TRUE(test::waitFor([&] { return n.stats().delivered == 2; }, 10s));
  got = receiver.got();
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got[3].event, "alert.cleared");
  EXPECT_EQ(json::parse(got[3].body)["alert"]["device_id"], "till-1");
  EXPECT_NE(got[3].delivery, got[0].delivery);
  n.stop();
  auto s = n.stats();
  EXPECT_EQ(s.raised, 1u);
  EXPECT_EQ(s.cleared, 1u);
  EXPECT_EQ(s.pending, 0u);
}

TEST(AlertNotifier, AWebhookThatIsNoHttpUrlIsRefused) {
  for (const char* bad : {"ftp://x/hook", "127.0.0.1:80/hook", "http://", ""}) {
    coordinator::AlertWebhookConfig wc;
    wc.url = bad;
    auto made = coordinator::AlertNotifier::create(
        wc, [] { return common::Result<std::vector<DeviceRow>>(std::vector<DeviceRow>{}); }, {},
        common::SystemClock::instance());
    EXPECT_FALSE(made.ok()) << bad;
  }
}

// The registry's certificate alerts (serve adds them through setExtraAlerts) leave the console too.
TEST(AlertNotifier, ExtraAlertsSuchAsAnExpiredCertificateArePostedAsWell) {
  Receiver receiver(0);
  std::vector<DeviceRow> devices = {deviceWithDisk("till-1", 1LL << 40)};  // healthy by its own report
  coordinator::AlertWebhookConfig wc;
  wc.url = receiver.url();
  wc.secret = "hook-secret";
  wc.interval_ms = 20;
  wc.retry_initial_ms = 20;
  auto made = coordinator::AlertNotifier::create(
      wc, [&]() -> common::Result<std::vector<DeviceRow>> { return devices; }, {}, common::SystemClock::instance());
  ASSERT_TRUE(made.ok()) << made.error().toString();
  coordinator::AlertNotifier& n = **made;
  n.setExtraAlerts([](const DeviceRow& d, int64_t now) {
    coordinator::RegisteredDevice reg;
    reg.device_id = d.device_id;
    reg.cert_not_after_ms = now - 7'200'000;  // expired two hours ago
    return coordinator::certificateAlerts(reg, now);
  });
  n.start();
  ASSERT_TRUE(test::waitFor([&] { return n.stats().delivered == 1; }, 10s));
  auto got = receiver.got();
  ASSERT_EQ(got.size(), 1u);
  json body = json::parse(got[0].body);
  EXPECT_EQ(body["alert"]["device_id"], "till-1");
  EXPECT_EQ(body["alert"]["code"], "cert_expired");
  EXPECT_EQ(body["alert"]["level"], "critical");
  n.stop();
}
