#include "sw/loadgen/mqtt_wire.h"

#include <algorithm>

namespace sw::loadgen::mqtt {

using common::Error;

namespace {

void putU16(std::string* out, uint16_t v) {
  out->push_back(static_cast<char>(v >> 8));
  out->push_back(static_cast<char>(v & 0xff));
}

void putVarint(std::string* out, uint32_t v) {
  do {
    uint8_t b = v % 128;
    v /= 128;
    if (v > 0) b |= 0x80;
    out->push_back(static_cast<char>(b));
  } while (v > 0);
}

void putString(std::string* out, std::string_view s) {
  putU16(out, static_cast<uint16_t>(s.size()));
  out->append(s);
}

// A fixed header and the body after it.
std::string packet(uint8_t first, const std::string& body) {
  std::string out;
  out.reserve(body.size() + 5);
  out.push_back(static_cast<char>(first));
  putVarint(&out, static_cast<uint32_t>(body.size()));
  out += body;
  return out;
}

// Reads a packet's fields in order; the first problem is kept and every later read answers zero.
class Reader {
 public:
  explicit Reader(std::string_view bytes) : b_(bytes) {}
  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  size_t left() const { return b_.size() - pos_; }
  void fail(std::string why) {
    if (error_.empty()) error_ = std::move(why);
  }
  uint8_t byte(const char* what) {
    if (!need(1, what)) return 0;
    return static_cast<uint8_t>(b_[pos_++]);
  }
  uint16_t u16(const char* what) {
    if (!need(2, what)) return 0;
    uint16_t v = static_cast<uint16_t>(static_cast<uint8_t>(b_[pos_]) << 8 | static_cast<uint8_t>(b_[pos_ + 1]));
    pos_ += 2;
    return v;
  }
  uint32_t u32(const char* what) {
    uint32_t hi = u16(what);
    return hi << 16 | u16(what);
  }
  uint32_t varint(const char* what) {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      uint8_t b = byte(what);
      v |= static_cast<uint32_t>(b & 0x7f) << (7 * i);
      if ((b & 0x80) == 0) return v;
    }
    fail(std::string(what) + ": variable byte integer longer than four bytes");
    return 0;
  }
  std::string_view bytes(size_t n, const char* what) {
    if (!need(n, what)) return {};
    std::string_view v = b_.substr(pos_, n);
    pos_ += n;
    return v;
  }
  std::string_view string(const char* what) { return bytes(u16(what), what); }
  std::string_view rest() {
    std::string_view v = b_.substr(pos_);
    pos_ = b_.size();
    return v;
  }

 private:
  bool need(size_t n, const char* what) {
    if (!ok()) return false;
    if (left() < n) {
      fail(std::string(what) + " runs past the end of the packet");
      return false;
    }
    return true;
  }
  std::string_view b_;
  size_t pos_ = 0;
  std::string error_;
};

// Reads a property block (its length, then the properties), keeping the two a client acts on.
void readProperties(Reader& r, Packet* p, const char* what) {
  const uint32_t len = r.varint(what);
  if (!r.ok()) return;
  if (len > r.left()) return r.fail(std::string(what) + " length runs past the end of the packet");
  Reader props(r.bytes(len, what));
  while (props.ok() && props.left() > 0) {
    const uint8_t id = props.byte("property id");
    switch (id) {
      case 0x01: case 0x17: case 0x19: case 0x24: case 0x25: case 0x28: case 0x29: case 0x2A:
        props.byte("property");
        break;
      case 0x13: case 0x22: case 0x23:
        props.u16("property");
        break;
      case 0x21:
        p->receive_maximum = props.u16("receive maximum");
        if (props.ok() && p->receive_maximum == 0) props.fail("receive maximum 0");
        break;
      case 0x02: case 0x11: case 0x18:
        props.u32("property");
        break;
      case 0x27:
        p->maximum_packet_size = props.u32("maximum packet size");
        if (props.ok() && p->maximum_packet_size == 0) props.fail("maximum packet size 0");
        break;
      case 0x0B:
        props.varint("subscription identifier");
        break;
      case 0x03: case 0x08: case 0x09: case 0x12: case 0x15: case 0x16: case 0x1A: case 0x1C: case 0x1F:
        props.string("property");
        break;
      case 0x26:
        props.string("user property name");
        props.string("user property value");
        break;
      default:
        props.fail("unknown property 0x" + std::string(1, "0123456789abcdef"[id >> 4]) +
                   std::string(1, "0123456789abcdef"[id & 15]));
    }
  }
  if (!props.ok()) r.fail(props.error());
}

}  // namespace

std::string encodeConnect(std::string_view client_id, int keepalive_s, bool clean_start, const std::optional<Will>& will) {
  std::string body;
  putString(&body, "MQTT");
  body.push_back(5);  // protocol version
  uint8_t flags = clean_start ? 0x02 : 0;
  if (will) flags |= static_cast<uint8_t>(0x04 | (will->qos & 3) << 3 | (will->retain ? 0x20 : 0));
  body.push_back(static_cast<char>(flags));
  putU16(&body, static_cast<uint16_t>(std::clamp(keepalive_s, 0, 65535)));
  putVarint(&body, 0);  // no properties
  putString(&body, client_id);
  if (will) {
    putVarint(&body, 0);  // no will properties
    putString(&body, will->topic);
    putString(&body, will->payload);  // binary data: the same two-byte length
  }
  return packet(0x10, body);
}

