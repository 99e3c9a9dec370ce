// Catalog and prices: imported on the coordinator, sent down to the stores, answered by the
// agents from their own copy (GET /v1/items), online or offline.

#include <gtest/gtest.h>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "stack.h"
#include "sw/agent/handheld.h"
#include "sw/common/http_socket.h"
#include "sw/common/pricing.h"

using namespace sw;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

test::HttpReply upload(int port, const std::string& path, const std::string& body, const std::string& content_type) {
  httplib::Client c = common::makeHttpClient("127.0.0.1", port);
  c.set_connection_timeout(2);
  c.set_read_timeout(20);
  httplib::Headers auth = {{"Authorization", "Bearer " + test::bearerForPort(port)}};
  auto r = c.Post(path.c_str(), auth, body, content_type.c_str());
  test::HttpReply out;
  if (!r) return out;
  out.status = r->status;
  out.body = json::parse(r->body, nullptr, false);
  return out;
}

test::HttpReply csv(test::CoordinatorProc& c, const std::string& path, const std::string& body) {
  return upload(c.port(), path, body, "text/csv");
}

test::HttpReply jsonl(test::CoordinatorProc& c, const std::string& path, const std::string& body) {
  return upload(c.port(), path, body, "application/x-ndjson");
}

// ISO 8601 UTC for now + offset, as an operator would write it.
std::string isoIn(std::chrono::milliseconds offset) {
  auto now = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch());
  return common::formatIsoUtcMs((now + offset).count());
}

// The agent's item answer, or null when it does not (yet) know the item.
json item(test::AgentProc& a, const std::string& code) {
  auto r = test::httpGet(a.port(), "/v1/items/" + code);
  return r.status == 200 ? r.body : json();
}

std::string priceAt(test::AgentProc& a, const std::string& code) {
  json j = item(a, code);
  if (!j.is_object() || !j["price"].is_object()) return "";
  return j["price"]["price"].get<std::string>();
}

// The downlink entry of /v1/status for (kind, location).
json downState(test::AgentProc& a, const std::string& kind, const std::string& loc) {
  json st = a.status();
  for (const auto& d : st["downlink"]) {
    if (d["kind"] == kind && d["location"] == loc) return d;
  }
  return json();
}

// The entry once the device holds the newest version it has heard of. The page's rows are
// readable a moment before the in-memory state says so (the store commits first).
json settledState(test::AgentProc& a, const std::string& kind, const std::string& loc) {
  json d;
  test::waitFor(
      [&] {
        d = downState(a, kind, loc);
        return d.is_object() && d["catching_up"] == false;
      },
      20s);
  return d;
}

// s percent-encoded for a query string (every byte but letters and digits).
std::string urlEncode(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    char b[4];
    std::snprintf(b, sizeof b, "%%%02X", c);
    out += std::isalnum(c) ? std::string(1, static_cast<char>(c)) : std::string(b);
  }
  return out;
}

// The SKUs of a search answer, in its order.
std::vector<std::string> skusOf(const json& answer) {
  std::vector<std::string> out;
  for (const json& it : answer.value("items", json::array())) out.push_back(it["sku"].get<std::string>());
  return out;
}

const char* kCatalog =
    "sku,gtins,name,unit,weight_priced,tax_class\n"
    "SKU-1,4006381333931,Pencil HB,each,false,std\n"
    "SKU-2,96385074|036000291452,Ham,kg,true,food\n"
    "SKU-3,4006381333932,Bad check digit,each,false,std\n";

}  // namespace

