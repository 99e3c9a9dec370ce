#include "sw/coordinator/wholesale/wholesale_service.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "sw/common/crash_point.h"
#include "sw/common/files.h"
#include "sw/common/log.h"
#include "sw/common/uuid.h"

namespace sw::coordinator::wholesale {

namespace fs = std::filesystem;
using channels::ChannelKind;
using common::Error;
using common::Result;
using common::Status;
using nlohmann::json;

namespace {

constexpr std::string_view kLog = "wholesale";
constexpr const char* kPending = ".pending";

std::string channelOf(const Partner& p) { return "wholesale:" + p.id; }

AvailabilityConfig atsConfig(const WholesaleConfig& config) {
  AvailabilityConfig out;
  for (const Partner& p : config.partners) {
    ChannelAtsConfig c;
    c.channel = channelOf(p);
    c.locations = p.inventory.locations;
    c.rule.safety_stock = p.inventory.safety_stock;
    c.rule.percent = p.inventory.percent;
    c.rule.cap = p.inventory.cap;
    out.channels[c.channel] = c;
  }
  return out;
}

Status fsyncDir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return Error::retry("fsync_failed", "cannot open folder " + dir);
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return Error::retry("fsync_failed", "cannot fsync folder " + dir);
  return {};
}

Status moveFile(const std::string& from, const std::string& to) {
  std::error_code ec;
  fs::rename(from, to, ec);
  if (ec) return Error::retry("move_failed", "cannot move " + from + " to " + to + ": " + ec.message());
  if (auto s = fsyncDir(fs::path(to).parent_path().string()); !s) return s;
  return fsyncDir(fs::path(from).parent_path().string());
}

// A set the envelope accepted but whose document we refuse: AK5 R with code 5 and an AK3 note.
void rejectSet(edi::TransactionSet& s, int segment_code, const std::string& message) {
  s.status = edi::AckStatus::kRejected;
  s.codes = {edi::ak5::kSegmentsInError};
  if (segment_code == edi::ak5::kNotSupported) s.codes = {edi::ak5::kNotSupported};
  std::string seg = "ST";
  // The segment the reader names ("x12_bad_850: BEG is missing"): its id, when it is one.
  for (const std::string id : {"BEG", "PO1", "CTT", "AK1", "AK9", "N1"}) {
    if (message.find(id) != std::string::npos) {
      seg = id;
      break;
    }
  }
  if (segment_code != edi::ak5::kNotSupported) {
    size_t position = 0;
    for (const edi::Segment& g : s.segments) {
      if (g.id == seg) {
        position = g.position;
        break;
      }
    }
    s.notes.push_back({seg, position, position == 0 ? edi::ak3::kMandatoryMissing : edi::ak3::kHasElementErrors, {},
                       message});
  }
  s.message = message;
}

void recomputeGroup(edi::FunctionalGroup& g) {
  if (!g.codes.empty()) return;  // refused as a whole already
  size_t accepted = g.acceptedSets();
  if (accepted == g.sets.size()) {
    g.status = edi::AckStatus::kAccepted;
  } else {
    g.status = accepted == 0 ? edi::AckStatus::kRejected : edi::AckStatus::kPartial;
  }
}

// An answer that cannot be written for this input (a value holding one of our separators, a group
// without a control number to name) is noted in the file's detail, and the file is done: only
// transient errors (disk, database) leave it to be handled again, so one bad file never blocks
// the partner's folder.
Status answerProblem(const Error& e, const std::string& what, std::vector<std::string>& notes) {
  if (e.kind != common::ErrorKind::kReject) return e;
  notes.push_back(what + " could not be written: " + e.message);
  return {};
}

std::string nineDigits(uint64_t n) {
  std::string s = std::to_string(n);
  return std::string(s.size() < 9 ? 9 - s.size() : 0, '0') + s;
}

json idsJson(const std::vector<edi::ProductId>& ids) {
  json out = json::array();
  for (const edi::ProductId& i : ids) out.push_back({i.qualifier, i.value});
  return out;
}

std::vector<edi::ProductId> idsOf(const json& j) {
  std::vector<edi::ProductId> out;
  if (!j.is_array()) return out;
  for (const json& p : j) {
    if (p.is_array() && p.size() == 2 && p[0].is_string() && p[1].is_string()) {
      out.push_back({p[0].get<std::string>(), p[1].get<std::string>()});
    }
  }
  return out;
}

std::string str(const json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : "";
}
int64_t num(const json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_number_integer() ? j[key].get<int64_t>() : 0;
}

}  // namespace

std::string orderIdFor(const std::string& partner, const std::string& po_number) { return partner + ":" + po_number; }

bool splitOrderId(const std::string& order_id, std::string* partner, std::string* po_number) {
  auto colon = order_id.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == order_id.size()) return false;
  *partner = order_id.substr(0, colon);
  *po_number = order_id.substr(colon + 1);
  return true;
}

// ------------------------------------------------------------------ the connector

namespace {

// The wholesale channel as the order service sees it: fulfilments become an 856 and an 810 in
// the partner's outbound folder; a refused order was already told by its 855. Nothing is polled
// or pushed through it (850s come in by folder, 846s go out on the service's own schedule).
class WholesaleConnector final : public channels::ChannelConnector {
 public:
  explicit WholesaleConnector(WholesaleService& service) : service_(service) {}
  ChannelKind kind() const override { return ChannelKind::kWholesale; }
  size_t maxBatch() const override { return 1; }
  bool supportsCompareAndSet() const override { return false; }
  Result<channels::PushResult> pushQuantities(const std::vector<channels::QuantityUpdate>&) override {
    return Error::reject("not_supported", "wholesale stock goes out as scheduled 846 files");
  }
  Result<std::vector<channels::ChannelLevel>> readQuantities(const std::vector<std::string>&) override {
    return Error::reject("not_supported", "a wholesale partner cannot be read back");
  }
  Result<channels::OrderPage> pollOrders(const channels::OrderCursor&) override { return channels::OrderPage{}; }
  Result<std::string> reportFulfilment(const channels::FulfilmentReport& report) override {
    return service_.reportShipment(report);
  }
  Result<std::string> cancelOrder(const channels::CancelRequest& request) override {
    return service_.confirmCancel(request);
  }
  channels::RateState rateState() const override { return {}; }
  int64_t msUntilReady(channels::Operation, size_t) const override { return 0; }

