#pragma once
// The wholesale channel over X12 files: what comes in from each trading partner's inbound folder
// and what goes out to its outbound folder.
//
// In (one worker thread, WholesaleService::workOnce): each file in a partner's inbound folder is
//   1. recorded in received_files (state "received", with the archive path it will have),
//   2. moved into the archive folder by rename (the directories fsynced),
//   3. read: every interchange checked (parser, our ids as receiver, the partner's as sender,
//      duplicates against interchanges_seen); a broken envelope or a duplicate is answered with a
//      TA1 and nothing in it is taken in; each functional group of an accepted interchange gets a
//      997 (FA groups excepted: a 997 is never acknowledged); accepted 850s become orders through
//      OrderService::intake (channel "wholesale", order id "<partner>:<PO number>"), each
//      answered with an 855; a partner's 997 marks our group acknowledged, and a partner's TA1
//      (at interchange level, TA101 = our ISA13) our interchange accepted or rejected;
//   4. recorded done, with its outcome, in one transaction with the interchanges it took in.
// The file is always in the inbound folder or in the archive, never only in memory. After a crash
// between 1 and 2 the row is "received" and the file still in inbound under its name: it is moved
// and handled. After a crash between 2 and 4 it is handled again from the archive: order intake
// takes an order once ((channel, order id) is the key), and every file we send is keyed by what it
// answers (sent_files (partner, kind, ref)), so nothing is taken or answered twice.
//
// Out: every file is written as ".<name>.pending" (temp file, fsync, rename), recorded in
// sent_files, then renamed to <name>: the gateway only ever sees whole files, and a file is sent
// once (a ".pending" file left by a crash is renamed if it was recorded, removed if not, at the
// first round after start, under the emit lock; what it was for is then written again with new
// control numbers). Control numbers come from
// control_numbers, each given out once per partner, across restarts.
//   855  at intake, from what intake did: the order accepted and every unit of the line routed to
//        a location: IA; accepted with units not yet routed (reserved, waiting for a location that
//        can ship them): IB; the order refused for want of stock (the strict policy refuses
//        the whole order) or a line whose item the partner's items do not name: IR.
//   856 + 810  when a pick task of the order completes: the order service reports the fulfilment
//        through connector() (one ASN and one invoice per shipment, HL shipment > order > items).
//        With partial_lines and ship_backorders, backordered units are released as orders of
//        their own ("<partner>:<PO>/backorder-<n>") when available-to-sell covers them, and ship
//        with their own 856 + 810 under the PO's number.
// After a restore: a file in the archive the received-file log does not know (received after
// the backup) is read again at the first round, so no PO is lost (readArchiveAgain).
//   846  every partner's inventory.interval_s after the last one sent (wall clock of the clock
//        given; the last is read from sent_files at start), one LIN/QTY per item of its
//        assortment with available-to-sell computed as for the marketplaces (Availability, with
//        the partner's locations, safety stock, percent and cap), which is also what the strict
//        policy checks its 850s against.
//
// Threads: start() runs workOnce() every tick_ms; connector() is used by the orders worker
// (its own thread). Both write through WholesaleStore (its mutex) and one emit mutex.

#include <atomic>
#include <condition_variable>
#include <functional>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "sw/common/clock.h"
#include "sw/common/result.h"
#include "sw/coordinator/channels/availability.h"
#include "sw/coordinator/channels/connector.h"
#include "sw/coordinator/edi/documents.h"
#include "sw/coordinator/ledger/ledger.h"
#include "sw/coordinator/orders/order_service.h"
#include "sw/coordinator/wholesale/partners.h"
#include "sw/coordinator/wholesale/wholesale_store.h"

namespace sw::coordinator::wholesale {

struct WholesaleOptions {
  int64_t tick_ms = 1000;  // how often inbound folders are looked at
};

struct WholesaleStats {
  std::atomic<uint64_t> files{0};
  std::atomic<uint64_t> orders{0};
  std::atomic<uint64_t> rejected_interchanges{0};
  std::atomic<uint64_t> duplicates{0};
  std::atomic<uint64_t> interchanges_refused{0};  // our interchanges a partner's TA1 rejected
  std::atomic<uint64_t> sent{0};
  std::atomic<uint64_t> errors{0};
};

class WholesaleService {
 public:
  // reservations: the order book's holds; sales: the ledger's sales history (exposure buffer).
  WholesaleService(WholesaleConfig config, WholesaleStore& store, OrderService& orders, Ledger& ledger,
                   SalesHistory& sales, ReservationView& reservations, const common::Clock& clock,
                   WholesaleOptions options = {});
  ~WholesaleService();
  WholesaleService(const WholesaleService&) = delete;
  WholesaleService& operator=(const WholesaleService&) = delete;

  // What the order service reports wholesale fulfilments and cancels through (856 + 810), and
  // checks wholesale orders' available-to-sell with: call once, before orders.start().
  void attach();

  void start();
  void stop();
  // One round: every partner's unfinished and new inbound files, then the 846s that are due.
  void workOnce();

  // What a partner may be offered of a SKU now (846, and the strict policy for its 850s).
  common::Result<int64_t> availableToSell(const Partner& partner, const std::string& sku);
  common::Result<AtsBreakdown> explain(const Partner& partner, const std::string& sku);

  const WholesaleConfig& config() const { return config_; }
  WholesaleStore& store() { return store_; }
  const WholesaleStats& stats() const { return stats_; }

  // The connector's work (public for the connector; tests use it through the order service).
  common::Result<std::string> reportShipment(const channels::FulfilmentReport& report);
  common::Result<std::string> confirmCancel(const channels::CancelRequest& request);

 private:
  struct Handled;
  void run();
  common::Status recoverOutbound(const Partner& p);
  common::Status takeInbound(const Partner& p);
  common::Status handleFile(const Partner& p, const ReceivedFile& file, const std::string& first_note = "");
  common::Status readArchiveAgain(const Partner& p);
  common::Status releaseBackorders(const Partner& p);
  common::Status cancelBackorders(const Partner& p, const std::string& po_number,
                                  const channels::NormalizedOrder& cancel);
  common::Status handleInterchange(const Partner& p, const ReceivedFile& file, size_t index,
                                   edi::Interchange& ic, Handled& out);
  common::Result<std::string> takePurchaseOrder(const Partner& p, const ReceivedFile& file,
                                                const edi::PurchaseOrder& po);
  common::Status send855(const Partner& p, const std::string& po_number);
  common::Status sendInventoryIfDue(const Partner& p);
  // Writes one file to the partner's outbound folder once per (kind, ref): see the top of this file.
  using Builder = std::function<common::Result<std::string>(edi::ControlNumbers&, const edi::WriteTime&)>;
  common::Result<SentFile> emit(const Partner& p, const std::string& kind, const std::string& ref,
                                const std::string& functional_id, const Builder& build);

  WholesaleConfig config_;
  WholesaleStore& store_;
  OrderService& orders_;
  const common::Clock& clock_;
  WholesaleOptions options_;
  Availability availability_;
  WholesaleStats stats_;
  std::map<std::string, int64_t> next_846_ms_;  // wall clock, worker only
  std::set<std::string> recovered_;             // partners whose outbound leftovers were seen to (worker only)

  std::mutex emit_mu_;
  std::mutex work_mu_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = true;
  std::thread thread_;
};

// Order ids of the wholesale channel: "<partner>:<PO number>".
std::string orderIdFor(const std::string& partner, const std::string& po_number);
// The partner and PO number of an order id; false when it is not one.
bool splitOrderId(const std::string& order_id, std::string* partner, std::string* po_number);

}  // namespace sw::coordinator::wholesale