TEST(Catalog, ImportedOnTheCoordinatorAndAnsweredByTheStoreBySkuAndGtinEvenOffline) {
  test::TempDir dir;
  test::Broker broker;
  test::CoordinatorProc coord(dir, broker.url(), {}, {"--import-max-rows", "50", "--import-max-mb", "1"});
  coord.start();
  test::AgentProc till(dir, "till-1", "store-1", broker.url());
  till.start();

  auto cat = csv(coord, "/v1/catalog", kCatalog);
  ASSERT_EQ(cat.status, 200) << cat.body.dump();
  EXPECT_EQ(cat.body["applied"], 2);
  ASSERT_EQ(cat.body["errors"].size(), 1u);
  EXPECT_EQ(cat.body["errors"][0]["row"], 4);
  EXPECT_EQ(cat.body["errors"][0]["code"], "bad_check_digit");
  auto prices = jsonl(coord, "/v1/prices",
                      R"({"sku":"SKU-1","price":"1.20","currency":"EUR","price_list":"default"})" "\n"
                      R"({"sku":"SKU-1","price":"0.99","currency":"EUR","location":"store-1"})" "\n"
                      R"({"sku":"SKU-2","price":"12.50","currency":"EUR","price_list":"default"})" "\n"
                      R"({"sku":"SKU-9","price":"1.00","currency":"EUR","location":"store-1"})" "\n");
  ASSERT_EQ(prices.status, 200) << prices.body.dump();
  EXPECT_EQ(prices.body["applied"], 3);
  EXPECT_EQ(prices.body["errors"][0]["code"], "unknown_sku");

  // The coordinator's own view.
  auto c1 = test::httpGet(coord.port(), "/v1/catalog/4006381333931");
  ASSERT_EQ(c1.status, 200);
  EXPECT_EQ(c1.body["sku"], "SKU-1");
  EXPECT_EQ(test::httpGet(coord.port(), "/v1/catalog/SKU-3").status, 404);
  auto p1 = test::httpGet(coord.port(), "/v1/prices?sku=SKU-1&location=store-1");
  EXPECT_EQ(p1.body["current"]["price"], "0.99") << p1.body.dump();
  auto p2 = test::httpGet(coord.port(), "/v1/prices?sku=SKU-1&location=store-2");
  EXPECT_EQ(p2.body["current"]["price"], "1.20") << p2.body.dump();

  // The store answers from its copy: by SKU, by GTIN-13 as scanned, by GTIN-8 and UPC-A.
  ASSERT_TRUE(test::waitFor([&] { return priceAt(till, "SKU-1") == "0.99"; }, 20s)) << till.status().dump();
  json byGtin = item(till, "4006381333931");
  ASSERT_TRUE(byGtin.is_object());
  EXPECT_EQ(byGtin["sku"], "SKU-1");
  EXPECT_EQ(byGtin["matched"], "gtin");
  EXPECT_EQ(byGtin["name"], "Pencil HB");
  ASSERT_TRUE(test::waitFor([&] { return priceAt(till, "96385074") == "12.50"; }, 20s));
  EXPECT_EQ(item(till, "036000291452")["sku"], "SKU-2");
  EXPECT_EQ(item(till, "00036000291452")["weight_priced"], true);
  auto unknown = test::httpGet(till.port(), "/v1/items/4006381333948");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(unknown.body["error"]["code"], "not_found");

  // The handheld's lookup (AgentItemLookup over HTTP) resolves a scanned GTIN-14 to the SKU, and
  // an unknown code to "not in the catalog" so it falls back to the code itself.
  auto client = agent::makeHttpAgentClient("http://127.0.0.1:" + std::to_string(till.port()));
  ASSERT_TRUE(client.ok());
  agent::AgentItemLookup lookup(**client);
  auto sku = lookup.skuFor("04006381333931");
  ASSERT_TRUE(sku.ok()) << sku.error().toString();
  EXPECT_EQ(sku->value_or(""), "SKU-1");
  auto none = lookup.skuFor("04006381333948");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());

  // Stock: the last view plus this till's own movements.
  ASSERT_EQ(till.movement({{"type", "receive"}, {"sku", "SKU-1"}, {"qty", 5}}).status, 201);
  ASSERT_TRUE(test::waitFor([&] { return item(till, "SKU-1")["stock"]["in_view"] == true; }, 20s));
  EXPECT_EQ(item(till, "SKU-1")["stock"]["estimate"], 5);

  // Offline: the broker is gone; the answers come from the local copy.
  broker.kill9();
  ASSERT_EQ(till.sell("SKU-1", 2, "0.99").status, 201);
  json offline = item(till, "4006381333931");
  EXPECT_EQ(offline["price"]["price"], "0.99");
  EXPECT_EQ(offline["stock"]["estimate"], 3);
  broker.start();

  // Limits and formats refused as a whole.
  std::string many = "sku,gtins,name,unit,weight_priced,tax_class\n";
  for (int i = 0; i < 51; ++i) many += "M" + std::to_string(i) + ",,x,each,false,std\n";
  auto big = csv(coord, "/v1/catalog", many);
  EXPECT_EQ(big.status, 413);
  EXPECT_EQ(big.body["error"]["code"], "too_many_rows");
  std::string huge = "sku,gtins,name,unit,weight_priced,tax_class\n" + std::string(1100 * 1024, 'x');
  auto tooBig = csv(coord, "/v1/catalog", huge);
  EXPECT_EQ(tooBig.status, 413);
  EXPECT_EQ(tooBig.body["error"]["code"], "body_too_large");
  auto wrong = upload(coord.port(), "/v1/catalog", "{}", "application/json");
  EXPECT_EQ(wrong.status, 415);
  EXPECT_EQ(wrong.body["error"]["code"], "unsupported_media_type");
  auto allBad = csv(coord, "/v1/prices", "sku,price,currency,location\nSKU-1,abc,EUR,store-1\n");
  EXPECT_EQ(allBad.status, 422);
  EXPECT_EQ(allBad.body["errors"][0]["code"], "bad_price");
  EXPECT_EQ(test::httpGet(coord.port(), "/v1/prices?sku=SKU-1&location=store-1").body["current"]["price"], "0.99");
}

