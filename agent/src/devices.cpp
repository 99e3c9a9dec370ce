// The till's serial devices: configuration, scan feed, scale, receipt queue and drawer.
// No HTTP here (devices_http.cpp is the adapter); serial I/O goes through sw::fw.

#include "sw/agent/devices.h"

#include <algorithm>
#include <cstdlib>
#include <chrono>

#include "sw/agent/scan_decode.h"
#include "sw/common/codec.h"
#include "sw/common/log.h"
#include "sw/common/pricing.h"
#include "sw/fw/rcn.h"
#include "sw/fw/termios_serial_port.h"

namespace sw::agent {

using common::Error;
using common::Result;
using common::Status;
using nlohmann::json;

namespace {

__extension__ typedef __int128 Int128;  // exact money arithmetic (grams x price per pound)

constexpr size_t kMaxScansKept = 200;

Result<fw::SerialSettings> settingsOption(const common::Args& args, const std::string& name, const std::string& fallback) {
  auto s = fw::parseSerialSettings(args.getOr(name, fallback));
  if (!s) return Error::reject("bad_option", "--" + name + ": " + s.error().message);
  return s;
}

// Errors that say what the printer is doing, not that the link is bad: keep the port open.
bool printerStateError(const Error& e) {
  return e.code == "printer_paper_out" || e.code == "printer_cover_open" || e.code == "printer_offline";
}

}  // namespace

std::optional<common::Decimal> weighedAmount(int64_t grams, common::Decimal price, const std::string& unit) {
  Int128 num = static_cast<Int128>(grams) * price.scaled();  // price units x grams
  Int128 den;  // grams per price unit, scaled so that num / den is in price units
  if (unit == "kg") den = 1000;
  else if (unit == "g") den = 1;
  else if (unit == "lb") {
    num *= 100'000;
    den = 45'359'237;  // 453.59237 g
  } else if (unit == "oz") {
    num *= 1'000'000'000;
    den = 28'349'523'125;  // 28.349523125 g
  } else {
    return std::nullopt;
  }
  Int128 cent = 100;  // Decimal units per cent
  Int128 cents = (num + den * cent / 2) / (den * cent);
  return common::Decimal::fromUnits(static_cast<int64_t>(cents * 100));
}

int64_t weightInGrams(const fw::WeightReading& w) {
  Int128 num = w.value, den = 1;
  for (int i = 0; i < w.decimals; ++i) den *= 10;
  if (w.unit == "kg") num *= 1000;
  else if (w.unit == "lb") {
    num *= 45'359'237;
    den *= 100'000;
  } else if (w.unit == "oz") {
    num *= 28'349'523'125;
    den *= 1'000'000'000;
  }
  bool neg = num < 0;
  Int128 g = ((neg ? -num : num) + den / 2) / den;
  return static_cast<int64_t>(neg ? -g : g);
}

namespace {

std::string gramsText(int64_t grams, const std::string& unit) {
  fw::WeightReading w;
  if (unit == "kg") {
    w.value = grams;
    w.decimals = 3;
    return w.valueText() + " kg";
  }
  return std::to_string(grams) + " g";
}

}  // namespace

// ---------------------------------------------------------------- configuration

const std::vector<common::OptionSpec>& deviceOptions() {
  using Kind = common::OptionSpec::Kind;
  // PATH is a tty, a pty or a udev symlink, reopened after an unplug; S is serial settings such
  // as 9600,8N1 or 115200,8N1,rtscts. Each device is optional.
  static const std::vector<common::OptionSpec> kOptions = {
      {"scanner", Kind::kText, "PATH", "", 0, 0, "barcode scanner; decoded scans at GET /v1/scans"},
      {"scanner-model", Kind::kText, "M", "line", 0, 0, "line (CR/LF or a pause ends a scan) or ssi (Zebra SSI)"},
      {"scanner-settings", Kind::kText, "S", "9600,8N1", 0, 0, "the scanner's serial settings"},
      {"scale", Kind::kText, "PATH", "", 0, 0, "scale, read by POST /v1/scale/read"},
      {"scale-model", Kind::kText, "M", "toledo", 0, 0, "toledo (8213/SASI), mt-sics or cas"},
      {"scale-settings", Kind::kText, "S", "", 0, 0, "the scale's serial settings (default 9600,7E1 for toledo, else 9600,8N1)"},
      {"scale-unit", Kind::kText, "U", "kg", 0, 0, "the unit a Toledo scale weighs in: kg, g, lb or oz"},
      {"scale-settle-ms", Kind::kInt, "N", "3000", 0, 30'000, "how long a read waits for a moving weight to settle"},
      {"printer", Kind::kText, "PATH", "", 0, 0,
       "ESC/POS receipt printer: every sale and return gets a receipt, queued in\nthe store and printed by a "
       "worker (GET /v1/receipts, POST /v1/receipts/ID/print)"},
      {"printer-model", Kind::kText, "M", "escpos", 0, 0, "escpos (the only one)"},
      {"printer-settings", Kind::kText, "S", "9600,8N1", 0, 0, "the printer's serial settings"},
      {"drawer", Kind::kText, "D", "", 0, 0,
       "cash drawer for POST /v1/drawer/open: printer (on the printer's kick-out\nport) or PATH (a port of its own "
       "that takes the same ESC p pulse)"},
      {"drawer-model", Kind::kText, "M", "escpos-pin2", 0, 0, "escpos-pin2 or escpos-pin5: the kick-out connector pin"},
      {"drawer-settings", Kind::kText, "S", "9600,8N1", 0, 0, "the drawer's own port's serial settings"},
      {"receipt-header", Kind::kText, "T", "", 0, 0, "the receipt's first line (default: the location)"},
      {"receipt-footer", Kind::kText, "T", "", 0, 0, "its last line (default none)"},
      {"receipt-width", Kind::kInt, "N", "42", 24, 80, "characters per receipt line"},
      {"receipt-keep-days", Kind::kInt, "N", "30", 1, 3650, "printed receipts stay reprintable this long"},
      {"rcn-country", Kind::kText, "CC", "", 0, 0, "variable-measure EAN-13 layouts for decoded scans"},
  };
  return kOptions;
}

namespace {

const common::OptionSpec& deviceOption(const std::string& name) {
  for (const common::OptionSpec& o : deviceOptions()) {
    if (o.name == name) return o;
  }
  std::abort();  // a name not in the table is a bug here, not an input error
}

// An option's value, or its default from the table.
std::string value(const common::Args& args, const std::string& name) {
  return args.getOr(name, deviceOption(name).fallback);
}

// A whole-number option, checked against the table's range (the Args may come from anywhere).
Result<int64_t> whole(const common::Args& args, const std::string& name) {
  return common::wholeOption(deviceOption(name), args);
}

}  // namespace

Result<DevicesConfig> parseDevicesConfig(const common::Args& args, const std::string& location) {
  DevicesConfig c;
  c.scanner_port = args.getOr("scanner", "");
  std::string scanner_model = value(args, "scanner-model");
  if (scanner_model == "line") c.scanner_mode = fw::ScannerMode::kLine;
  else if (scanner_model == "ssi") c.scanner_mode = fw::ScannerMode::kSsi;
  else return Error::reject("bad_option", "--scanner-model must be line or ssi");
  auto ss = settingsOption(args, "scanner-settings", value(args, "scanner-settings"));
  if (!ss) return ss.error();
  c.scanner_settings = *ss;

  c.scale_port = args.getOr("scale", "");
  auto model = fw::parseScaleProtocol(value(args, "scale-model"));
  if (!model) return Error::reject("bad_option", "--scale-model must be toledo, mt-sics or cas");
  c.scale_model = *model;
  // Toledo 8213 scales usually run 9600 7E1; MT-SICS and CAS 9600 8N1 (shared/firmware/PROTOCOLS.md).
  auto sc = settingsOption(args, "scale-settings", c.scale_model == fw::ScaleProtocol::kToledo ? "9600,7E1" : "9600,8N1");
  if (!sc) return sc.error();
  c.scale_settings = *sc;
  c.scale_unit = value(args, "scale-unit");
  if (c.scale_unit != "kg" && c.scale_unit != "g" && c.scale_unit != "lb" && c.scale_unit != "oz") {
    return Error::reject("bad_option", "--scale-unit must be kg, g, lb or oz");
  }
  auto settle = whole(args, "scale-settle-ms");
  if (!settle) return settle.error();
  c.scale_settle_ms = static_cast<int>(*settle);

  c.printer_port = args.getOr("printer", "");
  if (value(args, "printer-model") != "escpos") return Error::reject("bad_option", "--printer-model must be escpos");
  auto ps = settingsOption(args, "printer-settings", value(args, "printer-settings"));
  if (!ps) return ps.error();
  c.printer_settings = *ps;

  c.drawer = args.getOr("drawer", "");
  if (c.drawer == "printer" && c.printer_port.empty()) {
    return Error::reject("bad_option", "--drawer printer needs --printer (the drawer hangs on the printer's kick-out port)");
  }
  std::string drawer_model = value(args, "drawer-model");
  if (drawer_model == "escpos-pin2") c.drawer_pin = 2;
  else if (drawer_model == "escpos-pin5") c.drawer_pin = 5;
  else return Error::reject("bad_option", "--drawer-model must be escpos-pin2 or escpos-pin5");
  auto ds = settingsOption(args, "drawer-settings", value(args, "drawer-settings"));
  if (!ds) return ds.error();
  c.drawer_settings = *ds;

  c.receipt_header = args.getOr("receipt-header", location);
  c.receipt_footer = args.getOr("receipt-footer", "");
  auto width = whole(args, "receipt-width");
  if (!width) return width.error();
  c.receipt_width = static_cast<int>(*width);
  auto keep = whole(args, "receipt-keep-days");
  if (!keep) return keep.error();
  c.receipt_keep_days = static_cast<int>(*keep);
  c.rcn_country = args.getOr("rcn-country", "");
  if (!c.rcn_country.empty() && fw::rcnLayoutsForCountry(c.rcn_country).empty()) {
    return Error::reject("bad_option", "--rcn-country: no variable-measure layouts for '" + c.rcn_country + "'");
  }
  return c;
}

// ---------------------------------------------------------------- scanner

ScanFeed::ScanFeed(fw::PortOpener opener, fw::ScannerConfig config, fw::ScanDecodeOptions decode, const common::Clock& clock)
    : decode_(std::move(decode)),
      clock_(clock),
      reader_(std::move(opener), config, [this](const fw::ScannerEvent& e) { onEvent(e); }, clock) {}

ScanFeed::~ScanFeed() { stop(); }

void ScanFeed::start() { reader_.start(); }
void ScanFeed::stop() { reader_.stop(); }

void ScanFeed::onEvent(const fw::ScannerEvent& e) {
  std::lock_guard<std::mutex> lock(mu_);
  if (e.kind == fw::ScannerEvent::kDisconnected) {
    last_disconnect_ = e.detail;
    return;
  }
  if (e.kind != fw::ScannerEvent::kScan) return;
  json body = json::parse(scanDecodeJson(e.text, decode_), nullptr, false);
  if (body.is_discarded()) body = json{{"valid", false}, {"error", {{"code", "bad_character"}}}};
  // Card data is refused and not kept, not even masked.
  if (body.contains("error") && body["error"].value("code", "") == "card_data_refused") body.erase("input");
  scans_.push_back({next_id_++, clock_.nowMs(), std::move(body)});
  while (scans_.size() > kMaxScansKept) scans_.pop_front();
  cv_.notify_all();
}

std::vector<ScanRecord> ScanFeed::since(uint64_t after, int wait_ms) {
  std::unique_lock<std::mutex> lock(mu_);
  auto has_new = [&] { return !scans_.empty() && scans_.back().id > after; };
  if (wait_ms > 0) cv_.wait_for(lock, std::chrono::milliseconds(wait_ms), has_new);
  std::vector<ScanRecord> out;
  for (const auto& s : scans_) {
    if (s.id > after) out.push_back(s);
  }
  return out;
}

json ScanFeed::statusJson() const {
  std::lock_guard<std::mutex> lock(mu_);
  json j = {{"state", fw::scannerStateName(reader_.state())}, {"reconnects", reader_.reconnects()},
            {"last_scan_id", next_id_ - 1}};
  if (!last_disconnect_.empty()) j["last_disconnect"] = last_disconnect_;
  return j;
}

// ---------------------------------------------------------------- scale

ScaleStation::ScaleStation(fw::PortOpener opener, fw::ScaleProtocol protocol, fw::ScaleOptions options, int settle_ms)
    : opener_(std::move(opener)), protocol_(protocol), options_(std::move(options)), settle_ms_(settle_ms) {}

Result<fw::WeightReading> ScaleStation::readStable() {
  std::lock_guard<std::mutex> lock(mu_);
  auto fail = [&](Error e) -> Result<fw::WeightReading> {
    last_error_ = e.code;
    return e;
  };
  auto start = std::chrono::steady_clock::now();
  auto settled_by = start + std::chrono::milliseconds(settle_ms_);
  while (true) {
    if (!port_) {
      auto p = opener_();
      if (!p) return fail(p.error());
      port_ = std::move(*p);
    }
    fw::Scale scale(*port_, protocol_, options_);
    auto r = scale.read();
    bool time_left = std::chrono::steady_clock::now() < settled_by;
    if (!r) {
      if (r.error().code == "scale_garbled" && time_left) continue;  // line noise: ask again
      if (r.error().code.rfind("port_", 0) == 0) port_.reset();         // unplugged: reopen next time
      return fail(r.error());
    }
    switch (r->status) {
      case fw::WeightStatus::kStable:
        if (r->value <= 0) return fail(Error::retry("no_weight", "nothing on the scale"));
        last_error_.clear();
        return r;
      case fw::WeightStatus::kMotion:
        if (!time_left) {
          return fail(Error::retry("weight_not_stable", "the weight was still moving after " + std::to_string(settle_ms_) + " ms"));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));  // let it settle, then ask again
        continue;
      case fw::WeightStatus::kOverRange:
        return fail(Error::retry("over_range", "the load is over the scale's range"));
      case fw::WeightStatus::kUnderZero:
        return fail(Error::retry("under_zero", "the scale reads below zero: empty it and zero it"));
      case fw::WeightStatus::kNoReading:
        return fail(Error::retry("no_reading", "the scale has no valid weight (outside its zero range?)"));
    }
  }
}

json ScaleStation::statusJson() const {
  std::lock_guard<std::mutex> lock(mu_);
  return json{{"open", port_ != nullptr}, {"last_error", last_error_}};
}

// ---------------------------------------------------------------- printer and drawer

template <typename Fn>
auto PrinterLink::withPrinter(Fn fn) -> decltype(fn(std::declval<fw::EscPosPrinter&>())) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!port_) {
    auto p = opener_();
    if (!p) return p.error();
    port_ = std::move(*p);
  }
  fw::EscPosPrinter printer(*port_, timeout_ms_);
  auto r = fn(printer);
  if (!r && !printerStateError(r.error())) port_.reset();  // unplugged or silent: reopen next time
  return r;
}

