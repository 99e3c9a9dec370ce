#include "sw/agent/downlink.h"

#include "sw/common/log.h"
#include "sw/common/topics.h"

namespace sw::agent {

using common::Error;
using common::Result;
using common::Status;
namespace topics = common::topics;
constexpr std::string_view kLog = "downlink";

DownlinkClient::DownlinkClient(Store& store, common::MqttTransport& transport, const common::Clock& clock,
                               std::vector<std::string> locations, DownlinkClientConfig config)
    : store_(store), transport_(transport), clock_(clock), locations_(std::move(locations)), config_(config) {}

DownlinkClient::~DownlinkClient() { stop(); }

void DownlinkClient::addHandler(DownlinkHandler& handler) { handlers_[handler.kind()] = &handler; }

Status DownlinkClient::loadStates() {
  return store_.read([&](common::SqliteDb& db) -> Status {
    auto st = db.prepare("SELECT kind, location, version, snapshot_version, cursor, updated_at_ms FROM down_state");
    if (!st) return st.error();
    std::lock_guard<std::mutex> lock(mu_);
    if (auto each_ok = st->eachRow([&](const common::SqliteStmt&) {
      DownState& s = states_[{st->columnText(0), st->columnText(1)}];
      s.version = st->columnInt(2);
      s.snapshot_version = st->columnInt(3);
      s.cursor = st->columnText(4);
      s.updated_at_ms = st->columnInt(5);
    }); !each_ok) {
      return each_ok.error();
    }
    return {};
  });
}

void DownlinkClient::start() {
  if (auto s = loadStates(); !s) SW_ERROR(kLog) << "cannot read downlink state: " << s.error().toString();
  auto queue = [this](std::string_view topic, std::string_view payload) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (inbound_.size() >= 1000) return;  // asked again after the timeout
      inbound_.push_back({std::string(topic), std::string(payload)});
    }
    cv_.notify_one();
  };
  std::string down_filter = topics::down(store_.deviceId(), "#");
  transport_.addMessageHandler(down_filter, queue);
  (void)transport_.subscribe(down_filter, 1);
  for (const std::string& loc : locations_) {
    transport_.addMessageHandler(topics::notice(loc), queue);
    (void)transport_.subscribe(topics::notice(loc), 1);
  }
  transport_.addConnectionHandler([this](bool connected) {
    if (!connected) return;
    {
      std::lock_guard<std::mutex> lock(mu_);
      reconnected_ = true;
    }
    cv_.notify_one();
  });
  thread_ = std::thread([this] { run(); });
}

void DownlinkClient::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!thread_.joinable()) return;
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

std::map<std::pair<std::string, std::string>, DownState> DownlinkClient::states() {
  std::lock_guard<std::mutex> lock(mu_);
  return states_;
}

void DownlinkClient::run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    cv_.wait_for(lock, std::chrono::milliseconds(200), [&] { return stop_ || !inbound_.empty() || reconnected_; });
    if (stop_) break;
    std::deque<Inbound> msgs;
    msgs.swap(inbound_);
    if (reconnected_) {  // what was asked on the old connection may be lost
      asked_at_.clear();
      refreshed_.clear();
    }
    reconnected_ = false;
    lock.unlock();
    for (const Inbound& m : msgs) handle(m);
    if (transport_.isConnected()) askWhatIsNeeded();
    lock.lock();
  }
}

void DownlinkClient::handle(const Inbound& msg) {
  if (msg.topic.rfind("sw/v1/loc/", 0) == 0) {
    auto n = common::decodeDownNotice(msg.payload);
    if (!n) {
      SW_WARN(kLog) << "ignoring bad notice on " << msg.topic << ": " << n.error().toString();
      return;
    }
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [kind, version] : n->versions) {
      if (handlers_.count(kind)) states_[{kind, n->location}].target = version;
    }
    return;
  }
  // Certificates come on down/cert too; they are the renewer's (cert_renewer.h), not pages.
  if (msg.topic == topics::down(store_.deviceId(), "cert")) return;
  auto page = common::decodeDownPage(msg.payload);
  if (!page) {
    SW_WARN(kLog) << "ignoring bad page on " << msg.topic << ": " << page.error().toString();
    return;
  }
  applyPage(*page);
}