TEST(Catalog, ADeviceBackFromAWeekAwayCatchesUpOnPriceChangesWithDeltas) {
  test::TempDir dir;
  test::Broker broker;
  test::CoordinatorProc coord(dir, broker.url());
  coord.start();
  test::AgentProc till(dir, "till-1", "store-1", broker.url());
  till.start();
  ASSERT_EQ(csv(coord, "/v1/catalog", kCatalog).status, 200);
  ASSERT_EQ(jsonl(coord, "/v1/prices", R"({"sku":"SKU-1","price":"1.00","currency":"EUR","location":"store-1"})").status, 200);
  ASSERT_TRUE(test::waitFor([&] { return priceAt(till, "SKU-1") == "1.00"; }, 20s)) << till.status().dump();

  till.stop();  // away: several price changes happen meanwhile
  for (const char* p : {"1.10", "1.20", "1.30"}) {
    auto r = jsonl(coord, "/v1/prices", std::string(R"({"sku":"SKU-1","price":")") + p +
                                            R"(","currency":"EUR","location":"store-1"})" "\n" +
                                            R"({"sku":"SKU-2","price":")" + p + R"(","currency":"EUR","price_list":"default"})");
    ASSERT_EQ(r.status, 200) << r.body.dump();
  }
  auto cat = csv(coord, "/v1/catalog", "sku,gtins,name,unit,weight_priced,tax_class\nSKU-1,4006381333931,Pencil 2B,each,false,std\n");
  ASSERT_EQ(cat.body["changed"], 1);

  till.start();
  ASSERT_TRUE(test::waitFor([&] { return priceAt(till, "SKU-1") == "1.30" && priceAt(till, "SKU-2") == "1.30"; }, 20s))
      << till.status().dump();
  ASSERT_TRUE(test::waitFor([&] { return item(till, "SKU-1")["name"] == "Pencil 2B"; }, 20s));
  json prices = settledState(till, "prices", "store-1");
  EXPECT_GE(prices["delta_pages"].get<int>(), 1) << prices.dump();
  EXPECT_EQ(prices["snapshot_pages"], 0) << prices.dump();
  json catalog = settledState(till, "catalog", "store-1");
  EXPECT_GE(catalog["delta_pages"].get<int>(), 1) << catalog.dump();
  EXPECT_EQ(catalog["snapshot_pages"], 0) << catalog.dump();
}