Status PrinterLink::print(const fw::Receipt& receipt) {
  return withPrinter([&](fw::EscPosPrinter& p) { return p.print(receipt); });
}

Status PrinterLink::openDrawer(int pin) {
  return withPrinter([&](fw::EscPosPrinter& p) { return p.openDrawer(pin, 50, 500); });
}

// ---------------------------------------------------------------- receipts

ReceiptQueue::ReceiptQueue(Store& store, PrinterLink& printer, const common::Clock& clock, Options options)
    : store_(store), printer_(printer), clock_(clock), options_(std::move(options)) {}

ReceiptQueue::~ReceiptQueue() { stop(); }

namespace {

// Step 1 is what releases before schema versions created (IF NOT EXISTS): it leaves their
// tables as they are and records version 1.
constexpr const char* kReceiptComponent = "agent_receipts";
const std::vector<std::string> kReceiptSchema = {
    "CREATE TABLE IF NOT EXISTS receipt (id INTEGER PRIMARY KEY AUTOINCREMENT, seq INTEGER NOT NULL UNIQUE,"
    " event_id TEXT NOT NULL, type TEXT NOT NULL, created_at_ms INTEGER NOT NULL, body TEXT NOT NULL,"
    " state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT NOT NULL DEFAULT '',"
    " printed_at_ms INTEGER, prints INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX IF NOT EXISTS receipt_pending ON receipt(state, id);"
    "CREATE TABLE IF NOT EXISTS receipt_cursor (id INTEGER PRIMARY KEY CHECK (id = 1), through_seq INTEGER NOT NULL);"
    "INSERT OR IGNORE INTO receipt_cursor (id, through_seq) SELECT 1, last_seq FROM counters;",
};

}  // namespace