 private:
  WholesaleService& service_;
};

}  // namespace

// ------------------------------------------------------------------ the service

WholesaleService::WholesaleService(WholesaleConfig config, WholesaleStore& store, OrderService& orders, Ledger& ledger,
                                   SalesHistory& sales, ReservationView& reservations, const common::Clock& clock,
                                   WholesaleOptions options)
    : config_(std::move(config)),
      store_(store),
      orders_(orders),
      clock_(clock),
      options_(options),
      availability_(ledger, sales, reservations, atsConfig(config_), clock) {}

WholesaleService::~WholesaleService() { stop(); }

void WholesaleService::attach() {
  orders_.addConnector(std::make_unique<WholesaleConnector>(*this));
  orders_.setAvailabilitySource(ChannelKind::kWholesale,
                                [this](const channels::NormalizedOrder& order, const std::string& sku) -> Result<int64_t> {
                                  std::string partner, po;
                                  const Partner* p = splitOrderId(order.order_id, &partner, &po) ? config_.find(partner)
                                                                                                  : nullptr;
                                  if (!p) return Error::reject("unknown_partner", "no wholesale partner for " + order.order_id);
                                  return availableToSell(*p, sku);
                                });
}

Result<int64_t> WholesaleService::availableToSell(const Partner& partner, const std::string& sku) {
  return availability_.availableToSell(channelOf(partner), sku);
}

Result<AtsBreakdown> WholesaleService::explain(const Partner& partner, const std::string& sku) {
  return availability_.explain(channelOf(partner), sku);
}

void WholesaleService::start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!stop_) return;
  stop_ = false;
  thread_ = std::thread([this] { run(); });
}

void WholesaleService::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void WholesaleService::run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    lock.unlock();
    workOnce();
    lock.lock();
    cv_.wait_for(lock, std::chrono::milliseconds(options_.tick_ms), [&] { return stop_; });
  }
}

void WholesaleService::workOnce() {
  std::lock_guard<std::mutex> lock(work_mu_);
  for (const Partner& p : config_.partners) {
    if (!recovered_.count(p.id)) {
      if (auto s = recoverOutbound(p); !s) {
        stats_.errors++;
        SW_WARN(kLog) << p.id << " outbound: " << s.error().toString();
      } else if (auto s2 = readArchiveAgain(p); !s2) {
        stats_.errors++;
        SW_WARN(kLog) << p.id << " archive: " << s2.error().toString();
      } else {
        recovered_.insert(p.id);
      }
    }
    // Backorders owed before what is new: the oldest PO is served first.
    if (auto s = releaseBackorders(p); !s) {
      stats_.errors++;
      SW_WARN(kLog) << p.id << " backorders: " << s.error().toString();
    }
    if (auto s = takeInbound(p); !s) {
      stats_.errors++;
      SW_WARN(kLog) << p.id << " inbound: " << s.error().toString();
    }
    if (auto s = sendInventoryIfDue(p); !s) {
      stats_.errors++;
      SW_WARN(kLog) << p.id << " 846: " << s.error().toString();
    }
  }
}

// ------------------------------------------------------------------ out

Status WholesaleService::recoverOutbound(const Partner& p) {
  // Under the emit lock: a ".pending" file of an emit in flight (on the orders worker) is not a leftover.
  std::lock_guard<std::mutex> lock(emit_mu_);
  std::error_code ec;
  std::vector<fs::path> leftovers;
  for (const auto& entry : fs::directory_iterator(p.outbound_dir, ec)) {
    std::string name = entry.path().filename().string();
    if (name.size() > 1 && name[0] == '.' &&
        (name.find(std::string(kPending) + ".tmp.") != std::string::npos ||
         (name.size() > strlen(kPending) && name.compare(name.size() - strlen(kPending), strlen(kPending), kPending) == 0))) {
      leftovers.push_back(entry.path());
    }
  }
  if (ec) return Error::retry("read_failed", "cannot list " + p.outbound_dir + ": " + ec.message());
  for (const fs::path& path : leftovers) {
    std::string name = path.filename().string();
    bool whole = name.compare(name.size() - strlen(kPending), strlen(kPending), kPending) == 0;
    std::string final_name = whole ? name.substr(1, name.size() - 1 - strlen(kPending)) : "";
    if (whole) {
      auto rec = store_.sentByName(p.id, final_name);
      if (!rec) return rec.error();
      if (*rec) {
        SW_INFO(kLog) << p.id << ": " << final_name << " was recorded before a stop: sending it now";
        if (auto s = moveFile(path.string(), (fs::path(p.outbound_dir) / final_name).string()); !s) return s;
        continue;
      }
    }
    // Not recorded: what it was for is written again (with new control numbers) when next due.
    fs::remove(path, ec);
  }
  return {};
}