Status DownlinkClient::saveState(common::SqliteDb& db, const std::string& kind, const std::string& location,
                                 const DownState& st) {
  auto up = db.prepare(
      "INSERT INTO down_state (kind, location, version, snapshot_version, cursor, updated_at_ms) VALUES (?,?,?,?,?,?)"
      " ON CONFLICT (kind, location) DO UPDATE SET version = excluded.version,"
      " snapshot_version = excluded.snapshot_version, cursor = excluded.cursor, updated_at_ms = excluded.updated_at_ms");
  if (!up) return up.error();
  up->bind(1, kind).bind(2, location).bind(3, st.version).bind(4, st.snapshot_version).bind(5, st.cursor)
      .bind(6, st.updated_at_ms);
  return up->run();
}

void DownlinkClient::applyPage(const common::DownPage& page) {
  auto h = handlers_.find(page.kind);
  if (h == handlers_.end()) return;
  auto key = std::make_pair(page.kind, page.location);
  DownState st;
  {
    std::lock_guard<std::mutex> lock(mu_);
    st = states_[key];
  }
  // Only the answer to what we asked is applied; a late duplicate of an older answer is not.
  bool continuing_snapshot = st.cursor.rfind("s:", 0) == 0;
  if (page.snapshot) {
    if (continuing_snapshot && page.version != st.snapshot_version) return;
    if (!continuing_snapshot) st.snapshot_version = page.version;
  } else {
    if (continuing_snapshot || page.version < st.version) return;
  }
  st.updated_at_ms = clock_.nowMs();
  ++(page.snapshot ? st.snapshot_pages : st.delta_pages);  // kept only if the page commits
  if (page.snapshot) {
    st.cursor = page.more ? page.cursor : "";
    if (!page.more) st.version = page.version;
  } else {
    st.cursor = page.more ? page.cursor : "";
    if (!page.more) st.version = page.version;
  }
  DownlinkHandler* handler = h->second;
  auto s = store_.transaction([&](common::SqliteDb& db) -> Status {
    if (auto a = handler->apply(db, page, st.snapshot_version); !a) return a;
    if (page.snapshot && !page.more) {
      if (auto f = handler->finishSnapshot(db, page.location, st.snapshot_version); !f) return f;
    }
    return saveState(db, page.kind, page.location, st);
  });
  if (!s) {
    SW_WARN(kLog) << page.kind << " page for " << page.location << " not applied: " << s.error().toString();
    return;
  }
  std::lock_guard<std::mutex> lock(mu_);
  DownState& cur = states_[key];
  int64_t target = cur.target;
  cur = st;
  cur.target = std::max(target, st.version);
  asked_at_.erase(key);
}

