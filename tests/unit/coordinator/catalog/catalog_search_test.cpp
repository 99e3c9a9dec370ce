// The text rules of the catalog search (catalog_search.h): what a query may be, case folding, and
// what counts as a prefix or a partial match of a SKU, a name or a barcode.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sw/coordinator/catalog/catalog_search.h"

using namespace sw;
using coordinator::foldCase;
using coordinator::matchItem;
using coordinator::searchKey;
using coordinator::SearchMatch;

namespace {

std::string codeOf(std::string_view query) {
  auto k = searchKey(query);
  return k ? "" : k.error().code;
}

std::optional<SearchMatch> match(std::string_view query, std::string_view sku, std::string_view name,
                                 const std::vector<std::string>& gtins = {}) {
  auto k = searchKey(query);
  EXPECT_TRUE(k.ok()) << query;
  return k ? matchItem(*k, sku, name, gtins) : std::nullopt;
}

std::string repeat(std::string_view s, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += s;
  return out;
}

}  // namespace

TEST(CatalogSearchKey, IsTrimmedFoldedAndRefusedWhenBlankTooLongNotUtf8OrControl) {
  EXPECT_EQ(*searchKey("  PenCIL\t"), "pencil");
  EXPECT_EQ(*searchKey("a b"), "a b") << "spaces inside are kept";
  EXPECT_EQ(codeOf(""), "missing_param");
  EXPECT_EQ(codeOf(" \t\r\n "), "missing_param");
  EXPECT_EQ(codeOf(repeat("x", 64)), "");
  EXPECT_EQ(codeOf(repeat("x", 65)), "bad_param");
  // Characters, not bytes: 64 two-byte letters are fine, 65 are not.
  EXPECT_EQ(codeOf(repeat("é", 64)), "");
  EXPECT_EQ(codeOf(repeat("é", 65)), "bad_param");
  EXPECT_EQ(codeOf(repeat("日", 64)), "");
  EXPECT_EQ(codeOf("pen\xff"), "bad_param");
  EXPECT_EQ(codeOf("\xc3"), "bad_param") << "a cut-off sequence";
  EXPECT_EQ(codeOf("\xc0\xaf"), "bad_param") << "an overlong '/'";
  EXPECT_EQ(codeOf(std::string("a\0b", 3)), "bad_param");
  EXPECT_EQ(codeOf("a\x1b[2Jb"), "bad_param");
  EXPECT_EQ(codeOf("a\x7f"), "bad_param");
  auto e = searchKey(repeat("x", 65));
  EXPECT_NE(e.error().message.find("65 characters"), std::string::npos) << e.error().message;
}

TEST(CatalogSearchFold, FoldsLatinGreekAndCyrillicLettersAndLeavesEverythingElse) {
  EXPECT_EQ(foldCase("ABC xyz 123 %_*\\"), "abc xyz 123 %_*\\");
  EXPECT_EQ(foldCase("ÀÉÎÕÜÞ × ÷"), "àéîõüþ × ÷");
  EXPECT_EQ(foldCase("ŁÓDŹ ŠKODA ŐRSÉG Ÿ"), "łódź škoda őrség ÿ");
  EXPECT_EQ(foldCase("ĀĲĹŇŊŽ"), "āĳĺňŋž");
  EXPECT_EQ(foldCase("ΣΟΦΊΑ ΟΔΟΣ ς ΆΈΉΌΎΏ ΪΫ"), "σοφία οδοσ σ άέήόύώ ϊϋ");
  EXPECT_EQ(foldCase("МОЛОКО ЁЖ Ђ"), "молоко ёж ђ");
  // No simple one-to-one partner, or outside the blocks: unchanged.
  EXPECT_EQ(foldCase("ß İı ĸ 日本 €"), "ß İı ĸ 日本 €");
  // Lower case stays as it is.
  EXPECT_EQ(foldCase("àéîõüþ łódź σοφία молоко"), "àéîõüþ łódź σοφία молоко");
  // Bytes that are not UTF-8 are kept, the ASCII among them still folded.
  EXPECT_EQ(foldCase("\xff" "A\xc3"), "\xff" "a\xc3");
  EXPECT_EQ(foldCase("\xc3" "A"), "\xc3" "a");
}

