#include "sw/coordinator/catalog/catalog_import.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <set>

#include "sw/common/csv.h"
#include "sw/common/event.h"
#include "sw/common/gtin.h"
#include "sw/common/pricing.h"

namespace sw::coordinator {

using common::Error;
using nlohmann::json;

namespace {

// One row as read, before its fields are checked: fields as JSON values (CSV gives strings).
struct Record {
  size_t row = 0;
  std::optional<RowError> error;  // the row could not even be read
  json fields = json::object();
};

bool validUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n = 0;
    uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c >> 5) == 0x6) {
      n = 1;
      cp = c & 0x1F;
    } else if ((c >> 4) == 0xE) {
      n = 2;
      cp = c & 0x0F;
    } else if ((c >> 3) == 0x1E) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;
    for (size_t k = 1; k <= n; ++k) {
      unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc >> 6) != 0x2) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong forms, surrogates and code points past U+10FFFF are not UTF-8.
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += n + 1;
  }
  return true;
}

std::string trimmed(std::string_view s) {
  size_t b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return "";
  size_t e = s.find_last_not_of(" \t");
  return std::string(s.substr(b, e - b + 1));
}

// A short, printable quote of bad input for an error message.
std::string quote(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 40)) out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? '?' : c;
  return "'" + out + (s.size() > 40 ? "...'" : "'");
}

struct Columns {
  std::vector<std::string> required;
  std::vector<std::string> optional;
  bool known(const std::string& c) const {
    return std::count(required.begin(), required.end(), c) + std::count(optional.begin(), optional.end(), c) > 0;
  }
};

common::Result<std::vector<Record>> readCsv(std::string_view body, const Columns& cols, const ImportLimits& limits) {
  common::CsvReader reader(body, limits.max_row_bytes);
  size_t row = 0;
  std::vector<std::string> fields;
  std::optional<common::CsvRowError> error;
  if (!reader.next(&row, &fields, &error)) return Error::reject("empty_body", "the upload has no header row");
  if (error) return Error::reject("bad_header", "line " + std::to_string(row) + ": " + error->message);
  std::vector<std::string> header;
  for (const std::string& f : fields) {
    std::string name = trimmed(f);
    if (!cols.known(name)) {
      return Error::reject("bad_header", "unknown_column: " + quote(name) + " is not a column of this upload");
    }
    if (std::count(header.begin(), header.end(), name)) {
      return Error::reject("bad_header", "duplicate_column: " + quote(name) + " appears twice");
    }
    header.push_back(name);
  }
  for (const std::string& r : cols.required) {
    bool has = std::count(header.begin(), header.end(), r) > 0;
    // Prices need one of location/price_list, checked per row; the others must be there.
    if (!has) return Error::reject("bad_header", "missing_column: the header has no '" + r + "' column");
  }
  std::vector<Record> out;
  while (reader.next(&row, &fields, &error)) {
    if (out.size() >= limits.max_rows) {
      return Error::reject("too_many_rows", "more than " + std::to_string(limits.max_rows) +
                                                " rows in one upload; split it");
    }
    Record rec;
    rec.row = row;
    if (error) {
      rec.error = RowError{error->line, error->code, error->message};
    } else if (fields.size() != header.size()) {
      rec.error = RowError{row, "wrong_field_count", "the row has " + std::to_string(fields.size()) +
                                                         " fields, the header " + std::to_string(header.size())};
    } else {
      for (size_t i = 0; i < header.size(); ++i) {
        if (!validUtf8(fields[i])) {
          rec.error = RowError{row, "bad_utf8", "column '" + header[i] + "' is not valid UTF-8"};
          break;
        }
        if (!fields[i].empty()) rec.fields[header[i]] = fields[i];
      }
    }
    out.push_back(std::move(rec));
  }
  return out;
}