Status ReceiptQueue::createTables(Store& store) {
  return store.migrate({kReceiptComponent, kReceiptSchema, ""});
}

common::SchemaVersion ReceiptQueue::schemaVersion() {
  return {kReceiptComponent, static_cast<int64_t>(kReceiptSchema.size())};
}

Status ReceiptQueue::ingest() {
  const std::string location = store_.location();
  return store_.transaction([&](common::SqliteDb& db) -> Status {
    auto through = db.queryInt("SELECT through_seq FROM receipt_cursor WHERE id = 1");
    if (!through) return through.error();
    auto events = db.prepare("SELECT seq, body FROM outbox WHERE seq > ? ORDER BY seq LIMIT 200");
    if (!events) return events.error();
    events->bind(1, *through);
    auto item = db.prepare("SELECT name, unit, weight_priced FROM catalog_item WHERE location = ? AND sku = ?");
    auto task = db.prepare("SELECT 1 FROM pick_tasks WHERE task_id = ?");  // absent on a bare store: no tasks
    auto insert = db.prepare(
        "INSERT OR IGNORE INTO receipt (seq, event_id, type, created_at_ms, body, state) VALUES (?, ?, ?, ?, ?, ?)");
    if (!insert) return insert.error();
    int64_t last = *through;
    while (true) {
      auto r = events->step();
      if (!r) return r.error();
      if (!*r) break;
      last = events->columnInt(0);
      auto e = common::decodeEvent(events->columnView(1));
      if (!e) {
        SW_WARN("receipts") << "seq " << last << " could not be decoded: " << e.error().toString();
        continue;
      }
      if (e->type != common::EventType::kSale && e->type != common::EventType::kReturn) continue;
      if (!e->ref.empty() && task) {
        task->reset();
        task->bind(1, e->ref);
        auto t = task->step();
        if (!t) return t.error();
        if (*t) continue;  // a pick confirmed for an online order: no till receipt
      }
      json lines = json::array();
      int64_t total = 0;
      for (const auto& l : e->lines) {
        std::string description = l.sku, unit = "each";
        bool weighed = false;
        if (item) {
          item->reset();
          item->bind(1, location).bind(2, l.sku);
          auto found = item->step();
          if (!found) return found.error();
          if (*found) {
            description = item->columnText(0);
            unit = item->columnText(1);
            weighed = item->columnInt(2) != 0;
          }
        }
        json jl = {{"sku", l.sku}, {"description", description}, {"qty", l.qty}};
        common::Decimal amount;
        std::string detail;
        std::optional<common::Decimal> weighed_amount;
        if (l.unit_price && weighed) weighed_amount = weighedAmount(l.qty, *l.unit_price, unit);
        if (!l.unit_price) {
          detail = "price not recorded";
        } else if (weighed_amount) {
          amount = *weighed_amount;  // qty is grams for weighed goods (common/event.h)
          detail = gramsText(l.qty, unit) + " @ " + l.unit_price->toString() + "/" + unit;
        } else {
          amount = common::Decimal::fromUnits(l.unit_price->scaled() * l.qty);
          if (l.qty != 1) detail = std::to_string(l.qty) + " x " + l.unit_price->toString();
        }
        jl["unit_price"] = l.unit_price ? json(l.unit_price->toString()) : json(nullptr);
        jl["amount"] = amount.toString();
        jl["detail"] = detail;
        total += amount.scaled();
        lines.push_back(std::move(jl));
      }
      json body = {{"type", std::string(common::eventTypeName(e->type))}, {"event_id", e->event_id}, {"seq", last},
                   {"occurred_at_ms", e->occurred_at_ms}, {"time", common::formatIsoUtcMs(e->occurred_at_ms)},
                   {"lines", lines}, {"total", common::Decimal::fromUnits(total).toString()}};
      insert->reset();
      insert->bind(1, last).bind(2, e->event_id).bind(3, std::string(common::eventTypeName(e->type)))
          .bind(4, clock_.nowMs()).bind(5, body.dump(-1, ' ', false, json::error_handler_t::replace))
          .bind(6, std::string(clock_.nowMs() - e->occurred_at_ms > options_.hold_after_ms ? "held" : "pending"));
      if (auto s = insert->run(); !s) return s;
    }
    bool prune = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (clock_.monoMs() >= next_prune_ms_) {
        prune = true;
        next_prune_ms_ = clock_.monoMs() + 3600 * 1000;
      }
    }
    if (prune) {
      auto del = db.prepare("DELETE FROM receipt WHERE state = 'printed' AND printed_at_ms < ?");
      if (!del) return del.error();
      del->bind(1, clock_.nowMs() - options_.keep_printed_ms);
      if (auto s = del->run(); !s) return s;
    }
    if (last == *through) return {};
    auto cur = db.prepare("UPDATE receipt_cursor SET through_seq = ? WHERE id = 1");
    if (!cur) return cur.error();
    cur->bind(1, last);
    return cur->run();
  });
}

