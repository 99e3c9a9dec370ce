#pragma once
// The serial devices a till owns (scanner, scale, receipt printer, cash drawer) and what the
// agent does with them. Each device is optional: configured by port and model (devices config
// keys, see parseDevicesConfig), opened lazily, and reopened after an unplug.
//
//   ScanFeed       one ScannerReader thread; decoded scans kept in memory (the last 200) for
//                  GET /v1/scans. Card data is never kept: only the error code is.
//   ScaleStation   POST /v1/scale/read: requests weights until one is stable (or says why not).
//   PrinterLink    the printer's port, shared (under one mutex) by receipts and the drawer kick.
//   ReceiptQueue   receipts for sales and returns, queued durably in the store's database and
//                  printed by one worker thread, so a sale never waits for the printer.
//   CashDrawer     POST /v1/drawer/open: ESC p on the printer's kick-out port (or its own port).
//
// ReceiptQueue tables (CREATE TABLE IF NOT EXISTS, outside the store's numbered schema):
//   receipt(id PK, seq UNIQUE, event_id, type, created_at_ms, body JSON, state, attempts,
//           last_error, printed_at_ms, prints)
//     state: pending --printed ok--> printed --POST /v1/receipts/{id}/print--> pending (a copy)
//            held (the sale was already older than hold_after_ms when the queue saw it: a printer
//            attached again after days away does not print them all) --POST .../print--> pending
//            pending --print fails (paper out, offline, unplugged)--> pending, last_error set,
//            retried after a backoff (0.5 s doubling to 10 s); sales go on meanwhile.
//     Printed receipts are deleted keep_printed_ms (30 days) after printing (checked hourly).
//   receipt_cursor(id=1, through_seq): the outbox seq the queue has looked at. The worker reads
//     sales and returns after it from the outbox, so a receipt is never lost between the sale's
//     commit and the queue (a crash there is caught up at the next start). Created at the
//     store's last seq, so turning a printer on does not print the history.
// Sales that confirm a pick task (ref = a task in pick_tasks) are online orders: no receipt.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "sw/agent/store.h"
#include "sw/common/args.h"
#include "sw/common/clock.h"
#include "sw/common/result.h"
#include "sw/fw/escpos.h"
#include "sw/fw/scale.h"
#include "sw/fw/scan.h"
#include "sw/fw/scanner_reader.h"
#include "sw/fw/serial_port.h"

namespace sw::agent {

struct DevicesConfig {
  // Empty port: the device is not attached.
  std::string scanner_port;
  fw::ScannerMode scanner_mode = fw::ScannerMode::kLine;
  fw::SerialSettings scanner_settings;
  std::string scale_port;
  fw::ScaleProtocol scale_model = fw::ScaleProtocol::kToledo;
  fw::SerialSettings scale_settings;
  std::string scale_unit = "kg";  // Toledo replies carry no unit
  int scale_settle_ms = 3000;     // how long POST /v1/scale/read waits for a stable weight
  std::string printer_port;
  fw::SerialSettings printer_settings;
  // "" (no drawer), "printer" (the printer's kick-out port) or a serial port of its own.
  std::string drawer;
  int drawer_pin = 2;  // kick-out connector pin: 2 or 5
  fw::SerialSettings drawer_settings;  // when the drawer has a port of its own
  std::string receipt_header;  // default: the location
  std::string receipt_footer;
  int receipt_width = 42;
  int receipt_keep_days = 30;  // printed receipts (reprintable) are kept this long
  std::string rcn_country;  // variable-measure EAN-13 layouts for decoded scans
};

// The run options that configure devices, declared once with their help (part of `run`'s table,
// so of its --help and config file); parseDevicesConfig reads and checks them.
const std::vector<common::OptionSpec>& deviceOptions();
// --scanner PATH --scanner-model line|ssi --scanner-settings 9600,8N1
// --scale PATH --scale-model toledo|mt-sics|cas --scale-settings S --scale-unit kg --scale-settle-ms N
// --printer PATH --printer-model escpos --printer-settings S
// --drawer printer|PATH --drawer-model escpos-pin2|escpos-pin5 --drawer-settings S
// --receipt-header T --receipt-footer T --receipt-width N --receipt-keep-days N
common::Result<DevicesConfig> parseDevicesConfig(const common::Args& args, const std::string& location);

// A weight in whole grams (the base unit of weighed goods in sale lines, common/event.h),
// rounded half up; lb and oz by their exact definitions.
int64_t weightInGrams(const fw::WeightReading& w);
// What `grams` cost at `price` per `unit` (kg, g, lb, oz), rounded half up to cents;
// nullopt for a unit that is not a weight.
std::optional<common::Decimal> weighedAmount(int64_t grams, common::Decimal price, const std::string& unit);

// One decoded scan as GET /v1/scans shows it.
struct ScanRecord {
  uint64_t id = 0;
  int64_t at_ms = 0;
  nlohmann::json body;  // symbology, gtin, ais, or error (code only for card data)
};

class ScanFeed {
 public:
  ScanFeed(fw::PortOpener opener, fw::ScannerConfig config, fw::ScanDecodeOptions decode, const common::Clock& clock);
  ~ScanFeed();
  void start();
  void stop();
  // Scans with id > after; waits up to wait_ms for the first one when there is none.
  std::vector<ScanRecord> since(uint64_t after, int wait_ms);
  nlohmann::json statusJson() const;