TEST(CatalogSearchMatch, SkuAndNamePrefixesRankBeforePartsOfThem) {
  EXPECT_EQ(match("sku-1", "SKU-12", "Pencil"), SearchMatch::kPrefix);
  EXPECT_EQ(match("PENC", "SKU-12", "Pencil HB"), SearchMatch::kPrefix);
  EXPECT_EQ(match("penc", "SKU-3", "Sharpener for pencils"), SearchMatch::kPartial);
  EXPECT_EQ(match("ku-1", "SKU-12", "Pencil"), SearchMatch::kPartial);
  EXPECT_EQ(match("hb", "SKU-12", "Pencil HB"), SearchMatch::kPartial);
  EXPECT_EQ(match("pencil hb", "SKU-12", "Pencil HB"), SearchMatch::kPrefix);
  EXPECT_EQ(match("pencil  hb", "SKU-12", "Pencil HB"), std::nullopt);
  EXPECT_EQ(match("ink", "SKU-12", "Pencil HB"), std::nullopt);
  // A prefix of one field beats a part of another.
  EXPECT_EQ(match("pen", "PEN-1", "Ballpoint pen"), SearchMatch::kPrefix);
}

TEST(CatalogSearchMatch, WildcardCharactersAreTakenLiterally) {
  EXPECT_EQ(match("%", "SKU-1", "Pencil"), std::nullopt);
  EXPECT_EQ(match("100%", "T-1", "100% cotton"), SearchMatch::kPrefix);
  EXPECT_EQ(match("100%", "T-2", "100 cotton"), std::nullopt);
  EXPECT_EQ(match("_", "SKU-1", "Pencil"), std::nullopt);
  EXPECT_EQ(match("a_b", "A_B", "x"), SearchMatch::kPrefix);
  EXPECT_EQ(match("a_b", "AXB", "x"), std::nullopt);
  EXPECT_EQ(match("*", "SKU-1", "Pencil"), std::nullopt);
  EXPECT_EQ(match("\\", "SKU-1", "Back\\slash"), SearchMatch::kPartial);
  EXPECT_EQ(match("[a-z]", "SKU-1", "Pencil"), std::nullopt);
}

TEST(CatalogSearchMatch, NonAsciiNamesMatchAcrossCaseButNotAcrossAccents) {
  EXPECT_EQ(match("CRÈME", "D-1", "crème brûlée"), SearchMatch::kPrefix);
  EXPECT_EQ(match("BRÛLÉE", "D-1", "Crème Brûlée"), SearchMatch::kPartial);
  EXPECT_EQ(match("creme", "D-1", "Crème brûlée"), std::nullopt) << "no accent stripping";
  EXPECT_EQ(match("żółć", "P-1", "ŻÓŁĆ gęślą"), SearchMatch::kPrefix);
  EXPECT_EQ(match("молоко", "M-1", "МОЛОКО 3,2%"), SearchMatch::kPrefix);
  EXPECT_EQ(match("茶", "T-1", "緑茶"), SearchMatch::kPartial);
  EXPECT_EQ(match("é", "D-1", "Crème"), std::nullopt) << "è is not é";
}

TEST(CatalogSearchMatch, BarcodesMatchAsPrintedWithoutTheirLeadingZeros) {
  const std::vector<std::string> ean13 = {"04006381333931"};  // printed 4006381333931
  EXPECT_EQ(match("4006", "SKU-1", "Pencil", ean13), SearchMatch::kPrefix);
  EXPECT_EQ(match("4006381333931", "SKU-1", "Pencil", ean13), SearchMatch::kPrefix);
  EXPECT_EQ(match("04006381333931", "SKU-1", "Pencil", ean13), SearchMatch::kPrefix);
  EXPECT_EQ(match("8133393", "SKU-1", "Pencil", ean13), SearchMatch::kPartial);
  EXPECT_EQ(match("0063", "SKU-1", "Pencil", ean13), SearchMatch::kPartial) << "not a printed form's start";
  EXPECT_EQ(match("4007", "SKU-1", "Pencil", ean13), std::nullopt);
  const std::vector<std::string> upc = {"00036000291452"};  // printed 036000291452
  EXPECT_EQ(match("0360", "SKU-2", "Ham", upc), SearchMatch::kPrefix);
  EXPECT_EQ(match("00360", "SKU-2", "Ham", upc), SearchMatch::kPrefix) << "as a GTIN-13 prints it";
  EXPECT_EQ(match("3600", "SKU-2", "Ham", upc), SearchMatch::kPartial) << "36000291452 is no printed form";
  EXPECT_EQ(match("29145", "SKU-2", "Ham", upc), SearchMatch::kPartial);
  const std::vector<std::string> ean8 = {"00000096385074"};  // printed 96385074
  EXPECT_EQ(match("9638", "SKU-3", "Ink", ean8), SearchMatch::kPrefix);
  // Every barcode of an item counts, and a non-zero digit is never dropped.
  const std::vector<std::string> two = {"10012345678902", "00000096385074"};
  EXPECT_EQ(match("9638", "SKU-4", "Box", two), SearchMatch::kPrefix);
  EXPECT_EQ(match("0012345", "SKU-4", "Box", two), SearchMatch::kPartial);
}