Result<SentFile> WholesaleService::emit(const Partner& p, const std::string& kind, const std::string& ref,
                                        const std::string& functional_id, const Builder& build) {
  std::lock_guard<std::mutex> lock(emit_mu_);
  auto before = store_.sent(p.id, kind, ref);
  if (!before) return before.error();
  if (*before) {
    // Recorded, and its rename failed (disk trouble): finish it now.
    const std::string left = (fs::path(p.outbound_dir) / ("." + (*before)->name + kPending)).string();
    std::error_code ec;
    if (fs::exists(left, ec)) {
      if (auto s = moveFile(left, (fs::path(p.outbound_dir) / (*before)->name).string()); !s) return s.error();
    }
    return **before;
  }
  DurableControlNumbers numbers(store_, p.id);
  auto bytes = build(numbers, edi::WriteTime::fromUnixMs(clock_.nowMs()));
  if (!bytes) return bytes.error();
  SentFile f;
  f.partner = p.id;
  f.kind = kind;
  f.ref = ref;
  f.name = kind + "-" + nineDigits(numbers.interchange) + ".x12";
  f.interchange = nineDigits(numbers.interchange);
  f.group_control = numbers.group == 0 ? "" : std::to_string(numbers.group);
  f.functional_id = functional_id;
  for (uint64_t s : numbers.sets) f.sets.push_back(std::to_string(s));
  f.sent_at_ms = clock_.nowMs();
  const std::string pending = (fs::path(p.outbound_dir) / ("." + f.name + kPending)).string();
  if (auto s = common::writeFileAtomic(pending, *bytes); !s) return s.error();
  if (auto s = store_.recordSent(f); !s) {
    std::error_code ec;
    fs::remove(pending, ec);
    return s.error();
  }
  if (auto s = moveFile(pending, (fs::path(p.outbound_dir) / f.name).string()); !s) return s.error();
  stats_.sent++;
  SW_INFO(kLog) << p.id << ": sent " << f.name << " (" << ref << ")";
  return f;
}

// ------------------------------------------------------------------ in

Status WholesaleService::takeInbound(const Partner& p) {
  // First what a crash left half done.
  auto unfinished = store_.unfinishedFiles(p.id);
  if (!unfinished) return unfinished.error();
  for (const ReceivedFile& f : *unfinished) {
    std::error_code ec;
    if (!fs::exists(f.archived_as, ec)) {
      const std::string inbound = (fs::path(p.inbound_dir) / f.name).string();
      if (!fs::exists(inbound, ec)) {
        // Neither here nor there: moved away by a person. Recorded as such, never silently.
        if (auto s = store_.finishFile(f.id, "missing", "the file was neither in the inbound folder nor archived",
                                       {}, clock_.nowMs());
            !s) {
          return s;
        }
        continue;
      }
      if (auto s = moveFile(inbound, f.archived_as); !s) return s;
    }
    if (auto s = handleFile(p, f); !s) return s;
  }
  // Then what is new, oldest name first.
  std::error_code ec;
  std::vector<std::pair<std::string, int64_t>> names;
  for (const auto& entry : fs::directory_iterator(p.inbound_dir, ec)) {
    std::string name = entry.path().filename().string();
    if (name.empty() || name[0] == '.' || !entry.is_regular_file(ec)) continue;  // a gateway's file in the writing
    names.emplace_back(name, static_cast<int64_t>(entry.file_size(ec)));
  }
  if (ec) return Error::retry("read_failed", "cannot list " + p.inbound_dir + ": " + ec.message());
  std::sort(names.begin(), names.end());
  for (const auto& [name, size] : names) {
    const int64_t now = clock_.nowMs();
    const std::string archived =
        (fs::path(p.archive_dir) / (edi::WriteTime::fromUnixMs(now).ccyymmdd + "-" + common::newUuid().substr(0, 8) +
                                    "-" + name))
            .string();
    auto id = store_.beginFile(p.id, name, size, archived, now);
    if (!id) return id.error();
    if (auto s = moveFile((fs::path(p.inbound_dir) / name).string(), archived); !s) return s;
    stats_.files++;
    ReceivedFile f;
    f.id = *id;
    f.partner = p.id;
    f.name = name;
    f.size = size;
    f.archived_as = archived;
    f.received_at_ms = now;
    f.state = "received";
    if (auto s = handleFile(p, f); !s) return s;
  }
  return {};
}

// A file in the archive the received-file log does not know was taken in after the backup that
// was restored (the log, the seen interchanges and the purchase orders are the backup's; the
// archive folder is not part of it): it is read again, oldest first, as if it had just arrived, so
// a PO received after the backup is not lost. Its 997 and 855 are sent again, with new control
// numbers (those sent before the restore are not known any more). Only at the first round.
Status WholesaleService::readArchiveAgain(const Partner& p) {
  auto known = store_.archivedNames(p.id);
  if (!known) return known.error();
  std::error_code ec;
  std::vector<std::tuple<fs::file_time_type, std::string, int64_t>> unknown;
  for (const auto& entry : fs::directory_iterator(p.archive_dir, ec)) {
    std::string name = entry.path().filename().string();
    if (name.empty() || name[0] == '.' || !entry.is_regular_file(ec) || known->count(name)) continue;
    unknown.emplace_back(entry.last_write_time(ec), name, static_cast<int64_t>(entry.file_size(ec)));
  }
  if (ec) return Error::retry("read_failed", "cannot list " + p.archive_dir + ": " + ec.message());
  std::sort(unknown.begin(), unknown.end());
  for (const auto& [mtime, name, size] : unknown) {
    // Archived as "<CCYYMMDD>-<8 characters>-<the name it came in with>".
    std::string original = name;
    if (name.size() > 18 && name[8] == '-' && name[17] == '-') original = name.substr(18);
    const std::string path = (fs::path(p.archive_dir) / name).string();
    const int64_t now = clock_.nowMs();
    auto id = store_.beginFile(p.id, original, size, path, now);
    if (!id) return id.error();
    SW_WARN(kLog) << p.id << ": " << name << " is archived but not in the file log (received after the restored "
                  << "backup): read again";
    ReceivedFile f;
    f.id = *id;
    f.partner = p.id;
    f.name = original;
    f.size = size;
    f.archived_as = path;
    f.received_at_ms = now;
    f.state = "received";
    if (auto s = handleFile(p, f, "read again from the archive (received after the restored backup)"); !s) return s;
  }
  return {};
}

struct WholesaleService::Handled {
  std::vector<edi::InterchangeKey> taken;
  std::vector<std::string> outcomes;  // per interchange
  std::vector<std::string> notes;
};

