// The customer book (customers.h): reads, and the locked writes OrderBook calls.

#include "sw/coordinator/orders/customers.h"

#include <algorithm>

#include "book_store.h"
#include "sw/common/uuid.h"

namespace sw::coordinator {

using common::Result;
using common::SqlStmt;
using common::Status;
using nlohmann::json;

namespace {

json addressJson(const channels::PostalAddress& a) {
  return {{"lines", a.lines}, {"city", a.city}, {"region", a.region}, {"postal_code", a.postal_code}, {"country", a.country}};
}

channels::PostalAddress addressFrom(const std::string& text) {
  channels::PostalAddress a;
  json j = json::parse(text, nullptr, false);
  if (!j.is_object()) return a;
  if (j.contains("lines") && j["lines"].is_array()) {
    for (const json& l : j["lines"]) {
      if (l.is_string()) a.lines.push_back(l.get<std::string>());
    }
  }
  a.city = j.value("city", "");
  a.region = j.value("region", "");
  a.postal_code = j.value("postal_code", "");
  a.country = j.value("country", "");
  return a;
}

std::string lowerTrimmed(const std::string& s) {
  size_t b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  std::string t = s.substr(b, s.find_last_not_of(" \t") - b + 1);
  std::transform(t.begin(), t.end(), t.begin(), [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; });
  return t;
}

std::string newCustomerId() {
  std::string u = common::newUuid();
  u.erase(std::remove(u.begin(), u.end(), '-'), u.end());
  return "cus_" + u;
}

constexpr const char* kCustomerColumns =
    "id, name, email, phone, created_at_ms, updated_at_ms, erased_at_ms, erased_why FROM customers";

}  // namespace

std::string customerMatchKey(const std::string& channel, const std::string& order_id,
                             const channels::CustomerContact& c) {
  if (c.empty()) return "";
  if (!c.email.empty()) return "email:" + c.email;
  if (!c.buyer_id.empty()) return "buyer:" + channel + ":" + c.buyer_id;
  return "order:" + channel + ":" + order_id;
}

json toJson(const CustomerOrder& o) {
  json j = {{"channel", o.channel}, {"order_id", o.order_id}, {"at_ms", o.at_ms}};
  if (o.purged_at_ms != 0) {
    j["purged_at_ms"] = o.purged_at_ms;
    return j;
  }
  j["buyer_id"] = o.contact.buyer_id;
  j["name"] = o.contact.name;
  j["email"] = o.contact.email;
  j["phone"] = o.contact.phone;
  j["ship_to"] = addressJson(o.contact.ship_to);
  j["restricted"] = o.contact.restricted;
  return j;
}

json toJson(const Customer& c) {
  json orders = json::array();
  for (const CustomerOrder& o : c.orders) orders.push_back(toJson(o));
  json j = {{"id", c.id},
            {"name", c.name},
            {"email", c.email},
            {"phone", c.phone},
            {"created_at_ms", c.created_at_ms},
            {"updated_at_ms", c.updated_at_ms},
            {"erased", c.erased_at_ms != 0},
            {"orders", std::move(orders)}};
  if (c.erased_at_ms != 0) {
    j["erased_at_ms"] = c.erased_at_ms;
    j["erased_why"] = c.erased_why;
  }
  return j;
}

Result<std::optional<Customer>> CustomerBook::byId(const std::string& id) {
  std::lock_guard<std::mutex> lock(store_.mu);
  return byIdLocked(id);
}

Result<std::optional<Customer>> CustomerBook::byIdLocked(const std::string& id) { return byKeyLocked("id", id); }

Result<std::optional<Customer>> CustomerBook::byEmail(const std::string& email) {
  std::string e = lowerTrimmed(email);
  if (e.empty()) return std::optional<Customer>{};
  std::lock_guard<std::mutex> lock(store_.mu);
  return byKeyLocked("match_key", "email:" + e);
}

Result<std::optional<Customer>> CustomerBook::byBuyer(const std::string& channel, const std::string& buyer_id) {
  if (channel.empty() || buyer_id.empty()) return std::optional<Customer>{};
  std::lock_guard<std::mutex> lock(store_.mu);
  return byKeyLocked("match_key", "buyer:" + channel + ":" + buyer_id);
}

Result<std::optional<Customer>> CustomerBook::byKeyLocked(const char* column, const std::string& value) {
  auto st = store_.db->cached(std::string("SELECT ") + kCustomerColumns + " WHERE " + column + " = ?");
  if (!st) return st.error();
  st->bind(1, value);
  std::optional<Customer> c;
  auto found = st->firstRow([&](const SqlStmt& r) {
    c = Customer{.id = r.columnText(0),
                 .name = r.columnText(1),
                 .email = r.columnText(2),
                 .phone = r.columnText(3),
                 .created_at_ms = r.columnInt(4),
                 .updated_at_ms = r.columnInt(5),
                 .erased_at_ms = r.columnInt(6),
                 .erased_why = r.columnText(7),
                 .orders = {}};
  });
  if (!found) return found.error();
  if (!c) return c;
  auto os = store_.db->cached(
      "SELECT channel, order_id, buyer_id, name, email, phone, address, restricted, at_ms, purged_at_ms"
      " FROM customer_orders WHERE customer_id = ? ORDER BY at_ms, channel, order_id");
  if (!os) return os.error();
  os->bind(1, c->id);
  auto each = os->eachRow([&](const SqlStmt& r) {
    CustomerOrder o;
    o.channel = r.columnText(0);
    o.order_id = r.columnText(1);
    o.customer_id = c->id;
    o.contact.buyer_id = r.columnText(2);
    o.contact.name = r.columnText(3);
    o.contact.email = r.columnText(4);
    o.contact.phone = r.columnText(5);
    o.contact.ship_to = addressFrom(r.columnText(6));
    o.contact.restricted = r.columnInt(7) != 0;
    o.at_ms = r.columnInt(8);
    o.purged_at_ms = r.columnInt(9);
    c->orders.push_back(std::move(o));
  });
  if (!each) return each.error();
  return c;
}

Result<std::optional<std::string>> CustomerBook::customerOfOrder(const std::string& channel, const std::string& order_id) {
  std::lock_guard<std::mutex> lock(store_.mu);
  auto st = store_.db->cached("SELECT customer_id FROM customer_orders WHERE channel = ? AND order_id = ?");
  if (!st) return st.error();
  st->bind(1, channel).bind(2, order_id);
  std::optional<std::string> id;
  auto r = st->firstRow([&](const SqlStmt& row) { id = row.columnText(0); });
  if (!r) return r.error();
  return id;
}

Status CustomerBook::recordLocked(const OrderRef& order, const channels::CustomerContact& c, int64_t now_ms) {
  const std::string key = customerMatchKey(order.channel, order.order_id, c);
  if (key.empty()) return {};
  auto seen = store_.db->cached("SELECT customer_id FROM customer_orders WHERE channel = ? AND order_id = ?");
  if (!seen) return seen.error();
  seen->bind(1, order.channel).bind(2, order.order_id);
  auto again = seen->firstRow([](const SqlStmt&) {});
  if (!again) return again.error();
  if (*again) return {};  // recorded with its first delivery (and perhaps purged since)

  auto find = store_.db->cached("SELECT id FROM customers WHERE match_key = ?");
  if (!find) return find.error();
  find->bind(1, key);
  std::string id;
  auto found = find->firstRow([&](const SqlStmt& r) { id = r.columnText(0); });
  if (!found) return found.error();
  if (id.empty()) {
    id = newCustomerId();
    auto ins = store_.db->cached(
        "INSERT INTO customers (id, match_key, name, email, phone, created_at_ms, updated_at_ms)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)");
    if (!ins) return ins.error();
    ins->bind(1, id).bind(2, key).bind(3, c.name).bind(4, c.email).bind(5, c.phone).bind(6, now_ms).bind(7, now_ms);
    if (auto r = ins->run(); !r) return r;
  } else {
    // The latest order's contact wins, part by part (an order without a phone keeps the old one).
    auto up = store_.db->cached(
        "UPDATE customers SET name = CASE WHEN ? = '' THEN name ELSE ? END,"
        " phone = CASE WHEN ? = '' THEN phone ELSE ? END, updated_at_ms = ? WHERE id = ?");
    if (!up) return up.error();
    up->bind(1, c.name).bind(2, c.name).bind(3, c.phone).bind(4, c.phone).bind(5, now_ms).bind(6, id);
    if (auto r = up->run(); !r) return r;
  }
  auto rec = store_.db->cached(
      "INSERT INTO customer_orders (channel, order_id, customer_id, buyer_id, name, email, phone, address, restricted,"
      " at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  if (!rec) return rec.error();
  rec->bind(1, order.channel).bind(2, order.order_id).bind(3, id).bind(4, c.buyer_id).bind(5, c.name).bind(6, c.email)
      .bind(7, c.phone).bind(8, addressJson(c.ship_to).dump()).bind(9, int64_t{c.restricted ? 1 : 0}).bind(10, now_ms);
  return rec->run();
}

Result<bool> CustomerBook::purgeOrderLocked(const OrderRef& order, int64_t now_ms) {
  auto st = store_.db->cached(
      "UPDATE customer_orders SET buyer_id = '', name = '', email = '', phone = '', address = '', purged_at_ms = ?"
      " WHERE channel = ? AND order_id = ? AND purged_at_ms = 0 RETURNING order_id");
  if (!st) return st.error();
  st->bind(1, now_ms).bind(2, order.channel).bind(3, order.order_id);
  return st->firstRow([](const SqlStmt&) {});
}

Result<int64_t> CustomerBook::retireEmptiedLocked(int64_t now_ms) {
  auto st = store_.db->cached(
      "UPDATE customers SET name = '', email = '', phone = '', match_key = 'erased:' || id, erased_at_ms = ?,"
      " erased_why = 'retention' WHERE erased_at_ms = 0 AND NOT EXISTS (SELECT 1 FROM customer_orders c"
      " WHERE c.customer_id = customers.id AND c.purged_at_ms = 0) RETURNING id");
  if (!st) return st.error();
  st->bind(1, now_ms);
  int64_t n = 0;
  if (auto r = st->eachRow([&](const SqlStmt&) { ++n; }); !r) return r.error();
  return n;
}

Status CustomerBook::tombstoneLocked(const std::string& id, const std::string& why, int64_t now_ms) {
  auto st = store_.db->cached(
      "UPDATE customers SET name = '', email = '', phone = '', match_key = 'erased:' || id, erased_at_ms = ?,"
      " erased_why = ? WHERE id = ? AND erased_at_ms = 0");
  if (!st) return st.error();
  st->bind(1, now_ms).bind(2, why).bind(3, id);
  return st->run();
}

}  // namespace sw::coordinator