 private:
  void onEvent(const fw::ScannerEvent& e);

  fw::ScanDecodeOptions decode_;
  const common::Clock& clock_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<ScanRecord> scans_;
  uint64_t next_id_ = 1;
  std::string last_disconnect_;
  fw::ScannerReader reader_;
};

class ScaleStation {
 public:
  ScaleStation(fw::PortOpener opener, fw::ScaleProtocol protocol, fw::ScaleOptions options, int settle_ms);
  // A stable, positive weight, or why not: weight_not_stable (still moving after settle_ms),
  // over_range, under_zero, no_weight (nothing on the scale), scale_timeout, port_* errors.
  common::Result<fw::WeightReading> readStable();
  nlohmann::json statusJson() const;

 private:
  fw::PortOpener opener_;
  fw::ScaleProtocol protocol_;
  fw::ScaleOptions options_;
  int settle_ms_;
  mutable std::mutex mu_;
  std::unique_ptr<fw::SerialPort> port_;
  std::string last_error_;
};

// The printer's port, opened on first use and dropped after any failure so the next use
// reopens it (an unplugged printer, or an emulator that came back on a new pty).
class PrinterLink {
 public:
  explicit PrinterLink(fw::PortOpener opener, int timeout_ms = 1000) : opener_(std::move(opener)), timeout_ms_(timeout_ms) {}
  common::Status print(const fw::Receipt& receipt);
  common::Status openDrawer(int pin);

 private:
  template <typename Fn>
  auto withPrinter(Fn fn) -> decltype(fn(std::declval<fw::EscPosPrinter&>()));
  fw::PortOpener opener_;
  int timeout_ms_;
  std::mutex mu_;
  std::unique_ptr<fw::SerialPort> port_;
};

class ReceiptQueue {
 public:
  struct Options {
    std::string header;
    std::string footer;
    int width = 42;
    int min_backoff_ms = 500;
    int max_backoff_ms = 10'000;
    int poll_ms = 1000;  // also looks at the outbox this often (besides notify())
    int64_t keep_printed_ms = 30LL * 24 * 3600 * 1000;  // printed receipts are deleted after this
    int64_t hold_after_ms = 10 * 60 * 1000;  // sales older than this when first seen are held, not printed
  };
  ReceiptQueue(Store& store, PrinterLink& printer, const common::Clock& clock, Options options);
  ~ReceiptQueue();
  // Creates the tables; the cursor starts at the store's last seq.
  static common::Status createTables(Store& store);
  // The version createTables brings them to (component agent_receipts).
  static common::SchemaVersion schemaVersion();
  void start();
  void stop();
  // A sale or return was recorded: look at the outbox now (cheap; never blocks on the printer).
  void notify();
  // Newest first (state "" for all, or pending, printed, held): {"receipts":[{"id","seq","event_id","type","state","attempts","prints","last_error",
  // "created_at_ms","printed_at_ms","total","lines"}]}
  common::Result<nlohmann::json> list(size_t limit, const std::string& state = "");
  // Queues receipt id to be printed again (as a copy). not_found for an unknown id.
  common::Result<nlohmann::json> reprint(int64_t id);
  nlohmann::json statusJson();

  // One pass of the worker (tests may drive it without the thread): takes new sales from the
  // outbox, then prints the oldest pending receipt if its backoff has passed. True if it printed.
  bool step();

 private:
  common::Status ingest();
  void run();

  Store& store_;
  PrinterLink& printer_;
  const common::Clock& clock_;
  Options options_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool wake_ = false;
  int backoff_ms_ = 0;
  int64_t next_attempt_ms_ = 0;  // steady time in ms
  int64_t next_prune_ms_ = 0;    // steady time in ms; pruning runs at most hourly
  std::string last_error_;
  std::thread thread_;
};

class CashDrawer {
 public:
  CashDrawer(PrinterLink& link, int pin) : link_(link), pin_(pin) {}
  common::Status open() { return link_.openDrawer(pin_); }

 private:
  PrinterLink& link_;
  int pin_;
};

// Everything configured, owned in one place (agent_main); null members are not attached.
class Devices {
 public:
  Devices(Store& store, const DevicesConfig& config, const common::Clock& clock);
  ~Devices();
  common::Status start();  // creates the receipt tables and starts the threads
  void stop();
  void saleRecorded() {
    if (receipts) receipts->notify();
  }
  nlohmann::json statusJson();

  std::unique_ptr<ScanFeed> scanner;
  std::unique_ptr<ScaleStation> scale;
  std::unique_ptr<PrinterLink> printer;
  std::unique_ptr<PrinterLink> drawer_port;  // when the drawer has a port of its own
  std::unique_ptr<ReceiptQueue> receipts;
  std::unique_ptr<CashDrawer> drawer;
  Store& store;
  const common::Clock& clock;
};

}  // namespace sw::agent
