#include "sw/fw/escpos.h"

#include <algorithm>
#include <chrono>

namespace sw::fw {

using common::Error;

namespace {

int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::string twoColumns(const std::string& left, const std::string& right, int width) {
  size_t w = static_cast<size_t>(width);
  std::string l = left.substr(0, w > right.size() + 1 ? w - right.size() - 1 : 0);
  return l + std::string(w - l.size() - std::min(right.size(), w - l.size()), ' ') + right;
}

}  // namespace

EscPosBuilder& EscPosBuilder::init() {
  out_ += "\x1b@";
  return *this;
}

EscPosBuilder& EscPosBuilder::text(const std::string& s) {
  for (char c : s) out_ += (c >= 0x20 && c < 0x7f) ? c : '?';
  return *this;
}

EscPosBuilder& EscPosBuilder::line(const std::string& s) {
  text(s);
  out_ += '\n';
  return *this;
}

EscPosBuilder& EscPosBuilder::align(int a) {
  out_ += "\x1b\x61";
  out_ += static_cast<char>(std::clamp(a, 0, 2));
  return *this;
}

EscPosBuilder& EscPosBuilder::bold(bool on) {
  out_ += "\x1b\x45";
  out_ += static_cast<char>(on ? 1 : 0);
  return *this;
}

EscPosBuilder& EscPosBuilder::size(int width, int height) {
  int w = std::clamp(width, 1, 8) - 1, h = std::clamp(height, 1, 8) - 1;
  out_ += "\x1d!";
  out_ += static_cast<char>((w << 4) | h);
  return *this;
}

EscPosBuilder& EscPosBuilder::feed(int lines) {
  out_ += "\x1b\x64";
  out_ += static_cast<char>(std::clamp(lines, 0, 255));
  return *this;
}

EscPosBuilder& EscPosBuilder::cut(bool partial, int feed_units) {
  out_ += "\x1dV";
  out_ += static_cast<char>(partial ? 66 : 65);
  out_ += static_cast<char>(std::clamp(feed_units, 0, 255));
  return *this;
}

EscPosBuilder& EscPosBuilder::drawerPulse(int pin, int on_ms, int off_ms) {
  out_ += "\x1bp";
  out_ += static_cast<char>(pin == 5 ? 1 : 0);
  out_ += static_cast<char>(std::clamp(on_ms / 2, 1, 255));
  out_ += static_cast<char>(std::clamp(off_ms / 2, 1, 255));
  return *this;
}

EscPosBuilder& EscPosBuilder::qrCode(const std::string& data, int module_size) {
  auto fn = [this](const std::string& params) {  // GS ( k pL pH cn=49, then fn and its parameters
    size_t len = params.size() + 1;  // cn + fn + parameters
    out_ += "\x1d(k";
    out_ += static_cast<char>(len & 0xff);
    out_ += static_cast<char>((len >> 8) & 0xff);
    out_ += '1';
    out_ += params;
  };
  std::string clean;
  for (char c : data.substr(0, 7000)) clean += (c >= 0x20 && c < 0x7f) ? c : '?';
  fn(std::string("A2") + '\0');                                            // 165: model 2
  fn(std::string("C") + static_cast<char>(std::clamp(module_size, 1, 16)));  // 167: module size
  fn("E1");                                                                 // 169: correction M (49)
  fn("P0" + clean);                                                         // 180: store the data
  fn("Q0");                                                                 // 181: print it
  return *this;
}

common::Decimal lineAmount(const ReceiptLine& l) {
  return l.amount ? *l.amount : common::Decimal::fromUnits(l.unit_price.scaled() * l.qty);
}

common::Decimal receiptTotal(const Receipt& r) {
  int64_t total = 0;
  for (const auto& l : r.lines) total += lineAmount(l).scaled();
  return common::Decimal::fromUnits(total);
}

std::string renderReceipt(const Receipt& r) {
  EscPosBuilder b;
  b.init().align(1).bold(true).size(2, 2).line(r.header).size(1, 1).bold(false);
  if (!r.title.empty()) b.bold(true).line(r.title).bold(false);
  if (!r.time_text.empty()) b.line(r.time_text);
  b.align(0).line(std::string(static_cast<size_t>(r.width), '-'));
  for (const auto& l : r.lines) {
    b.line(twoColumns(l.description, lineAmount(l).toString(), r.width));
    if (!l.detail.empty()) b.line("  " + l.detail);
    else if (l.qty != 1) b.line("  " + std::to_string(l.qty) + " x " + l.unit_price.toString());
  }
  b.line(std::string(static_cast<size_t>(r.width), '-'));
  b.bold(true).line(twoColumns("TOTAL", receiptTotal(r).toString(), r.width)).bold(false);
  if (!r.reference.empty()) b.line("Ref " + r.reference);
  if (!r.barcode.empty()) b.align(1).qrCode(r.barcode).feed(1).align(0);
  if (!r.footer.empty()) b.align(1).line(r.footer).align(0);
  if (r.cut) b.cut(false, 3);
  if (r.open_drawer) b.drawerPulse(2, 50, 500);
  return b.bytes();
}

std::string PrinterStatus::summary() const {
  std::string s;
  auto add = [&](bool on, const char* name) {
    if (!on) return;
    if (!s.empty()) s += ',';
    s += name;
  };
  add(!online, "offline");
  add(cover_open, "cover_open");
  add(paper_out, "paper_out");
  add(paper_near_end, "paper_near_end");
  add(autocutter_error, "autocutter_error");
  add(unrecoverable_error, "unrecoverable_error");
  add(auto_recoverable_error, "auto_recoverable_error");
  return s.empty() ? "ok" : s;
}

namespace escpos {

common::Status applyStatusByte(int n, uint8_t b, PrinterStatus* st) {
  if ((b & 0x93) != 0x12) return Error::retry("printer_garbled", "status reply has wrong fixed bits");
  switch (n) {
    case 1:
      st->drawer_pin3_high = b & 0x04;
      st->online = !(b & 0x08);
      break;
    case 2:
      st->cover_open = b & 0x04;
      st->feed_button = b & 0x08;
      st->paper_out = st->paper_out || (b & 0x20);
      st->error = b & 0x40;
      break;
    case 3:
      st->autocutter_error = b & 0x08;
      st->unrecoverable_error = b & 0x20;
      st->auto_recoverable_error = b & 0x40;
      break;
    case 4:
      st->paper_near_end = (b & 0x0c) != 0;
      st->paper_out = st->paper_out || (b & 0x60);
      break;
    default:
      return Error::reject("bad_request", "DLE EOT n is 1..4");
  }
  return {};
}

uint8_t statusByteFor(int n, const PrinterStatus& s) {
  uint8_t b = 0x12;
  switch (n) {
    case 1:
      if (s.drawer_pin3_high) b |= 0x04;
      if (!s.online) b |= 0x08;
      break;
    case 2:
      if (s.cover_open) b |= 0x04;
      if (s.paper_out) b |= 0x20;
      if (s.error) b |= 0x40;
      break;
    case 3:
      if (s.autocutter_error) b |= 0x08;
      if (s.unrecoverable_error) b |= 0x20;
      if (s.auto_recoverable_error) b |= 0x40;
      break;
    case 4:
      if (s.paper_near_end) b |= 0x0c;
      if (s.paper_out) b |= 0x60;
      break;
  }
  return b;
}

}  // namespace escpos

common::Result<uint8_t> EscPosPrinter::query(int n) {
  port_.discardInput();
  const uint8_t cmd[3] = {escpos::kDle, escpos::kEot, static_cast<uint8_t>(n)};
  if (auto s = port_.write(cmd, 3, timeout_ms_); !s) return s.error();
  int64_t deadline = nowMs() + timeout_ms_;
  while (true) {
    int64_t left = deadline - nowMs();
    if (left <= 0) return Error::retry("printer_not_responding", "the printer did not answer a status request");
    uint8_t b = 0;
    auto r = port_.read(&b, 1, static_cast<int>(left));
    if (!r) return r.error();
    if (*r == 1) return b;
  }
}

common::Result<PrinterStatus> EscPosPrinter::status() {
  PrinterStatus st;
  for (int n = 1; n <= 4; ++n) {
    auto b = query(n);
    if (!b) return b.error();
    if (auto s = escpos::applyStatusByte(n, *b, &st); !s) return s.error();
  }
  return st;
}

common::Status EscPosPrinter::print(const Receipt& receipt) {
  auto st = status();
  if (!st) return st.error();
  if (st->paper_out) return Error::retry("printer_paper_out", "the printer is out of paper");
  if (st->cover_open) return Error::retry("printer_cover_open", "the printer cover is open");
  if (!st->online) return Error::retry("printer_offline", "the printer is offline (" + st->summary() + ")");
  if (st->unrecoverable_error) return Error::fatal("printer_error", "the printer reports an unrecoverable error");
  return port_.write(renderReceipt(receipt), timeout_ms_ * 5);
}

common::Status EscPosPrinter::openDrawer(int pin, int on_ms, int off_ms) {
  EscPosBuilder b;
  b.drawerPulse(pin, on_ms, off_ms);
  return port_.write(b.bytes(), timeout_ms_);
}

}  // namespace sw::fw
