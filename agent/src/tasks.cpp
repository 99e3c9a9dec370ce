#include "sw/agent/tasks.h"

#include <map>
#include <optional>

#include "sw/common/json_text.h"

namespace sw::agent {

using common::Error;
using common::Status;
using nlohmann::json;

namespace {

// Step 1 is what releases before schema versions created (IF NOT EXISTS): it leaves their tables as
// they are and records version 1.
constexpr const char* kComponent = "agent_tasks";
const std::vector<std::string> kSchema = {
    "CREATE TABLE IF NOT EXISTS pick_tasks (task_id TEXT PRIMARY KEY, location TEXT NOT NULL,"
    " order_id TEXT NOT NULL, order_name TEXT NOT NULL, channel TEXT NOT NULL, lines TEXT NOT NULL,"
    " ver INTEGER NOT NULL, gen INTEGER NOT NULL, confirmed_seq INTEGER, confirmed_at_ms INTEGER);"
    // Tasks the coordinator reported no longer open (done, perhaps on another device, or
    // cancelled), so a late confirmation here is refused instead of taking the stock again.
    "CREATE TABLE IF NOT EXISTS pick_tasks_closed (task_id TEXT PRIMARY KEY, status TEXT NOT NULL,"
    " confirmed_seq INTEGER, closed_at_ms INTEGER NOT NULL)",
};

// Closed tasks are remembered this long (a confirmation later than that finds no task at all).
constexpr int64_t kClosedKeepMs = 30LL * 24 * 3600 * 1000;

bool validLines(const json& lines) {
  if (!lines.is_array()) return false;
  for (const json& l : lines) {
    if (!l.is_object() || !l.contains("sku") || !l["sku"].is_string() || !l.contains("qty") ||
        !l["qty"].is_number_integer() || l["qty"].get<int64_t>() <= 0) {
      return false;
    }
  }
  return true;
}

}  // namespace

Status ensurePickTaskTable(Store& store) {
  return store.migrate({kComponent, kSchema, ""});
}

common::SchemaVersion pickTaskSchemaVersion() { return {kComponent, static_cast<int64_t>(kSchema.size())}; }

// The handlers run after ensurePickTaskTable (at the agent's start).
Status PickTaskHandler::apply(common::SqliteDb& db, const common::DownPage& page, int64_t generation) {
  auto up = db.prepare(
      "INSERT INTO pick_tasks (task_id, location, order_id, order_name, channel, lines, ver, gen)"
      " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (task_id) DO UPDATE SET lines = excluded.lines,"
      " ver = excluded.ver, gen = excluded.gen, order_name = excluded.order_name");
  if (!up) return up.error();
  auto del = db.prepare("DELETE FROM pick_tasks WHERE task_id = ?");
  if (!del) return del.error();
  auto close = db.prepare(
      "INSERT INTO pick_tasks_closed (task_id, status, confirmed_seq, closed_at_ms)"
      " SELECT ?1, ?2, (SELECT confirmed_seq FROM pick_tasks WHERE task_id = ?1), strftime('%s','now') * 1000"
      " ON CONFLICT (task_id) DO UPDATE SET status = excluded.status");
  if (!close) return close.error();
  auto prune = db.prepare("DELETE FROM pick_tasks_closed WHERE closed_at_ms < strftime('%s','now') * 1000 - ?");
  if (!prune) return prune.error();
  prune->bind(1, kClosedKeepMs);
  if (auto s = prune->run(); !s) return s;
  for (const json& t : page.items) {
    if (!t.is_object() || !t.contains("task_id") || !t["task_id"].is_string() || !t.contains("status") ||
        !t["status"].is_string() || !t.contains("ver") || !t["ver"].is_number_integer()) {
      return Error::reject("malformed", "task item needs task_id, status and ver");
    }
    std::string id = t["task_id"];
    if (t["status"] != "open") {
      close->bind(1, id).bind(2, t["status"].get<std::string>());
      if (auto s = close->run(); !s) return s;
      del->bind(1, id);
      if (auto s = del->run(); !s) return s;
      continue;
    }
    json lines = t.value("lines", json::array());
    if (!validLines(lines)) return Error::reject("malformed", "task " + id + ": lines need sku and a positive qty");
    up->bind(1, id).bind(2, page.location).bind(3, t.value("order_id", "")).bind(4, t.value("order_name", ""))
        .bind(5, t.value("channel", "")).bind(6, lines.dump()).bind(7, t["ver"].get<int64_t>()).bind(8, generation);
    if (auto s = up->run(); !s) return s;
  }
  return {};
}

Status PickTaskHandler::finishSnapshot(common::SqliteDb& db, const std::string& location, int64_t generation) {
  auto del = db.prepare("DELETE FROM pick_tasks WHERE location = ? AND gen < ?");
  if (!del) return del.error();
  del->bind(1, location).bind(2, generation);
  return del->run();
}

common::Result<json> listPickTasks(Store& store) {
  if (auto s = ensurePickTaskTable(store); !s) return s.error();
  json out = json::array();
  auto s = store.read([&](common::SqliteDb& db) -> Status {
    auto st = db.prepare(
        "SELECT task_id, order_id, order_name, channel, location, lines FROM pick_tasks"
        " WHERE confirmed_seq IS NULL ORDER BY ver");
    if (!st) return st.error();
    if (auto each_ok = st->eachRow([&](const common::SqliteStmt&) {
      out.push_back({{"task_id", st->columnText(0)}, {"order_id", st->columnText(1)},
                     {"order_name", st->columnText(2)}, {"channel", st->columnText(3)},
                     {"location", st->columnText(4)}, {"lines", json::parse(st->columnText(5), nullptr, false)}});
    }); !each_ok) {
      return each_ok.error();
    }
    return {};
  });
  if (!s) return s.error();
  return json{{"tasks", out}};
}

common::Result<json> confirmPickTask(Store& store, const std::string& task_id, const std::string& body) {
  if (auto s = ensurePickTaskTable(store); !s) return s.error();
  const char* shape = R"({"lines":[{"sku":"..","picked":N}]})";
  auto parsed = common::parseJsonObjectBody(body, shape);
  if (!parsed) return parsed.error();
  const json& req = *parsed;
  if (!req.contains("lines") || !req["lines"].is_array()) {
    return Error::reject("no_lines", std::string("'lines' must be an array; send ") + shape);
  }
  std::map<std::string, int64_t> picked;
  for (const json& l : req["lines"]) {
    if (!l.is_object() || !l.contains("sku") || !l["sku"].is_string() || !l.contains("picked") ||
        !l["picked"].is_number_integer() || l["picked"].get<int64_t>() < 0) {
      return Error::reject("bad_line", "each line needs sku (a string) and picked (a whole number >= 0)");
    }
    picked[l["sku"].get<std::string>()] += l["picked"].get<int64_t>();
  }
  std::map<std::string, int64_t> wanted;
  std::map<std::string, common::Decimal> prices;  // sku -> the order line's unit price
  std::string order;
  bool found = false;
  std::optional<int64_t> confirmed;
  std::optional<std::string> closed;  // the status the coordinator gave it
  auto s = store.read([&](common::SqliteDb& db) -> Status {
    auto cl = db.prepare("SELECT status, confirmed_seq FROM pick_tasks_closed WHERE task_id = ?");
    if (!cl) return cl.error();
    cl->bind(1, task_id);
    auto c = cl->step();
    if (!c) return c.error();
    if (*c) {
      closed = cl->columnText(0);
      if (!cl->columnIsNull(1)) confirmed = cl->columnInt(1);
      return {};
    }
    auto st = db.prepare("SELECT lines, channel, order_id, confirmed_seq FROM pick_tasks WHERE task_id = ?");
    if (!st) return st.error();
    st->bind(1, task_id);
    auto r = st->step();
    if (!r) return r.error();
    if (!*r) return {};
    found = true;
    json lines = json::parse(st->columnText(0), nullptr, false);
    order = st->columnText(1) + " " + st->columnText(2);
    if (!st->columnIsNull(3)) confirmed = st->columnInt(3);
    if (lines.is_array()) {
      for (const json& l : lines) {
        if (l.is_object() && l.contains("sku") && l["sku"].is_string() && l.contains("qty") && l["qty"].is_number_integer()) {
          wanted[l["sku"].get<std::string>()] += l["qty"].get<int64_t>();
          if (l.contains("unit_price") && l["unit_price"].is_string()) {
            if (auto d = common::Decimal::parse(l["unit_price"].get<std::string>())) {
              prices.try_emplace(l["sku"].get<std::string>(), *d);
            }
          }
        }
      }
    }
    return {};
  });
  if (!s) return s.error();
  // Confirmed before (a retry of the same submit): the first pick stands.
  auto already = [&](int64_t seq) {
    return json{{"task_id", task_id}, {"seq", json::array({seq})}, {"duplicate", true}};
  };
  if (confirmed) return already(*confirmed);
  if (closed) {
    return Error::reject("task_already_done", "pick task " + task_id + " is " + *closed +
                                                  " at the coordinator (picked on another device, or cancelled):"
                                                  " nothing was recorded");
  }
  if (!found) return Error::reject("not_found", "no pick task " + task_id + " at this location");
  for (const auto& [sku, n] : picked) {
    auto it = wanted.find(sku);
    if (it == wanted.end()) return Error::reject("not_on_task", sku + " is not on task " + task_id);
    if (n > it->second) {
      return Error::reject("over_pick", sku + ": " + std::to_string(n) + " picked, the task asks for " + std::to_string(it->second));
    }
  }
  EventDraft sale;
  sale.type = common::EventType::kSale;
  sale.ref = task_id;
  sale.reason = ("pick for " + order).substr(0, common::kMaxReasonLength);
  sale.idempotency_key = "task:" + task_id + "/pick";
  EventDraft counts;
  counts.type = common::EventType::kCount;
  counts.ref = task_id;
  counts.reason = ("short pick for " + order).substr(0, common::kMaxReasonLength);
  counts.idempotency_key = "task:" + task_id + "/short";
  int64_t picked_total = 0, short_total = 0;
  for (const auto& [sku, want] : wanted) {
    auto p = picked.find(sku);
    int64_t got = p == picked.end() ? 0 : p->second;
    // The pick sells at the order's price (online revenue in the ledger), when the task has it.
    std::optional<common::Decimal> price;
    if (auto pr = prices.find(sku); pr != prices.end()) price = pr->second;
    if (got > 0) sale.lines.push_back({sku, got, price});
    if (got < want) counts.lines.push_back({sku, 0, std::nullopt});
    picked_total += got;
    short_total += want - got;
  }
  std::vector<EventDraft> drafts;
  if (!sale.lines.empty()) drafts.push_back(sale);
  if (!counts.lines.empty()) drafts.push_back(counts);
  auto rec = store.recordMany(drafts);
  if (!rec && rec.error().code == "constraint") return already(0);  // a concurrent confirm won
  if (!rec) return rec.error();
  json seqs = json::array();
  bool duplicate = !rec->empty();
  for (const Recorded& r : *rec) {
    seqs.push_back(r.seq);
    duplicate = duplicate && r.duplicate;
  }
  if (!rec->empty()) {
    auto m = store.transaction([&](common::SqliteDb& db) -> Status {
      auto st = db.prepare(
          "UPDATE pick_tasks SET confirmed_seq = ?, confirmed_at_ms = strftime('%s','now') * 1000"
          " WHERE task_id = ? AND confirmed_seq IS NULL");
      if (!st) return st.error();
      st->bind(1, static_cast<int64_t>(rec->front().seq)).bind(2, task_id);
      return st->run();
    });
    if (!m) return m.error();
  }
  return json{{"task_id", task_id}, {"seq", seqs}, {"picked", picked_total}, {"short", short_total},
              {"duplicate", duplicate}};
}

}  // namespace sw::agent