Status WholesaleService::handleFile(const Partner& p, const ReceivedFile& file, const std::string& first_note) {
  if (file.size > static_cast<int64_t>(edi::kMaxFileBytes)) {
    // Kept in the archive, not read: no X12 file of ours is this large, and nothing in it can be trusted.
    return store_.finishFile(file.id, "unreadable",
                             "larger than " + std::to_string(edi::kMaxFileBytes) + " bytes: not read", {}, clock_.nowMs());
  }
  auto data = common::readFile(file.archived_as);
  if (!data) return Error::retry("read_failed", "cannot read the archived " + file.archived_as);
  edi::ParsedFile parsed = edi::parseX12(*data);
  Handled h;
  if (!first_note.empty()) h.notes.push_back(first_note);
  for (const std::string& w : parsed.warnings) h.notes.push_back("warning: " + w);
  for (size_t i = 0; i < parsed.interchanges.size(); ++i) {
    if (auto s = handleInterchange(p, file, i, parsed.interchanges[i], h); !s) return s;
  }
  // The file's outcome: the worst of its interchanges.
  std::string outcome = "accepted";
  for (const char* worst : {"unreadable", "duplicate", "envelope_rejected", "rejected", "partial"}) {
    if (std::find(h.outcomes.begin(), h.outcomes.end(), worst) != h.outcomes.end()) {
      outcome = worst;
      break;
    }
  }
  std::string detail;
  for (const std::string& n : h.notes) detail += (detail.empty() ? "" : "; ") + n;
  SW_INFO(kLog) << p.id << ": " << file.name << " " << outcome << (detail.empty() ? "" : ": " + detail);
  common::crashPoint("wholesale.before_file_done");
  return store_.finishFile(file.id, outcome, detail, h.taken, clock_.nowMs());
}

Status WholesaleService::handleInterchange(const Partner& p, const ReceivedFile& file, size_t index,
                                           edi::Interchange& ic, Handled& h) {
  const std::string at = "file:" + std::to_string(file.id) + ":" + std::to_string(index);
  if (!ic.header_read) {
    h.outcomes.push_back("unreadable");
    h.notes.push_back(ic.message.empty() ? "no ISA could be read" : ic.message);
    return {};
  }
  // Addressed from the partner to us, as the config says.
  const edi::PartnerConfig& e = p.envelope;
  if (ic.accepted()) {
    if (ic.sender_qualifier != e.receiver_qualifier || ic.sender_id != e.receiver_id) {
      ic.note = ic.sender_qualifier != e.receiver_qualifier ? edi::ta1::kBadSenderQualifier : edi::ta1::kBadSenderId;
      ic.message = "ISA05/ISA06 " + ic.sender_qualifier + "/" + ic.sender_id + " is not partner " + p.id + " (" +
                   e.receiver_qualifier + "/" + e.receiver_id + ")";
    } else if (ic.receiver_qualifier != e.sender_qualifier || ic.receiver_id != e.sender_id) {
      ic.note = ic.receiver_qualifier != e.sender_qualifier ? edi::ta1::kBadReceiverQualifier : edi::ta1::kBadReceiverId;
      ic.message = "ISA07/ISA08 " + ic.receiver_qualifier + "/" + ic.receiver_id + " is not us (" + e.sender_qualifier +
                   "/" + e.sender_id + ")";
    }
  }
  // A duplicate: seen in an earlier file, or earlier in this one.
  std::set<edi::InterchangeKey> seen(h.taken.begin(), h.taken.end());
  auto before = store_.seen(p.id, edi::keyOf(ic));
  if (!before) return before.error();
  if (*before) seen.insert(edi::keyOf(ic));
  const bool duplicate = edi::rejectIfDuplicate(seen, ic);
  if (!ic.accepted()) {
    if (duplicate) stats_.duplicates++;
    stats_.rejected_interchanges++;
    h.outcomes.push_back(duplicate ? "duplicate" : "envelope_rejected");
    h.notes.push_back("interchange " + ic.control + ": TA1 note " + std::to_string(ic.note) + ": " + ic.message);
    auto ta1 = emit(p, "TA1", at, "", [&](edi::ControlNumbers& n, const edi::WriteTime& t) {
      return edi::writeTa1(e, n, t, ic);
    });
    return ta1 ? Status{} : answerProblem(ta1.error(), "the TA1", h.notes);
  }
  h.taken.push_back(edi::keyOf(ic));
  if (ic.ack_requested == "1") {
    auto ta1 = emit(p, "TA1", at, "", [&](edi::ControlNumbers& n, const edi::WriteTime& t) {
      return edi::writeTa1(e, n, t, ic);
    });
    if (!ta1) {
      if (auto s = answerProblem(ta1.error(), "the TA1", h.notes); !s) return s;
    }
  }
  // The partner's TA1s for interchanges we sent (an interchange acknowledgment: not answered).
  for (const edi::Segment& seg : ic.ta1s) {
    auto ack = edi::readInterchangeAck(seg);
    if (!ack) {
      h.notes.push_back("TA1 in interchange " + ic.control + " refused: " + ack.error().message);
      continue;
    }
    const std::string status = edi::ackStatusText(ack->status);
    std::string detail = "TA1 " + status + (ack->note == 0 ? "" : " note " + seg.element(5)) + " (in interchange " + ic.control + ")";
    auto matched = store_.acknowledgeInterchange(p.id, ack->control, status, ack->note, detail, clock_.nowMs());
    if (!matched) return matched.error();
    if (ack->status == edi::AckStatus::kRejected && *matched) stats_.interchanges_refused++;
    h.notes.push_back("TA1 for our interchange " + ack->control + ": " + status +
                      (ack->note == 0 ? "" : " note " + seg.element(5)) + (*matched ? "" : " (no such interchange was sent)"));
  }
  std::vector<edi::GroupAck> acks;
  std::vector<std::string> pos;
  bool any_rejected = false, any_partial = false;
  for (edi::FunctionalGroup& g : ic.groups) {
    for (edi::TransactionSet& s : g.sets) {
      if (!g.codes.empty() || s.status == edi::AckStatus::kRejected) continue;
      if (s.id == "850") {
        auto po = edi::readPurchaseOrder(s, ic.separators);
        if (!po) {
          rejectSet(s, edi::ak5::kSegmentsInError, po.error().message);
          h.notes.push_back("850 " + s.control + " refused: " + po.error().message);
          continue;
        }
        auto taken = takePurchaseOrder(p, file, *po);
        if (!taken) {
          if (taken.error().kind != common::ErrorKind::kReject) return taken.error();  // handled again next round
          rejectSet(s, edi::ak5::kSegmentsInError, taken.error().message);
          h.notes.push_back("850 " + s.control + " refused: " + taken.error().message);
          continue;
        }
        pos.push_back(po->po_number);
        h.notes.push_back("PO " + po->po_number + ": " + *taken);
      } else if (s.id == "997") {
        auto ack = edi::readFunctionalAck(s);
        if (!ack) {
          rejectSet(s, edi::ak5::kSegmentsInError, ack.error().message);
          h.notes.push_back("997 " + s.control + " refused: " + ack.error().message);
          continue;
        }
        std::string detail = std::to_string(ack->accepted_sets) + " of " + std::to_string(ack->received_sets) +
                             " sets accepted (997 in interchange " + ic.control + ")";
        auto matched = store_.acknowledge(p.id, ack->functional_id, ack->control, edi::ackStatusText(ack->status),
                                          detail, clock_.nowMs());
        if (!matched) return matched.error();
        h.notes.push_back("997 for our " + ack->functional_id + " group " + ack->control + ": " +
                          edi::ackStatusText(ack->status) + (*matched ? "" : " (no such group was sent)"));
      } else {
        rejectSet(s, edi::ak5::kNotSupported, "transaction set " + s.id + " is not taken in from partners");
        h.notes.push_back("set " + s.id + " " + s.control + " not supported");
      }
    }
    recomputeGroup(g);
    if (g.status == edi::AckStatus::kRejected) any_rejected = true;
    if (g.status == edi::AckStatus::kPartial || g.status == edi::AckStatus::kAcceptedWithErrors) any_partial = true;
    for (const edi::TransactionSet& s : g.sets) {
      if (s.status == edi::AckStatus::kRejected) {
        any_partial = true;
        if (!s.message.empty() && s.id != "850" && s.id != "997") h.notes.push_back("set " + s.control + ": " + s.message);
      }
    }
    if (!g.codes.empty()) h.notes.push_back("group " + g.control + ": " + g.message);
    // A 997 answers every group but a group of 997s (an acknowledgment is not acknowledged), and
    // one without GS01 or GS06 cannot be named in an AK1.
    if (g.functional_id.empty() || g.control.empty()) {
      h.notes.push_back("a group without GS01 or GS06 cannot be acknowledged");
    } else if (g.functional_id != "FA") {
      acks.push_back(edi::ackFor(g));
    }
  }
  h.outcomes.push_back(any_rejected ? "rejected" : any_partial ? "partial" : "accepted");
  // Orders taken in, nothing answered yet (the file is still "received": handled again after a crash).
  common::crashPoint("wholesale.after_intake");
  if (!acks.empty()) {
    auto fa = emit(p, "997", at, "FA", [&](edi::ControlNumbers& n, const edi::WriteTime& t) {
      return edi::write997(e, n, t, acks);
    });
    if (!fa) {
      if (auto s = answerProblem(fa.error(), "the 997", h.notes); !s) return s;
    }
  }
  common::crashPoint("wholesale.after_997");
  for (const std::string& po : pos) {
    if (auto s = send855(p, po); !s) {
      if (auto s2 = answerProblem(s.error(), "the 855 of PO " + po, h.notes); !s2) return s2;
    }
  }
  return {};
}

