#pragma once
// What the wholesale channel must remember across restarts, in its own SQLite file beside the
// ledger (`<db>.wholesale`, WAL, synchronous=FULL; schema component "wholesale" in its
// schema_versions):
//
//   received_files(id)              every file taken from a partner's inbound folder: its name,
//                                   size, where it is archived, and its outcome once handled
//                                   (state received -> done). GET /v1/wholesale/files.
//   interchanges_seen(partner, sender_qualifier, sender_id, control) PK
//                                   the interchanges taken in: a second one is a duplicate (TA1 025)
//   control_numbers(partner, kind) PK   the last ISA13, GS06 and ST02 given out to the partner:
//                                   each next() is its own committed transaction, so a number is
//                                   never given twice, even if what it was for is never written
//   sent_files(id), UNIQUE(partner, kind, ref)
//                                   every file written to a partner's outbound folder: its control
//                                   numbers, what it answers or reports (ref), for groups the
//                                   partner must acknowledge the 997 that came back, and the
//                                   partner's TA1 for the interchange when it sent one (v2)
//   purchase_orders(partner, po_number) PK   each 850 taken in: the order it became and the lines
//                                   as the partner wrote them (for the 855, 856 and 810); v3:
//                                   backorders_open while backordered units are owed
//   backorder_releases(order_id) PK, UNIQUE(partner, po_number, release)   (v3) each part of a
//                                   PO's backordered units taken in as an order of its own when
//                                   stock arrived: its lines {"<line id>": quantity}
//
// Threads: every method may be called from any thread (one mutex around the connection).

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sw/common/build_info.h"
#include "sw/common/result.h"
#include "sw/common/sqlite.h"
#include "sw/coordinator/edi/x12.h"
#include "sw/coordinator/edi/x12_write.h"

namespace sw::coordinator::wholesale {

struct ReceivedFile {
  int64_t id = 0;
  std::string partner;
  std::string name;         // as it was in the inbound folder
  int64_t size = 0;
  std::string archived_as;  // the path in the archive folder
  int64_t received_at_ms = 0;
  std::string state;        // "received" (taken, being handled) or "done"
  // done: "accepted", "partial" (some sets rejected), "rejected" (every group or set refused),
  // "envelope_rejected" (TA1 sent), "duplicate" (TA1 025 sent), "unreadable" (no ISA: nothing
  // can be addressed)
  std::string outcome;
  std::string detail;       // for a person: the first problem, the orders it made
  int64_t done_at_ms = 0;
};
nlohmann::json toJson(const ReceivedFile& f);

struct SentFile {
  int64_t id = 0;
  std::string partner;
  std::string kind;  // "997", "TA1", "846", "855", "856", "810"
  std::string ref;   // what it is for: "file:12" (a 997/TA1 answering received file 12), "po:PO1", ...
  std::string name;  // the file name in the outbound folder
  std::string interchange;    // ISA13
  std::string group_control;  // GS06 ("" for a TA1)
  std::string functional_id;  // GS01
  std::vector<std::string> sets;  // ST02 of each set
  int64_t sent_at_ms = 0;
  // The partner's 997 for the group: "" none yet, else accepted, accepted_with_errors, partial, rejected.
  std::string ack_status;
  std::string ack_detail;
  int64_t ack_at_ms = 0;
  // The partner's TA1 for the interchange (ISA13): "" none, else accepted, accepted_with_errors, rejected.
  std::string ta1_status;
  int ta1_note = 0;  // TA105
  std::string ta1_detail;
  int64_t ta1_at_ms = 0;
};
nlohmann::json toJson(const SentFile& f);

struct PurchaseOrderRow {
  std::string partner;
  std::string po_number;
  std::string order_id;  // in the order book (channel "wholesale")
  std::string po_date;
  // {"lines": [{"line","sku","quantity","unit","unit_price","ids":[[q,v],...]}],
  //  "ship_to": {"name","id_qualifier","id"}}: what the 855, 856 and 810 echo
  nlohmann::json document;
  int64_t file_id = 0;
  int64_t created_at_ms = 0;
};

// Backordered units of a PO taken in as an order when stock arrived (partial_lines with
// ship_backorders): order id "<partner>:<PO number>/backorder-<release>".
struct BackorderRelease {
  std::string order_id;
  std::string partner;
  std::string po_number;
  int64_t release = 0;  // 1, 2, ... per PO
  nlohmann::json lines = nlohmann::json::object();  // {"<line id>": quantity}
  int64_t created_at_ms = 0;
};

class WholesaleStore {
 public:
  static common::Result<std::unique_ptr<WholesaleStore>> open(const std::string& path);
  static common::SchemaVersion schemaVersion();
  static const std::vector<std::string>& schemaSteps();

