#pragma once
// The base of every console test: one ConsoleScenario and one headless Chromium per test suite
// (ctest runs each test in its own process, so in practice one of each per test), and a Console
// on the coordinator's address. Each test starts logged out. Derive a fixture per page:
//
//   class ChannelsPage : public sw::test::ConsoleTest {};
//   TEST_F(ChannelsPage, ShowsTheDeadLetter) {
//     console().login(scenario().tokens().admin);
//     console().openRoute("#/channels", "#channels");
//     auto api = scenario().get("/v1/channels", scenario().tokens().admin);
//     ...
//     console().screenshot("channels");
//   }
//
// If Chromium or chromedriver is missing, or the scenario cannot be brought about, every test of
// the suite fails with the reason (never skipped).

#include <gtest/gtest.h>

#include <iostream>
#include <memory>
#include <string>

#include "console.h"
#include "scenario.h"
#include "webdriver.h"

#ifndef SW_BROWSER_SCREENSHOT_DIR
#error "SW_BROWSER_SCREENSHOT_DIR (where screenshots go) is set by tests/browser/CMakeLists.txt"
#endif

namespace sw::test {

class ConsoleTest : public ::testing::Test {
 public:
  static void SetUpTestSuite() {
    setup_error() = "";
    try {
      // The browser first: if it is missing, say so before starting the rest.
      browser_ptr() = std::make_unique<WebDriver>();
      scenario_ptr() = std::make_unique<ConsoleScenario>();
      console_ptr() = std::make_unique<Console>(*browser_ptr(), scenario_ptr()->url(), SW_BROWSER_SCREENSHOT_DIR);
    } catch (const std::exception& e) {
      setup_error() = e.what();
    }
  }
  static void TearDownTestSuite() {
    console_ptr().reset();
    browser_ptr().reset();  // quits Chromium, ends chromedriver's process group
    scenario_ptr().reset();
  }

 protected:
  void SetUp() override {
    if (!setup_error().empty()) GTEST_FAIL() << setup_error();
    console().removeOldScreenshots();
    console().forgetLogin();
  }
  void TearDown() override {
    if (!HasFailure() || !browser_ptr()) return;
    // What the browser saw, for whoever reads the failure.
    try {
      std::cerr << "page " << browser().currentUrl() << ":\n" << browser().pageText() << "\nbrowser console:\n";
      const auto log = browser().consoleLog();
      for (size_t i = log.size() > 30 ? log.size() - 30 : 0; i < log.size(); ++i) std::cerr << "  " << log[i] << "\n";
      std::cerr << "screenshot: " << console().screenshot("failure") << "\n";
    } catch (const std::exception& e) {
      std::cerr << "(cannot read the browser: " << e.what() << ")\n";
    }
  }

  static ConsoleScenario& scenario() { return *scenario_ptr(); }
  static WebDriver& browser() { return *browser_ptr(); }
  static Console& console() { return *console_ptr(); }

 private:
  // Function-local statics: one per process, shared by the suites deriving from this class (each
  // suite's SetUpTestSuite/TearDownTestSuite makes and ends its own).
  static std::unique_ptr<WebDriver>& browser_ptr() {
    static std::unique_ptr<WebDriver> p;
    return p;
  }
  static std::unique_ptr<ConsoleScenario>& scenario_ptr() {
    static std::unique_ptr<ConsoleScenario> p;
    return p;
  }
  static std::unique_ptr<Console>& console_ptr() {
    static std::unique_ptr<Console> p;
    return p;
  }
  static std::string& setup_error() {
    static std::string e;
    return e;
  }
};

}  // namespace sw::test
