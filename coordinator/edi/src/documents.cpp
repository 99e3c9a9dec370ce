// Typed transaction sets (documents.h): the 850 and 997 readers, and the 997, 846, 855, 856 and
// 810 writers.

#include "sw/coordinator/edi/documents.h"

#include <algorithm>
#include <charconv>

namespace sw::coordinator::edi {

using common::Error;
using common::Result;

namespace {

Error refuse(const std::string& set_id, const std::string& message) {
  return Error::reject("x12_bad_" + set_id, set_id + ": " + message);
}

std::optional<int64_t> wholeNumber(const std::string& s) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

// X12 decimal (R type): optional minus, digits, optional point and digits.
bool isDecimal(const std::string& s) {
  size_t i = s.size() > 0 && s[0] == '-' ? 1 : 0;
  bool digits = false, point = false;
  for (; i < s.size(); ++i) {
    if (s[i] >= '0' && s[i] <= '9') digits = true;
    else if (s[i] == '.' && !point) point = true;
    else return false;
  }
  return digits;
}

// Quantities may be written "120" or "120.0"; we take whole units only.
std::optional<int64_t> wholeQuantity(const std::string& s) {
  if (!isDecimal(s)) return std::nullopt;
  size_t dot = s.find('.');
  if (dot != std::string::npos && s.find_first_not_of('0', dot + 1) != std::string::npos) return std::nullopt;
  return wholeNumber(s.substr(0, dot));
}

// Qualifier/value pairs from element `first` on (PO106/PO107, LIN02/LIN03, ...).
std::vector<ProductId> idPairs(const Segment& s, size_t first) {
  std::vector<ProductId> ids;
  for (size_t i = first; i + 1 <= s.elements.size(); i += 2) {
    if (!s.element(i).empty() && !s.element(i + 1).empty()) ids.push_back({s.element(i), s.element(i + 1)});
  }
  return ids;
}

void appendIds(std::vector<std::string>& elements, const std::vector<ProductId>& ids) {
  for (const ProductId& id : ids) {
    elements.push_back(id.qualifier);
    elements.push_back(id.value);
  }
}

std::string two(int code) { return std::to_string(code); }

void appendParty(std::vector<SegmentOut>& out, const Party& p) {
  out.push_back({"N1", {p.role, p.name, p.id_qualifier, p.id}});
  if (!p.address.empty()) {
    SegmentOut n3{"N3", {}};
    for (size_t i = 0; i < p.address.size() && i < 2; ++i) n3.elements.push_back(p.address[i]);
    out.push_back(n3);
  }
  if (!p.city.empty() || !p.state.empty() || !p.postal_code.empty() || !p.country.empty()) {
    out.push_back({"N4", {p.city, p.state, p.postal_code, p.country}});
  }
}

common::Status needIds(const std::string& what, const std::vector<ProductId>& ids) {
  if (ids.empty()) return Error::reject("x12_bad_value", what + " has no product id");
  return {};
}

}  // namespace

std::string productId(const std::vector<ProductId>& ids, const std::string& qualifier) {
  for (const ProductId& id : ids) {
    if (id.qualifier == qualifier) return id.value;
  }
  return "";
}

const Party* PurchaseOrder::shipTo() const {
  for (const Party& p : parties) {
    if (p.role == "ST") return &p;
  }
  return nullptr;
}

Result<PurchaseOrder> readPurchaseOrder(const TransactionSet& set, const Separators&) {
  if (set.id != "850") return refuse("850", "set " + set.control + " is a " + set.id + ", not an 850");
  if (set.status == AckStatus::kRejected) return refuse("850", "set " + set.control + " was rejected: " + set.message);
  PurchaseOrder po;
  bool have_beg = false;
  Party* party = nullptr;
  PurchaseOrderLine* line = nullptr;
  for (const Segment& s : set.segments) {
    const std::string where = s.id + " (segment " + std::to_string(s.position) + ")";
    if (s.id == "BEG") {
      if (have_beg) return refuse("850", "a second BEG at segment " + std::to_string(s.position));
      have_beg = true;
      po.purpose = s.element(1);
      po.type = s.element(2);
      po.po_number = s.element(3);
      po.date = s.element(5);
      if (po.po_number.empty()) return refuse("850", "BEG03 (the PO number) is missing");
    } else if (s.id == "REF" && !line) {
      po.references.emplace(s.element(1), s.element(2).empty() ? s.element(3) : s.element(2));
    } else if (s.id == "DTM" && !line) {
      po.dates.emplace(s.element(1), s.element(2));
    } else if (s.id == "N1") {
      party = &po.parties.emplace_back();
      party->role = s.element(1);
      party->name = s.element(2);
      party->id_qualifier = s.element(3);
      party->id = s.element(4);
    } else if (s.id == "N3" && party) {
      for (size_t i = 1; i <= 2; ++i) {
        if (!s.element(i).empty()) party->address.push_back(s.element(i));
      }
    } else if (s.id == "N4" && party) {
      party->city = s.element(1);
      party->state = s.element(2);
      party->postal_code = s.element(3);
      party->country = s.element(4);
    } else if (s.id == "PO1") {
      party = nullptr;
      line = &po.lines.emplace_back();
      line->line = s.element(1).empty() ? std::to_string(po.lines.size()) : s.element(1);
      auto qty = wholeQuantity(s.element(2));
      if (!qty || *qty <= 0) return refuse("850", where + ": PO102 quantity '" + s.element(2) + "' is not a whole number above 0");
      line->quantity = *qty;
      line->unit = s.element(3);
      if (line->unit.empty()) return refuse("850", where + ": PO103 (unit) is missing");
      line->unit_price = s.element(4);
      if (!line->unit_price.empty() && !isDecimal(line->unit_price)) {
        return refuse("850", where + ": PO104 price '" + line->unit_price + "' is not a decimal number");
      }
      line->price_basis = s.element(5);
      line->ids = idPairs(s, 6);
      if (line->ids.empty()) return refuse("850", where + ": the line names no product (PO106/PO107)");
    } else if (s.id == "PID" && line && line->description.empty()) {
      line->description = s.element(5);
    } else if (s.id == "CTT") {
      auto n = wholeNumber(s.element(1));
      if (!n) return refuse("850", where + ": CTT01 '" + s.element(1) + "' is not a number of lines");
      po.declared_lines = *n;
    }
  }
  if (!have_beg) return refuse("850", "set " + set.control + " has no BEG segment");
  if (po.lines.empty()) return refuse("850", "PO " + po.po_number + " has no PO1 lines");
  if (po.declared_lines && *po.declared_lines != static_cast<int64_t>(po.lines.size())) {
    return refuse("850", "CTT01 says " + std::to_string(*po.declared_lines) + " lines, PO " + po.po_number + " has " +
                             std::to_string(po.lines.size()) + " PO1 segments");
  }
  return po;
}

// ---- 997 ----

bool SetAck::operator==(const SetAck& o) const {
  if (set_id != o.set_id || control != o.control || status != o.status || codes != o.codes || notes.size() != o.notes.size()) return false;
  for (size_t i = 0; i < notes.size(); ++i) {
    const SegmentNote &a = notes[i], &b = o.notes[i];
    if (a.segment_id != b.segment_id || a.position != b.position || a.code != b.code || a.elements.size() != b.elements.size()) return false;
    for (size_t j = 0; j < a.elements.size(); ++j) {
      if (a.elements[j].position != b.elements[j].position || a.elements[j].code != b.elements[j].code) return false;
    }
  }
  return true;
}

bool GroupAck::operator==(const GroupAck& o) const {
  return functional_id == o.functional_id && control == o.control && status == o.status &&
         declared_sets == o.declared_sets && received_sets == o.received_sets && accepted_sets == o.accepted_sets &&
         codes == o.codes && sets == o.sets;
}

GroupAck ackFor(const FunctionalGroup& g) {
  GroupAck ack;
  ack.functional_id = g.functional_id;
  ack.control = g.control;
  ack.status = g.status;
  ack.codes = g.codes;
  if (ack.codes.size() > 5) ack.codes.resize(5);  // AK905..AK909
  ack.received_sets = static_cast<int64_t>(g.sets.size());
  std::optional<int64_t> declared;
  if (g.declared_sets) {
    int64_t v = 0;
    auto [p, ec] = std::from_chars(g.declared_sets->data(), g.declared_sets->data() + g.declared_sets->size(), v);
    if (ec == std::errc() && p == g.declared_sets->data() + g.declared_sets->size()) declared = v;
  }
  ack.declared_sets = declared.value_or(ack.received_sets);
  ack.accepted_sets = g.codes.empty() ? static_cast<int64_t>(g.acceptedSets()) : 0;
  for (const TransactionSet& s : g.sets) {
    SetAck a{s.id, s.control, s.status, s.codes, s.notes};
    if (a.codes.size() > 5) a.codes.resize(5);  // AK502..AK506
    if (!g.codes.empty() && a.status != AckStatus::kRejected) a.status = AckStatus::kRejected;  // the whole group is refused
    ack.sets.push_back(std::move(a));
  }
  return ack;
}

SetOut functionalAck997(const GroupAck& ack) {
  SetOut set{"997", {}};
  set.segments.push_back({"AK1", {ack.functional_id, ack.control}});
  for (const SetAck& s : ack.sets) {
    set.segments.push_back({"AK2", {s.set_id, s.control}});
    for (const SegmentNote& n : s.notes) {
      set.segments.push_back({"AK3", {n.segment_id, std::to_string(n.position), "", two(n.code)}});
      for (const ElementNote& e : n.elements) {
        // AK404 (a copy of the bad value) is left out: it may hold the very bytes that were wrong.
        set.segments.push_back({"AK4", {std::to_string(e.position), "", two(e.code)}});
      }
    }
    SegmentOut ak5{"AK5", {std::string(1, static_cast<char>(s.status))}};
    for (size_t i = 0; i < s.codes.size() && i < 5; ++i) ak5.elements.push_back(two(s.codes[i]));
    set.segments.push_back(ak5);
  }
  SegmentOut ak9{"AK9", {std::string(1, static_cast<char>(ack.status)), std::to_string(ack.declared_sets),
                         std::to_string(ack.received_sets), std::to_string(ack.accepted_sets)}};
  for (size_t i = 0; i < ack.codes.size() && i < 5; ++i) ak9.elements.push_back(two(ack.codes[i]));
  set.segments.push_back(ak9);
  return set;
}

Result<std::string> write997(const PartnerConfig& config, ControlNumbers& numbers, const WriteTime& time,
                             const std::vector<GroupAck>& acks) {
  std::vector<SetOut> sets;
  for (const GroupAck& a : acks) {
    // AK101 and AK102 are mandatory: a group without GS01 or GS06 cannot be named in a 997.
    if (a.functional_id.empty() || a.control.empty()) {
      return Error::reject("x12_bad_value", "997: a group without its functional id (GS01) or control number (GS06) cannot be acknowledged");
    }
    sets.push_back(functionalAck997(a));
  }
  return writeInterchange(config, numbers, time, "FA", sets);
}

Result<GroupAck> readFunctionalAck(const TransactionSet& set) {
  if (set.id != "997") return refuse("997", "set " + set.control + " is a " + set.id + ", not a 997");
  if (set.status == AckStatus::kRejected) return refuse("997", "set " + set.control + " was rejected: " + set.message);
  GroupAck ack;
  bool have_ak1 = false, have_ak9 = false;
  SetAck* current = nullptr;
  SegmentNote* note = nullptr;
  auto status = [](const std::string& s) -> std::optional<AckStatus> {
    if (s == "A") return AckStatus::kAccepted;
    if (s == "E") return AckStatus::kAcceptedWithErrors;
    if (s == "P") return AckStatus::kPartial;
    if (s == "R" || s == "M" || s == "W" || s == "X") return AckStatus::kRejected;
    return std::nullopt;
  };
  auto codes = [](const Segment& s, size_t from, std::vector<int>& out) -> bool {
    for (size_t i = from; i <= s.elements.size(); ++i) {
      if (s.element(i).empty()) continue;
      auto n = wholeNumber(s.element(i));
      if (!n || *n < 0 || *n > 999) return false;
      out.push_back(static_cast<int>(*n));
    }
    return true;
  };
  for (const Segment& s : set.segments) {
    const std::string where = s.id + " (segment " + std::to_string(s.position) + ")";
    if (s.id == "AK1") {
      if (have_ak1) return refuse("997", "a second AK1: one 997 acknowledges one group");
      have_ak1 = true;
      ack.functional_id = s.element(1);
      ack.control = s.element(2);
      if (ack.control.empty()) return refuse("997", "AK102 (the acknowledged group control number) is missing");
    } else if (s.id == "AK2") {
      if (!have_ak1 || have_ak9) return refuse("997", where + " is outside AK1 ... AK9");
      current = &ack.sets.emplace_back();
      note = nullptr;
      current->set_id = s.element(1);
      current->control = s.element(2);
    } else if (s.id == "AK3" && current) {
      note = &current->notes.emplace_back();
      note->segment_id = s.element(1);
      note->position = static_cast<size_t>(wholeNumber(s.element(2)).value_or(0));
      note->code = static_cast<int>(wholeNumber(s.element(4)).value_or(0));
    } else if (s.id == "AK4" && note) {
      ElementNote e;
      // AK401 may be a composite (element position > component position) in later versions.
      std::string pos = s.element(1);
      if (auto c = pos.find_first_not_of("0123456789"); c != std::string::npos) pos = pos.substr(0, c);
      e.position = static_cast<size_t>(wholeNumber(pos).value_or(0));
      e.code = static_cast<int>(wholeNumber(s.element(3)).value_or(0));
      e.copy = s.element(4);
      note->elements.push_back(std::move(e));
    } else if (s.id == "AK5") {
      if (!current) return refuse("997", where + " has no AK2 before it");
      auto st = status(s.element(1));
      if (!st) return refuse("997", where + ": AK501 '" + s.element(1) + "' is not a set acknowledgment code");
      current->status = *st;
      if (!codes(s, 2, current->codes)) return refuse("997", where + ": an AK5 error code is not a number");
      current = nullptr;
      note = nullptr;
    } else if (s.id == "AK9") {
      if (!have_ak1) return refuse("997", where + " has no AK1 before it");
      have_ak9 = true;
      auto st = status(s.element(1));
      if (!st) return refuse("997", where + ": AK901 '" + s.element(1) + "' is not a group acknowledgment code");
      ack.status = *st;
      auto d = wholeNumber(s.element(2)), r = wholeNumber(s.element(3)), a = wholeNumber(s.element(4));
      if (!d || !r || !a) return refuse("997", where + ": AK902..AK904 must be set counts");
      ack.declared_sets = *d;
      ack.received_sets = *r;
      ack.accepted_sets = *a;
      if (!codes(s, 5, ack.codes)) return refuse("997", where + ": an AK9 error code is not a number");
    }
  }
  if (!have_ak1) return refuse("997", "set " + set.control + " has no AK1");
  if (!have_ak9) return refuse("997", "set " + set.control + " has no AK9");
  if (ack.accepted_sets > ack.received_sets) return refuse("997", "AK9 says more sets accepted than received");
  return ack;
}

// ---- TA1 ----

Result<InterchangeAck> readInterchangeAck(const Segment& ta1) {
  if (ta1.id != "TA1") return refuse("TA1", "segment " + ta1.id.substr(0, 3) + " is not a TA1");
  auto digits = [](const std::string& v, size_t n) {
    return v.size() == n && std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  if (ta1.elements.size() < 5) return refuse("TA1", "TA1 has " + std::to_string(ta1.elements.size()) + " elements, needs 5");
  InterchangeAck ack;
  ack.control = ta1.element(1);
  ack.date = ta1.element(2);
  ack.time = ta1.element(3);
  if (!digits(ack.control, 9)) return refuse("TA1", "TA101 (the interchange control number) must be 9 digits");
  if (!digits(ack.date, 6)) return refuse("TA1", "TA102 (the interchange date) must be YYMMDD");
  if (!digits(ack.time, 4)) return refuse("TA1", "TA103 (the interchange time) must be HHMM");
  const std::string& st = ta1.element(4);
  if (st == "A") {
    ack.status = AckStatus::kAccepted;
  } else if (st == "E") {
    ack.status = AckStatus::kAcceptedWithErrors;
  } else if (st == "R") {
    ack.status = AckStatus::kRejected;
  } else {
    return refuse("TA1", "TA104 '" + st.substr(0, 8) + "' is not A, E or R");
  }
  if (!digits(ta1.element(5), 3)) return refuse("TA1", "TA105 (the note code) must be 3 digits");
  ack.note = std::stoi(ta1.element(5));
  if (ack.status == AckStatus::kAccepted && ack.note != 0) return refuse("TA1", "TA104 A with note " + ta1.element(5) + " (an error)");
  if (ack.status == AckStatus::kRejected && ack.note == 0) return refuse("TA1", "TA104 R needs a note code in TA105");
  return ack;
}

// ---- 846 ----

Result<SetOut> inventoryAdvice846(const InventoryAdvice& advice) {
  if (advice.reference.empty() || advice.date.size() != 8) return Error::reject("x12_bad_value", "846: BIA needs a reference and a CCYYMMDD date");
  SetOut set{"846", {}};
  set.segments.push_back({"BIA", {"00", advice.report_type, advice.reference, advice.date}});
  size_t n = 0;
  for (const InventoryItem& item : advice.items) {
    if (auto ok = needIds("846 item " + std::to_string(n + 1), item.ids); !ok) return ok.error();
    if (item.quantity < 0) return Error::reject("x12_bad_value", "846: a quantity below 0");
    SegmentOut lin{"LIN", {std::to_string(++n)}};
    appendIds(lin.elements, item.ids);
    set.segments.push_back(lin);
    set.segments.push_back({"QTY", {item.qualifier, std::to_string(item.quantity), item.unit}});
  }
  set.segments.push_back({"CTT", {std::to_string(n)}});
  return set;
}

Result<std::string> write846(const PartnerConfig& config, ControlNumbers& numbers, const WriteTime& time,
                             const InventoryAdvice& advice) {
  auto set = inventoryAdvice846(advice);
  if (!set) return set.error();
  return writeInterchange(config, numbers, time, "IB", {*set});
}

// ---- 855 ----

const char* lineAckCode(LineAck ack) {
  switch (ack) {
    case LineAck::kAccepted: return "IA";
    case LineAck::kBackordered: return "IB";
    case LineAck::kRejected: return "IR";
  }
  return "IR";
}

std::string PoAck::ackType() const {
  bool all_accepted = std::all_of(lines.begin(), lines.end(),
                                  [](const PoAckLine& l) { return l.status == LineAck::kAccepted && l.backordered == 0; });
  bool all_rejected = std::all_of(lines.begin(), lines.end(), [](const PoAckLine& l) { return l.status == LineAck::kRejected; });
  if (all_accepted) return "AD";
  if (all_rejected) return "RD";
  return "AC";
}

Result<SetOut> poAck855(const PoAck& ack) {
  if (ack.po_number.empty() || ack.po_date.size() != 8) return Error::reject("x12_bad_value", "855: BAK needs the PO number and its CCYYMMDD date");
  if (ack.lines.empty()) return Error::reject("x12_bad_value", "855: no lines to acknowledge");
  SetOut set{"855", {}};
  set.segments.push_back({"BAK", {"00", ack.ackType(), ack.po_number, ack.po_date}});
  for (const PoAckLine& l : ack.lines) {
    if (auto ok = needIds("855 line " + l.line, l.ids); !ok) return ok.error();
    if (l.quantity < 0 || l.ordered < 0 || l.backordered < 0) return Error::reject("x12_bad_value", "855: a quantity below 0");
    if (l.backordered > 0 && l.status == LineAck::kRejected) {
      return Error::reject("x12_bad_value", "855 line " + l.line + ": a rejected line has no backordered part");
    }
    SegmentOut po1{"PO1", {l.line, std::to_string(l.ordered), l.unit, l.unit_price, ""}};
    appendIds(po1.elements, l.ids);
    set.segments.push_back(po1);
    set.segments.push_back({"ACK", {lineAckCode(l.status), std::to_string(l.quantity), l.unit}});
    if (l.backordered > 0) set.segments.push_back({"ACK", {lineAckCode(LineAck::kBackordered), std::to_string(l.backordered), l.unit}});
  }
  set.segments.push_back({"CTT", {std::to_string(ack.lines.size())}});
  return set;
}

Result<std::string> write855(const PartnerConfig& config, ControlNumbers& numbers, const WriteTime& time, const PoAck& ack) {
  auto set = poAck855(ack);
  if (!set) return set.error();
  return writeInterchange(config, numbers, time, "PR", {*set});
}

// ---- 856 ----

Result<SetOut> shipNotice856(const ShipNotice& asn) {
  if (asn.shipment_id.empty() || asn.date.size() != 8 || asn.time.size() != 4) {
    return Error::reject("x12_bad_value", "856: BSN needs a shipment id, a CCYYMMDD date and an HHMM time");
  }
  if (asn.orders.empty()) return Error::reject("x12_bad_value", "856: no orders in the shipment");
  SetOut set{"856", {}};
  set.segments.push_back({"BSN", {"00", asn.shipment_id, asn.date, asn.time, "0002"}});  // 0002: shipment, order, item
  size_t hl = 0;
  const std::string shipment = std::to_string(++hl);
  set.segments.push_back({"HL", {shipment, "", "S"}});
  if (!asn.carrier_scac.empty()) set.segments.push_back({"TD5", {"", "2", asn.carrier_scac}});
  if (!asn.tracking.empty()) set.segments.push_back({"REF", {"CN", asn.tracking}});
  if (!asn.ship_date.empty()) set.segments.push_back({"DTM", {"011", asn.ship_date}});
  for (const Party& p : asn.parties) appendParty(set.segments, p);
  for (const AsnOrder& o : asn.orders) {
    if (o.po_number.empty()) return Error::reject("x12_bad_value", "856: an order without its PO number");
    const std::string order = std::to_string(++hl);
    set.segments.push_back({"HL", {order, shipment, "O"}});
    set.segments.push_back({"PRF", {o.po_number}});
    for (const AsnItem& item : o.items) {
      if (auto ok = needIds("856 item of PO " + o.po_number, item.ids); !ok) return ok.error();
      if (item.shipped < 0) return Error::reject("x12_bad_value", "856: a shipped quantity below 0");
      set.segments.push_back({"HL", {std::to_string(++hl), order, "I"}});
      SegmentOut lin{"LIN", {""}};
      appendIds(lin.elements, item.ids);
      set.segments.push_back(lin);
      set.segments.push_back({"SN1", {"", std::to_string(item.shipped), item.unit}});
    }
  }
  set.segments.push_back({"CTT", {std::to_string(hl)}});
  return set;
}

Result<std::string> write856(const PartnerConfig& config, ControlNumbers& numbers, const WriteTime& time,
                             const ShipNotice& asn) {
  auto set = shipNotice856(asn);
  if (!set) return set.error();
  return writeInterchange(config, numbers, time, "SH", {*set});
}

// ---- 810 ----

int64_t Invoice::totalCents() const {
  int64_t total = 0;
  for (const InvoiceLine& l : lines) total += l.quantity * l.unit_price_cents;
  return total;
}

Result<SetOut> invoice810(const Invoice& inv) {
  if (inv.invoice_number.empty() || inv.date.size() != 8 || inv.po_number.empty()) {
    return Error::reject("x12_bad_value", "810: BIG needs a CCYYMMDD date, an invoice number and the PO number");
  }
  if (inv.lines.empty()) return Error::reject("x12_bad_value", "810: no lines to invoice");
  SetOut set{"810", {}};
  int64_t total = 0;
  set.segments.push_back({"BIG", {inv.date, inv.invoice_number, inv.po_date, inv.po_number}});
  for (const InvoiceLine& l : inv.lines) {
    if (auto ok = needIds("810 line " + l.line, l.ids); !ok) return ok.error();
    if (l.quantity < 0 || l.unit_price_cents < 0) return Error::reject("x12_bad_value", "810: a quantity or price below 0");
    if (l.unit_price_cents != 0 && l.quantity > (INT64_MAX / 2 - total) / l.unit_price_cents) {
      return Error::reject("x12_bad_value", "810: line " + l.line + " overflows the total");
    }
    total += l.quantity * l.unit_price_cents;
    SegmentOut it1{"IT1", {l.line, std::to_string(l.quantity), l.unit, decimalFromCents(l.unit_price_cents), ""}};
    appendIds(it1.elements, l.ids);
    set.segments.push_back(it1);
  }
  set.segments.push_back({"TDS", {std::to_string(total)}});  // implied 2 decimals
  set.segments.push_back({"CTT", {std::to_string(inv.lines.size())}});
  return set;
}

Result<std::string> write810(const PartnerConfig& config, ControlNumbers& numbers, const WriteTime& time,
                             const Invoice& invoice) {
  auto set = invoice810(invoice);
  if (!set) return set.error();
  return writeInterchange(config, numbers, time, "IN", {*set});
}

}  // namespace sw::coordinator::edi
