#include "sw/coordinator/edi/edi_decode.h"

#include <cstdio>
#include <fstream>
#include <iostream>

#include "sw/common/http_errors.h"
#include "sw/coordinator/edi/documents.h"

namespace sw::coordinator::edi {

using nlohmann::json;

namespace {

std::string code3(int n) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%03d", n);
  return buf;
}

json idsJson(const std::vector<ProductId>& ids) {
  json out = json::object();
  for (const ProductId& id : ids) {
    if (!out.contains(id.qualifier)) out[id.qualifier] = id.value;
  }
  return out;
}

json partyJson(const Party& p) {
  return {{"role", p.role}, {"name", p.name}, {"id_qualifier", p.id_qualifier}, {"id", p.id}, {"address", p.address},
          {"city", p.city}, {"state", p.state}, {"postal_code", p.postal_code}, {"country", p.country}};
}

json purchaseOrderJson(const PurchaseOrder& po) {
  json lines = json::array();
  for (const PurchaseOrderLine& l : po.lines) {
    lines.push_back({{"line", l.line}, {"quantity", l.quantity}, {"unit", l.unit}, {"unit_price", l.unit_price},
                     {"price_basis", l.price_basis}, {"ids", idsJson(l.ids)}, {"description", l.description}});
  }
  json parties = json::array();
  for (const Party& p : po.parties) parties.push_back(partyJson(p));
  json out = {{"type", "purchase_order"}, {"purpose", po.purpose}, {"order_type", po.type}, {"po_number", po.po_number},
              {"date", po.date}, {"references", po.references}, {"dates", po.dates}, {"parties", parties},
              {"lines", lines}};
  out["ship_to"] = po.shipTo() ? partyJson(*po.shipTo()) : json(nullptr);
  return out;
}

json statusJson(AckStatus s) { return ackStatusText(s); }

json functionalAckJson(const GroupAck& a) {
  json sets = json::array();
  for (const SetAck& s : a.sets) {
    json notes = json::array();
    for (const SegmentNote& n : s.notes) {
      json elements = json::array();
      for (const ElementNote& e : n.elements) elements.push_back({{"position", e.position}, {"code", e.code}});
      notes.push_back({{"segment", n.segment_id}, {"position", n.position}, {"code", n.code}, {"elements", elements}});
    }
    sets.push_back({{"set_id", s.set_id}, {"control", s.control}, {"status", statusJson(s.status)}, {"codes", s.codes},
                    {"segment_errors", notes}});
  }
  return {{"type", "functional_ack"}, {"functional_id", a.functional_id}, {"group_control", a.control},
          {"status", statusJson(a.status)}, {"declared_sets", a.declared_sets}, {"received_sets", a.received_sets},
          {"accepted_sets", a.accepted_sets}, {"codes", a.codes}, {"sets", sets}};
}

json interchangeJson(const Interchange& ic) {
  const Separators& s = ic.separators;
  json separators = {{"element", std::string(1, s.element)}, {"component", std::string(1, s.component)},
                     {"segment", std::string(1, s.segment)}};
  separators["repetition"] = s.repetition ? json(std::string(1, *s.repetition)) : json(nullptr);
  return {{"control", ic.control},
          {"sender", {{"qualifier", ic.sender_qualifier}, {"id", ic.sender_id}}},
          {"receiver", {{"qualifier", ic.receiver_qualifier}, {"id", ic.receiver_id}}},
          {"date", ic.date},
          {"time", ic.time},
          {"version", ic.version},
          {"usage", ic.usage},
          {"ack_requested", ic.ack_requested == "1"},
          {"separators", separators}};
}

}  // namespace

