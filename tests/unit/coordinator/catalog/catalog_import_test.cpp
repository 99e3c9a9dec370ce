// Catalog and price uploads: CSV and JSON lines readers, row checks, and what is refused.

#include <gtest/gtest.h>

#include "sw/coordinator/catalog/catalog_import.h"

using namespace sw;
using coordinator::ImportFormat;
using coordinator::ImportLimits;
using coordinator::parseCatalogImport;
using coordinator::parsePriceImport;
using coordinator::RowError;

namespace {

constexpr ImportFormat kCsv = ImportFormat::kCsv;
constexpr ImportFormat kJsonl = ImportFormat::kJsonLines;

const char* kCatalogHeader = "sku,gtins,name,unit,weight_priced,tax_class\n";

// The code of the error on `row`, or "" if that row has none.
template <typename P>
std::string errorAt(const P& parsed, size_t row) {
  for (const RowError& e : parsed.errors) {
    if (e.row == row) return e.code;
  }
  return "";
}

}  // namespace

TEST(CatalogImport, ContentTypes) {
  EXPECT_EQ(coordinator::importFormatFor("text/csv; charset=utf-8"), kCsv);
  EXPECT_EQ(coordinator::importFormatFor("application/x-ndjson"), kJsonl);
  EXPECT_EQ(coordinator::importFormatFor("Application/JSONL"), kJsonl);
  EXPECT_FALSE(coordinator::importFormatFor("application/json").has_value());
  EXPECT_FALSE(coordinator::importFormatFor("").has_value());
}

TEST(CatalogImport, CsvRowsWithQuotingAndGtinsNormalised) {
  std::string body = std::string(kCatalogHeader) +
                     "SKU-1,4006381333931|96385074,\"Pencil, \"\"HB\"\"\",each,false,std\r\n"
                     "SKU-2,,Apples,kg,true,food\n"
                     "SKU-4,,\"Two\nlines\",kg,true,food\n"  // read, but a name is one line
                     "\n"
                     "SKU-3,00012345678905,Cable,m,no,std\n";
  auto p = parseCatalogImport(body, kCsv);
  ASSERT_TRUE(p.ok()) << p.error().toString();
  ASSERT_EQ(p->errors.size(), 1u);
  EXPECT_EQ(p->errors[0].row, 4u);
  EXPECT_EQ(p->errors[0].code, "bad_name");
  ASSERT_EQ(p->rows.size(), 3u);
  EXPECT_EQ(p->total_rows, 4u);
  EXPECT_EQ(p->rows[0].name, "Pencil, \"HB\"");
  EXPECT_EQ(p->rows[0].gtins, (std::vector<std::string>{"04006381333931", "00000096385074"}));
  EXPECT_EQ(p->rows[0].row, 2u);
  EXPECT_TRUE(p->rows[1].weight_priced);
  EXPECT_TRUE(p->rows[1].gtins.empty());
  EXPECT_EQ(p->rows[2].row, 7u);  // the line it starts on: after a two-line field and a blank line
  EXPECT_TRUE(p->rows[2].active);
}

TEST(CatalogImport, JsonLinesRows) {
  std::string body =
      R"({"sku":"A","gtins":["4006381333931"],"name":"Pen","unit":"each","weight_priced":false,"tax_class":"std"})"
      "\n\n"
      R"({"sku":"B","gtins":[],"name":"Ham","unit":"kg","weight_priced":true,"tax_class":"food","active":false})"
      "\n";
  auto p = parseCatalogImport(body, kJsonl);
  ASSERT_TRUE(p.ok());
  ASSERT_TRUE(p->errors.empty()) << p->errors[0].message;
  ASSERT_EQ(p->rows.size(), 2u);
  EXPECT_EQ(p->rows[1].row, 3u);
  EXPECT_FALSE(p->rows[1].active);
}

TEST(CatalogImport, BrokenQuotingIsARowErrorAndReadingGoesOn) {
  std::string body = std::string(kCatalogHeader) +
                     "A,,Pen\"cil,each,false,std\n"       // quote inside an unquoted field
                     "B,,\"Pen\"x,each,false,std\n"       // text after the closing quote
                     "C,,Good,each,false,std\n"
                     "D,,\"never closed,each,false,std\n";  // swallows the rest
  auto p = parseCatalogImport(body, kCsv);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(errorAt(*p, 2), "bad_quote");
  EXPECT_EQ(errorAt(*p, 3), "bad_quote");
  EXPECT_EQ(errorAt(*p, 5), "unterminated_quote");
  ASSERT_EQ(p->rows.size(), 1u);
  EXPECT_EQ(p->rows[0].sku, "C");
}

