#include "sw/coordinator/wholesale/partners.h"

#include <filesystem>
#include <regex>
#include <set>

#include <nlohmann/json.hpp>

#include "sw/common/files.h"

namespace sw::coordinator::wholesale {

using common::Error;
using common::Result;
using nlohmann::json;

namespace {

// Takes the value of a Result or returns its error.
#define SW_TRY_ASSIGN(var, expr)         \
  auto var##_r = (expr);                 \
  if (!var##_r) return var##_r.error(); \
  auto var = std::move(*var##_r)

Error bad(const std::string& where, const std::string& what) {
  return Error::fatal("bad_wholesale_config", "wholesale config: " + where + ": " + what);
}

// Reads the keys of one object, remembering which were read, so the rest can be refused.
class Keys {
 public:
  Keys(const json& obj, std::string where) : obj_(obj), where_(std::move(where)) {}

  Result<std::string> text(const std::string& key, std::optional<std::string> fallback) {
    seen_.insert(key);
    auto it = obj_.find(key);
    if (it == obj_.end() || it->is_null()) {
      if (fallback) return *fallback;
      return bad(where_, "\"" + key + "\" is required");
    }
    if (!it->is_string()) return bad(where_, "\"" + key + "\" must be a string");
    return it->get<std::string>();
  }
  Result<bool> flag(const std::string& key, bool fallback) {
    seen_.insert(key);
    auto it = obj_.find(key);
    if (it == obj_.end() || it->is_null()) return fallback;
    if (!it->is_boolean()) return bad(where_, "\"" + key + "\" must be true or false");
    return it->get<bool>();
  }
  Result<std::optional<int64_t>> integer(const std::string& key, int64_t min, int64_t max) {
    seen_.insert(key);
    auto it = obj_.find(key);
    if (it == obj_.end() || it->is_null()) return std::optional<int64_t>{};
    if (!it->is_number_integer()) return bad(where_, "\"" + key + "\" must be a whole number");
    int64_t v = it->get<int64_t>();
    if (v < min || v > max) {
      return bad(where_, "\"" + key + "\" must be " + std::to_string(min) + ".." + std::to_string(max));
    }
    return std::optional<int64_t>(v);
  }
  Result<const json*> object(const std::string& key, bool required) {
    seen_.insert(key);
    auto it = obj_.find(key);
    if (it == obj_.end() || it->is_null()) {
      if (required) return bad(where_, "\"" + key + "\" is required");
      return static_cast<const json*>(nullptr);
    }
    if (!it->is_object()) return bad(where_, "\"" + key + "\" must be an object");
    return &*it;
  }
  Result<const json*> array(const std::string& key) {
    seen_.insert(key);
    auto it = obj_.find(key);
    if (it == obj_.end() || it->is_null()) return static_cast<const json*>(nullptr);
    if (!it->is_array()) return bad(where_, "\"" + key + "\" must be an array");
    return &*it;
  }
  const json* raw(const std::string& key) {
    seen_.insert(key);
    auto it = obj_.find(key);
    return it == obj_.end() ? nullptr : &*it;
  }
  common::Status noOthers() const {
    for (const auto& [k, v] : obj_.items()) {
      if (!seen_.count(k)) return bad(where_, "unknown key \"" + k + "\"");
    }
    return {};
  }

 private:
  const json& obj_;
  std::string where_;
  std::set<std::string> seen_;
};

Result<char> separator(Keys& k, const std::string& key, char fallback) {
  auto t = k.text(key, std::string(1, fallback));
  if (!t) return t.error();
  if (t->size() != 1) return bad("separators", "\"" + key + "\" must be one character");
  return (*t)[0];
}

common::Status folder(const std::string& where, const std::string& path, bool create) {
  std::error_code ec;
  if (create) std::filesystem::create_directories(path, ec);
  if (!std::filesystem::is_directory(path, ec)) {
    return bad(where, "folder " + path + (create ? " cannot be created" : " does not exist"));
  }
  return {};
}

Result<Partner> parsePartner(const json& p, size_t index) {
  if (!p.is_object()) return bad("partners[" + std::to_string(index) + "]", "must be an object");
  std::string where = "partners[" + std::to_string(index) + "]";
  Keys k(p, where);
  Partner out;
  SW_TRY_ASSIGN(id, k.text("id", std::nullopt));
  static const std::regex kId("[a-z0-9_-]{1,32}");
  if (!std::regex_match(id, kId)) return bad(where, "\"id\" must be 1..32 of a-z, 0-9, _ and -, not '" + id + "'");
  out.id = id;
  where = "partner " + id;
  edi::PartnerConfig& e = out.envelope;
  for (const char* side : {"us", "them"}) {
    SW_TRY_ASSIGN(obj, k.object(side, true));
    Keys s(*obj, where + "." + side);
    SW_TRY_ASSIGN(qualifier, s.text("qualifier", std::string("ZZ")));
    SW_TRY_ASSIGN(isa_id, s.text("id", std::nullopt));
    SW_TRY_ASSIGN(gs_id, s.text("gs_id", std::string()));
    if (auto st = s.noOthers(); !st) return st.error();
    if (std::string(side) == "us") {
      e.sender_qualifier = qualifier;
      e.sender_id = isa_id;
      e.gs_sender = gs_id;
    } else {
      e.receiver_qualifier = qualifier;
      e.receiver_id = isa_id;
      e.gs_receiver = gs_id;
    }
  }
  SW_TRY_ASSIGN(version, k.text("version", e.version));
  SW_TRY_ASSIGN(gs_version, k.text("gs_version", e.gs_version));
  e.version = version;
  e.gs_version = gs_version;
  SW_TRY_ASSIGN(seps, k.object("separators", false));
  if (seps) {
    Keys s(*seps, where + ".separators");
    SW_TRY_ASSIGN(element, separator(s, "element", e.separators.element));
    SW_TRY_ASSIGN(component, separator(s, "component", e.separators.component));
    SW_TRY_ASSIGN(segment, separator(s, "segment", e.separators.segment));
    SW_TRY_ASSIGN(repetition, separator(s, "repetition", e.separators.repetition.value_or('^')));
    if (auto st = s.noOthers(); !st) return st.error();
    e.separators = {element, component, segment, repetition};
  }
  SW_TRY_ASSIGN(usage, k.text("usage", std::string("P")));
  if (usage != "P" && usage != "T") return bad(where, "\"usage\" must be P (production) or T (test)");
  e.usage = usage[0];
  SW_TRY_ASSIGN(partial, k.flag("partial_lines", false));
  out.partial_lines = partial;
  SW_TRY_ASSIGN(ship_backorders, k.flag("ship_backorders", true));  // only partial_lines backorders units
  out.ship_backorders = ship_backorders;
  SW_TRY_ASSIGN(ta1, k.flag("request_ta1", false));
  SW_TRY_ASSIGN(breaks, k.flag("line_breaks", false));
  e.request_ta1 = ta1;
  e.line_break_after_segment = breaks;
  if (auto st = edi::checkPartnerConfig(e); !st) return bad(where, st.error().message);

  SW_TRY_ASSIGN(folders, k.object("folders", true));
  {
    Keys f(*folders, where + ".folders");
    SW_TRY_ASSIGN(in, f.text("inbound", std::nullopt));
    SW_TRY_ASSIGN(outbound, f.text("outbound", std::nullopt));
    SW_TRY_ASSIGN(archive, f.text("archive", std::nullopt));
    if (auto st = f.noOthers(); !st) return st.error();
    std::set<std::string> distinct;
    for (const std::string* dir : {&in, &outbound, &archive}) {
      distinct.insert(std::filesystem::weakly_canonical(*dir).string());
    }
    if (distinct.size() != 3) return bad(where + ".folders", "inbound, outbound and archive must be three different folders");
    if (auto st = folder(where + ".folders.inbound", in, false); !st) return st.error();
    if (auto st = folder(where + ".folders.outbound", outbound, true); !st) return st.error();
    if (auto st = folder(where + ".folders.archive", archive, true); !st) return st.error();
    out.inbound_dir = in;
    out.outbound_dir = outbound;
    out.archive_dir = archive;
  }
  SW_TRY_ASSIGN(inv, k.object("inventory", false));
  if (inv) {
    Keys i(*inv, where + ".inventory");
    SW_TRY_ASSIGN(interval, i.integer("interval_s", 0, 7 * 86'400));
    if (interval) out.inventory.interval_ms = *interval * 1000;
    SW_TRY_ASSIGN(locations, i.array("locations"));
    if (locations) {
      for (const json& l : *locations) {
        if (!l.is_string() || l.get<std::string>().empty()) return bad(where + ".inventory", "\"locations\" holds location names");
        out.inventory.locations.push_back(l.get<std::string>());
      }
    }
    SW_TRY_ASSIGN(safety, i.integer("safety_stock", 0, 1'000'000'000));
    if (safety) out.inventory.safety_stock = *safety;
    const json* percent = i.raw("percent");
    if (percent && !percent->is_null()) {
      if (!percent->is_number() || percent->get<double>() < 0 || percent->get<double>() > 100) {
        return bad(where + ".inventory", "\"percent\" must be a number 0..100");
      }
      out.inventory.percent = percent->get<double>();
    }
    SW_TRY_ASSIGN(cap, i.integer("cap", 0, 1'000'000'000));
    out.inventory.cap = cap;
    if (auto st = i.noOthers(); !st) return st.error();
  }
  SW_TRY_ASSIGN(items, k.array("items"));
  if (!items || items->empty()) return bad(where, "\"items\" must list the SKUs this partner buys");
  std::set<std::string> skus;
  for (size_t n = 0; n < items->size(); ++n) {
    const json& it = (*items)[n];
    std::string iw = where + ".items[" + std::to_string(n) + "]";
    if (!it.is_object()) return bad(iw, "must be an object");
    Keys ik(it, iw);
    PartnerItem item;
    SW_TRY_ASSIGN(sku, ik.text("sku", std::nullopt));
    if (sku.empty() || !skus.insert(sku).second) return bad(iw, "\"sku\" must be given once per SKU");
    item.sku = sku;
    SW_TRY_ASSIGN(ids, ik.object("ids", false));
    if (ids) {
      for (const auto& [q, v] : ids->items()) {
        if (q.size() != 2 || !v.is_string() || v.get<std::string>().empty()) {
          return bad(iw, "\"ids\" maps two-letter X12 qualifiers (VN, UP, IN, BP) to the partner's ids");
        }
        item.ids.push_back({q, v.get<std::string>()});
      }
    }
    if (auto st = ik.noOthers(); !st) return st.error();
    out.items.push_back(std::move(item));
  }
  SW_TRY_ASSIGN(currency, k.text("currency", out.currency));
  SW_TRY_ASSIGN(country, k.text("country", out.country));
  SW_TRY_ASSIGN(ship_from, k.text("ship_from", out.ship_from));
  SW_TRY_ASSIGN(scac, k.text("carrier_scac", out.carrier_scac));
  out.currency = currency;
  out.country = country;
  out.ship_from = ship_from;
  out.carrier_scac = scac;
  if (auto st = k.noOthers(); !st) return st.error();
  return out;
}

}  // namespace

std::string Partner::skuFor(const std::vector<edi::ProductId>& ids) const {
  for (const PartnerItem& item : items) {
    for (const edi::ProductId& mine : item.ids) {
      for (const edi::ProductId& theirs : ids) {
        if (mine == theirs) return item.sku;
      }
    }
  }
  for (const char* q : {"VN", "SK", "IN", "BP"}) {
    std::string v = edi::productId(ids, q);
    if (v.empty()) continue;
    for (const PartnerItem& item : items) {
      if (item.sku == v) return v;
    }
  }
  return "";
}

std::vector<edi::ProductId> Partner::idsFor(const std::string& sku) const {
  for (const PartnerItem& item : items) {
    if (item.sku == sku && !item.ids.empty()) return item.ids;
  }
  return {{"VN", sku}};
}

const Partner* WholesaleConfig::find(const std::string& id) const {
  for (const Partner& p : partners) {
    if (p.id == id) return &p;
  }
  return nullptr;
}

Result<WholesaleConfig> parseWholesaleConfig(const json& config) {
  if (!config.is_object()) return bad("top level", "must be an object with \"partners\"");
  Keys k(config, "top level");
  SW_TRY_ASSIGN(partners, k.array("partners"));
  if (auto st = k.noOthers(); !st) return st.error();
  if (!partners || partners->empty()) return bad("top level", "\"partners\" must list at least one partner");
  WholesaleConfig out;
  std::set<std::string> ids, inbound, senders;
  for (size_t i = 0; i < partners->size(); ++i) {
    SW_TRY_ASSIGN(p, parsePartner((*partners)[i], i));
    if (!ids.insert(p.id).second) return bad("partner " + p.id, "is listed twice");
    if (!inbound.insert(std::filesystem::weakly_canonical(p.inbound_dir).string()).second) {
      return bad("partner " + p.id, "shares its inbound folder with another partner");
    }
    out.partners.push_back(std::move(p));
  }
  return out;
}

Result<WholesaleConfig> loadWholesaleConfig(const std::string& path) {
  auto text = common::readFile(path);
  if (!text) return Error::fatal("bad_wholesale_config", "cannot read the wholesale config " + path);
  json j = json::parse(*text, nullptr, false);
  if (j.is_discarded()) return Error::fatal("bad_wholesale_config", "the wholesale config " + path + " is not valid JSON");
  return parseWholesaleConfig(j);
}

}  // namespace sw::coordinator::wholesale