Result<std::string> WholesaleService::takePurchaseOrder(const Partner& p, const ReceivedFile& file,
                                                        const edi::PurchaseOrder& po) {
  if (po.po_number.empty()) return Error::reject("x12_bad_850", "BEG03 (the PO number) is empty");
  channels::NormalizedOrder o;
  o.channel = ChannelKind::kWholesale;
  o.order_id = orderIdFor(p.id, po.po_number);
  o.order_name = po.po_number;
  o.event = "order";
  o.status = po.purpose == "01" ? channels::OrderStatus::kCancelled : channels::OrderStatus::kOpen;
  o.channel_status = "850 BEG01 " + po.purpose + " BEG02 " + po.type;
  o.created_at = po.date;
  o.currency = p.currency;
  o.ship_to_country = p.country;
  json doc = {{"lines", json::array()}, {"ship_to", nullptr}};
  if (const edi::Party* st = po.shipTo()) {
    if (!st->country.empty()) o.ship_to_country = st->country;
    o.ship_to.postal_code = st->postal_code;
    o.ship_to.city = st->city;
    o.ship_to.region = st->state;
    doc["ship_to"] = {{"name", st->name}, {"id_qualifier", st->id_qualifier}, {"id", st->id}};
  }
  // Where it goes, for routing a backorder released later.
  doc["place"] = {{"country", o.ship_to_country},
                  {"postal_code", o.ship_to.postal_code},
                  {"city", o.ship_to.city},
                  {"region", o.ship_to.region}};
  size_t position = 0;
  std::set<std::string> line_ids;
  std::map<std::string, int64_t> offered;  // partial_lines: what earlier lines of this PO took, by SKU
  for (const edi::PurchaseOrderLine& l : po.lines) {
    ++position;
    channels::OrderLine line;
    line.line_id = l.line.empty() ? std::to_string(position) : l.line;
    if (!line_ids.insert(line.line_id).second) {
      return Error::reject("x12_bad_850", "PO1 line " + line.line_id + " is given twice");
    }
    line.sku = p.skuFor(l.ids);
    line.sku_missing = line.sku.empty();
    if (line.sku_missing) o.warnings.push_back("line " + line.line_id + ": no item of partner " + p.id + " has its ids");
    line.quantity = l.quantity;
    if (!l.unit_price.empty()) {
      if (auto d = common::Decimal::parse(l.unit_price)) line.unit_price = common::Money{*d, p.currency};
    }
    line.title = l.description;
    if (!l.ids.empty()) line.channel_item_id = l.ids.front().qualifier + ":" + l.ids.front().value;
    // partial_lines: the line is taken for what the partner's available-to-sell covers now (read
    // before intake, which checks it again under its lock) and the rest backordered in the 855.
    int64_t backordered = 0;
    if (p.partial_lines && !line.sku_missing && po.purpose != "01") {
      auto ats = availableToSell(p, line.sku);
      if (!ats) return ats.error();
      const int64_t can = std::clamp<int64_t>(*ats - offered[line.sku], 0, line.quantity);
      backordered = line.quantity - can;
      line.quantity = can;
      offered[line.sku] += can;
    }
    if (line.quantity > 0 || line.sku_missing) o.lines.push_back(line);
    json dl = {{"line", line.line_id},
               {"po_line", l.line},
               {"sku", line.sku},
               {"quantity", l.quantity},
               {"unit", l.unit.empty() ? "EA" : l.unit},
               {"unit_price", l.unit_price},
               {"ids", idsJson(l.ids)}};
    if (backordered > 0) dl["backordered"] = backordered;
    doc["lines"].push_back(std::move(dl));
  }
  // The PO's lines first: an 855 or ASN after a crash finds them even if intake was the last thing done.
  PurchaseOrderRow row{p.id, po.po_number, o.order_id, po.date, doc, file.id, clock_.nowMs()};
  const bool owes = p.partial_lines && p.ship_backorders &&
                    std::any_of(doc["lines"].begin(), doc["lines"].end(), [](const json& l) { return num(l, "backordered") > 0; });
  if (auto s = store_.recordPurchaseOrder(row, owes); !s) return s.error();
  if (po.purpose == "01") {
    // The partner cancels the PO: no more backorders of it, and its releases not shipped yet are cancelled.
    if (auto s = cancelBackorders(p, po.po_number, o); !s) return s.error();
  }
  if (std::all_of(o.lines.begin(), o.lines.end(), [](const channels::OrderLine& l) { return l.sku_missing; })) {
    // Nothing we sell (its 855 rejects every line), or nothing available now (partial_lines: its
    // 855 backorders every line we sell): no order at all.
    return std::string("no line names an item of partner ") + p.id + " that is available now: not taken in";
  }
  auto r = orders_.intake(o);
  if (!r) return r.error();
  if (r->is_new) stats_.orders++;
  return std::string(r->is_new ? "order " : "order seen before, ") + o.order_id + " " + r->status +
         (r->reason.empty() ? "" : " (" + r->reason + ")");
}

