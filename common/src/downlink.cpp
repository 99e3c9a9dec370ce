#include "sw/common/downlink.h"

#include <charconv>

#include "sw/common/event.h"

namespace sw::common {

using nlohmann::json;

namespace {

Result<json> parseObject(std::string_view bytes, const char* what) {
  json j = json::parse(bytes.begin(), bytes.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Error::reject("malformed", std::string(what) + " is not a JSON object");
  if (!j.contains("v") || !j["v"].is_number_integer() || j["v"].get<int64_t>() != 1) {
    return Error::reject("unsupported_version", std::string(what) + " has no supported version");
  }
  return j;
}

bool str(const json& j, const char* key, std::string* out, bool required = true) {
  auto it = j.find(key);
  if (it == j.end()) return !required;
  if (!it->is_string()) return false;
  *out = it->get<std::string>();
  return true;
}

bool num(const json& j, const char* key, int64_t* out, bool required = true) {
  auto it = j.find(key);
  if (it == j.end()) return !required;
  if (!it->is_number_integer()) return false;
  *out = it->get<int64_t>();
  return *out >= 0;
}

bool flag(const json& j, const char* key, bool* out) {
  auto it = j.find(key);
  if (it == j.end()) return true;
  if (!it->is_boolean()) return false;
  *out = it->get<bool>();
  return true;
}

bool validKind(const std::string& k) { return isValidId(k); }

}  // namespace

std::string encodeDownRequest(const DownRequest& r) {
  json j = {{"v", 1}, {"kind", r.kind}, {"loc", r.location}, {"have", r.have}};
  if (!r.cursor.empty()) j["cursor"] = r.cursor;
  return j.dump();
}

Result<DownRequest> decodeDownRequest(std::string_view bytes) {
  auto j = parseObject(bytes, "request");
  if (!j) return j.error();
  DownRequest r;
  if (!str(*j, "kind", &r.kind) || !str(*j, "loc", &r.location) || !num(*j, "have", &r.have) ||
      !str(*j, "cursor", &r.cursor, false)) {
    return Error::reject("malformed", "request needs kind, loc (strings) and have (a whole number >= 0)");
  }
  if (!validKind(r.kind) || !isValidId(r.location)) return Error::reject("malformed", "bad kind or location");
  if (r.cursor.size() > 256) return Error::reject("malformed", "cursor too long");
  return r;
}

std::string encodeDownPage(const DownPage& p) {
  json j = {{"v", 1}, {"kind", p.kind}, {"loc", p.location}, {"snapshot", p.snapshot}, {"version", p.version},
            {"more", p.more}, {"items", p.items}, {"meta", p.meta}};
  if (!p.cursor.empty()) j["cursor"] = p.cursor;
  return j.dump();
}

Result<DownPage> decodeDownPage(std::string_view bytes) {
  auto j = parseObject(bytes, "page");
  if (!j) return j.error();
  DownPage p;
  if (!str(*j, "kind", &p.kind) || !str(*j, "loc", &p.location) || !num(*j, "version", &p.version) ||
      !flag(*j, "snapshot", &p.snapshot) || !flag(*j, "more", &p.more) || !str(*j, "cursor", &p.cursor, false)) {
    return Error::reject("malformed", "page fields have the wrong types");
  }
  auto items = j->find("items");
  if (items == j->end() || !items->is_array()) return Error::reject("malformed", "page items must be an array");
  p.items = std::move(*items);
  auto meta = j->find("meta");
  if (meta != j->end()) {
    if (!meta->is_object()) return Error::reject("malformed", "page meta must be an object");
    p.meta = std::move(*meta);
  }
  return p;
}

std::string encodeDownNotice(const DownNotice& n) {
  return json{{"v", 1}, {"loc", n.location}, {"versions", n.versions}, {"at", n.at_ms}}.dump();
}

Result<DownNotice> decodeDownNotice(std::string_view bytes) {
  auto j = parseObject(bytes, "notice");
  if (!j) return j.error();
  DownNotice n;
  if (!str(*j, "loc", &n.location) || !num(*j, "at", &n.at_ms, false)) {
    return Error::reject("malformed", "notice needs loc");
  }
  auto v = j->find("versions");
  if (v == j->end() || !v->is_object()) return Error::reject("malformed", "notice versions must be an object");
  for (auto& [k, val] : v->items()) {
    if (!val.is_number_integer() || val.get<int64_t>() < 0) return Error::reject("malformed", "bad version for " + k);
    n.versions[k] = val.get<int64_t>();
  }
  return n;
}

Result<std::optional<DeltaCursor>> parseDeltaCursor(std::string_view c, bool with_key) {
  if (c.empty()) return std::optional<DeltaCursor>{};
  const Error bad = Error::reject("bad_cursor", "unreadable cursor");
  if (c.substr(0, 2) != "d:") return bad;
  std::string_view rest = c.substr(2);
  size_t colon = with_key ? rest.find(':') : rest.size();
  if (colon == std::string_view::npos) return bad;
  DeltaCursor out;
  auto [p, ec] = std::from_chars(rest.data(), rest.data() + colon, out.version);
  if (ec != std::errc() || p != rest.data() + colon) return bad;
  if (with_key) out.key = std::string(rest.substr(colon + 1));
  return std::optional<DeltaCursor>(std::move(out));
}

std::string deltaCursor(int64_t version, std::string_view key) {
  return "d:" + std::to_string(version) + ":" + std::string(key);
}

std::string deltaCursor(int64_t version) { return "d:" + std::to_string(version); }

}  // namespace sw::common
