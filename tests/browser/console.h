#pragma once
// What a person does in the web console and what its pages show, for the browser tests: open a
// page or a hash route, log in with a token, read an element's text or a table's rows, take a
// screenshot named after the running test. Built on WebDriver; every wait is on a condition in the
// page, and a wait that runs out throws WebDriverError with the page's text.
//
// The console keeps these ids (tests rely on them): the login form #login with the token field
// #token and its submit button, and the devices table #devices, whose first cell in each body
// row is the device id.

#include <string>
#include <vector>

#include "webdriver.h"

namespace sw::test {

using TableRows = std::vector<std::vector<std::string>>;

class Console {
 public:
  // base_url: the coordinator, e.g. http://127.0.0.1:PORT (no trailing slash). Screenshots go to
  // screenshot_dir/<Suite.Test>-<page>.png.
  Console(WebDriver& browser, std::string base_url, std::string screenshot_dir);

  WebDriver& browser() { return browser_; }
  const std::string& baseUrl() const { return base_url_; }

  // Navigates to base_url + path (e.g. "/") and waits for the document to finish loading.
  void open(const std::string& path = "/");
  // Forgets any login kept by the page (sessionStorage and localStorage of the console's origin)
  // and opens "/" again: the console as a new visitor sees it.
  void forgetLogin();
  // Types token into #token and submits the login form; does not wait for the answer.
  void submitToken(const std::string& token);
  // forgetLogin(), then logs in through the form and waits until the form is gone.
  void login(const std::string& token);
  // Opens a hash route of the console (e.g. "#/channels", or "" for the start page) and waits
  // until `selector` matches an element.
  void openRoute(const std::string& route, const std::string& selector);

  // Waits until selector matches an element / an element that is displayed.
  void waitForSelector(const std::string& selector);
  void waitForVisible(const std::string& selector);
  // True if selector matches an element that is displayed (has a layout box).
  bool visible(const std::string& selector);
  // The element's innerText, trimmed; throws WebDriverError if nothing matches.
  std::string text(const std::string& selector);
  // The value of the tile labelled `field` (its data-field) inside `box` (e.g. "#fleet-tiles"),
  // or "" if there is none.
  std::string tile(const std::string& box, const std::string& field);
  // The body rows of the table `selector` names (a <table> or a <tbody>), each as its cells'
  // innerText, trimmed; heading rows inside the body (class "group", e.g. a store's name over its
  // devices) are left out. Throws WebDriverError if nothing matches.
  TableRows tableRows(const std::string& selector);

  // Writes a screenshot to screenshot_dir/<Suite.Test>-<page>.png and returns its path.
  std::string screenshot(const std::string& page);
  // Removes the running test's screenshots of an earlier run (a stale -failure.png misleads).
  void removeOldScreenshots();

 private:
  WebDriver& browser_;
  std::string base_url_;
  std::string screenshot_dir_;
};

// A JavaScript string literal holding s (for building expressions).
std::string jsString(const std::string& s);

}  // namespace sw::test