bool ReceiptQueue::step() {
  if (auto s = ingest(); !s) {
    SW_WARN("receipts") << "reading new sales failed: " << s.error().toString();
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (clock_.monoMs() < next_attempt_ms_) return false;
  }
  int64_t id = 0;
  int64_t prints = 0;
  std::string body_text;
  auto s = store_.read([&](common::SqliteDb& db) -> Status {
    auto st = db.prepare("SELECT id, body, prints FROM receipt WHERE state = 'pending' ORDER BY id LIMIT 1");
    if (!st) return st.error();
    auto r = st->step();
    if (!r) return r.error();
    if (*r) {
      id = st->columnInt(0);
      body_text = st->columnText(1);
      prints = st->columnInt(2);
    }
    return {};
  });
  if (!s || id == 0) return false;
  json body = json::parse(body_text, nullptr, false);
  fw::Receipt receipt;
  receipt.header = options_.header;
  receipt.footer = options_.footer;
  receipt.width = options_.width;
  if (!body.is_discarded()) {
    std::string type = body.value("type", "sale");
    receipt.title = type == "return" ? "RETURN" : "";
    if (prints > 0) receipt.title += receipt.title.empty() ? "COPY" : " COPY";
    receipt.reference = body.value("event_id", "");
    receipt.barcode = receipt.reference;  // scanned back at the till for a return (ref)
    receipt.time_text = body.value("time", "");
    for (const auto& l : body.value("lines", json::array())) {
      fw::ReceiptLine line;
      line.description = l.value("description", l.value("sku", ""));
      line.qty = l.value("qty", int64_t{0});
      if (l.contains("unit_price") && l["unit_price"].is_string()) {
        if (auto p = common::Decimal::parse(l["unit_price"].get<std::string>())) line.unit_price = *p;
      }
      if (auto a = common::Decimal::parse(l.value("amount", "0.00"))) line.amount = *a;
      line.detail = l.value("detail", "");
      receipt.lines.push_back(std::move(line));
    }
  }
  Status printed = printer_.print(receipt);
  std::string error = printed ? "" : printed.error().code;
  auto u = store_.transaction([&](common::SqliteDb& db) -> Status {
    auto st = db.prepare(printed ? "UPDATE receipt SET state = 'printed', attempts = attempts + 1, prints = prints + 1,"
                                   " last_error = '', printed_at_ms = ? WHERE id = ?"
                                 : "UPDATE receipt SET attempts = attempts + 1, last_error = ? WHERE id = ?");
    if (!st) return st.error();
    if (printed) st->bind(1, clock_.nowMs());
    else st->bind(1, error);
    st->bind(2, id);
    return st->run();
  });
  if (!u) SW_WARN("receipts") << "receipt " << id << ": could not record the attempt: " << u.error().toString();
  std::lock_guard<std::mutex> lock(mu_);
  if (printed) {
    backoff_ms_ = 0;
    last_error_.clear();
    return true;
  }
  if (last_error_ != error) SW_WARN("receipts") << "receipt " << id << " waits: " << printed.error().toString();
  last_error_ = error;
  backoff_ms_ = backoff_ms_ == 0 ? options_.min_backoff_ms : std::min(backoff_ms_ * 2, options_.max_backoff_ms);
  next_attempt_ms_ = clock_.monoMs() + backoff_ms_;
  return false;
}

