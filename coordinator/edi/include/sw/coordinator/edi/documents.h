#pragma once
// The transaction sets of the wholesale channel, typed: what we read (850 purchase orders, 997
// acknowledgments of what we sent) and what we write (997, 846, 855, 856, 810). Readers take a set
// the envelope parser accepted; a set that lacks what the document needs is refused (reject, with
// the segment named). Writers build a set body for writeInterchange (x12_write.h), or write the
// whole interchange in one call.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sw/common/result.h"
#include "sw/coordinator/edi/x12.h"
#include "sw/coordinator/edi/x12_write.h"

namespace sw::coordinator::edi {

// A product id by its X12 qualifier: UP (UPC), VN (vendor item), BP (buyer part), SK (SKU),
// IN (buyer item), EN (EAN), ... in the order the segment gives them.
struct ProductId {
  std::string qualifier;
  std::string value;
  bool operator==(const ProductId&) const = default;
};
// The value for a qualifier, "" when the line has none.
std::string productId(const std::vector<ProductId>& ids, const std::string& qualifier);

struct Party {  // an N1 loop: N1, N3, N4
  std::string role;  // N101: ST ship-to, BT bill-to, BY buyer, VN vendor, SF ship-from
  std::string name;
  std::string id_qualifier, id;  // N103, N104
  std::vector<std::string> address;  // N301, N302 of each N3
  std::string city, state, postal_code, country;  // N401..N404
  bool operator==(const Party&) const = default;
};

// ---- 850 purchase order (read) ----
struct PurchaseOrderLine {
  std::string line;        // PO101 (may be empty: then the line's position)
  int64_t quantity = 0;    // PO102, whole units
  std::string unit;        // PO103: EA, CA, ...
  std::string unit_price;  // PO104 as decimal text ("9.25"), "" when not given
  std::string price_basis; // PO105
  std::vector<ProductId> ids;  // PO106/PO107, PO108/PO109, ...
  std::string description;     // PID05 of the first PID after it
};

struct PurchaseOrder {
  std::string purpose;    // BEG01: 00 original, 01 cancel, 05 replace
  std::string type;       // BEG02: SA stand-alone, NE new, DS drop ship
  std::string po_number;  // BEG03
  std::string date;       // BEG05 CCYYMMDD
  std::map<std::string, std::string> references;  // REF01 -> REF02 (first of each)
  std::map<std::string, std::string> dates;       // DTM01 -> DTM02 (002 requested delivery, 010 ship)
  std::vector<Party> parties;
  std::vector<PurchaseOrderLine> lines;
  std::optional<int64_t> declared_lines;  // CTT01