TEST(Catalog, APromotionAppliesOnlyInsideItsWindow) {
  test::TempDir dir;
  test::Broker broker;
  test::CoordinatorProc coord(dir, broker.url());
  coord.start();
  test::AgentProc till(dir, "till-1", "store-1", broker.url());
  till.start();
  ASSERT_EQ(csv(coord, "/v1/catalog", kCatalog).status, 200);
  std::string body = "sku,price,currency,location,price_list,promotion,starts_at,ends_at\n"
                     "SKU-1,2.00,EUR,,default,,,\n"
                     "SKU-1,1.50,EUR,,default,now," + isoIn(-1h) + "," + isoIn(1h) + "\n" +
                     "SKU-1,1.00,EUR,,default,later," + isoIn(2h) + "," + isoIn(3h) + "\n" +
                     "SKU-1,0.50,EUR,,default,over," + isoIn(-3h) + "," + isoIn(-2h) + "\n" +
                     "SKU-2,9.00,EUR,,default,,,\n" +
                     "SKU-2,8.00,EUR,,default,soon," + isoIn(2h) + "," + isoIn(4h) + "\n";
  auto r = csv(coord, "/v1/prices", body);
  ASSERT_EQ(r.status, 200) << r.body.dump();
  ASSERT_EQ(r.body["applied"], 6) << r.body.dump();

  ASSERT_TRUE(test::waitFor([&] { return priceAt(till, "SKU-1") == "1.50"; }, 20s)) << till.status().dump();
  json j = item(till, "SKU-1");
  EXPECT_EQ(j["price"]["source"], "promotion");
  EXPECT_EQ(j["price"]["promotion"], "now");
  EXPECT_EQ(j["base_price"]["price"], "2.00");
  ASSERT_EQ(j["scheduled"].size(), 1u);
  EXPECT_EQ(j["scheduled"][0]["promotion"], "later");
  ASSERT_TRUE(test::waitFor([&] { return priceAt(till, "SKU-2") == "9.00"; }, 20s));  // not yet
  EXPECT_EQ(item(till, "SKU-2")["price"]["source"], "base");
  auto cp = test::httpGet(coord.port(), "/v1/prices?sku=SKU-1&location=store-1");
  EXPECT_EQ(cp.body["current"]["promotion"], "now") << cp.body.dump();

  // Ending the running promotion early (its window now in the past) brings the base price back.
  auto end = csv(coord, "/v1/prices", "sku,price,currency,price_list,promotion,starts_at,ends_at\nSKU-1,1.50,EUR,default,now," +
                                          isoIn(-1h) + "," + isoIn(-1min) + "\n");
  ASSERT_EQ(end.body["changed"], 1) << end.body.dump();
  ASSERT_TRUE(test::waitFor([&] { return priceAt(till, "SKU-1") == "2.00"; }, 20s)) << till.status().dump();
  EXPECT_EQ(item(till, "SKU-1")["price"]["source"], "base");
}