// ------------------------------------------------------------------ backorders

namespace {

constexpr const char* kBackorder = "/backorder-";

// The order of a release: the PO's lines (as the 850 had them) with the release's quantities.
channels::NormalizedOrder releaseOrder(const Partner& p, const PurchaseOrderRow& po, const BackorderRelease& r) {
  channels::NormalizedOrder o;
  o.channel = ChannelKind::kWholesale;
  o.order_id = r.order_id;
  o.order_name = po.po_number + " backorder " + std::to_string(r.release);
  o.event = "order";
  o.status = channels::OrderStatus::kOpen;
  o.channel_status = "backorder " + std::to_string(r.release) + " of 850 " + po.po_number;
  o.created_at = po.po_date;
  o.currency = p.currency;
  const json& place = po.document.contains("place") ? po.document["place"] : json::object();
  o.ship_to_country = str(place, "country").empty() ? p.country : str(place, "country");
  o.ship_to.postal_code = str(place, "postal_code");
  o.ship_to.city = str(place, "city");
  o.ship_to.region = str(place, "region");
  for (const json& l : po.document["lines"]) {
    const std::string line_id = str(l, "line");
    if (!r.lines.contains(line_id) || !r.lines[line_id].is_number_integer()) continue;
    channels::OrderLine line;
    line.line_id = line_id;
    line.sku = str(l, "sku");
    line.quantity = r.lines[line_id].get<int64_t>();
    if (auto d = common::Decimal::parse(str(l, "unit_price"))) line.unit_price = common::Money{*d, p.currency};
    const std::vector<edi::ProductId> ids = idsOf(l["ids"]);
    if (!ids.empty()) line.channel_item_id = ids.front().qualifier + ":" + ids.front().value;
    o.lines.push_back(line);
  }
  return o;
}

}  // namespace

Status WholesaleService::cancelBackorders(const Partner& p, const std::string& po_number,
                                          const channels::NormalizedOrder& cancel) {
  if (auto s = store_.closeBackorders(p.id, po_number); !s) return s;
  auto releases = store_.releases(p.id, po_number);
  if (!releases) return releases.error();
  for (const BackorderRelease& r : *releases) {
    channels::NormalizedOrder o = cancel;
    o.order_id = r.order_id;
    auto done = orders_.intake(o);
    if (!done) return done.error();
  }
  return {};
}

