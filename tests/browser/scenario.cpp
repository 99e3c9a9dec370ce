#include "scenario.h"

#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "sw/common/files.h"
#include "sw/common/http_socket.h"
#include "sw/common/uuid.h"

namespace sw::test {

namespace {

using nlohmann::json;
using namespace std::chrono_literals;

// Each step waits for what it caused; on a shared, noisy machine that can take a while.
constexpr auto kStep = 30s;

}  // namespace

ConsoleScenario::ConsoleScenario() {
  startChannels();
  startFleet();
  makeHistory();
  takeOnlineOrder();
  shipAndRefundOrder();
  takeDeviceOffline();
  importCatalog();
}

ConsoleScenario::~ConsoleScenario() = default;

std::string ConsoleScenario::url() const { return "http://127.0.0.1:" + std::to_string(port()); }

HttpReply ConsoleScenario::get(const std::string& path, const std::string& token) {
  return httpGet(port(), path, {{"Authorization", "Bearer " + token}});
}

AgentProc& ConsoleScenario::agent(const std::string& device_id) {
  auto it = agents_.find(device_id);
  if (it == agents_.end()) throw std::runtime_error("the console scenario has no device " + device_id);
  return *it->second;
}

ChannelSim& ConsoleScenario::channel(const std::string& name) {
  auto it = channels_.find(name);
  if (it == channels_.end()) throw std::runtime_error("the console scenario has no channel " + name);
  return *it->second;
}

// Shopify lists SKU-1; Amazon lists SKU-1 and, with a product type the connector does not send,
// ODD-1 (as push_test.cpp's RefusedItemsAreDeadLetteredAndReplayable does).
void ConsoleScenario::startChannels() {
  json cfg_channels = json::object();
  auto add = [&](const std::string& name, std::vector<std::string> flags, const json& listings) {
    auto sim = std::make_unique<ChannelSim>(name, std::move(flags));
    json seeded = sim->seed(listings);
    cfg_channels[name] = {{"connector", sim->connectorConfig(seeded, "whsec-" + common::newUuid())}};
    channels_[name] = std::move(sim);
  };
  add(kOrderChannel, {}, json::array({{{"sku", kSku}, {"quantity", 0}}}));
  add(kBrokenChannel, {"--apply-delay-ms", "20", "--rate-scale", "50"},
      json::array({{{"sku", kSku}, {"quantity", 0}}, {{"sku", kRefusedSku}, {"quantity", 0}, {"product_type", "LUGGAGE"}}}));
  // Walmart lists SKU-1 too (issue 22: the console lists it among the channels).
  add(kWalmartChannel, {}, json::array({{{"sku", kSku}, {"quantity", 0}}}));
  // A wholesale partner over X12 files (issue 22), with the ids of the EDI.Net sample dropped in later.
  for (const char* d : {"edi-in", "edi-out", "edi-archive"}) std::filesystem::create_directories(dir_.file(d));
  json partner = {{"id", kWholesalePartner},
                  {"us", {{"qualifier", "ZZ"}, {"id", "ARIBAEDI"}}},
                  {"them", {{"qualifier", "ZZ"}, {"id", "ABCMUSICSUPPLY"}}},
                  {"folders", {{"inbound", dir_.file("edi-in")}, {"outbound", dir_.file("edi-out")}, {"archive", dir_.file("edi-archive")}}},
                  {"inventory", {{"interval_s", 3600}}},
                  {"items", json::array({{{"sku", kSku}, {"ids", {{"VN", "PENCIL-HB"}}}}})}};
  std::ofstream(dir_.file("partners.json")) << json{{"partners", json::array({partner})}}.dump(2);
  std::ofstream(dir_.file("channels.json"))
      << json{{"channels", cfg_channels}, {"push", {{"backoff_initial_ms", 50}, {"accepted_readback_ms", 100}}}}.dump(2);
  std::ofstream(dir_.file("locations.json")) << json::object().dump();
}

void ConsoleScenario::startFleet() {
  // --count-tie-ms 0: the agents share this machine's clock and each step waits for the one before
  // (as in ledger_scenarios_test.cpp), so events are ordered by time alone.
  coordinator_ = std::make_unique<CoordinatorProc>(
      dir_, broker_.url(), std::map<std::string, std::string>{},
      std::vector<std::string>{"--channels-config", dir_.file("channels.json"), "--locations-config",
                               dir_.file("locations.json"), "--order-poll-ms", "100", "--count-tie-ms", "0", "--kpi-sample-ms", "200",
                               "--wholesale", dir_.file("partners.json"), "--wholesale-tick-ms", "100"});
  coordinator_->start();
  tokens_.viewer = coordinator_->createToken("console-viewer", "viewer");
  tokens_.store_manager = coordinator_->createToken("console-store-manager", "store_manager", kStore1);
  tokens_.admin = coordinator_->createToken("console-admin", "admin");
  for (const auto& [id, location, kind] : {std::tuple{"till-1", kStore1, "till"}, std::tuple{"hh-1", kStore1, "handheld"},
                                           std::tuple{"till-2", kStore2, "till"}}) {
    auto a = std::make_unique<AgentProc>(dir_, id, location, broker_.url(), kind);
    a->start();
    agents_[id] = std::move(a);
  }
}

void ConsoleScenario::makeHistory() {
  auto must = [&](const HttpReply& r, const std::string& what) {
    if (r.status != 201) throw std::runtime_error(what + " answered " + std::to_string(r.status) + ": " + r.body.dump());
  };
  auto until = [&](const std::function<bool()>& pred, const std::string& what) {
    if (!waitFor(pred, kStep)) throw std::runtime_error("console scenario: no " + what + "; coordinator log:\n" + logs());
  };
  AgentProc& till1 = agent("till-1");
  AgentProc& hh1 = agent("hh-1");
  AgentProc& till2 = agent("till-2");
  must(hh1.movement({{"type", "receive"}, {"lines", {{{"sku", kSku}, {"qty", 20}}, {{"sku", kRefusedSku}, {"qty", 5}}}}}),
       "receive at store-1");
  must(till2.movement({{"type", "receive"}, {"lines", {{{"sku", kSku}, {"qty", 10}}}}}), "receive at store-2");
  until([&] { return coordinator_->onHand(kSku, kStore1) == 20 && coordinator_->onHand(kSku, kStore2) == 10; },
        "received stock in the ledger");
  must(till1.sell(kSku, 2, "9.99"), "sale on till-1");
  must(till2.sell(kSku, 1, "9.99"), "sale on till-2");
  until([&] { return coordinator_->onHand(kSku, kStore1) == 18 && coordinator_->onHand(kSku, kStore2) == 9; },
        "sales in the ledger");
  // The handheld counts 15 where 18 are expected.
  must(hh1.movement({{"type", "count"}, {"sku", kSku}, {"counted", kCounted}}), "count at store-1");
  until(
      [&] {
        auto d = httpGet(port(), std::string("/v1/discrepancies?location=") + kStore1);
        return coordinator_->onHand(kSku, kStore1) == kCounted && d.status == 200 && d.body["counts"].size() == 1;
      },
      "count discrepancy");
  until(
      [&] {
        auto dl = httpGet(port(), "/v1/channels/dead-letters");
        for (const auto& l : dl.body.value("dead_letters", json::array())) {
          if (l.value("sku", "") == kRefusedSku && l.value("channel", "") == kBrokenChannel) return true;
        }
        return false;
      },
      "dead letter for the refused listing");
  // The partner's gateway drops the EDI.Net 810 sample: refused for its unpadded ISA (TA1 note 011).
  auto sample = common::readFile(std::string(SW_X12_TEST_DATA) + "/810a.edi-net.edi");
  if (!sample) throw std::runtime_error("console scenario: no X12 sample: " + sample.error().message);
  std::ofstream(dir_.file("edi-in/.incoming"), std::ios::binary) << *sample;
  std::filesystem::rename(dir_.file("edi-in/.incoming"), dir_.file("edi-in/810a.edi-net.edi"));
  until(
      [&] {
        auto f = httpGet(port(), "/v1/wholesale/files");
        return f.status == 200 && f.body["files"].size() == 1 && f.body["files"][0].value("state", "") == "done";
      },
      "wholesale file in the log");
}

void ConsoleScenario::takeOnlineOrder() {
  json created = channel(kOrderChannel).order({{"lines", {{{"sku", kSku}, {"quantity", 1}, {"price", "10.00"}}}}, {"country", "US"}});
  const json& id = created["order_id"];
  order_id_ = id.is_string() ? id.get<std::string>() : id.dump();
  const std::string path = std::string("/v1/orders/") + kOrderChannel + "/" + order_id_;
  if (!waitFor([&] { return httpGet(port(), path).body.value("status", "") == "accepted"; }, kStep)) {
    throw std::runtime_error("console scenario: the online order " + order_id_ + " was not accepted: " +
                             httpGet(port(), path).body.dump() + "\ncoordinator log:\n" + logs());
  }
}

// hh-1 picks the order's task, the coordinator reports the fulfilment to Shopify (which answers
// with its fulfilment id), then Shopify refunds the unit as returned (the coordinator restocks it).
void ConsoleScenario::shipAndRefundOrder() {
  AgentProc& hh = agent("hh-1");
  const std::string path = std::string("/v1/orders/") + kOrderChannel + "/" + order_id_;
  auto fail = [&](const std::string& what) {
    throw std::runtime_error("console scenario: " + what + ": " + httpGet(port(), path).body.dump() +
                             "\ncoordinator log:\n" + logs());
  };
  const bool picked = waitFor([&] {
    for (const json& t : httpGet(hh.port(), "/v1/tasks").body.value("tasks", json::array())) {
      json lines = json::array();
      for (const json& l : t["lines"]) lines.push_back({{"sku", l["sku"]}, {"picked", l["qty"]}});
      auto r = httpPost(hh.port(), "/v1/tasks/" + t["task_id"].get<std::string>() + "/confirm", json{{"lines", lines}}.dump());
      if (r.status == 201) return true;
    }
    return false;
  }, kStep);
  if (!picked) fail("hh-1 got no pick task to confirm");
  const bool reported = waitFor([&] {
    json o = httpGet(port(), path).body;
    return o.value("status", "") == "shipped" && o["fulfilments"].size() == 1 &&
           o["fulfilments"][0].value("status", "") == "reported";
  }, kStep);
  if (!reported) fail("the fulfilment was not reported to Shopify");
  const std::string line_id = httpGet(port(), path).body["lines"][0]["line_id"];
  auto refund = httpPost(channel(kOrderChannel).port(), "/_sim/orders/" + order_id_ + "/refund",
                         json{{"lines", {{{"line_id", line_id}, {"quantity", 1}, {"restock_type", "return"}}}}}.dump());
  if (refund.status != 201) fail("the simulator refused the refund: " + refund.body.dump());
  if (!waitFor([&] { return httpGet(port(), path).body.value("refunds", json::array()).size() == 1; }, kStep)) {
    fail("the refund was not taken in");
  }
}

void ConsoleScenario::takeDeviceOffline() {
  AgentProc& off = agent(kOfflineDevice);
  if (!waitFor([&] { return off.status().value("queue_depth", -1) == 0; }, kStep)) {
    throw std::runtime_error(std::string("console scenario: ") + kOfflineDevice + " did not sync: " + off.status().dump());
  }
  off.stop();
  auto fleetShows = [&] {
    auto r = httpGet(port(), "/v1/devices");
    if (r.status != 200) return false;
    std::map<std::string, bool> online;
    for (const auto& d : r.body["devices"]) online[d["device_id"].get<std::string>()] = d.value("online", false);
    return online == std::map<std::string, bool>{{"till-1", true}, {"hh-1", true}, {"till-2", false}};
  };
  if (!waitFor(fleetShows, kStep)) {
    throw std::runtime_error("console scenario: /v1/devices does not show till-1 and hh-1 online and till-2 offline: " +
                             httpGet(port(), "/v1/devices").body.dump());
  }
}

void ConsoleScenario::importCatalog() {
  httplib::Client c = common::makeHttpClient("127.0.0.1", port());
  c.set_connection_timeout(2);
  c.set_read_timeout(20);
  auto r = c.Post("/v1/catalog", {{"Authorization", "Bearer " + tokens_.admin}}, kCatalogCsv, "text/csv");
  json body = r ? json::parse(r->body, nullptr, false) : json();
  if (!r || r->status != 200 || !body.is_object() || body.value("applied", 0) != 5) {
    throw std::runtime_error("console scenario: the catalog import answered " +
                             (r ? std::to_string(r->status) + ": " + r->body : std::string("nothing")));
  }
}

}  // namespace sw::test