void ReceiptQueue::start() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = false;
  }
  thread_ = std::thread([this] { run(); });
}

void ReceiptQueue::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void ReceiptQueue::notify() {
  std::lock_guard<std::mutex> lock(mu_);
  wake_ = true;
  cv_.notify_all();
}

void ReceiptQueue::run() {
  while (true) {
    bool printed = step();
    std::unique_lock<std::mutex> lock(mu_);
    if (stop_) return;
    if (printed) continue;  // more may be waiting
    int64_t wait = options_.poll_ms;
    if (next_attempt_ms_ > clock_.monoMs()) wait = std::min<int64_t>(wait, next_attempt_ms_ - clock_.monoMs());
    cv_.wait_for(lock, std::chrono::milliseconds(std::max<int64_t>(wait, 1)), [&] { return wake_ || stop_; });
    wake_ = false;
    if (stop_) return;
  }
}

Result<json> ReceiptQueue::list(size_t limit, const std::string& state) {
  json out = json::array();
  auto s = store_.read([&](common::SqliteDb& db) -> Status {
    auto st = db.prepare(
        "SELECT id, seq, event_id, type, state, attempts, prints, last_error, created_at_ms, printed_at_ms, body"
        " FROM receipt WHERE (? = '' OR state = ?) ORDER BY id DESC LIMIT ?");
    if (!st) return st.error();
    st->bind(1, state).bind(2, state).bind(3, static_cast<int64_t>(limit));
    if (auto each_ok = st->eachRow([&](const common::SqliteStmt&) {
      json body = json::parse(st->columnText(10), nullptr, false);
      out.push_back({{"id", st->columnInt(0)}, {"seq", st->columnInt(1)}, {"event_id", st->columnText(2)},
                     {"type", st->columnText(3)}, {"state", st->columnText(4)}, {"attempts", st->columnInt(5)},
                     {"prints", st->columnInt(6)}, {"last_error", st->columnText(7)},
                     {"created_at_ms", st->columnInt(8)},
                     {"printed_at_ms", st->columnIsNull(9) ? json(nullptr) : json(st->columnInt(9))},
                     {"total", body.is_discarded() ? json(nullptr) : body.value("total", json(nullptr))},
                     {"lines", body.is_discarded() ? json::array() : body.value("lines", json::array())}});
    }); !each_ok) {
      return each_ok.error();
    }
    return {};
  });
  if (!s) return s.error();
  return json{{"receipts", out}};
}

