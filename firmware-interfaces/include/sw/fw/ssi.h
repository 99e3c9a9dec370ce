#pragma once
// Zebra/Symbol Simple Serial Interface (SSI) packets:
//   Len | Opcode | Source | Status | Data... | CkHi CkLo
// Len counts every byte but the checksum; checksum = 0x10000 - (16-bit sum of the
// preceding bytes), high byte first. Pure encoding and a streaming decoder; the session
// (ACK/NAK, multi-packet decode data) lives in ScannerReader.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sw::fw::ssi {

inline constexpr uint8_t kCmdAck = 0xD0;
inline constexpr uint8_t kCmdNak = 0xD1;
inline constexpr uint8_t kDecodeData = 0xF3;
inline constexpr uint8_t kParamSend = 0xC6;
inline constexpr uint8_t kParamRequest = 0xC7;
inline constexpr uint8_t kRequestRevision = 0xA3;
inline constexpr uint8_t kReplyRevision = 0xA4;
inline constexpr uint8_t kStartSession = 0xE4;
inline constexpr uint8_t kStopSession = 0xE5;
inline constexpr uint8_t kScanEnable = 0xE9;
inline constexpr uint8_t kScanDisable = 0xEA;
inline constexpr uint8_t kSleep = 0xEB;
inline constexpr uint8_t kFlushQueue = 0xD2;
inline constexpr uint8_t kAimOff = 0xC4;

inline constexpr uint8_t kSourceScanner = 0x00;
inline constexpr uint8_t kSourceHost = 0x04;

inline constexpr uint8_t kStatusRetransmit = 0x01;
inline constexpr uint8_t kStatusContinuation = 0x02;
inline constexpr uint8_t kStatusPermanent = 0x08;

inline constexpr uint8_t kNakResend = 0x01;
inline constexpr uint8_t kNakBadContext = 0x02;
inline constexpr uint8_t kNakDenied = 0x06;

inline constexpr size_t kMaxPacket = 257;  // Len is one byte; Len + 2 checksum bytes

struct Packet {
  uint8_t opcode = 0;
  uint8_t source = kSourceHost;
  uint8_t status = 0;
  std::vector<uint8_t> data;
  bool operator==(const Packet&) const = default;
};

uint16_t checksum(const uint8_t* bytes, size_t n);
// The wire bytes of a packet; data longer than 251 bytes does not fit (returns empty).
std::vector<uint8_t> encode(const Packet& p);

Packet ack(uint8_t source = kSourceHost);
Packet nak(uint8_t cause, uint8_t source = kSourceHost);

// Splits a decoded barcode into DECODE_DATA packets of at most max_data barcode bytes each
// (continuation bit on all but the last). Each packet carries the symbology type byte first.
std::vector<Packet> decodeDataPackets(uint8_t symbology_type, const std::string& barcode, size_t max_data = 200);

// Streaming decoder. Bytes that cannot start a packet are skipped as garbage; a packet
// with a wrong checksum is reported (the host answers NAK resend) and skipped.
class Decoder {
 public:
  struct Event {
    enum Kind { kPacket, kBadChecksum } kind = kPacket;
    Packet packet;
  };
  std::vector<Event> feed(const uint8_t* data, size_t n);
  // Drops a partial packet (after a silence long enough that it cannot complete).
  void reset() { buf_.clear(); }
  bool pending() const { return !buf_.empty(); }
  uint64_t garbageBytes() const { return garbage_; }

 private:
  std::vector<uint8_t> buf_;
  uint64_t garbage_ = 0;
};

// Joins multi-packet DECODE_DATA into one barcode.
class DecodeAssembler {
 public:
  struct Barcode {
    uint8_t symbology_type = 0;
    std::string data;
  };
  // Returns the barcode when the packet without the continuation bit arrives.
  std::optional<Barcode> add(const Packet& p);
  void reset() { parts_.clear(); }

 private:
  std::string parts_;
  uint8_t type_ = 0;
};

// The AIM id for an SSI symbology type byte [verify per model: enable "transmit AIM code
// id" on the scanner where possible; a barcode that already starts with ']' keeps its id].
std::string aimIdForType(uint8_t type);
// Scanner message text: AIM id + data (data that starts with an AIM id is kept as is).
std::string scanText(const DecodeAssembler::Barcode& b);

}  // namespace sw::fw::ssi