// Backordered units (partial_lines with ship_backorders) are owed until shipped: each round, what
// the partner's available-to-sell covers of them now becomes a release, an order of its own
// ("<partner>:<PO>/backorder-<n>") reserved, routed, picked and reported (856 + 810 with the PO's
// number and lines) like the PO's first part. The release is recorded before its intake, so a
// crash between the two takes it in at the next round under the same order id (taken once). A
// release the strict policy refuses (another order took the stock first) owes its units again.
Status WholesaleService::releaseBackorders(const Partner& p) {
  if (!p.partial_lines || !p.ship_backorders) return {};
  auto pos = store_.backorderedPurchaseOrders(p.id);
  if (!pos) return pos.error();
  const std::string channel = channels::channelName(ChannelKind::kWholesale);
  for (const PurchaseOrderRow& po : *pos) {
    // Its 855 rejected every line (the strict policy refused the order), or the partner cancelled it.
    auto first = orders_.book().order(channel, po.order_id);
    if (!first) return first.error();
    if (*first && ((*first)->status == OrderState::kRejectedNoStock || (*first)->status == OrderState::kCancelled)) {
      if (auto s = store_.closeBackorders(p.id, po.po_number); !s) return s;
      continue;
    }
    std::map<std::string, int64_t> owed;  // line id -> units backordered and not released
    for (const json& l : po.document["lines"]) {
      if (num(l, "backordered") > 0) owed[str(l, "line")] = num(l, "backordered");
    }
    auto releases = store_.releases(p.id, po.po_number);
    if (!releases) return releases.error();
    int64_t next = 1;
    for (const BackorderRelease& r : *releases) {
      next = r.release + 1;
      auto o = orders_.book().order(channel, r.order_id);
      if (!o) return o.error();
      if (!*o) {
        // Recorded, and stopped before its intake.
        auto taken = orders_.intake(releaseOrder(p, po, r));
        if (!taken) return taken.error();
        o = orders_.book().order(channel, r.order_id);
        if (!o) return o.error();
      }
      if (*o && (*o)->status == OrderState::kRejectedNoStock) continue;  // still owed
      for (const auto& [line, q] : r.lines.items()) {
        if (q.is_number_integer()) owed[line] -= q.get<int64_t>();
      }
    }
    BackorderRelease r;
    r.partner = p.id;
    r.po_number = po.po_number;
    r.release = next;
    r.order_id = orderIdFor(p.id, po.po_number) + kBackorder + std::to_string(next);
    r.created_at_ms = clock_.nowMs();
    bool any_owed = false;
    std::map<std::string, int64_t> offered;  // by SKU, within this release
    for (const json& l : po.document["lines"]) {
      const std::string line = str(l, "line"), sku = str(l, "sku");
      auto it = owed.find(line);
      if (it == owed.end() || it->second <= 0 || sku.empty()) continue;
      any_owed = true;
      auto ats = availableToSell(p, sku);
      if (!ats) return ats.error();
      const int64_t can = std::clamp<int64_t>(*ats - offered[sku], 0, it->second);
      if (can == 0) continue;
      offered[sku] += can;
      r.lines[line] = can;
    }
    if (!any_owed) {
      SW_INFO(kLog) << p.id << ": every backordered unit of PO " << po.po_number << " is released";
      if (auto s = store_.closeBackorders(p.id, po.po_number); !s) return s;
      continue;
    }
    if (r.lines.empty()) continue;  // nothing available yet
    if (auto s = store_.recordRelease(r); !s) return s;
    common::crashPoint("wholesale.after_backorder_recorded");
    auto taken = orders_.intake(releaseOrder(p, po, r));
    if (!taken) return taken.error();
    if (taken->is_new) stats_.orders++;
    SW_INFO(kLog) << p.id << ": backorder " << r.release << " of PO " << po.po_number << " (" << r.lines.dump()
                  << ") taken in: " << taken->status << (taken->reason.empty() ? "" : " (" + taken->reason + ")");
  }
  return {};
}

Status WholesaleService::send855(const Partner& p, const std::string& po_number) {
  auto row = store_.purchaseOrder(p.id, po_number);
  if (!row) return row.error();
  if (!*row) return Error::reject("unknown_po", "no purchase order " + po_number + " of " + p.id);
  auto order = orders_.book().order(channels::channelName(ChannelKind::kWholesale), (*row)->order_id);
  if (!order) return order.error();
  // No order: none of its lines names an item we sell (takePurchaseOrder), every line is rejected.
  if (*order && (*order)->status == OrderState::kCancelled) return {};  // the partner cancelled it (BEG01 01)
  const BookOrder none;
  const BookOrder& o = *order ? **order : none;
  edi::PoAck ack;
  ack.po_number = po_number;
  ack.po_date = (*row)->po_date;
  const bool refused = !*order || o.status == OrderState::kRejectedNoStock;
  for (const json& l : (*row)->document["lines"]) {
    edi::PoAckLine al;
    al.line = str(l, "po_line");
    al.ordered = num(l, "quantity");
    al.unit = str(l, "unit");
    al.unit_price = str(l, "unit_price");
    al.ids = idsOf(l["ids"]);
    al.quantity = al.ordered;
    const std::string line_id = str(l, "line");
    const int64_t backordered = l.contains("backordered") ? num(l, "backordered") : 0;
    if (!str(l, "sku").empty() && backordered >= al.ordered && al.ordered > 0 && !(*order && refused)) {
      al.status = edi::LineAck::kBackordered;  // partial_lines, nothing of the line available
    } else if (refused || str(l, "sku").empty()) {
      al.status = edi::LineAck::kRejected;
    } else {
      al.quantity = al.ordered - backordered;
      al.backordered = backordered;
      int64_t unrouted = 0;
      for (const BookAllocation& a : o.allocations) {
        if (a.line_id == line_id && a.location.empty() && a.state == AllocationState::kReserved) unrouted += a.quantity;
      }
      al.status = unrouted > 0 ? edi::LineAck::kBackordered : edi::LineAck::kAccepted;
    }
    ack.lines.push_back(al);
  }
  auto sent = emit(p, "855", "po:" + po_number, "PR", [&](edi::ControlNumbers& n, const edi::WriteTime& t) {
    return edi::write855(p.envelope, n, t, ack);
  });
  return sent ? Status{} : Status(sent.error());
}