Result<json> ReceiptQueue::reprint(int64_t id) {
  bool found = false;
  auto s = store_.transaction([&](common::SqliteDb& db) -> Status {
    auto st = db.prepare("UPDATE receipt SET state = 'pending' WHERE id = ?");
    if (!st) return st.error();
    st->bind(1, id);
    if (auto r = st->run(); !r) return r;
    found = db.changes() > 0;
    return {};
  });
  if (!s) return s.error();
  if (!found) return Error::reject("not_found", "no receipt " + std::to_string(id));
  {
    std::lock_guard<std::mutex> lock(mu_);
    next_attempt_ms_ = 0;  // someone is at the printer: try now
    backoff_ms_ = 0;
    wake_ = true;
  }
  cv_.notify_all();
  return json{{"id", id}, {"state", "pending"}};
}

json ReceiptQueue::statusJson() {
  json j = {{"pending", 0}};
  (void)store_.read([&](common::SqliteDb& db) -> Status {
    auto n = db.queryInt("SELECT COUNT(*) FROM receipt WHERE state = 'pending'");
    if (n) j["pending"] = *n;
    return {};
  });
  std::lock_guard<std::mutex> lock(mu_);
  j["last_error"] = last_error_;
  return j;
}

// ---------------------------------------------------------------- all devices

