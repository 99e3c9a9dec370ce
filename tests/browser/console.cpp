#include "console.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace sw::test {

namespace {

using nlohmann::json;

// "Suite.Test" of the running test, with anything but letters, digits, '.', '-' and '_' made '_'
// (parameterised names hold '/').
std::string currentTestName() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = info ? std::string(info->test_suite_name()) + "." + info->name() : "no-test";
  for (char& c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '-' || c == '_';
    if (!ok) c = '_';
  }
  return name;
}

const char* kDisplayed = "(e => !!e && e.getClientRects().length > 0)";

}  // namespace

std::string jsString(const std::string& s) { return json(s).dump(); }

Console::Console(WebDriver& browser, std::string base_url, std::string screenshot_dir)
    : browser_(browser), base_url_(std::move(base_url)), screenshot_dir_(std::move(screenshot_dir)) {}

void Console::open(const std::string& path) {
  browser_.navigate(base_url_ + path);
  browser_.waitFor("document.readyState === 'complete'", "the page " + path + " to load");
}

void Console::forgetLogin() {
  open("/");
  browser_.execute("sessionStorage.clear(); localStorage.clear();");
  open("/");
}

void Console::submitToken(const std::string& token) {
  waitForVisible("#login");
  const std::string field = browser_.findElement("#token");
  browser_.clear(field);
  browser_.sendKeys(field, token);
  browser_.click(browser_.findElement("#login [type=submit]"));
}

void Console::login(const std::string& token) {
  forgetLogin();
  submitToken(token);
  browser_.waitFor("!" + std::string(kDisplayed) + "(document.querySelector('#login'))",
                   "the login form to go away after logging in");
}

void Console::openRoute(const std::string& route, const std::string& selector) {
  open("/" + route);
  waitForSelector(selector);
}

void Console::waitForSelector(const std::string& selector) {
  browser_.waitFor("document.querySelector(" + jsString(selector) + ") !== null", "an element " + selector);
}

void Console::waitForVisible(const std::string& selector) {
  browser_.waitFor(std::string(kDisplayed) + "(document.querySelector(" + jsString(selector) + "))",
                   "a displayed element " + selector);
}

bool Console::visible(const std::string& selector) {
  return browser_.execute("return " + std::string(kDisplayed) + "(document.querySelector(arguments[0]));",
                          json::array({selector}))
      .get<bool>();
}

std::string Console::text(const std::string& selector) {
  json t = browser_.execute("const e = document.querySelector(arguments[0]); return e ? e.innerText.trim() : null;",
                            json::array({selector}));
  if (!t.is_string()) throw WebDriverError("no element matches " + selector + " at " + browser_.currentUrl());
  return t.get<std::string>();
}

std::string Console::tile(const std::string& box, const std::string& field) {
  json v = browser_.execute(R"JS(
    const t = document.querySelector(arguments[0] + ' [data-field="' + arguments[1] + '"] .v');
    return t ? t.textContent : '';
  )JS",
                            json::array({box, field}));
  return v.is_string() ? v.get<std::string>() : "";
}

TableRows Console::tableRows(const std::string& selector) {
  json rows = browser_.execute(R"JS(
    const t = document.querySelector(arguments[0]);
    if (!t) return null;
    const bodies = t.matches('tbody') ? [t] : Array.from(t.tBodies || []);
    return bodies.flatMap(b => Array.from(b.rows)).filter(r => !r.classList.contains('group'))
                 .map(r => Array.from(r.cells).map(c => c.innerText.trim()));
  )JS",
                               json::array({selector}));
  if (!rows.is_array()) throw WebDriverError("no table matches " + selector + " at " + browser_.currentUrl());
  return rows.get<TableRows>();
}

std::string Console::screenshot(const std::string& page) {
  const std::string path = screenshot_dir_ + "/" + currentTestName() + "-" + page + ".png";
  browser_.screenshot(path);
  return path;
}

void Console::removeOldScreenshots() {
  const std::string prefix = currentTestName() + "-";
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(screenshot_dir_, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(prefix, 0) == 0 && entry.path().extension() == ".png") std::filesystem::remove(entry.path(), ec);
  }
}

}  // namespace sw::test