TEST(CatalogImport, WrongColumnsRefuseTheWholeUploadOrTheRow) {
  auto missing = parseCatalogImport("sku,name,unit,weight_priced,tax_class\nA,Pen,each,false,std\n", kCsv);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, "bad_header");
  EXPECT_NE(missing.error().message.find("gtins"), std::string::npos);
  auto unknown = parseCatalogImport("sku,gtins,name,unit,weight_priced,tax_class,colour\n", kCsv);
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().message.find("colour"), std::string::npos);
  auto twice = parseCatalogImport("sku,sku,gtins,name,unit,weight_priced,tax_class\n", kCsv);
  ASSERT_FALSE(twice.ok());
  EXPECT_NE(twice.error().message.find("duplicate_column"), std::string::npos);
  EXPECT_EQ(parseCatalogImport("", kCsv).error().code, "empty_body");
  EXPECT_EQ(parseCatalogImport("\n\n", kJsonl).error().code, "empty_body");

  std::string body = std::string(kCatalogHeader) + "A,,Pen,each,false\nB,,Pen,each,false,std,extra\nC,,Pen,each,false,std\n";
  auto p = parseCatalogImport(body, kCsv);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(errorAt(*p, 2), "wrong_field_count");
  EXPECT_EQ(errorAt(*p, 3), "wrong_field_count");
  EXPECT_EQ(p->rows.size(), 1u);

  auto j = parseCatalogImport(
      R"({"sku":"A","gtins":[],"name":"Pen","unit":"each","weight_priced":false,"tax_class":"std","colour":"red"})"
      "\n"
      R"({"sku":"B","name":"Pen","unit":"each","weight_priced":false,"tax_class":"std"})"
      "\n[1,2]\n{not json\n",
      kJsonl);
  ASSERT_TRUE(j.ok());
  EXPECT_EQ(errorAt(*j, 1), "unknown_field");
  EXPECT_EQ(errorAt(*j, 2), "missing_field");
  EXPECT_EQ(errorAt(*j, 3), "bad_json");
  EXPECT_EQ(errorAt(*j, 4), "bad_json");
  EXPECT_TRUE(j->rows.empty());
}

TEST(CatalogImport, FieldChecks) {
  std::string body = std::string(kCatalogHeader) +
                     "A,4006381333932,Pen,each,false,std\n"  // 2: check digit wrong
                     "B,12345,Pen,each,false,std\n"          // 3: not a GTIN length
                     "C,40063813339x1,Pen,each,false,std\n"  // 4: not digits
                     "D,,,each,false,std\n"                  // 5: no name
                     "E,,Pen,box,false,std\n"                // 6: unknown unit
                     "F,,Pen,each,maybe,std\n"               // 7: not a bool
                     "G,,Pen,each,true,std\n"                // 8: weight-priced by the piece
                     "H,,Pen,each,false,has space\n"         // 9: bad tax class
                     "\x01,,Pen,each,false,std\n"            // 10: bad sku
                     "J,,\xff\xfe,each,false,std\n"          // 11: not UTF-8
                     "K,,Pen,each,false,std\n";              // 12: fine
  auto p = parseCatalogImport(body, kCsv);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(errorAt(*p, 2), "bad_check_digit");
  EXPECT_EQ(errorAt(*p, 3), "bad_gtin");
  EXPECT_EQ(errorAt(*p, 4), "bad_gtin");
  EXPECT_EQ(errorAt(*p, 5), "missing_field");
  EXPECT_EQ(errorAt(*p, 6), "bad_unit");
  EXPECT_EQ(errorAt(*p, 7), "bad_bool");
  EXPECT_EQ(errorAt(*p, 8), "bad_unit");
  EXPECT_EQ(errorAt(*p, 9), "bad_tax_class");
  EXPECT_EQ(errorAt(*p, 10), "bad_sku");
  EXPECT_EQ(errorAt(*p, 11), "bad_utf8");
  ASSERT_EQ(p->rows.size(), 1u);
  EXPECT_EQ(p->rows[0].sku, "K");
  EXPECT_EQ(p->errors.size(), 10u);
}