Status WholesaleService::sendInventoryIfDue(const Partner& p) {
  if (p.inventory.interval_ms <= 0) return {};
  // Due interval_ms after the last one sent (on the wall clock, so a restart keeps the schedule).
  const int64_t now = clock_.nowMs();
  auto due = next_846_ms_.find(p.id);
  if (due == next_846_ms_.end()) {
    auto last = store_.lastSentAt(p.id, "846");
    if (!last) return last.error();
    due = next_846_ms_.emplace(p.id, *last == 0 ? now : *last + p.inventory.interval_ms).first;
  }
  if (now < due->second) return {};
  edi::InventoryAdvice advice;
  const edi::WriteTime t = edi::WriteTime::fromUnixMs(clock_.nowMs());
  advice.reference = t.ccyymmdd + t.hhmm;
  advice.date = t.ccyymmdd;
  for (const PartnerItem& item : p.items) {
    auto ats = availableToSell(p, item.sku);
    if (!ats) return ats.error();
    advice.items.push_back({p.idsFor(item.sku), *ats, "33", "EA"});
  }
  auto sent = emit(p, "846", "inventory:" + std::to_string(clock_.nowMs()), "IB",
                   [&](edi::ControlNumbers& n, const edi::WriteTime& wt) { return edi::write846(p.envelope, n, wt, advice); });
  if (!sent) return sent.error();
  next_846_ms_[p.id] = now + p.inventory.interval_ms;
  return {};
}

// ------------------------------------------------------------------ fulfilment

Result<std::string> WholesaleService::reportShipment(const channels::FulfilmentReport& report) {
  std::string partner_id, po_number;
  const Partner* p = splitOrderId(report.order_id, &partner_id, &po_number) ? config_.find(partner_id) : nullptr;
  if (!p) return Error::reject("unknown_partner", "no wholesale partner for order " + report.order_id);
  // A release of backordered units ships under the PO it is part of.
  auto release = store_.releaseOf(report.order_id);
  if (!release) return release.error();
  if (*release) po_number = (*release)->po_number;
  auto row = store_.purchaseOrder(p->id, po_number);
  if (!row) return row.error();
  if (!*row) return Error::reject("unknown_po", "no purchase order " + po_number + " of " + p->id);
  const json& doc = (*row)->document;
  std::map<std::string, const json*> line_of;
  for (const json& l : doc["lines"]) line_of[str(l, "line")] = &l;

  const int64_t shipped_ms = report.shipped_at_ms > 0 ? report.shipped_at_ms : clock_.nowMs();
  const edi::WriteTime when = edi::WriteTime::fromUnixMs(shipped_ms);
  const std::string shipment = po_number.substr(0, 20) + "-" + std::to_string(report.package_number);
  edi::ShipNotice asn;
  asn.shipment_id = shipment;
  asn.date = when.ccyymmdd;
  asn.time = when.hhmm;
  asn.carrier_scac = p->carrier_scac;
  asn.tracking = report.tracking_number;
  asn.ship_date = when.ccyymmdd;
  if (!p->ship_from.empty()) {
    edi::Party sf;
    sf.role = "SF";
    sf.name = p->ship_from;
    asn.parties.push_back(sf);
  }
  if (doc["ship_to"].is_object()) {
    edi::Party st;
    st.role = "ST";
    st.name = str(doc["ship_to"], "name");
    st.id_qualifier = str(doc["ship_to"], "id_qualifier");
    st.id = str(doc["ship_to"], "id");
    asn.parties.push_back(st);
  }
  edi::AsnOrder ao;
  ao.po_number = po_number;
  edi::Invoice inv;
  inv.invoice_number = shipment;
  inv.date = when.ccyymmdd;
  inv.po_number = po_number;
  inv.po_date = (*row)->po_date;
  for (const channels::FulfilmentLine& fl : report.lines) {
    auto it = line_of.find(fl.line_id);
    std::vector<edi::ProductId> ids = it != line_of.end() ? idsOf((*it->second)["ids"]) : p->idsFor(fl.sku);
    std::string unit = it != line_of.end() ? str(*it->second, "unit") : "EA";
    ao.items.push_back({ids, fl.quantity, unit});
    edi::InvoiceLine il;
    il.line = it != line_of.end() ? str(*it->second, "po_line") : fl.line_id;
    il.quantity = fl.quantity;
    il.unit = unit;
    il.ids = ids;
    if (it != line_of.end()) {
      if (auto d = common::Decimal::parse(str(*it->second, "unit_price"))) {
        il.unit_price_cents = d->scaled() / (common::Decimal::kScale / 100);
      }
    }
    inv.lines.push_back(il);
  }
  asn.orders.push_back(ao);
  const std::string ref = "shipment:" + std::to_string(report.package_number);
  auto a = emit(*p, "856", ref, "SH", [&](edi::ControlNumbers& n, const edi::WriteTime& t) {
    return edi::write856(p->envelope, n, t, asn);
  });
  if (!a) return a.error();
  auto i = emit(*p, "810", ref, "IN", [&](edi::ControlNumbers& n, const edi::WriteTime& t) {
    return edi::write810(p->envelope, n, t, inv);
  });
  if (!i) return i.error();
  return "856 " + a->name + ", 810 " + i->name;
}

Result<std::string> WholesaleService::confirmCancel(const channels::CancelRequest& request) {
  std::string partner_id, po_number;
  const Partner* p = splitOrderId(request.order_id, &partner_id, &po_number) ? config_.find(partner_id) : nullptr;
  if (!p) return Error::reject("unknown_partner", "no wholesale partner for order " + request.order_id);
  auto release = store_.releaseOf(request.order_id);
  if (!release) return release.error();
  if (*release) {
    // The 855 said backordered: a release refused (or cancelled) tells the partner nothing new.
    return "backorder " + std::to_string((*release)->release) + " of PO " + (*release)->po_number +
           " not shipped now: its units stay backordered";
  }
  auto sent = store_.sent(p->id, "855", "po:" + po_number);
  if (!sent) return sent.error();
  if (!*sent) return Error::retry("no_855_yet", "the 855 refusing " + po_number + " is not written yet");
  return "refused by 855 " + (*sent)->name;
}

}  // namespace sw::coordinator::wholesale