common::Result<std::vector<Record>> readJsonLines(std::string_view body, const ImportLimits& limits) {
  std::vector<Record> out;
  size_t line = 0;
  size_t p = 0;
  while (p < body.size()) {
    ++line;
    size_t nl = body.find('\n', p);
    std::string_view l = body.substr(p, nl == std::string_view::npos ? std::string_view::npos : nl - p);
    p = nl == std::string_view::npos ? body.size() : nl + 1;
    if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
    if (l.find_first_not_of(" \t") == std::string_view::npos) continue;
    if (out.size() >= limits.max_rows) {
      return Error::reject("too_many_rows", "more than " + std::to_string(limits.max_rows) +
                                                " rows in one upload; split it");
    }
    Record rec;
    rec.row = line;
    if (l.size() > limits.max_row_bytes) {
      rec.error = RowError{line, "row_too_long", "the row is longer than " + std::to_string(limits.max_row_bytes) + " bytes"};
    } else {
      json j = json::parse(l, nullptr, false);
      if (j.is_discarded()) rec.error = RowError{line, "bad_json", "the line is not one JSON value"};
      else if (!j.is_object()) rec.error = RowError{line, "bad_json", "each line must be a JSON object"};
      else rec.fields = std::move(j);
    }
    out.push_back(std::move(rec));
  }
  if (out.empty()) return Error::reject("empty_body", "the upload has no rows");
  return out;
}

common::Result<std::vector<Record>> readRecords(std::string_view body, ImportFormat format, const Columns& cols,
                                                const ImportLimits& limits) {
  if (body.substr(0, 3) == "\xEF\xBB\xBF") body.remove_prefix(3);  // the BOM spreadsheet programs write
  if (format == ImportFormat::kCsv) return readCsv(body, cols, limits);
  auto recs = readJsonLines(body, limits);
  if (!recs) return recs;
  for (Record& r : *recs) {
    if (r.error) continue;
    for (const auto& [k, v] : r.fields.items()) {
      if (!cols.known(k)) {
        r.error = RowError{r.row, "unknown_field", quote(k) + " is not a field of this upload"};
        break;
      }
    }
  }
  return recs;
}

// Field readers: a JSON value or a CSV string, with one error per row (the first found).
class Fields {
 public:
  explicit Fields(const Record& r) : r_(r) {}
  std::optional<RowError> error;

  bool has(const char* k) const { return r_.fields.contains(k) && !r_.fields[k].is_null(); }

  std::string str(const char* k, bool required) {
    if (error) return "";
    if (!has(k)) {
      if (required) fail("missing_field", std::string("'") + k + "' is required");
      return "";
    }
    const json& v = r_.fields[k];
    if (!v.is_string()) {
      fail("bad_type", std::string("'") + k + "' must be a string");
      return "";
    }
    return v.get<std::string>();
  }

  bool boolean(const char* k, bool required, bool dflt) {
    if (error) return dflt;
    if (!has(k)) {
      if (required) fail("missing_field", std::string("'") + k + "' is required");
      return dflt;
    }
    const json& v = r_.fields[k];
    if (v.is_boolean()) return v.get<bool>();
    if (v.is_string()) {
      std::string s = v.get<std::string>();
      std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      if (s == "true" || s == "1" || s == "yes") return true;
      if (s == "false" || s == "0" || s == "no") return false;
    }
    fail("bad_bool", std::string("'") + k + "' must be true or false");
    return dflt;
  }

  // A JSON array of strings, or (CSV) one string with '|' between the items.
  std::vector<std::string> list(const char* k) {
    std::vector<std::string> out;
    if (error || !has(k)) return out;
    const json& v = r_.fields[k];
    if (v.is_array()) {
      for (const json& e : v) {
        if (!e.is_string()) {
          fail("bad_type", std::string("'") + k + "' must be a list of strings");
          return {};
        }
        out.push_back(e.get<std::string>());
      }
    } else if (v.is_string()) {
      std::string s = v.get<std::string>();
      size_t p = 0;
      while (p <= s.size()) {
        size_t bar = s.find('|', p);
        std::string item = trimmed(std::string_view(s).substr(p, bar == std::string::npos ? std::string::npos : bar - p));
        if (!item.empty()) out.push_back(item);
        if (bar == std::string::npos) break;
        p = bar + 1;
      }
    } else {
      fail("bad_type", std::string("'") + k + "' must be a list");
    }
    return out;
  }