TEST(Catalog, ANewDeviceGetsASnapshotAndAPriceListChangeReloadsTheStore) {
  test::TempDir dir;
  test::Broker broker;
  test::CoordinatorProc coord(dir, broker.url());
  coord.start();
  // 1,200 items: a snapshot of several pages of 500.
  std::string many = "sku,gtins,name,unit,weight_priced,tax_class\n";
  std::string prices = "sku,price,currency,price_list,location\n";
  for (int i = 0; i < 1200; ++i) {
    std::string sku = "SKU-" + std::to_string(1000 + i);
    many += sku + ",,Item " + std::to_string(i) + ",each,false,std\n";
    prices += sku + ",1.00,EUR,default,\n" + sku + ",2.00,EUR,north,\n";
  }
  ASSERT_EQ(csv(coord, "/v1/catalog", many).body["applied"], 1200);
  ASSERT_EQ(csv(coord, "/v1/prices", prices).body["applied"], 2400);

  test::AgentProc hh(dir, "hh-1", "store-2", broker.url(), "handheld");
  hh.start();
  ASSERT_TRUE(test::waitFor([&] { return priceAt(hh, "SKU-2199") == "1.00"; }, 30s)) << hh.status().dump();
  EXPECT_EQ(item(hh, "SKU-1000")["name"], "Item 0");
  json catalog = settledState(hh, "catalog", "store-2");
  EXPECT_GE(catalog["snapshot_pages"].get<int>(), 3) << catalog.dump();
  EXPECT_EQ(catalog["delta_pages"], 0) << catalog.dump();
  json st = settledState(hh, "prices", "store-2");
  EXPECT_GE(st["snapshot_pages"].get<int>(), 3) << st.dump();

  // store-2 moves to the "north" list: its devices reload prices (a snapshot), and no entry of
  // the default list is left behind.
  auto m = test::httpPost(coord.port(), "/v1/price-lists", R"({"mappings":[{"location":"store-2","price_list":"north"}]})");
  ASSERT_EQ(m.status, 200) << m.body.dump();
  ASSERT_TRUE(test::waitFor([&] { return priceAt(hh, "SKU-2199") == "2.00" && priceAt(hh, "SKU-1000") == "2.00"; }, 30s))
      << hh.status().dump();
  EXPECT_GE(settledState(hh, "prices", "store-2")["snapshot_pages"].get<int>(), 6);
  EXPECT_EQ(test::httpGet(coord.port(), "/v1/price-lists").body["mappings"][0]["price_list"], "north");
}

