#include "sw/fw/ssi.h"

#include <algorithm>

namespace sw::fw::ssi {

uint16_t checksum(const uint8_t* bytes, size_t n) {
  uint32_t sum = 0;
  for (size_t i = 0; i < n; ++i) sum += bytes[i];
  return static_cast<uint16_t>(0x10000 - (sum & 0xffff));
}

std::vector<uint8_t> encode(const Packet& p) {
  if (p.data.size() > 251) return {};
  std::vector<uint8_t> out;
  out.push_back(static_cast<uint8_t>(4 + p.data.size()));
  out.push_back(p.opcode);
  out.push_back(p.source);
  out.push_back(p.status);
  out.insert(out.end(), p.data.begin(), p.data.end());
  uint16_t ck = checksum(out.data(), out.size());
  out.push_back(static_cast<uint8_t>(ck >> 8));
  out.push_back(static_cast<uint8_t>(ck & 0xff));
  return out;
}

Packet ack(uint8_t source) { return Packet{kCmdAck, source, 0, {}}; }
Packet nak(uint8_t cause, uint8_t source) { return Packet{kCmdNak, source, 0, {cause}}; }

std::vector<Packet> decodeDataPackets(uint8_t type, const std::string& barcode, size_t max_data) {
  if (max_data == 0 || max_data > 250) max_data = 250;
  std::vector<Packet> out;
  size_t pos = 0;
  do {
    size_t n = std::min(max_data, barcode.size() - pos);
    Packet p{kDecodeData, kSourceScanner, 0, {type}};
    p.data.insert(p.data.end(), barcode.begin() + static_cast<long>(pos), barcode.begin() + static_cast<long>(pos + n));
    pos += n;
    if (pos < barcode.size()) p.status |= kStatusContinuation;
    out.push_back(std::move(p));
  } while (pos < barcode.size());
  return out;
}

std::vector<Decoder::Event> Decoder::feed(const uint8_t* data, size_t n) {
  std::vector<Event> out;
  buf_.insert(buf_.end(), data, data + n);
  size_t start = 0;
  while (start < buf_.size()) {
    uint8_t len = buf_[start];
    // Len covers at least Len, Opcode, Source, Status; Source is scanner (0) or host (4).
    if (len < 4) {
      ++garbage_;
      ++start;
      continue;
    }
    if (buf_.size() - start >= 3 && buf_[start + 2] != kSourceScanner && buf_[start + 2] != kSourceHost) {
      ++garbage_;
      ++start;
      continue;
    }
    size_t total = static_cast<size_t>(len) + 2;
    if (buf_.size() - start < total) break;  // wait for the rest
    const uint8_t* p = buf_.data() + start;
    uint16_t want = checksum(p, len);
    uint16_t got = static_cast<uint16_t>((p[len] << 8) | p[len + 1]);
    if (want != got) {
      Event e;
      e.kind = Event::kBadChecksum;
      e.packet.opcode = p[1];
      out.push_back(std::move(e));
      start += total;
      continue;
    }
    Event e;
    e.packet.opcode = p[1];
    e.packet.source = p[2];
    e.packet.status = p[3];
    e.packet.data.assign(p + 4, p + len);
    out.push_back(std::move(e));
    start += total;
  }
  buf_.erase(buf_.begin(), buf_.begin() + static_cast<long>(start));
  return out;
}

std::optional<DecodeAssembler::Barcode> DecodeAssembler::add(const Packet& p) {
  if (p.opcode != kDecodeData || p.data.empty()) return std::nullopt;
  if (parts_.empty()) type_ = p.data[0];
  parts_.append(p.data.begin() + 1, p.data.end());
  if (p.status & kStatusContinuation) {
    if (parts_.size() > 64 * 1024) parts_.clear();  // a runaway sequence, not a barcode
    return std::nullopt;
  }
  Barcode b{type_, std::move(parts_)};
  parts_.clear();
  return b;
}

std::string aimIdForType(uint8_t type) {
  switch (type) {
    case 0x01: return "]A0";  // Code 39
    case 0x02: return "]F0";  // Codabar
    case 0x03: return "]C0";  // Code 128
    case 0x06: return "]I0";  // Interleaved 2 of 5
    case 0x07: return "]G0";  // Code 93
    case 0x08: return "]E0";  // UPC-A (sent as 12 digits; padded to 13 below)
    case 0x0A: return "]E4";  // EAN-8
    case 0x0B: return "]E0";  // EAN-13
    case 0x0F: return "]C1";  // GS1-128
    case 0x11: return "]L0";  // PDF417
    case 0x1B: return "]d1";  // Data Matrix
    case 0x1C: return "]Q1";  // QR Code
    case 0x30: case 0x31: case 0x32: return "]e0";  // GS1 DataBar family
    default: return "]X0";
  }
}

std::string scanText(const DecodeAssembler::Barcode& b) {
  if (b.data.size() >= 3 && b.data[0] == ']') return b.data;
  std::string id = aimIdForType(b.symbology_type);
  if (b.symbology_type == 0x08 && b.data.size() == 12) return id + "0" + b.data;
  return id + b.data;
}

}  // namespace sw::fw::ssi
