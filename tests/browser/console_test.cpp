// The web console at / in headless Chromium, against the console scenario (scenario.h): the
// login, and the devices table compared with what GET /v1/devices answers with the same token.

#include <gtest/gtest.h>

#include <map>
#include <string>

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

}  // namespace
}  // namespace sw