TEST(CatalogImport, DuplicatesInOneUploadAreAllRefused) {
  std::string body = std::string(kCatalogHeader) +
                     "A,,Pen,each,false,std\n"
                     "B,4006381333931,Pen,each,false,std\n"
                     "A,,Pencil,each,false,std\n"
                     "C,4006381333931,Ink,each,false,std\n"
                     "D,,Pad,each,false,std\n";
  auto p = parseCatalogImport(body, kCsv);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(errorAt(*p, 2), "duplicate_row");
  EXPECT_EQ(errorAt(*p, 4), "duplicate_row");
  EXPECT_EQ(errorAt(*p, 3), "duplicate_gtin");
  EXPECT_EQ(errorAt(*p, 5), "duplicate_gtin");
  ASSERT_EQ(p->rows.size(), 1u);
  EXPECT_EQ(p->rows[0].sku, "D");
}

TEST(CatalogImport, HugeRowsAndTooManyRows) {
  ImportLimits limits;
  limits.max_row_bytes = 100;
  limits.max_rows = 3;
  std::string big(500, 'x');
  std::string body = std::string(kCatalogHeader) + "A,,\"" + big + "\n" + big + "\",each,false,std\nB,,Pen,each,false,std\n";
  auto p = parseCatalogImport(body, kCsv, limits);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(errorAt(*p, 2), "row_too_long");
  ASSERT_EQ(p->rows.size(), 1u);
  EXPECT_EQ(p->rows[0].row, 4u);  // the long row spanned lines 2-3

  std::string jl = "{\"sku\":\"" + big + "\"}\n" +
                   R"({"sku":"B","gtins":[],"name":"Pen","unit":"each","weight_priced":false,"tax_class":"std"})";
  auto j = parseCatalogImport(jl, kJsonl, limits);
  ASSERT_TRUE(j.ok());
  EXPECT_EQ(errorAt(*j, 1), "row_too_long");
  EXPECT_EQ(j->rows.size(), 1u);

  std::string many = kCatalogHeader;
  for (int i = 0; i < 4; ++i) many += "S" + std::to_string(i) + ",,Pen,each,false,std\n";
  auto m = parseCatalogImport(many, kCsv, limits);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().code, "too_many_rows");
}

TEST(PriceImport, BaseAndPromotionRows) {
  std::string body =
      "sku,price,currency,location,price_list,promotion,starts_at,ends_at\n"
      "A,9.99,EUR,store-1,,,,\n"
      "A,1.5,EUR,,north,,,\n"
      "A,7.00,EUR,store-1,,bf-2026,2026-11-27T00:00:00Z,2026-11-30T23:59:59.5+00:00\n";
  auto p = parsePriceImport(body, kCsv);
  ASSERT_TRUE(p.ok());
  ASSERT_TRUE(p->errors.empty()) << p->errors[0].message;
  ASSERT_EQ(p->rows.size(), 3u);
  EXPECT_EQ(p->rows[0].scope(), "loc:store-1");
  EXPECT_EQ(p->rows[0].price.toString(), "9.99");
  EXPECT_EQ(p->rows[1].scope(), "list:north");
  EXPECT_EQ(p->rows[1].price.toString(), "1.50");
  EXPECT_EQ(p->rows[2].promotion, "bf-2026");
  EXPECT_EQ(p->rows[2].starts_at_ms, 1'795'737'600'000);
  EXPECT_EQ(p->rows[2].ends_at_ms - p->rows[2].starts_at_ms, (4LL * 86400 - 1) * 1000 + 500);
}