  void fail(const char* code, std::string message) {
    if (!error) error = RowError{r_.row, code, std::move(message)};
  }

 private:
  const Record& r_;
};

bool isText(const std::string& s, size_t max) {
  if (s.empty() || s.size() > max || !validUtf8(s)) return false;
  return std::none_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

bool isCurrency(const std::string& s) {
  return s.size() == 3 && std::all_of(s.begin(), s.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

// Rows sharing a key are all refused: which one was meant cannot be known.
template <typename Row, typename KeyFn>
void refuseDuplicates(std::vector<Row>* rows, std::vector<RowError>* errors, KeyFn key, const char* what) {
  std::map<std::string, std::vector<size_t>> seen;
  for (const Row& r : *rows) seen[key(r)].push_back(r.row);
  std::vector<Row> kept;
  for (Row& r : *rows) {
    const auto& at = seen[key(r)];
    if (at.size() == 1) {
      kept.push_back(std::move(r));
      continue;
    }
    std::string others;
    for (size_t n : at) {
      if (n != r.row) others += (others.empty() ? "" : ", ") + std::to_string(n);
    }
    errors->push_back({r.row, "duplicate_row", std::string("the same ") + what + " is also on row " + others});
  }
  *rows = std::move(kept);
}

void sortErrors(std::vector<RowError>* errors) {
  std::stable_sort(errors->begin(), errors->end(), [](const RowError& a, const RowError& b) { return a.row < b.row; });
}

}  // namespace

common::Status checkUploadEncoding(std::string_view body, std::string_view ct) {
  const std::string save_as = "; save or export the file as UTF-8 (CSV UTF-8) and upload it again";
  std::string lower(ct);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (auto p = lower.find("charset="); p != std::string::npos) {
    std::string cs = trimmed(std::string_view(lower).substr(p + 8));
    cs = cs.substr(0, cs.find(';'));
    if (cs.size() >= 2 && cs.front() == '"' && cs.back() == '"') cs = cs.substr(1, cs.size() - 2);
    if (cs != "utf-8" && cs != "utf8" && cs != "us-ascii") {
      return Error::reject("bad_encoding", "the Content-Type says charset=" + cs + "; uploads are read as UTF-8 only" +
                                               save_as);
    }
  }
  auto starts = [&](std::string_view bom) { return body.substr(0, bom.size()) == bom; };
  const char* what = nullptr;
  if (starts(std::string_view("\xFF\xFE\x00\x00", 4))) what = "UTF-32 little-endian (from its byte-order mark)";
  else if (starts(std::string_view("\x00\x00\xFE\xFF", 4))) what = "UTF-32 big-endian (from its byte-order mark)";
  else if (starts("\xFF\xFE")) what = "UTF-16 little-endian (from its byte-order mark)";
  else if (starts("\xFE\xFF")) what = "UTF-16 big-endian (from its byte-order mark)";
  if (what) return Error::reject("bad_encoding", std::string("the upload is ") + what + ", not UTF-8" + save_as);
  if (auto nul = body.find('\0'); nul != std::string_view::npos) {
    // ASCII text in UTF-16 has a NUL beside every character: after it (LE) or before it (BE).
    const char* guess = nul % 2 == 1 ? " (it looks like UTF-16 little-endian without a byte-order mark)"
                                     : " (it looks like UTF-16 big-endian without a byte-order mark)";
    return Error::reject("bad_encoding", "the upload holds a NUL byte at offset " + std::to_string(nul) +
                                             ", which UTF-8 text never does" + guess + save_as);
  }
  return {};
}

std::optional<ImportFormat> importFormatFor(std::string_view ct) {
  std::string t = trimmed(ct.substr(0, ct.find(';')));
  std::transform(t.begin(), t.end(), t.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (t == "application/x-ndjson" || t == "application/jsonl" || t == "application/x-jsonlines" ||
      t == "application/jsonlines" || t == "application/ndjson") {
    return ImportFormat::kJsonLines;
  }
  if (t == "text/csv") return ImportFormat::kCsv;
  return std::nullopt;
}

bool isWeightUnit(std::string_view unit) { return unit == "kg" || unit == "g" || unit == "lb" || unit == "oz"; }

common::Result<ParsedImport<CatalogRow>> parseCatalogImport(std::string_view body, ImportFormat format,
                                                            const ImportLimits& limits) {
  Columns cols{{"sku", "gtins", "name", "unit", "weight_priced", "tax_class"}, {"active", "weight_kg"}};
  auto recs = readRecords(body, format, cols, limits);
  if (!recs) return recs.error();
  ParsedImport<CatalogRow> out;
  out.total_rows = recs->size();
  for (const Record& rec : *recs) {
    if (rec.error) {
      out.errors.push_back(*rec.error);
      continue;
    }
    Fields f(rec);
    CatalogRow row;
    row.row = rec.row;
    row.sku = f.str("sku", true);
    if (!f.error && !common::isValidSku(row.sku)) f.fail("bad_sku", "sku must be 1-64 printable ASCII characters");
    if (!f.error && format == ImportFormat::kJsonLines && !f.has("gtins")) f.fail("missing_field", "'gtins' is required (may be [])");
    for (const std::string& g : f.list("gtins")) {
      if (f.error) break;
      auto n = common::normalizeGtin(g);
      if (!n) {
        f.fail(n.error().code == "bad_check_digit" ? "bad_check_digit" : "bad_gtin", n.error().message);
        break;
      }
      if (std::find(row.gtins.begin(), row.gtins.end(), *n) == row.gtins.end()) row.gtins.push_back(*n);
    }
    row.name = f.str("name", true);
    if (!f.error && !isText(row.name, 200)) f.fail("bad_name", "name must be 1-200 bytes of UTF-8 without control characters");
    row.unit = f.str("unit", true);
    if (!f.error && std::find(std::begin(kUnits), std::end(kUnits), row.unit) == std::end(kUnits)) {
      f.fail("bad_unit", quote(row.unit) + " is not a unit (each, kg, g, lb, oz, l, ml, m, cm)");
    }
    row.weight_priced = f.boolean("weight_priced", true, false);
    if (!f.error && row.weight_priced && !isWeightUnit(row.unit)) {
      f.fail("bad_unit", "a weight-priced item needs a weight unit (kg, g, lb, oz)");
    }
    row.tax_class = f.str("tax_class", true);
    if (!f.error && !common::isValidId(row.tax_class)) f.fail("bad_tax_class", "tax_class must be 1-64 of [A-Za-z0-9._:-]");
    row.active = f.boolean("active", false, true);
    // The shipping weight of one unit (routing prices parcels by it): a decimal string or a number
    // of kg, more than 0 and at most 1000, kept in grams.
    if (!f.error && f.has("weight_kg") && !(rec.fields["weight_kg"].is_string() && trimmed(rec.fields["weight_kg"].get<std::string>()).empty())) {
      const json& w = rec.fields["weight_kg"];
      std::optional<double> kg;
      if (w.is_number()) {
        kg = w.get<double>();
      } else if (w.is_string()) {
        std::string t = trimmed(w.get<std::string>());
        double d = 0;
        auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), d);
        if (ec == std::errc() && p == t.data() + t.size()) kg = d;
      }
      if (!kg || !(*kg > 0 && *kg <= 1000)) {
        f.fail("bad_weight", "weight_kg must be a number of kg above 0 and at most 1000, such as \"0.45\"");
      } else {
        row.ship_weight_g = std::max<int64_t>(1, static_cast<int64_t>(std::llround(*kg * 1000)));
      }
    }
    if (f.error) out.errors.push_back(*f.error);
    else out.rows.push_back(std::move(row));
  }
  refuseDuplicates(&out.rows, &out.errors, [](const CatalogRow& r) { return r.sku; }, "sku");
  // A GTIN names one item: two rows claiming it are both refused.
  std::map<std::string, std::vector<size_t>> owners;
  for (const CatalogRow& r : out.rows) {
    for (const std::string& g : r.gtins) owners[g].push_back(r.row);
  }
  std::vector<CatalogRow> kept;
  for (CatalogRow& r : out.rows) {
    std::string clash;
    for (const std::string& g : r.gtins) {
      if (owners[g].size() > 1) clash = g;
    }
    if (clash.empty()) kept.push_back(std::move(r));
    else out.errors.push_back({r.row, "duplicate_gtin", "GTIN " + clash + " is on more than one row of this upload"});
  }
  out.rows = std::move(kept);
  sortErrors(&out.errors);
  return out;
}

common::Result<ParsedImport<PriceRow>> parsePriceImport(std::string_view body, ImportFormat format,
                                                        const ImportLimits& limits) {
  Columns cols{{"sku", "price", "currency"}, {"location", "price_list", "promotion", "starts_at", "ends_at"}};
  auto recs = readRecords(body, format, cols, limits);
  if (!recs) return recs.error();
  ParsedImport<PriceRow> out;
  out.total_rows = recs->size();
  for (const Record& rec : *recs) {
    if (rec.error) {
      out.errors.push_back(*rec.error);
      continue;
    }
    Fields f(rec);
    PriceRow row;
    row.row = rec.row;
    row.sku = f.str("sku", true);
    if (!f.error && !common::isValidSku(row.sku)) f.fail("bad_sku", "sku must be 1-64 printable ASCII characters");
    if (!f.error && f.has("price") && rec.fields["price"].is_number()) {
      f.fail("bad_price", "price must be a decimal string such as \"9.99\" (a JSON number may not be exact)");
    }
    std::string price = f.str("price", true);
    if (!f.error) {
      auto d = common::Decimal::parse(price);
      if (!d) f.fail("bad_price", d.error().message);
      else if (d->scaled() < 0) f.fail("bad_price", "a price cannot be negative");
      else row.price = *d;
    }
    row.currency = f.str("currency", true);
    if (!f.error && !isCurrency(row.currency)) f.fail("bad_currency", "currency must be an ISO 4217 code such as EUR");
    row.location = f.str("location", false);
    row.price_list = f.str("price_list", false);
    if (!f.error && row.location.empty() == row.price_list.empty()) {
      f.fail("bad_scope", "give exactly one of location and price_list");
    }
    if (!f.error && !common::isValidId(row.location.empty() ? row.price_list : row.location)) {
      f.fail("bad_scope", "location and price_list must be 1-64 of [A-Za-z0-9._:-]");
    }
    row.promotion = f.str("promotion", false);
    std::string starts = f.str("starts_at", false);
    std::string ends = f.str("ends_at", false);
    if (!f.error && row.promotion.empty() && (!starts.empty() || !ends.empty())) {
      f.fail("bad_promotion", "starts_at and ends_at belong to a promotion: give its id in 'promotion'");
    }
    if (!f.error && !row.promotion.empty()) {
      if (!common::isValidId(row.promotion)) f.fail("bad_promotion", "promotion must be 1-64 of [A-Za-z0-9._:-]");
      else if (starts.empty() || ends.empty()) f.fail("bad_promotion", "a promotion needs starts_at and ends_at");
      auto s = f.error ? common::Result<int64_t>(0) : common::parseIsoUtcMs(starts);
      auto e = f.error ? common::Result<int64_t>(0) : common::parseIsoUtcMs(ends);
      if (!s) f.fail("bad_date", "starts_at: " + s.error().message);
      else if (!e) f.fail("bad_date", "ends_at: " + e.error().message);
      else if (!f.error && *e <= *s) f.fail("bad_date", "ends_at must be after starts_at");
      else if (!f.error) {
        row.starts_at_ms = *s;
        row.ends_at_ms = *e;
      }
    }
    if (f.error) out.errors.push_back(*f.error);
    else out.rows.push_back(std::move(row));
  }
  refuseDuplicates(&out.rows, &out.errors,
                   [](const PriceRow& r) { return r.scope() + "\n" + r.sku + "\n" + r.promotion; },
                   "sku, location or price list, and promotion");
  sortErrors(&out.errors);
  return out;
}

}  // namespace sw::coordinator
