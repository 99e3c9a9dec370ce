#pragma once
// The world the console tests look at, started for real and brought to a known state before any
// page is opened:
//   - a private Mosquitto (Broker) and the real coordinator (CoordinatorProc) with order intake
//     (polling every 100 ms) and the push scheduler, against two channel simulators:
//     Shopify (healthy; one online order is taken in and accepted, picked by hh-1, reported
//     shipped to Shopify, then refunded as returned) and Amazon (broken on purpose:
//     its listing of kRefusedSku has a product type the connector does not send, so Amazon refuses
//     every update of it and the coordinator dead-letters it);
//     Walmart (healthy, lists SKU-1); a wholesale X12 partner (serve --wholesale) whose gateway
//     drops the EDI.Net 810 sample, refused for its unpadded ISA (TA1 note 011);
//   - three agents (AgentProc): till-1 and handheld hh-1 at store-1, till-2 at store-2;
//   - stock received at both stores, a sale on each till, a count at store-1 that finds 3 fewer
//     than expected (a discrepancy of -3), then till-2 stopped: it shows offline;
//   - API tokens for the three roles, made with `stockwire-coordinator token create`;
//   - last (so the history above is what it was before there was one), a catalog of five items
//     (kCatalogCsv) for the stock page's search: three whose names hold "pencil" and barcodes
//     of 8, 12 and 13 digits.
// Construction throws std::runtime_error (with the coordinator's log) if the state is not reached.

#include <map>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "sim_fixture.h"
#include "sw/harness/stack.h"

namespace sw::test {

class ConsoleScenario {
 public:
  static constexpr const char* kStore1 = "store-1";
  static constexpr const char* kStore2 = "store-2";
  static constexpr const char* kSku = "SKU-1";           // received, sold, counted, ordered online
  static constexpr const char* kRefusedSku = "ODD-1";    // Amazon refuses it: one dead letter
  static constexpr const char* kOrderChannel = "shopify";
  static constexpr const char* kBrokenChannel = "amazon";
  static constexpr const char* kWalmartChannel = "walmart";
  static constexpr const char* kWholesalePartner = "abc";  // X12 over a folder pair; its one file refused
  static constexpr const char* kOfflineDevice = "till-2";
  // The catalog imported (POST /v1/catalog): SKU-1 is "Pencil HB" with EAN-13 4006381333931.
  static constexpr const char* kCatalogCsv =
      "sku,gtins,name,unit,weight_priced,tax_class\n"
      "SKU-1,4006381333931,Pencil HB,each,false,std\n"
      "SKU-2,96385074,Pencil case,each,false,std\n"
      "SKU-3,,Sharpener for pencils,each,false,std\n"
      "ODD-1,5901234123457,Suitcase (odd size),each,false,std\n"
      "INK-1,036000291452,Ink cartridge,each,false,std\n";
  // SKU-1 at store-1: 20 received, 2 sold on till-1, counted 15 (expected 18), so on hand 15.
  static constexpr int64_t kCounted = 15;
  static constexpr int64_t kCountDifference = -3;

  struct Tokens {
    std::string viewer;
    std::string store_manager;  // of store-1
    std::string admin;
  };

  ConsoleScenario();
  ~ConsoleScenario();
  ConsoleScenario(const ConsoleScenario&) = delete;
  ConsoleScenario& operator=(const ConsoleScenario&) = delete;

  // The console and API address, http://127.0.0.1:PORT.
  std::string url() const;
  int port() const { return coordinator_->port(); }
  const Tokens& tokens() const { return tokens_; }
  // The Shopify order id of the online order (GET /v1/orders/shopify/{id}).
  const std::string& orderId() const { return order_id_; }

  // GET path on the coordinator with `token` as the bearer (the API's answer to compare a page with).
  HttpReply get(const std::string& path, const std::string& token);

  CoordinatorProc& coordinator() { return *coordinator_; }
  // "till-1", "hh-1", "till-2" (stopped; start() brings it back).
  AgentProc& agent(const std::string& device_id);
  ChannelSim& channel(const std::string& name);
  // The coordinator's log, for failure messages.
  std::string logs() const { return coordinator_->logs(); }

 private:
  void startChannels();
  void startFleet();
  void makeHistory();
  void takeOnlineOrder();
  void shipAndRefundOrder();
  void takeDeviceOffline();
  void importCatalog();

  TempDir dir_;
  Broker broker_;
  std::map<std::string, std::unique_ptr<ChannelSim>> channels_;
  std::unique_ptr<CoordinatorProc> coordinator_;
  std::map<std::string, std::unique_ptr<AgentProc>> agents_;
  Tokens tokens_;
  std::string order_id_;
};

}  // namespace sw::test