  const Party* shipTo() const;  // the N1*ST party, if any
};
common::Result<PurchaseOrder> readPurchaseOrder(const TransactionSet& set, const Separators& separators);

// ---- 997 functional acknowledgment (read and write) ----
struct SetAck {  // AK2 .. AK5
  std::string set_id;   // AK201
  std::string control;  // AK202
  AckStatus status = AckStatus::kAccepted;  // AK501
  std::vector<int> codes;                   // AK502..AK506
  std::vector<SegmentNote> notes;           // AK3 (with AK4)
  bool operator==(const SetAck& o) const;
};

struct GroupAck {  // AK1 .. AK9
  std::string functional_id;  // AK101: the acknowledged group's GS01
  std::string control;        // AK102: its GS06
  AckStatus status = AckStatus::kAccepted;  // AK901
  int64_t declared_sets = 0;  // AK902 (its GE01)
  int64_t received_sets = 0;  // AK903
  int64_t accepted_sets = 0;  // AK904
  std::vector<int> codes;     // AK905..AK909
  std::vector<SetAck> sets;   // AK2 loops: in a 997 we write, one per received set
  bool operator==(const GroupAck& o) const;
};

// What to answer for a received group: its sets' and its own outcome as the parser found them.
GroupAck ackFor(const FunctionalGroup& received);
// The 997 set for one received group (AK1, the AK2 loops, AK9).
SetOut functionalAck997(const GroupAck& ack);
// One 997 interchange acknowledging these groups (one 997 set each), in an FA group. A group
// without GS01 or GS06 cannot be named (AK101/AK102 are mandatory) and is refused.
common::Result<std::string> write997(const PartnerConfig& config, ControlNumbers& numbers, const WriteTime& time,
                                     const std::vector<GroupAck>& acks);
// What a partner's 997 says about our groups.
common::Result<GroupAck> readFunctionalAck(const TransactionSet& set);

// ---- TA1 interchange acknowledgment (read; writeTa1 is in x12_write.h) ----
struct InterchangeAck {
  std::string control;  // TA101: the acknowledged interchange's ISA13 (9 digits)
  std::string date;     // TA102: its ISA09 (YYMMDD)
  std::string time;     // TA103: its ISA10 (HHMM)
  AckStatus status = AckStatus::kAccepted;  // TA104: A, E or R (P is not a TA1 code)
  int note = 0;         // TA105 (I18), 0 = no error
};
// What a partner's TA1 (Interchange::ta1s) says about one of our interchanges. Refuses
// (x12_bad_TA1) a segment that is not a TA1, or whose elements do not have X12's form.
common::Result<InterchangeAck> readInterchangeAck(const Segment& ta1);

// ---- 846 inventory advice (write) ----
struct InventoryItem {
  std::vector<ProductId> ids;  // LIN02/LIN03, ...
  int64_t quantity = 0;        // QTY02
  std::string qualifier = "33";  // QTY01: 33 available, 17 on hand
  std::string unit = "EA";       // QTY03
};
struct InventoryAdvice {
  std::string reference;  // BIA03
  std::string date;       // BIA04 CCYYMMDD
  std::string report_type = "SI";  // BIA02
  std::vector<InventoryItem> items;
};
common::Result<SetOut> inventoryAdvice846(const InventoryAdvice& advice);
common::Result<std::string> write846(const PartnerConfig& config, ControlNumbers& numbers, const WriteTime& time,
                                     const InventoryAdvice& advice);

// ---- 855 purchase order acknowledgment (write) ----
enum class LineAck { kAccepted, kBackordered, kRejected };  // ACK01: IA, IB, IR
const char* lineAckCode(LineAck ack);
struct PoAckLine {
  std::string line;  // PO101 echoed
  int64_t ordered = 0;
  std::string unit = "EA";
  std::string unit_price;  // echoed PO104 ("" = none)
  std::vector<ProductId> ids;
  LineAck status = LineAck::kAccepted;
  int64_t quantity = 0;  // ACK02: the quantity accepted, backordered or rejected
  // Part of a line: with status IA (or IB), the rest of the line backordered, as a second ACK
  // (ACK*IB*backordered) after the first. 0: the line has one ACK.
  int64_t backordered = 0;
};
struct PoAck {
  std::string po_number;  // BAK03
  std::string po_date;    // BAK04
  std::vector<PoAckLine> lines;
  // BAK02: AD (all accepted), RD (all rejected), else AC (accepted with changes).
  std::string ackType() const;
};
common::Result<SetOut> poAck855(const PoAck& ack);
common::Result<std::string> write855(const PartnerConfig& config, ControlNumbers& numbers, const WriteTime& time,
                                     const PoAck& ack);

// ---- 856 ship notice (write): the HL tree shipment -> order -> item ----
struct AsnItem {
  std::vector<ProductId> ids;  // LIN
  int64_t shipped = 0;         // SN102
  std::string unit = "EA";     // SN103
};
struct AsnOrder {
  std::string po_number;  // PRF01
  std::vector<AsnItem> items;
};
struct ShipNotice {
  std::string shipment_id;  // BSN02
  std::string date;         // BSN03 CCYYMMDD
  std::string time;         // BSN04 HHMM
  std::string carrier_scac;  // TD503 (TD502 = 2, SCAC)
  std::string tracking;      // REF*CN
  std::string ship_date;     // DTM*011
  std::vector<Party> parties;  // shipment level: SF ship-from, ST ship-to
  std::vector<AsnOrder> orders;
};
common::Result<SetOut> shipNotice856(const ShipNotice& asn);
common::Result<std::string> write856(const PartnerConfig& config, ControlNumbers& numbers, const WriteTime& time,
                                     const ShipNotice& asn);

// ---- 810 invoice (write) ----
struct InvoiceLine {
  std::string line;  // IT101
  int64_t quantity = 0;
  std::string unit = "EA";
  int64_t unit_price_cents = 0;  // IT104 written as decimal text
  std::vector<ProductId> ids;
};
struct Invoice {
  std::string invoice_number;  // BIG02
  std::string date;            // BIG01
  std::string po_number;       // BIG04
  std::string po_date;         // BIG03
  std::vector<InvoiceLine> lines;
  int64_t totalCents() const;  // TDS01: the sum of quantity x unit price
};
common::Result<SetOut> invoice810(const Invoice& invoice);
common::Result<std::string> write810(const PartnerConfig& config, ControlNumbers& numbers, const WriteTime& time,
                                     const Invoice& invoice);

}  // namespace sw::coordinator::edi
