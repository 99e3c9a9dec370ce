#pragma once
// A small WebDriver (W3C) client for the browser tests. It starts Debian's chromedriver as a child
// process on a free port, as the leader of its own process group, opens one session of headless
// Chromium with a fresh profile, and speaks the protocol as JSON over cpp-httplib. The destructor
// quits the session and ends chromedriver's whole process group (Chromium and its helpers with it),
// also when a test failed half-way. Every failure throws WebDriverError saying what the browser said.

#include <nlohmann/json.hpp>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "sw/harness/process.h"

namespace httplib {
class Client;
}

namespace sw::test {

class WebDriverError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct WebDriverOptions {
  std::string chromium = "/usr/bin/chromium";          // $SW_CHROMIUM overrides
  std::string chromedriver = "/usr/bin/chromedriver";  // $SW_CHROMEDRIVER overrides
  std::vector<std::string> extra_args;                 // more Chromium switches
  std::chrono::milliseconds start_timeout{std::chrono::seconds(60)};
  // How long one WebDriver command may take (a navigation waits for the page's load event).
  std::chrono::seconds command_timeout{std::chrono::seconds(60)};
};

class WebDriver {
 public:
  // How long waitFor() waits unless told: generous, the machines are shared and noisy.
  static constexpr std::chrono::milliseconds kDefaultWait{std::chrono::seconds(30)};

  // The defaults with $SW_CHROMIUM / $SW_CHROMEDRIVER applied.
  static WebDriverOptions defaultOptions();

  // Starts chromedriver and a session. Throws WebDriverError when Chromium or chromedriver is not
  // installed (saying to run tools/install-deps --with-browser) or does not start.
  explicit WebDriver(WebDriverOptions options = defaultOptions());
  ~WebDriver();
  WebDriver(const WebDriver&) = delete;
  WebDriver& operator=(const WebDriver&) = delete;

  void navigate(const std::string& url);
  void refresh();
  std::string currentUrl();

  // Runs script as the body of a function (`return ...;` gives the value; `arguments[i]` are args).
  nlohmann::json execute(const std::string& script, const nlohmann::json& args = nlohmann::json::array());
  // The same, asynchronously: the script calls arguments[arguments.length - 1](value) when done.
  nlohmann::json executeAsync(const std::string& script, const nlohmann::json& args = nlohmann::json::array());

  // Element references (WebDriver element ids) by CSS selector; findElement throws if none matches.
  std::string findElement(const std::string& css);
  std::vector<std::string> findElements(const std::string& css);
  void click(const std::string& element);
  void clear(const std::string& element);
  void sendKeys(const std::string& element, const std::string& text);
  // The element's rendered text, as WebDriver defines it.
  std::string elementText(const std::string& element);

  // Polls the JavaScript expression every 50 ms until it is truthy (an exception counts as false).
  // poll() says whether it became true; waitFor() throws WebDriverError naming `what`, the
  // expression, the page's address and text and the browser console's recent messages.
  bool poll(const std::string& js_expression, std::chrono::milliseconds timeout = kDefaultWait);
  void waitFor(const std::string& js_expression, const std::string& what,
               std::chrono::milliseconds timeout = kDefaultWait);

  // document.body.innerText ("" before there is a body).
  std::string pageText();
  // A PNG of the viewport (--window-size) written to path; parent directories are made.
  void screenshot(const std::string& path);
  // The browser console's messages since the session began, as "LEVEL message" (best effort:
  // empty if this chromedriver cannot give them).
  std::vector<std::string> consoleLog();
  // What chromedriver wrote to stdout and stderr.
  std::string driverLog() const;

 private:
  nlohmann::json command(const std::string& method, const std::string& path, const nlohmann::json& body = nullptr);
  std::string sessionPath(const std::string& rest) const;
  void quit();

  WebDriverOptions options_;
  TempDir dir_;  // declared first: removed after chromedriver and Chromium are gone
  Child driver_;
  int port_ = 0;
  std::unique_ptr<httplib::Client> http_;
  std::string session_;
  std::vector<std::string> console_seen_;  // chromedriver hands each message out once
};

}  // namespace sw::test