Devices::Devices(Store& s, const DevicesConfig& config, const common::Clock& c) : store(s), clock(c) {
  if (!config.scanner_port.empty()) {
    fw::ScannerConfig sc;
    sc.mode = config.scanner_mode;
    fw::ScanDecodeOptions decode;
    if (!config.rcn_country.empty()) decode.rcn_layouts = fw::rcnLayoutsForCountry(config.rcn_country);
    scanner = std::make_unique<ScanFeed>(fw::termiosOpener(config.scanner_port, config.scanner_settings), sc, decode, clock);
  }
  if (!config.scale_port.empty()) {
    fw::ScaleOptions so;
    so.unit = config.scale_unit;
    scale = std::make_unique<ScaleStation>(fw::termiosOpener(config.scale_port, config.scale_settings), config.scale_model, so,
                                           config.scale_settle_ms);
  }
  if (!config.printer_port.empty()) {
    printer = std::make_unique<PrinterLink>(fw::termiosOpener(config.printer_port, config.printer_settings));
    ReceiptQueue::Options ro;
    ro.header = config.receipt_header;
    ro.footer = config.receipt_footer;
    ro.width = config.receipt_width;
    ro.keep_printed_ms = int64_t{config.receipt_keep_days} * 24 * 3600 * 1000;
    receipts = std::make_unique<ReceiptQueue>(store, *printer, clock, ro);
  }
  if (config.drawer == "printer") {
    drawer = std::make_unique<CashDrawer>(*printer, config.drawer_pin);
  } else if (!config.drawer.empty()) {
    drawer_port = std::make_unique<PrinterLink>(fw::termiosOpener(config.drawer, config.drawer_settings));
    drawer = std::make_unique<CashDrawer>(*drawer_port, config.drawer_pin);
  }
}

Devices::~Devices() { stop(); }

Status Devices::start() {
  if (receipts) {
    if (auto s = ReceiptQueue::createTables(store); !s) return s;
    receipts->start();
  }
  if (scanner) scanner->start();
  return {};
}

void Devices::stop() {
  if (scanner) scanner->stop();
  if (receipts) receipts->stop();
}

json Devices::statusJson() {
  json j = json::object();
  j["scanner"] = scanner ? scanner->statusJson() : json(nullptr);
  j["scale"] = scale ? scale->statusJson() : json(nullptr);
  j["printer"] = receipts ? receipts->statusJson() : json(nullptr);
  j["drawer"] = drawer ? json{{"attached", true}} : json(nullptr);
  return j;
}

}  // namespace sw::agent