std::string encodeSubscribe(uint16_t packet_id, const std::vector<std::string>& filters, int qos) {
  std::string body;
  putU16(&body, packet_id);
  putVarint(&body, 0);
  for (const std::string& f : filters) {
    putString(&body, f);
    body.push_back(static_cast<char>(qos & 3));  // subscription options: the QoS, nothing else
  }
  return packet(0x82, body);
}

std::string encodePublish(std::string_view topic, std::string_view payload, int qos, bool retain, uint16_t packet_id) {
  std::string body;
  body.reserve(topic.size() + payload.size() + 8);
  putString(&body, topic);
  if (qos > 0) putU16(&body, packet_id);
  putVarint(&body, 0);
  body.append(payload);
  return packet(static_cast<uint8_t>(0x30 | (qos & 3) << 1 | (retain ? 1 : 0)), body);
}

std::string encodePuback(uint16_t packet_id) {
  std::string body;
  putU16(&body, packet_id);  // reason 0 (success) and no properties may be left out
  return packet(0x40, body);
}

std::string encodePingreq() { return std::string("\xc0\x00", 2); }

std::string encodeDisconnect(uint8_t reason) {
  if (reason == kReasonNormal) return std::string("\xe0\x00", 2);
  std::string body;
  body.push_back(static_cast<char>(reason));
  putVarint(&body, 0);
  return packet(0xe0, body);
}

common::Result<std::optional<Packet>> decodePacket(std::string_view buffer, size_t* used, uint32_t max_packet) {
  *used = 0;
  if (buffer.size() < 2) return std::optional<Packet>();
  // Remaining Length: up to four bytes, each carrying seven bits.
  uint32_t length = 0;
  size_t i = 1;
  for (;; ++i) {
    if (i > 4) return Error::reject("bad_mqtt", "remaining length longer than four bytes");
    if (i >= buffer.size()) return std::optional<Packet>();
    const auto b = static_cast<uint8_t>(buffer[i]);
    length |= static_cast<uint32_t>(b & 0x7f) << (7 * (i - 1));
    if ((b & 0x80) == 0) break;
  }
  if (length > max_packet) {
    return Error::reject("bad_mqtt", "a packet of " + std::to_string(length) + " bytes, over the limit of " +
                                         std::to_string(max_packet));
  }
  const size_t header = i + 1;
  if (buffer.size() - header < length) return std::optional<Packet>();
  const auto first = static_cast<uint8_t>(buffer[0]);
  const uint8_t flags = first & 0x0f;
  Reader r(buffer.substr(header, length));
  Packet p;
  switch (first >> 4) {
    case static_cast<uint8_t>(PacketType::kConnack): {
      p.type = PacketType::kConnack;
      const uint8_t ack = r.byte("connack flags");
      if (r.ok() && (ack & 0xfe) != 0) r.fail("connack flags with reserved bits set");
      p.session_present = (ack & 1) != 0;
      p.reason = r.byte("connack reason");
      if (r.left() > 0) readProperties(r, &p, "connack properties");
      break;
    }
    case static_cast<uint8_t>(PacketType::kPublish): {
      p.type = PacketType::kPublish;
      p.qos = (flags >> 1) & 3;
      p.retain = (flags & 1) != 0;
      p.dup = (flags & 8) != 0;
      if (p.qos == 3) r.fail("publish with QoS 3");
      if (p.qos == 0 && p.dup) r.fail("publish at QoS 0 marked duplicate");
      p.topic = std::string(r.string("topic"));
      if (r.ok() && p.topic.empty()) r.fail("publish without a topic (topic aliases were not offered)");
      if (p.qos > 0) {
        p.packet_id = r.u16("packet id");
        if (r.ok() && p.packet_id == 0) r.fail("publish with packet id 0");
      }
      readProperties(r, &p, "publish properties");
      p.payload = std::string(r.rest());
      break;
    }
    case static_cast<uint8_t>(PacketType::kPuback):
      p.type = PacketType::kPuback;
      p.packet_id = r.u16("packet id");
      if (r.left() > 0) p.reason = r.byte("puback reason");
      if (r.left() > 0) readProperties(r, &p, "puback properties");
      break;
    case static_cast<uint8_t>(PacketType::kSuback): {
      p.type = PacketType::kSuback;
      p.packet_id = r.u16("packet id");
      readProperties(r, &p, "suback properties");
      if (r.ok() && r.left() == 0) r.fail("suback without reason codes");
      while (r.ok() && r.left() > 0) p.reason = std::max(p.reason, r.byte("suback reason"));
      break;
    }
    case static_cast<uint8_t>(PacketType::kPingresp):
      p.type = PacketType::kPingresp;
      break;
    case static_cast<uint8_t>(PacketType::kDisconnect):
      p.type = PacketType::kDisconnect;
      if (r.left() > 0) p.reason = r.byte("disconnect reason");
      if (r.left() > 0) readProperties(r, &p, "disconnect properties");
      break;
    default:
      return Error::reject("bad_mqtt", "packet type " + std::to_string(first >> 4) + " is not one a broker sends");
  }
  // Every packet but PUBLISH has its fixed flags: 0 here (SUBSCRIBE's 2 is client-to-broker only).
  if (p.type != PacketType::kPublish && flags != 0) r.fail("reserved flags set in the fixed header");
  if (r.ok() && p.type != PacketType::kPublish && r.left() > 0) r.fail("bytes after the end of the packet");
  if (p.type == PacketType::kPingresp && length != 0) r.fail("pingresp with a body");
  if (!r.ok()) return Error::reject("bad_mqtt", r.error());
  *used = header + length;
  return std::optional<Packet>(std::move(p));
}

}  // namespace sw::loadgen::mqtt