TEST(PriceImport, BadDecimalsDatesScopesAndDuplicates) {
  std::string body =
      "sku,price,currency,location,price_list,promotion,starts_at,ends_at\n"
      "A,9.999999,EUR,store-1,,,,\n"                                            // 2: too many decimals
      "A,1e3,EUR,store-2,,,,\n"                                                 // 3: not a decimal
      "A,-1.00,EUR,store-3,,,,\n"                                               // 4: negative
      "A,1.00,eur,store-4,,,,\n"                                                // 5: currency
      "A,1.00,EUR,store-5,north,,,\n"                                           // 6: both scopes
      "A,1.00,EUR,,,,,\n"                                                       // 7: no scope
      "A,1.00,EUR,store-6,,p1,2026-02-30T00:00:00Z,2026-03-02T00:00:00Z\n"      // 8: no such day
      "A,1.00,EUR,store-6,,p2,2026-03-01T00:00:00+01:00,2026-03-02T00:00:00Z\n" // 9: not UTC
      "A,1.00,EUR,store-6,,p3,2026-03-02T00:00:00Z,2026-03-01T00:00:00Z\n"      // 10: ends first
      "A,1.00,EUR,store-6,,p4,2026-03-01T00:00:00Z,\n"                          // 11: no end
      "A,1.00,EUR,store-6,,,2026-03-01T00:00:00Z,2026-03-02T00:00:00Z\n"        // 12: dates without promotion
      "A,1.00,EUR,store-7,,,,\n"                                                // 13: duplicate of 14
      "A,2.00,EUR,store-7,,,,\n"                                                // 14
      "A,2.00,EUR,store-8,,,,\n";                                               // 15: fine
  auto p = parsePriceImport(body, kCsv);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(errorAt(*p, 2), "bad_price");
  EXPECT_EQ(errorAt(*p, 3), "bad_price");
  EXPECT_EQ(errorAt(*p, 4), "bad_price");
  EXPECT_EQ(errorAt(*p, 5), "bad_currency");
  EXPECT_EQ(errorAt(*p, 6), "bad_scope");
  EXPECT_EQ(errorAt(*p, 7), "bad_scope");
  EXPECT_EQ(errorAt(*p, 8), "bad_date");
  EXPECT_EQ(errorAt(*p, 9), "bad_date");
  EXPECT_EQ(errorAt(*p, 10), "bad_date");
  EXPECT_EQ(errorAt(*p, 11), "bad_promotion");
  EXPECT_EQ(errorAt(*p, 12), "bad_promotion");
  EXPECT_EQ(errorAt(*p, 13), "duplicate_row");
  EXPECT_EQ(errorAt(*p, 14), "duplicate_row");
  ASSERT_EQ(p->rows.size(), 1u);
  EXPECT_EQ(p->rows[0].row, 15u);

  auto j = parsePriceImport(R"({"sku":"A","price":9.99,"currency":"EUR","location":"s"})", kJsonl);
  ASSERT_TRUE(j.ok());
  EXPECT_EQ(errorAt(*j, 1), "bad_price");  // a JSON number is not exact
}

TEST(CatalogImport, TheOptionalShippingWeightIsKgAboveZeroKeptInGrams) {
  std::string head = "sku,gtins,name,unit,weight_priced,tax_class,weight_kg\n";
  auto p = parseCatalogImport(head + "A,,Pen,each,false,std,0.0125\n"
                                     "B,,Box,each,false,std,\n"
                                     "C,,Cask,each,false,std, 250 \n"
                                     "D,,Dust,each,false,std,0\n"
                                     "E,,Elephant,each,false,std,1000.5\n"
                                     "F,,Fog,each,false,std,heavy\n"
                                     "G,,Gas,each,false,std,-1\n"
                                     "H,,Hat,each,false,std,0.0001\n",
                              kCsv);
  ASSERT_TRUE(p.ok()) << p.error().toString();
  ASSERT_EQ(p->rows.size(), 4u);
  EXPECT_EQ(p->rows[0].ship_weight_g, 13);  // 12.5 g rounds to 13
  EXPECT_EQ(p->rows[1].ship_weight_g, 0);   // not given
  EXPECT_EQ(p->rows[2].ship_weight_g, 250'000);
  EXPECT_EQ(p->rows[3].ship_weight_g, 1);   // above 0 but under a gram: 1 g, never "not given"
  for (size_t row : {5u, 6u, 7u, 8u}) EXPECT_EQ(errorAt(*p, row), "bad_weight") << row;
  auto j = parseCatalogImport(
      R"({"sku":"A","gtins":[],"name":"Pen","unit":"each","weight_priced":false,"tax_class":"std","weight_kg":0.45})"
      "\n"
      R"({"sku":"B","gtins":[],"name":"Box","unit":"each","weight_priced":false,"tax_class":"std","weight_kg":true})"
      "\n",
      kJsonl);
  ASSERT_TRUE(j.ok()) << j.error().toString();
  ASSERT_EQ(j->rows.size(), 1u);
  EXPECT_EQ(j->rows[0].ship_weight_g, 450);
  EXPECT_EQ(errorAt(*j, 2), "bad_weight");
}