// GET /v1/catalog?q=: the console's stock search, over HTTP with each role, and refused input.
TEST(Catalog, SearchFindsItemsBySkuNameOrBarcodePrefixesFirstAndRefusesBadQueries) {
  test::TempDir dir;
  test::Broker broker;
  test::CoordinatorProc coord(dir, broker.url());
  coord.start();
  auto cat = csv(coord, "/v1/catalog",
                 "sku,gtins,name,unit,weight_priced,tax_class\n"
                 "SKU-1,4006381333931,Pencil HB,each,false,std\n"
                 "SKU-2,96385074|036000291452,Ham,kg,true,food\n"
                 "SKU-3,,Sharpener for pencils,each,false,std\n"
                 "PEN-1,,Ballpoint pen,each,false,std\n"
                 "T-1,,100% cotton,each,false,std\n"
                 "T-2,,100 cotton,each,false,std\n"
                 "A_B,,Underscore,each,false,std\n"
                 "D-1,,Crème brûlée,each,false,food\n");
  ASSERT_EQ(cat.status, 200) << cat.body.dump();
  ASSERT_EQ(cat.body["applied"], 8) << cat.body.dump();
  const std::string viewer = coord.createToken("search-viewer", "viewer");
  auto search = [&](const std::string& query) {
    return test::httpGet(coord.port(), "/v1/catalog" + query, {{"Authorization", "Bearer " + viewer}});
  };
  auto q = [&](const std::string& text) { return search("?q=" + urlEncode(text)); };

  auto pen = q("PEN");
  ASSERT_EQ(pen.status, 200) << pen.body.dump();
  EXPECT_EQ(skusOf(pen.body), (std::vector<std::string>{"PEN-1", "SKU-1", "SKU-3"}));
  EXPECT_EQ(pen.body["truncated"], false);
  EXPECT_EQ(pen.body["items"][0]["match"], "prefix");
  EXPECT_EQ(pen.body["items"][1]["match"], "prefix");
  EXPECT_EQ(pen.body["items"][2]["match"], "partial");
  // Each item as GET /v1/catalog/{sku} has it, with how it matched.
  json one = pen.body["items"][1];
  one.erase("match");
  EXPECT_EQ(one, test::httpGet(coord.port(), "/v1/catalog/SKU-1").body);

  // Barcodes: the start of a printed form (EAN-8 96385074, UPC-A 036000291452), or a piece.
  EXPECT_EQ(skusOf(q("9638").body), std::vector<std::string>{"SKU-2"});
  EXPECT_EQ(q("0360").body["items"][0]["match"], "prefix");
  EXPECT_EQ(skusOf(q("8133393").body), std::vector<std::string>{"SKU-1"});
  EXPECT_EQ(q("8133393").body["items"][0]["match"], "partial");

  // Wildcards are characters like any other; SQL in q is text.
  EXPECT_EQ(skusOf(q("100%").body), std::vector<std::string>{"T-1"});
  EXPECT_EQ(skusOf(q("_").body), std::vector<std::string>{"A_B"});
  EXPECT_EQ(skusOf(q("%").body), std::vector<std::string>{"T-1"});
  auto sql = q("' OR '1'='1");
  EXPECT_EQ(sql.status, 200);
  EXPECT_TRUE(sql.body["items"].empty()) << sql.body.dump();
  // UTF-8, case-insensitively.
  EXPECT_EQ(skusOf(q("CRÈME").body), std::vector<std::string>{"D-1"});
  EXPECT_EQ(skusOf(q("brûlée").body), std::vector<std::string>{"D-1"});
  EXPECT_TRUE(q("creme").body["items"].empty());

  // limit: default 50, 1 to 500; truncated says there were more.
  auto first = search("?q=sku&limit=2");
  EXPECT_EQ(skusOf(first.body), (std::vector<std::string>{"SKU-1", "SKU-2"}));
  EXPECT_EQ(first.body["truncated"], true);
  EXPECT_EQ(search("?q=sku&limit=3").body["truncated"], false);
  EXPECT_EQ(search("?q=sku&limit=500").status, 200);

  // Refused, with what to send instead.
  for (const std::string& bad : {std::string(""), std::string("?q="), std::string("?q=%20%20"), std::string("?limit=5")}) {
    auto r = search(bad);
    EXPECT_EQ(r.status, 400) << bad << " " << r.body.dump();
    EXPECT_EQ(r.body["error"]["code"], "missing_param") << bad;
    EXPECT_NE(r.body["error"]["message"].get<std::string>().find("?q="), std::string::npos) << r.body.dump();
  }
  for (const std::string& bad : {"?q=" + std::string(65, 'x'), std::string("?q=caf%E9"), std::string("?q=a%00b"),
                                 std::string("?q=a&limit=0"), std::string("?q=a&limit=501"), std::string("?q=a&limit=5x")}) {
    auto r = search(bad);
    EXPECT_EQ(r.status, 400) << bad << " " << r.body.dump();
    EXPECT_EQ(r.body["error"]["code"], "bad_param") << bad << " " << r.body.dump();
  }
  EXPECT_EQ(search("?q=" + std::string(64, 'x')).status, 200);
  EXPECT_NE(search("?q=" + std::string(65, 'x')).body["error"]["message"].get<std::string>().find("at most 64"),
            std::string::npos);
  EXPECT_EQ(test::httpGet(coord.port(), "/v1/catalog?q=pen", {{"Authorization", ""}}).status, 401);

  // A read: never in the audit log, counted under its own route label in /metrics.
  auto audit = test::httpGet(coord.port(), "/v1/audit?method=GET");
  ASSERT_EQ(audit.status, 200) << audit.body.dump();
  EXPECT_TRUE(audit.body["entries"].empty()) << audit.body.dump();
  const std::string metrics = test::httpGetText(coord.port(), "/metrics");
  EXPECT_NE(metrics.find(R"(stockwire_http_requests_total{method="GET",route="/v1/catalog",code="200"})"), std::string::npos);
  EXPECT_NE(metrics.find(R"(stockwire_http_requests_total{method="GET",route="/v1/catalog",code="400"})"), std::string::npos);
}