void DownlinkClient::askWhatIsNeeded() {
  using Key = std::pair<std::string, std::string>;
  std::vector<std::pair<Key, DownState>> wanted, current;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [key, st] : states_) {
      if (st.target > st.version || !st.cursor.empty()) {
        wanted.emplace_back(key, st);
      } else if (st.version > 0) {
        current.emplace_back(key, st);
      }
    }
  }
  int64_t mono = clock_.monoMs();
  auto askedRecently = [&](const Key& key) {
    auto asked = asked_at_.find(key);
    return asked != asked_at_.end() && mono - asked->second < config_.request_timeout_ms;
  };
  // A copy that is current by its notice but lacks own events the coordinator has applied since:
  // ask for the changes after its version, once per newer such event (and again after the
  // timeout, should the answer not have covered it).
  std::map<Key, uint64_t> refresh;
  if (!current.empty()) {
    auto s = store_.read([&](common::SqliteDb& db) -> Status {
      for (const auto& [key, st] : current) {
        auto h = handlers_.find(key.first);
        if (h == handlers_.end() || askedRecently(key)) continue;
        auto own = h->second->ownAppliedNotInCopy(db, key.second);
        if (!own) return own.error();
        if (*own == 0) continue;
        auto done = refreshed_.find(key);
        if (done != refreshed_.end() && *own <= done->second.own_seq &&
            mono - done->second.at_mono < config_.request_timeout_ms) {
          continue;
        }
        refresh[key] = *own;
        wanted.emplace_back(key, st);
      }
      return {};
    });
    if (!s) SW_WARN(kLog) << "cannot compare the copies with own applied events: " << s.error().toString();
  }
  for (const auto& [key, st] : wanted) {
    if (askedRecently(key)) continue;
    common::DownRequest req;
    req.kind = key.first;
    req.location = key.second;
    req.cursor = st.cursor;
    req.have = st.cursor.rfind("s:", 0) == 0 ? st.snapshot_version : st.version;
    if (transport_.publish(topics::request(store_.deviceId()), common::encodeDownRequest(req), 1, false)) {
      asked_at_[key] = mono;
      if (auto r = refresh.find(key); r != refresh.end()) refreshed_[key] = {r->second, mono};
    }
  }
}

Status StockViewHandler::apply(common::SqliteDb& db, const common::DownPage& page, int64_t generation) {
  auto up = db.prepare(
      "INSERT INTO stock_view (location, sku, on_hand, ver, gen) VALUES (?, ?, ?, ?, ?)"
      " ON CONFLICT (location, sku) DO UPDATE SET on_hand = excluded.on_hand, ver = excluded.ver, gen = excluded.gen");
  if (!up) return up.error();
  for (const auto& item : page.items) {
    if (!item.is_object() || !item.contains("sku") || !item["sku"].is_string() || !item.contains("on_hand") ||
        !item["on_hand"].is_number_integer() || !item.contains("ver") || !item["ver"].is_number_integer()) {
      return Error::reject("malformed", "stock item needs sku, on_hand and ver");
    }
    up->bind(1, page.location).bind(2, item["sku"].get<std::string>()).bind(3, item["on_hand"].get<int64_t>())
        .bind(4, item["ver"].get<int64_t>()).bind(5, generation);
    if (auto s = up->run(); !s) return s;
  }
  if (page.meta.contains("device_applied_seq") && page.meta["device_applied_seq"].is_number_integer()) {
    auto m = db.prepare(
        "INSERT INTO stock_view_meta (location, device_applied_seq) VALUES (?, ?)"
        " ON CONFLICT (location) DO UPDATE SET device_applied_seq = MAX(device_applied_seq, excluded.device_applied_seq)");
    if (!m) return m.error();
    m->bind(1, page.location).bind(2, page.meta["device_applied_seq"].get<int64_t>());
    if (auto s = m->run(); !s) return s;
  }
  return {};
}

Status StockViewHandler::finishSnapshot(common::SqliteDb& db, const std::string& location, int64_t generation) {
  auto del = db.prepare("DELETE FROM stock_view WHERE location = ? AND gen < ?");
  if (!del) return del.error();
  del->bind(1, location).bind(2, generation);
  return del->run();
}

Result<uint64_t> StockViewHandler::ownAppliedNotInCopy(common::SqliteDb& db, const std::string& location) {
  auto st = db.prepare(
      "SELECT COALESCE(MAX(seq), 0) FROM local_moves WHERE location = ?1"
      " AND seq > COALESCE((SELECT device_applied_seq FROM stock_view_meta WHERE location = ?1), 0)"
      " AND seq <= (SELECT last_acked_seq FROM counters)");
  if (!st) return st.error();
  st->bind(1, location);
  auto r = st->step();
  if (!r) return r.error();
  return *r ? static_cast<uint64_t>(st->columnInt(0)) : uint64_t{0};
}

}  // namespace sw::agent