common::Result<std::vector<json>> decodedSets(const ParsedFile& file) {
  std::vector<json> out;
  for (const Interchange& ic : file.interchanges) {
    json interchange = interchangeJson(ic);
    if (!ic.ta1s.empty()) {
      json ta1 = json::array();
      for (const Segment& t : ic.ta1s) {
        ta1.push_back({{"control", t.element(1)}, {"date", t.element(2)}, {"time", t.element(3)}, {"status", t.element(4)},
                       {"note", t.element(5)}});
      }
      out.push_back({{"interchange", interchange}, {"ta1", ta1}});
    }
    for (const FunctionalGroup& g : ic.groups) {
      json group = {{"functional_id", g.functional_id}, {"control", g.control}, {"sender", g.sender},
                    {"receiver", g.receiver}, {"date", g.date}, {"time", g.time}, {"version", g.version}};
      for (const TransactionSet& s : g.sets) {
        json segments = json::array();
        for (const Segment& seg : s.segments) {
          json row = json::array({seg.id});
          for (const std::string& e : seg.elements) row.push_back(e);
          segments.push_back(row);
        }
        json line = {{"interchange", interchange},
                     {"group", group},
                     {"set", {{"id", s.id}, {"control", s.control}, {"segment_count", s.segments.size()}}},
                     {"segments", segments}};
        if (s.id == "850") {
          auto po = readPurchaseOrder(s, ic.separators);
          if (!po) return po.error();
          line["document"] = purchaseOrderJson(*po);
        } else if (s.id == "997") {
          auto ack = readFunctionalAck(s);
          if (!ack) return ack.error();
          line["document"] = functionalAckJson(*ack);
        }
        out.push_back(std::move(line));
      }
    }
  }
  return out;
}

common::Error problemOf(const ParsedFile& file) {
  for (const Interchange& ic : file.interchanges) {
    if (!ic.accepted()) return common::Error::reject("x12_ta1_" + code3(ic.note), file.firstProblem());
    for (const FunctionalGroup& g : ic.groups) {
      if (!g.codes.empty()) return common::Error::reject("x12_ak9_" + std::to_string(g.codes.front()), file.firstProblem());
      for (const TransactionSet& s : g.sets) {
        if (!s.codes.empty()) return common::Error::reject("x12_ak5_" + std::to_string(s.codes.front()), file.firstProblem());
      }
    }
  }
  return common::Error::reject("x12_clean", "no problem found");
}

const common::OptionTable& ediDecodeOptions() {
  using Kind = common::OptionSpec::Kind;
  static const common::OptionTable table({
      {"file", Kind::kText, "FILE", "", 0, 0, "the X12 file", true, true},
      {"pretty", Kind::kFlag, "", "", 0, 0, "indent each set"},
  });
  return table;
}

int ediDecode(const common::ParsedOptions& args, std::ostream& out, std::ostream& err) {
  const std::string path = args.text("file");
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    err << "stockwire-coordinator edi-decode: cannot open " << path << "\n";
    return 2;
  }
  // Read at most one byte past the limit, so an endless file cannot exhaust memory.
  std::string data;
  char buf[65536];
  while (in && data.size() <= kMaxFileBytes) {
    in.read(buf, sizeof buf);
    data.append(buf, static_cast<size_t>(in.gcount()));
  }
  if (data.size() > kMaxFileBytes) {
    common::Error e = common::Error::reject("x12_too_large", path + " is larger than " + std::to_string(kMaxFileBytes) + " bytes");
    out << common::errorJson(e) << "\n";
    err << "stockwire-coordinator edi-decode: " << e.toString() << "\n";
    return 1;
  }
  ParsedFile file = parseX12(data);
  for (const std::string& w : file.warnings) err << "stockwire-coordinator edi-decode: warning: " << w << "\n";
  common::Result<std::vector<json>> sets = file.clean() ? decodedSets(file) : common::Result<std::vector<json>>(problemOf(file));
  if (!sets) {
    out << common::errorJson(sets.error()) << "\n";
    err << "stockwire-coordinator edi-decode: " << sets.error().toString() << "\n";
    return 1;
  }
  int indent = args.flag("pretty") ? 2 : -1;
  for (const json& line : *sets) out << line.dump(indent, ' ', false, json::error_handler_t::replace) << "\n";
  return 0;
}

}  // namespace sw::coordinator::edi