  // ---- received files
  // A file taken from the inbound folder, recorded before it is moved to archived_as.
  common::Result<int64_t> beginFile(const std::string& partner, const std::string& name, int64_t size,
                                    const std::string& archived_as, int64_t now_ms);
  // Files taken and not done (a crash while handling them).
  common::Result<std::vector<ReceivedFile>> unfinishedFiles(const std::string& partner);
  // Done, in one transaction with the interchanges it took in (the duplicate check's set).
  common::Status finishFile(int64_t id, const std::string& outcome, const std::string& detail,
                            const std::vector<edi::InterchangeKey>& taken, int64_t now_ms);
  // Newest first; partner "" = every partner.
  common::Result<std::vector<ReceivedFile>> files(const std::string& partner, int64_t limit);
  common::Result<bool> seen(const std::string& partner, const edi::InterchangeKey& key);

  // ---- control numbers: the next unused one of a kind for the partner (1..999999999)
  common::Result<uint64_t> nextControl(const std::string& partner, edi::ControlKind kind);

  // ---- sent files
  common::Result<std::optional<SentFile>> sent(const std::string& partner, const std::string& kind,
                                               const std::string& ref);
  common::Result<std::optional<SentFile>> sentByName(const std::string& partner, const std::string& name);
  common::Status recordSent(const SentFile& file);
  // Groups we sent that ask for a 997 (not 997s or TA1s) and have none yet, oldest first.
  common::Result<std::vector<SentFile>> unacknowledged(const std::string& partner);
  // The partner's 997 for our group GS06 = group_control: the number of sent files it matched (0 or 1).
  common::Result<int> acknowledge(const std::string& partner, const std::string& functional_id,
                                  const std::string& group_control, const std::string& status,
                                  const std::string& detail, int64_t now_ms);
  // The partner's TA1 for our interchange ISA13 = interchange (nine digits): the number of sent files
  // it matched (0 or 1).
  common::Result<int> acknowledgeInterchange(const std::string& partner, const std::string& interchange,
                                             const std::string& status, int note, const std::string& detail, int64_t now_ms);
  // Interchanges we sent that the partner's TA1 rejected, oldest first.
  common::Result<std::vector<SentFile>> refusedInterchanges(const std::string& partner);
  common::Result<std::vector<SentFile>> sentFiles(const std::string& partner, int64_t limit);
  // When the newest file of a kind went to the partner (0: never): the 846 schedule across restarts.
  common::Result<int64_t> lastSentAt(const std::string& partner, const std::string& kind);

  // The names (in the archive folder) of every file the log knows of the partner: a file in the
  // archive that is not among them was received after a restored backup was taken.
  common::Result<std::set<std::string>> archivedNames(const std::string& partner);

  // ---- purchase orders
  // backorders_open: the PO has backordered units Stockwire will ship when stock arrives.
  common::Status recordPurchaseOrder(const PurchaseOrderRow& po, bool backorders_open = false);
  common::Result<std::optional<PurchaseOrderRow>> purchaseOrder(const std::string& partner, const std::string& po_number);
  // POs still owing backordered units, oldest first; closed when all are released or cancelled.
  common::Result<std::vector<PurchaseOrderRow>> backorderedPurchaseOrders(const std::string& partner);
  common::Status closeBackorders(const std::string& partner, const std::string& po_number);
  common::Result<std::vector<BackorderRelease>> releases(const std::string& partner, const std::string& po_number);
  common::Result<std::optional<BackorderRelease>> releaseOf(const std::string& order_id);
  common::Status recordRelease(const BackorderRelease& release);

 private:
  WholesaleStore() = default;
  std::mutex mu_;
  common::SqliteDb db_;
};

// ControlNumbers (x12_write.h) for one partner from the store, remembering what it gave out.
class DurableControlNumbers final : public edi::ControlNumbers {
 public:
  DurableControlNumbers(WholesaleStore& store, std::string partner) : store_(store), partner_(std::move(partner)) {}
  common::Result<uint64_t> next(edi::ControlKind kind) override;
  uint64_t interchange = 0, group = 0;
  std::vector<uint64_t> sets;

 private:
  WholesaleStore& store_;
  std::string partner_;
};

}  // namespace sw::coordinator::wholesale
