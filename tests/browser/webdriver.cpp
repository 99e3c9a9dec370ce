#include "webdriver.h"

#include <httplib.h>
#include <openssl/evp.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "sw/common/http_socket.h"

namespace sw::test {

namespace {

using nlohmann::json;

// The key W3C WebDriver puts an element reference under.
constexpr const char* kElementKey = "element-6066-11e4-a52e-4f735466cecf";

std::string envOr(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::string(v) : fallback;
}

// The first line of a WebDriver error message (the rest is "(Session info: ...)" and a stack).
std::string firstLine(const std::string& s) { return s.substr(0, s.find('\n')); }

std::string lastChars(const std::string& s, size_t n) { return s.size() <= n ? s : "..." + s.substr(s.size() - n); }

std::string base64Decode(const std::string& in) {
  if (in.empty()) return {};
  std::string out(in.size() / 4 * 3 + 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
  if (n < 0) throw WebDriverError("screenshot: the browser's answer is not base64");
  size_t len = static_cast<size_t>(n);
  // EVP_DecodeBlock counts the padding as zero bytes.
  for (size_t i = in.size(); i > 0 && in[i - 1] == '='; --i) --len;
  out.resize(len);
  return out;
}

std::string elementId(const json& value) {
  if (!value.is_object() || !value.contains(kElementKey)) {
    throw WebDriverError("WebDriver answered no element reference: " + value.dump());
  }
  return value[kElementKey].get<std::string>();
}

}  // namespace

WebDriverOptions WebDriver::defaultOptions() {
  WebDriverOptions o;
  o.chromium = envOr("SW_CHROMIUM", o.chromium);
  o.chromedriver = envOr("SW_CHROMEDRIVER", o.chromedriver);
  return o;
}

WebDriver::WebDriver(WebDriverOptions options) : options_(std::move(options)) {
  for (const std::string* bin : {&options_.chromium, &options_.chromedriver}) {
    if (access(bin->c_str(), X_OK) != 0) {
      throw WebDriverError("the browser tests need Chromium and chromedriver, and " + *bin +
                           " is not there: run tools/install-deps --with-browser (Debian packages chromium and "
                           "chromium-driver; tools/test does it)");
    }
  }
  port_ = freePort();
  driver_ = Child::spawn({options_.chromedriver, "--port=" + std::to_string(port_)}, dir_.file("chromedriver"), {},
                         Child::Group::kOwn);
  http_ = std::make_unique<httplib::Client>(common::makeHttpClient("127.0.0.1", port_));  // TCP_NODELAY set there
  http_->set_tcp_nodelay(true);
  http_->set_connection_timeout(2);
  http_->set_read_timeout(options_.command_timeout);
  http_->set_write_timeout(options_.command_timeout);

  bool ready = sw::test::waitFor(
      [&] {
        if (!driver_.running()) return true;
        auto r = http_->Get("/status");
        if (!r || r->status != 200) return false;
        json j = json::parse(r->body, nullptr, false);
        return j.is_object() && j["value"].value("ready", false);
      },
      options_.start_timeout, std::chrono::milliseconds(20));
  if (!ready || !driver_.running()) {
    throw WebDriverError("chromedriver did not become ready on port " + std::to_string(port_) + ": " +
                         lastChars(driverLog(), 2000));
  }

  json args = {"--headless=new",
               "--no-sandbox",  // Chromium run as root (as here) refuses to start sandboxed
               "--disable-gpu",
               "--disable-quic",
               "--no-first-run",
               // Without these Chromium tries to reach Google's hosts, which are closed here.
               "--disable-background-networking",
               "--disable-component-update",
               "--disable-sync",
               "--window-size=1400,1000",
               "--user-data-dir=" + dir_.file("profile")};
  for (const auto& a : options_.extra_args) args.push_back(a);
  json caps = {{"capabilities",
                {{"alwaysMatch",
                  {{"browserName", "chrome"},
                   {"goog:chromeOptions", {{"binary", options_.chromium}, {"args", args}}},
                   {"goog:loggingPrefs", {{"browser", "ALL"}}}}}}}};
  json value = command("POST", "/session", caps);
  if (!value.contains("sessionId")) throw WebDriverError("WebDriver gave no session: " + value.dump());
  session_ = value["sessionId"].get<std::string>();
}

WebDriver::~WebDriver() {
  try {
    quit();
  } catch (...) {
    // The process group is ended below whatever the session said.
  }
  driver_.killGroup(SIGTERM);
}

void WebDriver::quit() {
  if (session_.empty() || !driver_.running()) return;
  const std::string path = "/session/" + session_;
  session_.clear();
  http_->set_read_timeout(std::chrono::seconds(10));
  (void)http_->Delete(path);
}

std::string WebDriver::sessionPath(const std::string& rest) const { return "/session/" + session_ + rest; }

json WebDriver::command(const std::string& method, const std::string& path, const json& body) {
  httplib::Result r = [&] {
    if (method == "GET") return http_->Get(path);
    if (method == "DELETE") return http_->Delete(path);
    return http_->Post(path, body.is_null() ? std::string("{}") : body.dump(), "application/json");
  }();
  if (!r) {
    throw WebDriverError("WebDriver " + method + " " + path + ": no answer from chromedriver (" +
                         httplib::to_string(r.error()) + "); its log: " + lastChars(driverLog(), 2000));
  }
  json j = json::parse(r->body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    throw WebDriverError("WebDriver " + method + " " + path + ": answer is not JSON (HTTP " +
                         std::to_string(r->status) + "): " + lastChars(r->body, 500));
  }
  json value = j.contains("value") ? j["value"] : json();
  if (r->status != 200 || (value.is_object() && value.contains("error"))) {
    std::string error = value.is_object() ? value.value("error", "") : "";
    std::string message = value.is_object() ? value.value("message", "") : j.dump();
    throw WebDriverError("WebDriver " + method + " " + path + ": " + error + ": " + firstLine(message));
  }
  return value;
}

void WebDriver::navigate(const std::string& url) { command("POST", sessionPath("/url"), {{"url", url}}); }
void WebDriver::refresh() { command("POST", sessionPath("/refresh"), json::object()); }
std::string WebDriver::currentUrl() { return command("GET", sessionPath("/url")).get<std::string>(); }

json WebDriver::execute(const std::string& script, const json& args) {
  return command("POST", sessionPath("/execute/sync"), {{"script", script}, {"args", args}});
}

json WebDriver::executeAsync(const std::string& script, const json& args) {
  return command("POST", sessionPath("/execute/async"), {{"script", script}, {"args", args}});
}

std::string WebDriver::findElement(const std::string& css) {
  return elementId(command("POST", sessionPath("/element"), {{"using", "css selector"}, {"value", css}}));
}

std::vector<std::string> WebDriver::findElements(const std::string& css) {
  std::vector<std::string> out;
  for (const json& e : command("POST", sessionPath("/elements"), {{"using", "css selector"}, {"value", css}})) {
    out.push_back(elementId(e));
  }
  return out;
}

void WebDriver::click(const std::string& element) {
  command("POST", sessionPath("/element/" + element + "/click"), json::object());
}

void WebDriver::clear(const std::string& element) {
  command("POST", sessionPath("/element/" + element + "/clear"), json::object());
}

void WebDriver::sendKeys(const std::string& element, const std::string& text) {
  command("POST", sessionPath("/element/" + element + "/value"), {{"text", text}});
}

std::string WebDriver::elementText(const std::string& element) {
  return command("GET", sessionPath("/element/" + element + "/text")).get<std::string>();
}

bool WebDriver::poll(const std::string& js_expression, std::chrono::milliseconds timeout) {
  const std::string script = "try { return !!(" + js_expression + "); } catch (e) { return false; }";
  return sw::test::waitFor(
      [&] {
        try {
          return execute(script).get<bool>();
        } catch (const WebDriverError&) {
          return false;  // e.g. the page is being replaced by a navigation
        }
      },
      timeout, std::chrono::milliseconds(50));
}

void WebDriver::waitFor(const std::string& js_expression, const std::string& what, std::chrono::milliseconds timeout) {
  if (poll(js_expression, timeout)) return;
  std::string url, text;
  try {
    url = currentUrl();
    text = pageText();
  } catch (const WebDriverError& e) {
    text = std::string("(cannot read the page: ") + e.what() + ")";
  }
  const std::vector<std::string> log = consoleLog();
  std::string console;
  for (size_t i = log.size() > 20 ? log.size() - 20 : 0; i < log.size(); ++i) console += "\n  " + log[i];
  throw WebDriverError("timed out after " + std::to_string(timeout.count() / 1000) + " s waiting for " + what +
                       " (`" + js_expression + "`) at " + url + "\npage text:\n" + lastChars(text, 4000) +
                       "\nbrowser console:" + (console.empty() ? std::string(" (nothing)") : console));
}

std::string WebDriver::pageText() {
  json t = execute("return document.body ? document.body.innerText : '';");
  return t.is_string() ? t.get<std::string>() : std::string();
}

void WebDriver::screenshot(const std::string& path) {
  const std::string png = base64Decode(command("GET", sessionPath("/screenshot")).get<std::string>());
  std::filesystem::path p(path);
  if (p.has_parent_path()) std::filesystem::create_directories(p.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(png.data(), static_cast<std::streamsize>(png.size()));
  if (!out) throw WebDriverError("cannot write the screenshot " + path);
}

std::vector<std::string> WebDriver::consoleLog() {
  json entries;
  try {
    // Not in the W3C protocol: chromedriver's own endpoint, fed by goog:loggingPrefs. It hands
    // each message out once, so they are kept here.
    entries = command("POST", sessionPath("/se/log"), {{"type", "browser"}});
  } catch (const WebDriverError&) {
    return console_seen_;
  }
  if (entries.is_array()) {
    for (const json& e : entries) console_seen_.push_back(e.value("level", "") + " " + e.value("message", ""));
  }
  return console_seen_;
}

std::string WebDriver::driverLog() const { return driver_.stdoutText() + driver_.stderrText(); }

}  // namespace sw::test
