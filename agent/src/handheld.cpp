#include "sw/agent/handheld.h"

#include <charconv>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <iostream>
#include <mutex>
#include <sstream>
#include <thread>

#include "sw/common/args.h"
#include "sw/common/card_data.h"
#include "sw/common/clock.h"
#include "sw/common/event.h"
#include "sw/common/process.h"
#include "sw/common/uuid.h"
#include "sw/fw/gs1.h"
#include "sw/fw/libserialport_port.h"
#include "sw/fw/scanner_reader.h"
#include "sw/fw/termios_serial_port.h"

namespace sw::agent {

using common::Error;
using common::Result;
using nlohmann::json;

namespace {

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

std::string percentEncode(const std::string& s) {
  std::string out;
  char buf[4];
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

bool allDigits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

Result<std::optional<std::string>> AgentItemLookup::skuFor(const std::string& code) {
  auto r = client_.get("/v1/items/" + percentEncode(code));
  if (!r) {
    if (r.error().code == "not_found") return std::optional<std::string>();
    return r.error();
  }
  if (r->is_object() && r->contains("sku") && (*r)["sku"].is_string()) {
    return std::optional<std::string>((*r)["sku"].get<std::string>());
  }
  return std::optional<std::string>();
}

HandheldSession::HandheldSession(AgentClient& client, ItemLookup& lookup, Output out, HandheldOptions options)
    : client_(client), lookup_(lookup), out_(std::move(out)), options_(std::move(options)) {
  if (!options_.new_id) options_.new_id = [] { return common::newUuid(); };
}

std::string HandheldSession::modeName() const {
  switch (mode_) {
    case Mode::kIdle: return "idle";
    case Mode::kReceive: return "receive";
    case Mode::kCount: return "count";
    case Mode::kTransferOut: return "transfer-out";
    case Mode::kTransferIn: return "transfer-in";
    case Mode::kPick: return "pick";
  }
  return "?";
}

void HandheldSession::help() {
  say("commands: receive [EXPECTED.json] | count [all] | transfer-out TO | transfer-in FROM [EXPECTED.json] | "
      "pick | pick TASK_ID | qty N | undo | review | done | cancel | quit");
  say("scan a barcode (or type a code) to add one of that item to the current session");
}

void HandheldSession::start(Mode mode, const std::string& other_location, std::optional<Expected> expected) {
  if (mode_ != Mode::kIdle) {
    say("ERROR busy: finish (done) or cancel the " + modeName() + " session first");
    return;
  }
  mode_ = mode;
  other_location_ = other_location;
  expected_ = std::move(expected);
  tally_.clear();
  order_.clear();
  session_key_ = "handheld-" + options_.new_id();
  std::string what = modeName();
  if (!other_location_.empty()) what += " " + other_location_;
  if (expected_) what += " against " + expected_->id + " (" + std::to_string(expected_->lines.size()) + " lines expected)";
  say("STARTED " + what);
}

Result<HandheldSession::Expected> HandheldSession::loadExpected(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Error::reject("bad_expected", "cannot read " + path);
  json j = json::parse(in, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("lines") || !j["lines"].is_array()) {
    return Error::reject("bad_expected", path + ": expected {\"id\":..,\"lines\":[{\"sku\":..,\"qty\":N}]}");
  }
  Expected e;
  e.id = j.value("id", j.value("delivery_id", path));
  for (const auto& l : j["lines"]) {
    if (!l.is_object() || !l.contains("sku") || !l["sku"].is_string() || !l.contains("qty") ||
        !l["qty"].is_number_integer()) {
      return Error::reject("bad_expected", path + ": every line needs a string sku and a whole qty");
    }
    e.lines[l["sku"].get<std::string>()] += l["qty"].get<int64_t>();
  }
  return e;
}

void HandheldSession::addCode(const std::string& code, int64_t qty) {
  if (mode_ == Mode::kIdle) {
    say("ERROR no_session: start receive, count, transfer-out, transfer-in or pick first");
    return;
  }
  auto sku = lookup_.skuFor(code);
  std::string s = code;
  if (!sku) {
    say("WARN catalog lookup failed (" + sku.error().code + "); using the scanned code as SKU");
  } else if (*sku) {
    s = **sku;
  }
  if (!common::isValidSku(s)) {
    say("ERROR bad_sku: '" + s + "' cannot be a SKU");
    return;
  }
  if (mode_ == Mode::kPick && expected_ && !expected_->lines.count(s)) {
    say("ERROR not_on_pick_list: " + s + " is not on task " + expected_->id);
    return;
  }
  tally_[s] += qty;
  order_.push_back(s);
  std::string line = "OK " + s + " now " + std::to_string(tally_[s]);
  if (expected_ && expected_->lines.count(s)) {
    int64_t want = expected_->lines[s];
    line += " of " + std::to_string(want);
    if (tally_[s] > want) line += " (OVER by " + std::to_string(tally_[s] - want) + ")";
  } else if (expected_) {
    line += " (not expected)";
  }
  say(line);
}

void HandheldSession::handleScan(const std::string& message) {
  fw::ScanFailure failure;
  auto d = fw::decodeScan(message, options_.scan, &failure);
  if (!d) {
    // Never echo the scan itself when it was refused as card data.
    say("ERROR " + failure.error.code + ": " + failure.error.message);
    return;
  }
  std::string code = d->gtin ? *d->gtin : d->data;
  if (d->variable_measure) code = *fw::toGtin14(d->variable_measure->item_code);
  code = trim(code);
  if (code.empty()) {
    say("ERROR no_data: empty scan");
    return;
  }
  addCode(code, 1);
}

bool HandheldSession::handleLine(const std::string& raw) {
  std::string line = trim(raw);
  if (line.empty()) return true;
  if (line[0] == ']') {
    handleScan(line);
    return true;
  }
  if (common::containsCardData(line)) {
    say("ERROR card_data_refused: that looks like a payment card number; it was not recorded");
    return true;
  }
  std::istringstream ss(line);
  std::string cmd, arg, arg2;
  ss >> cmd >> arg >> arg2;
  if (cmd == "quit" || cmd == "exit") {
    if (mode_ != Mode::kIdle && !tally_.empty()) say("WARN leaving an unsubmitted " + modeName() + " session");
    return false;
  }
  if (cmd == "help" || cmd == "?") help();
  else if (cmd == "receive" || cmd == "transfer-in") {
    Mode m = cmd == "receive" ? Mode::kReceive : Mode::kTransferIn;
    std::string other = m == Mode::kTransferIn ? arg : "";
    std::string file = m == Mode::kTransferIn ? arg2 : arg;
    if (m == Mode::kTransferIn && other.empty()) {
      say("ERROR usage: transfer-in FROM_LOCATION [EXPECTED.json]");
      return true;
    }
    std::optional<Expected> expected;
    if (!file.empty()) {
      auto e = loadExpected(file);
      if (!e) {
        say("ERROR " + e.error().code + ": " + e.error().message);
        return true;
      }
      expected = std::move(*e);
    }
    start(m, other, std::move(expected));
  } else if (cmd == "count") {
    // "count all": a whole-location session; what is not scanned was not on the shelves (0).
    if (!arg.empty() && arg != "all") {
      say("ERROR usage: count [all]");
      return true;
    }
    if (mode_ == Mode::kIdle) count_location_ = arg == "all";
    start(Mode::kCount, "", std::nullopt);
    if (mode_ == Mode::kCount && count_location_) say("whole-location count: every SKU not scanned will be recorded as 0");
  } else if (cmd == "transfer-out") {
    if (arg.empty()) say("ERROR usage: transfer-out TO_LOCATION");
    else start(Mode::kTransferOut, arg, std::nullopt);
  } else if (cmd == "pick") {
    if (arg.empty()) listTasks();
    else startPick(arg);
  } else if (cmd == "qty") {
    int64_t n = -1;
    try {
      n = std::stoll(arg);
    } catch (...) {
    }
    if (order_.empty()) say("ERROR nothing scanned yet");
    else if (n < 0 || n > 1'000'000) say("ERROR qty must be a whole number 0..1000000");
    else {
      const std::string& sku = order_.back();
      tally_[sku] += n - 1;  // the scan already counted one
      say("OK " + sku + " now " + std::to_string(tally_[sku]));
    }
  } else if (cmd == "undo") {
    if (order_.empty()) say("ERROR nothing to undo");
    else {
      std::string sku = order_.back();
      order_.pop_back();
      if (--tally_[sku] <= 0) tally_.erase(sku);
      say("OK undone " + sku);
    }
  } else if (cmd == "review") review();
  else if (cmd == "done" || cmd == "submit") submit();
  else if (cmd == "cancel") {
    if (mode_ == Mode::kIdle) say("ERROR no session");
    else {
      say("CANCELLED " + modeName() + "; nothing was recorded");
      mode_ = Mode::kIdle;
      tally_.clear();
      order_.clear();
      expected_.reset();
    }
  } else if (mode_ != Mode::kIdle) {
    // A code typed by hand: a GTIN (normalised to 14 digits) or a SKU.
    std::string code = line;
    if (allDigits(code) && fw::gs1CheckDigitValid(code)) {
      if (auto g = fw::toGtin14(code)) code = *g;
    }
    addCode(code, 1);
  } else {
    say("ERROR unknown command '" + cmd + "' (type help)");
  }
  return true;
}

void HandheldSession::review() {
  if (mode_ == Mode::kIdle) {
    say("ERROR no session");
    return;
  }
  say("REVIEW " + modeName() + (expected_ ? " against " + expected_->id : ""));
  std::map<std::string, int64_t> all = tally_;
  if (expected_) {
    for (const auto& [sku, q] : expected_->lines) all.emplace(sku, 0);
  }
  for (const auto& [sku, got] : all) {
    std::string l = "  " + sku + " " + std::to_string(got);
    if (expected_) {
      auto it = expected_->lines.find(sku);
      int64_t want = it == expected_->lines.end() ? 0 : it->second;
      l += " / " + std::to_string(want);
      if (got < want) l += " SHORT " + std::to_string(want - got);
      else if (got > want) l += (it == expected_->lines.end() ? " UNEXPECTED" : " OVER " + std::to_string(got - want));
    }
    say(l);
  }
}

void HandheldSession::submit() {
  if (mode_ == Mode::kIdle) {
    say("ERROR no session");
    return;
  }
  if (mode_ == Mode::kPick) {
    json lines = json::array();
    int64_t short_total = 0;
    for (const auto& [sku, want] : expected_->lines) {
      auto it = tally_.find(sku);
      int64_t got = it == tally_.end() ? 0 : it->second;
      if (got < want) short_total += want - got;
      lines.push_back({{"sku", sku}, {"picked", got}});
    }
    auto r = client_.post("/v1/tasks/" + percentEncode(expected_->id) + "/confirm", {{"lines", lines}}, session_key_);
    if (!r) {
      say("ERROR " + r.error().code + ": " + r.error().message + " (type done to try again)");
      return;
    }
    say("CONFIRMED pick " + expected_->id + (short_total ? " with " + std::to_string(short_total) + " short" : ""));
  } else {
    if (tally_.empty() && mode_ != Mode::kCount) {
      say("ERROR nothing scanned");
      return;
    }
    json body;
    const char* qty_key = "qty";
    switch (mode_) {
      case Mode::kReceive: body["type"] = "receive"; break;
      case Mode::kCount:
        body["type"] = "count";
        qty_key = "counted";
        if (count_location_) body["scope"] = "location";
        break;
      case Mode::kTransferOut: body["type"] = "transfer_out"; break;
      case Mode::kTransferIn: body["type"] = "transfer_in"; break;
      default: break;
    }
    json lines = json::array();
    for (const auto& [sku, q] : tally_) {
      if (q > 0 || mode_ == Mode::kCount) lines.push_back({{"sku", sku}, {qty_key, q}});
    }
    if (lines.empty()) {
      say("ERROR nothing to submit");
      return;
    }
    body["lines"] = lines;
    if (!other_location_.empty()) body["other_location"] = other_location_;
    if (expected_) body["reason"] = "against " + expected_->id;
    body["idempotency_key"] = session_key_;
    auto r = client_.post("/v1/movements", body, session_key_);
    if (!r) {
      say("ERROR " + r.error().code + ": " + r.error().message + " (type done to try again)");
      return;
    }
    std::string seq = r->contains("seq") ? (*r)["seq"].dump() : "?";
    say("RECORDED " + modeName() + " " + std::to_string(lines.size()) + " lines as event seq " + seq);
  }
  mode_ = Mode::kIdle;
  tally_.clear();
  order_.clear();
  expected_.reset();
}

void HandheldSession::listTasks() {
  auto r = client_.get("/v1/tasks");
  if (!r) {
    say("ERROR " + r.error().code + ": " + r.error().message);
    return;
  }
  json tasks = r->is_array() ? *r : r->value("tasks", json::array());
  if (tasks.empty()) say("no pick tasks");
  for (const auto& t : tasks) {
    if (!t.is_object()) continue;
    say("TASK " + t.value("task_id", std::string("?")) + " order " + t.value("order_id", std::string("?")) + " " +
        std::to_string(t.contains("lines") && t["lines"].is_array() ? t["lines"].size() : 0) + " lines");
  }
}

void HandheldSession::startPick(const std::string& task_id) {
  auto r = client_.get("/v1/tasks");
  if (!r) {
    say("ERROR " + r.error().code + ": " + r.error().message);
    return;
  }
  json tasks = r->is_array() ? *r : r->value("tasks", json::array());
  for (const auto& t : tasks) {
    if (!t.is_object() || t.value("task_id", std::string()) != task_id) continue;
    Expected e;
    e.id = task_id;
    if (t.contains("lines") && t["lines"].is_array()) {
      for (const auto& l : t["lines"]) {
        if (l.is_object() && l.contains("sku") && l["sku"].is_string() && l.contains("qty") && l["qty"].is_number_integer()) {
          e.lines[l["sku"].get<std::string>()] += l["qty"].get<int64_t>();
        }
      }
    }
    start(Mode::kPick, "", std::move(e));
    for (const auto& [sku, q] : expected_->lines) say("  pick " + sku + " x" + std::to_string(q));
    return;
  }
  say("ERROR not_found: no pick task " + task_id);
}

// ------------------------------------------------------------------ the subcommand

const common::OptionTable& handheldOptions() {
  using Kind = common::OptionSpec::Kind;
  static const common::OptionTable table({
      {"agent", Kind::kText, "URL", "http://127.0.0.1:8700", 0, 0, "the agent's local API"},
      {"scanner", Kind::kText, "PATH", "", 0, 0,
       "a serial scanner (termios; a pty or /dev/ttyACM0); scans also come from stdin"},
      {"usb-vid", Kind::kText, "HEX", "", 0, 0, "with --usb-pid: find the scanner by USB ids (libserialport), also after a replug"},
      {"usb-pid", Kind::kText, "HEX", "", 0, 0, "the scanner's USB product id (default: any)"},
      {"scanner-settings", Kind::kText, "S", "9600,8N1", 0, 0, "serial settings"},
      {"scanner-protocol", Kind::kText, "P", "line", 0, 0, "line (CR/LF or pause ends a scan) or ssi (Zebra SSI packets)"},
      {"rcn-country", Kind::kText, "CC", "", 0, 0, "variable-measure EAN-13 layouts (SE NO DE DK GB FI EE LV LT)"},
  });
  return table;
}

namespace {

// A USB id as lsusb prints it: 1-4 hex digits, optionally after 0x.
std::optional<int> usbId(std::string text) {
  if (text.rfind("0x", 0) == 0 || text.rfind("0X", 0) == 0) text = text.substr(2);
  int v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v, 16);
  if (text.empty() || text.size() > 4 || ec != std::errc() || p != text.data() + text.size()) return std::nullopt;
  return v;
}

}  // namespace

int runHandheld(const common::ParsedOptions& parsed) {
  auto client = makeHttpAgentClient(parsed.text("agent"));
  if (!client) {
    std::fprintf(stderr, "stockwire-agent handheld: %s\n", client.error().message.c_str());
    return 2;
  }
  HandheldOptions options;
  if (parsed.has("rcn-country")) options.scan.rcn_layouts = fw::rcnLayoutsForCountry(parsed.text("rcn-country"));

  // One queue fed by stdin, the scanner and the termination signal; handled on this thread.
  struct Input {
    enum Kind { kLine, kScan, kNote, kQuit } kind;
    std::string text;
  };
  std::mutex mu;
  std::condition_variable cv;
  std::deque<Input> queue;
  auto push = [&](Input in) {
    {
      std::lock_guard<std::mutex> lock(mu);
      queue.push_back(std::move(in));
    }
    cv.notify_one();
  };

  std::unique_ptr<fw::ScannerReader> scanner;
  if (parsed.has("scanner") || parsed.has("usb-vid")) {
    auto settings = fw::parseSerialSettings(parsed.text("scanner-settings"));
    if (!settings) {
      std::fprintf(stderr, "stockwire-agent handheld: %s\n", settings.error().message.c_str());
      return 2;
    }
    fw::ScannerConfig sc;
    std::string proto = parsed.text("scanner-protocol");
    if (proto == "ssi") sc.mode = fw::ScannerMode::kSsi;
    else if (proto != "line") {
      std::fprintf(stderr, "stockwire-agent handheld: --scanner-protocol must be line or ssi\n");
      return 2;
    }
    fw::PortOpener opener;
    if (parsed.has("usb-vid")) {
      auto vid = usbId(parsed.text("usb-vid"));
      auto pid = parsed.has("usb-pid") ? usbId(parsed.text("usb-pid")) : std::optional<int>(-1);  // -1: any
      if (!vid || !pid) {
        std::fprintf(stderr, "stockwire-agent handheld: --usb-vid and --usb-pid are USB ids in hex (e.g. 05e0 1300)\n");
        return 2;
      }
      fw::PortMatch m;
      m.usb_vid = *vid;
      m.usb_pid = *pid;
      opener = fw::libSerialPortOpener(m, *settings);
    } else {
      opener = fw::termiosOpener(parsed.text("scanner"), *settings);
    }
    scanner = std::make_unique<fw::ScannerReader>(
        opener, sc,
        [&](const fw::ScannerEvent& ev) {
          if (ev.kind == fw::ScannerEvent::kScan) push({Input::kScan, ev.text});
          else if (ev.kind == fw::ScannerEvent::kConnected) push({Input::kNote, "SCANNER connected " + ev.detail});
          else push({Input::kNote, "SCANNER disconnected (" + ev.detail + ")"});
        },
        common::SystemClock::instance());
  }
  bool have_scanner = scanner != nullptr;
  // stdin reader: detached, because a blocking read cannot be interrupted; the process
  // exits when the session ends.
  std::thread([&push, have_scanner] {
    std::string line;
    while (std::getline(std::cin, line)) push({Input::kLine, line});
    if (!have_scanner) push({Input::kQuit, ""});
  }).detach();
  std::thread([&push] {
    common::waitForTerminationSignal();
    push({Input::kQuit, ""});
  }).detach();

  auto print = [](const std::string& s) {
    std::fputs(s.c_str(), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
  };
  AgentItemLookup lookup(**client);
  HandheldSession session(**client, lookup, print, options);
  print("stockwire handheld ready (type help)");
  if (scanner) scanner->start();
  while (true) {
    Input in;
    {
      std::unique_lock<std::mutex> lock(mu);
      cv.wait(lock, [&] { return !queue.empty(); });
      in = std::move(queue.front());
      queue.pop_front();
    }
    if (in.kind == Input::kQuit) break;
    if (in.kind == Input::kNote) print(in.text);
    else if (in.kind == Input::kScan) session.handleScan(in.text);
    else if (!session.handleLine(in.text)) break;
  }
  if (scanner) scanner->stop();
  print("bye");
  std::fflush(stdout);
  std::_Exit(0);  // the detached stdin and signal threads hold references to this frame
}

}  // namespace sw::agent
