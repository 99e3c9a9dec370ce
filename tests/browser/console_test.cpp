// The web console at / in headless Chromium, against the console scenario (scenario.h): the
// login, the devices table compared with what GET /v1/devices answers with the same token, each
// page's tables against the API, and the stock page's item search against GET /v1/catalog?q=.

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "console_fixture.h"
#include "sw/common/uuid.h"

namespace sw {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
using test::ConsoleScenario;

// device id -> "online" / "offline", as the API answers.
std::map<std::string, std::string> apiDevices(const json& body) {
  std::map<std::string, std::string> out;
  for (const json& d : body.value("devices", json::array())) {
    out[d["device_id"].get<std::string>()] = d.value("online", false) ? "online" : "offline";
  }
  return out;
}

// device id (first cell) -> "online" / "offline", as the table shows: a row whose text says
// "offline" is offline, one that says "online" otherwise is online (the state may be a cell of its
// own or words such as "offline for 3 min").
std::map<std::string, std::string> shownDevices(const test::TableRows& rows) {
  std::map<std::string, std::string> out;
  for (const auto& cells : rows) {
    if (cells.empty()) continue;
    std::string text;
    for (const auto& c : cells) text += " " + c;
    std::string state = "?";
    if (text.find("offline") != std::string::npos) {
      state = "offline";
    } else if (text.find("online") != std::string::npos) {
      state = "online";
    }
    out[cells[0]] = state;
  }
  return out;
}

class ConsoleLogin : public test::ConsoleTest {};

TEST_F(ConsoleLogin, WithoutATokenTheLoginFormIsShownAndAWrongTokenIsRefusedOnThePage) {
  console().open("/");
  console().waitForVisible("#login");
  EXPECT_TRUE(console().visible("#token"));
  EXPECT_FALSE(console().visible("#devices")) << "no data before logging in";
  console().screenshot("login");

  // A token the coordinator never made: refused, said on the page, and still at the login.
  console().submitToken("sw-not-a-token-" + common::newUuid());
  browser().waitFor("/refused/i.test(document.body.innerText)", "the page to say the token was refused");
  EXPECT_TRUE(console().visible("#login"));
  EXPECT_FALSE(console().visible("#devices"));
  console().screenshot("login-refused");
  // The API says the same about that token.
  EXPECT_EQ(scenario().get("/v1/devices", "sw-not-a-token").status, 401);
}

class ConsoleDevices : public test::ConsoleTest {};

TEST_F(ConsoleDevices, AViewerSeesExactlyTheDevicesTheApiListsOnlineAndOffline) {
  const auto& viewer = scenario().tokens().viewer;
  console().login(viewer);
  console().openRoute("", "#devices tbody tr");

  auto api = scenario().get("/v1/devices", viewer);
  ASSERT_EQ(api.status, 200) << api.body.dump();
  const auto expected = apiDevices(api.body);
  // The scenario holds: three devices at two stores, the stopped till offline.
  ASSERT_EQ(expected, (std::map<std::string, std::string>{{"hh-1", "online"}, {"till-1", "online"}, {"till-2", "offline"}}))
      << api.body.dump();

  // The table is filled by the page's own polling: wait until it shows what the API said.
  std::map<std::string, std::string> shown;
  EXPECT_TRUE(test::waitFor([&] { return (shown = shownDevices(console().tableRows("#devices"))) == expected; }, 30s))
      << "the page shows:\n" << browser().pageText();
  EXPECT_EQ(shown, expected);
  EXPECT_EQ(console().tableRows("#devices").size(), expected.size()) << "one row per device";
  console().screenshot("devices");
}

TEST_F(ConsoleDevices, EveryRoleCanLogInAndSeesTheFleet) {
  const auto& t = scenario().tokens();
  for (const auto& [role, token] : {std::pair{"viewer", t.viewer}, std::pair{"store_manager", t.store_manager},
                                    std::pair{"admin", t.admin}}) {
    SCOPED_TRACE(role);
    console().login(token);
    console().waitForVisible("#devices");
    const auto expected = apiDevices(scenario().get("/v1/devices", token).body);
    ASSERT_EQ(expected.size(), 3u);
    EXPECT_TRUE(test::waitFor([&] { return shownDevices(console().tableRows("#devices")) == expected; }, 30s))
        << browser().pageText();
    console().screenshot(std::string("devices-") + role);
  }
}

// The fleet grouped by store, with what each device reported (software version) as the API has it.
TEST_F(ConsoleDevices, TheFleetIsGroupedByStoreAndShowsEachDevicesSoftwareVersion) {
  const auto& viewer = scenario().tokens().viewer;
  console().login(viewer);
  console().openRoute("", "#devices tbody tr.group");
  auto api = scenario().get("/v1/devices", viewer);
  ASSERT_EQ(api.status, 200);
  std::map<std::string, std::string> versions;  // device -> reported version
  std::set<std::string> stores;
  for (const json& d : api.body["devices"]) {
    versions[d["device_id"].get<std::string>()] = d.value("reported", json::object()).value("version", "");
    stores.insert(d["location"].get<std::string>());
  }
  EXPECT_EQ(api.body["summary"]["stores"], stores.size());
  std::map<std::string, std::string> shown;
  EXPECT_TRUE(test::waitFor([&] {
    shown.clear();
    for (const auto& row : console().tableRows("#devices")) {
      if (row.size() > 3) shown[row[0]] = row[3];  // device, store, kind, software
    }
    return shown == versions;
  }, 30s)) << browser().pageText();
  for (const auto& [device, version] : versions) EXPECT_FALSE(version.empty()) << device << " reported no version";
  const auto groups =
      browser().execute("return Array.from(document.querySelectorAll('#devices tr.group')).map(r => r.innerText);");
  ASSERT_EQ(groups.size(), stores.size()) << groups.dump();
  size_t i = 0;
  for (const auto& store : stores) EXPECT_EQ(groups[i++].get<std::string>().rfind(store, 0), 0u) << groups.dump();
  for (const char* field : {"devices", "online", "offline", "stores"}) {
    EXPECT_EQ(console().tile("#fleet-tiles", field), std::to_string(api.body["summary"][field].get<int64_t>())) << field;
  }
  console().screenshot("fleet-grouped");
}

// Live: with the page open, a sale at a till reaches the page through GET /v1/stream, without a
// reload (a value set in the page survives), and the device page shows the ledger's new seq.
TEST_F(ConsoleDevices, ADevicePageFollowsASaleThroughTheLiveStreamWithoutReloading) {
  const auto& viewer = scenario().tokens().viewer;
  console().login(viewer);
  console().openRoute("#/fleet/till-1", "#device-facts");
  ASSERT_TRUE(test::waitFor([&] { return browser().execute("return window.swLive.connected;").get<bool>(); }, 30s))
      << console().text("#live");
  EXPECT_EQ(console().text("#live"), "live");
  browser().execute("window.swNotReloaded = true;");
  const auto before = browser().execute("return window.swLive.events;").get<int64_t>();
  auto sale = scenario().agent("till-1").sell("LIVE-1", 1);
  ASSERT_EQ(sale.status, 201);
  const uint64_t seq = sale.body["seq"].get<uint64_t>();
  ASSERT_TRUE(test::waitFor([&] {
    auto d = scenario().get("/v1/devices?device=till-1", viewer);
    return d.body["devices"][0].value("last_applied_seq", uint64_t{0}) >= seq;
  }, 30s));
  EXPECT_TRUE(test::waitFor([&] { return browser().execute("return window.swLive.events;").get<int64_t>() > before; }, 30s))
      << "no change event reached the page";
  const auto applied_tile = [&] { return console().tile("#device-facts", "applied up to seq"); };
  EXPECT_TRUE(test::waitFor([&] { return applied_tile() == std::to_string(seq); }, 30s)) << applied_tile();
  EXPECT_TRUE(browser().execute("return window.swNotReloaded === true;").get<bool>()) << "the page was reloaded";
  const auto rows = console().tableRows("#device-events");
  ASSERT_FALSE(rows.empty());
  EXPECT_EQ(rows[0][0], std::to_string(seq)) << "the newest event first";
  console().screenshot("device-live");
}

class ConsolePages : public test::ConsoleTest {};

// Issue 22: the channels page lists Walmart among the channels and the wholesale partner with its
// received-file log, as the API has them.
TEST_F(ConsolePages, ChannelsListWalmartAndTheWholesalePartnerWithItsFiles) {
  const auto& t = scenario().tokens();
  console().login(t.viewer);
  console().openRoute("#/channels", "#wholesale-files tbody tr");
  std::set<std::string> names;
  for (const auto& row : console().tableRows("#channels")) names.insert(row.at(0));
  EXPECT_TRUE(names.count(test::ConsoleScenario::kWalmartChannel)) << "channels shown: " << names.size();
  auto partners = scenario().get("/v1/wholesale/partners", t.viewer);
  ASSERT_EQ(partners.status, 200) << partners.body.dump();
  auto prow = console().tableRows("#wholesale-partners");
  ASSERT_EQ(prow.size(), partners.body["partners"].size());
  ASSERT_EQ(prow.size(), 1u);
  EXPECT_EQ(prow[0][0], test::ConsoleScenario::kWholesalePartner);
  EXPECT_EQ(prow[0][1], "ZZ/ABCMUSICSUPPLY / ZZ/ARIBAEDI");
  auto files = scenario().get("/v1/wholesale/files?limit=50", t.viewer);
  auto frow = console().tableRows("#wholesale-files");
  ASSERT_EQ(frow.size(), files.body["files"].size());
  ASSERT_EQ(frow.size(), 1u);
  EXPECT_EQ(frow[0][2], "810a.edi-net.edi");
  EXPECT_EQ(frow[0][3], "envelope_rejected");
  EXPECT_NE(frow[0][4].find("TA1 note 11"), std::string::npos) << frow[0][4];
  console().screenshot("channels-wholesale");
  console().forgetLogin();
}

// Each page's table holds what the API answers for the same token.
TEST_F(ConsolePages, ChannelsShowTheDeadLetterAndOnlyAdminsGetTheReplayButton) {
  const auto& t = scenario().tokens();
  auto dead = scenario().get("/v1/channels/dead-letters", t.viewer);
  ASSERT_EQ(dead.status, 200) << dead.body.dump();
  ASSERT_FALSE(dead.body["dead_letters"].empty()) << "the scenario breaks " << test::ConsoleScenario::kBrokenChannel;
  const std::string id = std::to_string(dead.body["dead_letters"][0]["id"].get<int64_t>());
  for (const auto& [role, token] : {std::pair{"viewer", t.viewer}, std::pair{"admin", t.admin}}) {
    SCOPED_TRACE(role);
    console().login(token);
    console().openRoute("#/channels", "#dead-letters tbody tr");
    auto rows = console().tableRows("#dead-letters");
    ASSERT_EQ(rows.size(), dead.body["dead_letters"].size());
    EXPECT_EQ(rows[0][0], id);
    EXPECT_EQ(rows[0][1], test::ConsoleScenario::kBrokenChannel);
    EXPECT_EQ(rows[0][2], test::ConsoleScenario::kRefusedSku);
    auto channels = scenario().get("/v1/channels", token);
    EXPECT_EQ(console().tableRows("#channels").size(), channels.body["channels"].size());
    const bool has_button = browser().execute("return document.querySelectorAll('#dead-letters button').length > 0;")
                                .get<bool>();
    EXPECT_EQ(has_button, std::string(role) == "admin") << "write actions only for roles that may do them";
    console().screenshot(std::string("channels-") + role);
    console().forgetLogin();
  }
}

TEST_F(ConsolePages, OrdersTasksAndKpiChartsMatchTheApi) {
  const auto& viewer = scenario().tokens().viewer;
  console().login(viewer);
  console().openRoute("#/orders", "#orders tbody tr");
  auto orders = scenario().get("/v1/orders?limit=500", viewer);
  ASSERT_EQ(orders.status, 200);
  EXPECT_EQ(console().tableRows("#orders").size(), orders.body["orders"].size());
  bool found = false;
  for (const auto& row : console().tableRows("#orders")) {
    for (const auto& c : row) found = found || c.find(scenario().orderId()) != std::string::npos;
  }
  EXPECT_TRUE(found) << browser().pageText();
  EXPECT_EQ(console().tableRows("#tasks").size(), scenario().get("/v1/tasks", viewer).body["tasks"].size());
  // Fulfilments with what the channel answered, and refunds, one row each as the API has them.
  size_t fulfilments = 0, refunds = 0;
  std::string answer;
  for (const auto& o : orders.body["orders"]) {
    fulfilments += o["fulfilments"].size();
    refunds += o["refunds"].size();
    for (const auto& f : o["fulfilments"]) {
      if (!f.value("channel_fulfilment_id", "").empty()) answer = f["channel_fulfilment_id"].get<std::string>();
    }
  }
  EXPECT_EQ(fulfilments, 1u) << "the scenario ships its order";
  EXPECT_EQ(refunds, 1u) << "and refunds it";
  ASSERT_FALSE(answer.empty()) << orders.body.dump();
  EXPECT_TRUE(test::waitFor([&] { return console().tableRows("#fulfilments").size() == fulfilments; }, 30s));
  EXPECT_EQ(console().tableRows("#refunds").size(), refunds);
  EXPECT_NE(console().text("#fulfilments").find("accepted as " + answer), std::string::npos) << console().text("#fulfilments");
  console().screenshot("orders");

  console().openRoute("#/kpis", "#charts svg");
  auto history = scenario().get("/v1/kpis/history", viewer);
  ASSERT_EQ(history.status, 200);
  std::set<std::string> names;
  for (const auto& s : history.body["series"]) names.insert(s["name"].get<std::string>());
  EXPECT_TRUE(test::waitFor([&] {
    return browser().execute("return document.querySelectorAll('#charts svg').length;").get<size_t>() >= names.size();
  }, 30s)) << "one chart per series name";
  console().screenshot("kpis");

  console().openRoute("#/stock", "#discrepancies tbody tr");
  auto disc = scenario().get("/v1/discrepancies", viewer);
  auto rows = console().tableRows("#discrepancies");
  ASSERT_EQ(rows.size(), disc.body["counts"].size());
  EXPECT_EQ(rows[0][4], std::to_string(disc.body["counts"][0]["difference"].get<int64_t>()));
  // The movements since the count before, which explain the difference, each named in the row.
  const json& explained = disc.body["counts"][0]["explained_by"];
  ASSERT_FALSE(explained.empty()) << disc.body.dump();
  ASSERT_GE(rows[0].size(), 7u);
  for (const json& m : explained) {
    const std::string named = " by " + m["device_id"].get<std::string>() + " #" + std::to_string(m["seq"].get<uint64_t>());
    EXPECT_NE(rows[0][6].find(named), std::string::npos) << rows[0][6] << " lacks" << named;
  }
  console().screenshot("stock");
}

TEST_F(ConsolePages, ADevicePageShowsItsRecentEventsAsTheLedgerHasThem) {
  const auto& viewer = scenario().tokens().viewer;
  console().login(viewer);
  console().openRoute("#/fleet/till-1", "#device-events tbody tr");
  auto ev = scenario().get("/v1/events?device=till-1&from_seq=1&limit=50", viewer);
  ASSERT_EQ(ev.status, 200);
  auto rows = console().tableRows("#device-events");
  ASSERT_EQ(rows.size(), ev.body["events"].size());
  EXPECT_EQ(rows[0][0], std::to_string(ev.body["events"].back()["seq"].get<uint64_t>())) << "newest first";
  EXPECT_FALSE(console().tableRows("#device-sync").empty());
  console().screenshot("device");
}

class ConsoleStock : public test::ConsoleTest {
 protected:
  // The SKUs GET /v1/catalog?q= answers, in its order.
  std::vector<std::string> apiSearch(const std::string& q, const std::string& token) {
    std::string enc;
    for (unsigned char c : q) {
      char b[4];
      std::snprintf(b, sizeof b, "%%%02X", c);
      enc += std::isalnum(c) ? std::string(1, static_cast<char>(c)) : std::string(b);
    }
    auto r = scenario().get("/v1/catalog?q=" + enc, token);
    EXPECT_EQ(r.status, 200) << q << ": " << r.body.dump();
    std::vector<std::string> out;
    for (const json& it : r.body.value("items", json::array())) out.push_back(it["sku"].get<std::string>());
    return out;
  }
  // Types q into the search box as a person does, replacing what was there.
  void typeSearch(const std::string& q) {
    const std::string box = browser().findElement("#stock-q");
    browser().clear(box);
    browser().sendKeys(box, q);
  }
  // The SKUs the matches table lists (its first column), in its order.
  std::vector<std::string> listed() {
    std::vector<std::string> out;
    for (const auto& row : console().tableRows("#stock-matches")) out.push_back(row.empty() ? "" : row[0]);
    return out;
  }
};

TEST_F(ConsoleStock, SearchListsWhatTheCatalogSearchAnswersAndChoosingAnItemShowsItsStock) {
  const auto& viewer = scenario().tokens().viewer;
  console().login(viewer);
  console().openRoute("#/stock", "#stock-q");
  // The box is in the page from the start; the stock page shows once the page has switched to it.
  console().waitForVisible("#stock-q");
  EXPECT_FALSE(console().visible("#stock-matches")) << "nothing listed before anything is typed";

  // A name prefix: the two names that start with it, then the one that holds it.
  const auto by_name = apiSearch("penc", viewer);
  ASSERT_EQ(by_name, (std::vector<std::string>{"SKU-1", "SKU-2", "SKU-3"}));
  typeSearch("penc");
  std::vector<std::string> shown;
  EXPECT_TRUE(test::waitFor([&] { return (shown = listed()) == by_name && console().visible("#stock-matches"); }, 30s))
      << "listed: " << testing::PrintToString(shown) << "\n" << browser().pageText();
  EXPECT_EQ(console().text("#stock-q-note"), "3 matches");
  const auto rows = console().tableRows("#stock-matches");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"SKU-1", "Pencil HB", "04006381333931"}));
  console().screenshot("stock-search-name");

  // A piece of a barcode (SKU-1's EAN-13 4006381333931).
  const auto by_barcode = apiSearch("8133393", viewer);
  ASSERT_EQ(by_barcode, (std::vector<std::string>{ConsoleScenario::kSku}));
  typeSearch("8133393");
  EXPECT_TRUE(test::waitFor([&] { return (shown = listed()) == by_barcode; }, 30s))
      << "listed: " << testing::PrintToString(shown) << "\n" << browser().pageText();
  console().screenshot("stock-search-barcode");

  // Choosing it shows its stock per location as GET /v1/stock?sku= has it.
  browser().click(browser().findElement(std::string("#stock-matches button[data-sku=\"") + ConsoleScenario::kSku + "\"]"));
  auto stock = scenario().get(std::string("/v1/stock?sku=") + ConsoleScenario::kSku, viewer);
  ASSERT_EQ(stock.status, 200) << stock.body.dump();
  std::set<std::vector<std::string>> expected;
  for (const json& l : stock.body["locations"]) {
    expected.insert({l["location"].get<std::string>(), ConsoleScenario::kSku, std::to_string(l["on_hand"].get<int64_t>())});
  }
  ASSERT_EQ(expected.size(), 2u) << "both stores hold it: " << stock.body.dump();
  std::set<std::vector<std::string>> got;
  EXPECT_TRUE(test::waitFor([&] {
    got.clear();
    for (const auto& row : console().tableRows("#stock")) {
      if (row.size() >= 3) got.insert({row[0], row[1], row[2]});
    }
    return got == expected;
  }, 30s)) << "the stock table shows " << testing::PrintToString(got) << "\n" << browser().pageText();
  EXPECT_EQ(browser().execute("return document.querySelector('#sku').value;").get<std::string>(), ConsoleScenario::kSku);
  // Its movements at the first location listed, as many as the ledger's movement log holds.
  const std::string first = stock.body["locations"][0]["location"].get<std::string>();
  auto moves = scenario().get(std::string("/v1/events?sku=") + ConsoleScenario::kSku + "&location=" + first, viewer);
  ASSERT_EQ(moves.status, 200) << moves.body.dump();
  const size_t n = std::min<size_t>(100, moves.body.value("movements", json::array()).size());
  ASSERT_GT(n, 0u) << moves.body.dump();
  EXPECT_TRUE(test::waitFor([&] { return console().tableRows("#moves").size() == n; }, 30s))
      << "movements at " << first << ": " << moves.body.dump() << "\n" << browser().pageText();
  // Available per channel, and what each channel last showed, as GET /v1/available has them.
  auto available = scenario().get(std::string("/v1/available?sku=") + ConsoleScenario::kSku, viewer);
  ASSERT_EQ(available.status, 200);
  std::map<std::string, std::string> want, have;  // channel -> "available | channel shows quantity"
  for (const json& c : available.body["channels"]) {
    want[c["channel"].get<std::string>()] =
        std::to_string(c["available"].get<int64_t>()) + " | " +
        (c.contains("channel_shows") ? std::to_string(c["channel_shows"]["quantity"].get<int64_t>()) : "not");
  }
  ASSERT_FALSE(want.empty());
  EXPECT_TRUE(test::waitFor([&] {
    have.clear();
    for (const auto& row : console().tableRows("#available")) {
      if (row.size() >= 7) have[row[0]] = row[5] + " | " + row[6].substr(0, row[6].find(' '));
    }
    return have == want;
  }, 30s)) << testing::PrintToString(have) << " vs " << testing::PrintToString(want);
  console().screenshot("stock-search-chosen");
}

}  // namespace
}  // namespace sw
