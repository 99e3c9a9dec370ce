#pragma once
// ESC/POS receipt printers and the cash drawer on their drawer-kick port.
// EscPosBuilder makes command bytes; renderReceipt lays out a sale; parseStatus reads
// DLE EOT replies; EscPosPrinter talks to a printer over a SerialPort (no thread).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sw/common/decimal.h"
#include "sw/common/result.h"
#include "sw/fw/serial_port.h"

namespace sw::fw {

class EscPosBuilder {
 public:
  EscPosBuilder& init();                       // ESC @
  EscPosBuilder& text(const std::string& s);   // printable ASCII; other bytes become '?'
  EscPosBuilder& line(const std::string& s);   // text + LF
  EscPosBuilder& align(int a);                 // 0 left, 1 centre, 2 right
  EscPosBuilder& bold(bool on);                // ESC E n
  EscPosBuilder& size(int width, int height);  // GS ! n, 1..8 each
  EscPosBuilder& feed(int lines);              // ESC d n
  EscPosBuilder& cut(bool partial, int feed_units = 3);  // GS V 65/66 n
  EscPosBuilder& drawerPulse(int pin, int on_ms, int off_ms);  // ESC p m t1 t2 (pin 2 or 5)
  // QR code (model 2, error correction M) of printable ASCII data, module_size 1..16 dots:
  // GS ( k functions 165 (model), 167 (size), 169 (correction), 180 (store), 181 (print).
  EscPosBuilder& qrCode(const std::string& data, int module_size = 6);
  const std::string& bytes() const { return out_; }

 private:
  std::string out_;
};

struct ReceiptLine {
  std::string description;
  int64_t qty = 1;
  common::Decimal unit_price;
  // When set, the line's amount as charged (weighed goods: weight x price per kg); else qty x unit_price.
  std::optional<common::Decimal> amount;
  std::string detail;  // second line, e.g. "1.234 kg @ 3.49/kg"; empty: "qty x unit_price" when qty != 1
};
common::Decimal lineAmount(const ReceiptLine& line);

struct Receipt {
  std::string header;      // store name
  std::string title;       // printed under the header when set, e.g. "RETURN" or "COPY"
  std::string reference;   // sale / event id
  std::string time_text;
  std::vector<ReceiptLine> lines;
  std::string footer;
  std::string barcode;     // printed as a QR code under the reference when set (the sale's event id)
  int width = 42;          // characters per line (42 on 80 mm paper, font A)
  bool cut = true;
  bool open_drawer = false;
};

common::Decimal receiptTotal(const Receipt& r);
std::string renderReceipt(const Receipt& r);

struct PrinterStatus {
  bool online = true;
  bool cover_open = false;
  bool paper_out = false;
  bool paper_near_end = false;
  bool drawer_pin3_high = false;  // drawer open or closed depends on the drawer [verify]
  bool feed_button = false;
  bool error = false;             // any of the error causes below
  bool autocutter_error = false;
  bool unrecoverable_error = false;
  bool auto_recoverable_error = false;
  std::string summary() const;    // "ok", or "paper_out,cover_open"
};

namespace escpos {
inline constexpr uint8_t kDle = 0x10, kEot = 0x04;
// Applies one DLE EOT n reply byte to *status. Rejects bytes whose fixed bits are wrong
// (bits 1 and 4 set, bits 0 and 7 clear), which means the reply was garbled.
common::Status applyStatusByte(int n, uint8_t byte, PrinterStatus* status);
// The reply byte an idle printer with `status` would give for DLE EOT n (for emulators and tests).
uint8_t statusByteFor(int n, const PrinterStatus& status);
}  // namespace escpos

class EscPosPrinter {
 public:
  explicit EscPosPrinter(SerialPort& port, int timeout_ms = 1000) : port_(port), timeout_ms_(timeout_ms) {}
  // Real-time status (DLE EOT 1, 2, 3, 4). A silent printer gives retry "printer_not_responding".
  common::Result<PrinterStatus> status();
  // Checks status first: paper out, cover open or offline give a retry error and print nothing.
  common::Status print(const Receipt& receipt);
  common::Status openDrawer(int pin = 2, int on_ms = 50, int off_ms = 500);

 private:
  common::Result<uint8_t> query(int n);
  SerialPort& port_;
  int timeout_ms_;
};

}  // namespace sw::fw
