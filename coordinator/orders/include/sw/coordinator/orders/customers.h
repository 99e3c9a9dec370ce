#pragma once
// The customer book: the personal data of online orders, and nothing else (issue 20, "customer
// data, governed"). A part of the order book (order_book.h): the same store, the same mutex, its
// tables in the "orders" schema (v4):
//   customers(id) PK            one person as Stockwire can tell them apart: found again by
//                               match_key (UNIQUE): "email:<lowercased email>", else
//                               "buyer:<channel>:<the channel's buyer id>", else
//                               "order:<channel>:<order id>" (a guest with no email: one order).
//                               name, email, phone as last given; erased_at_ms/erased_why once
//                               erased (on request, or by retention): then its personal fields
//                               are "" and match_key is "erased:<id>" (the tombstone).
//   customer_orders(channel, order_id) PK   what one order said about its buyer: buyer id,
//                               name, email, phone, the full shipping address (JSON), whether the
//                               channel withheld it (Amazon restricted data); purged_at_ms once
//                               its personal fields are cleared.
// Nothing here is sent to a device: pick tasks carry order id and name, SKUs and quantities only
// (pick_tasks.h). The order book's own rows keep no name, contact or street (channels::toJson
// leaves them out); they keep the shipping place (postal code, city, region) for routing, which
// retention and erasure clear with the rest (OrderBook::eraseShipTo, OrderBook::eraseCustomer).
//
// Writes that span the order book (recording a new order's buyer, erasure, retention) are
// OrderBook methods; this part answers reads.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sw/common/result.h"
#include "sw/coordinator/channels/order.h"
#include "sw/coordinator/orders/book_change.h"

namespace sw::coordinator {

struct BookStore;

struct CustomerOrder {
  std::string channel;
  std::string order_id;
  std::string customer_id;
  channels::CustomerContact contact;  // what that order said; empty once purged
  int64_t at_ms = 0;
  int64_t purged_at_ms = 0;  // 0: still held
};

struct Customer {
  std::string id;  // "cus_" + 32 hex digits, random (says nothing about the person)
  std::string name;
  std::string email;
  std::string phone;
  int64_t created_at_ms = 0;
  int64_t updated_at_ms = 0;
  int64_t erased_at_ms = 0;  // 0: not erased
  std::string erased_why;    // "request" (POST /v1/customers/{id}/erase) or "retention"
  std::vector<CustomerOrder> orders;  // every order of theirs, oldest first
};

// What erasing one customer did.
struct Erasure {
  std::string customer_id;
  int64_t orders = 0;          // orders whose buyer data was cleared
  bool already_erased = false;  // erased before: nothing left to clear
};

// The customer's match key for a contact (see above); "" when the contact holds nothing personal.
std::string customerMatchKey(const std::string& channel, const std::string& order_id,
                             const channels::CustomerContact& contact);

nlohmann::json toJson(const CustomerOrder& order);
nlohmann::json toJson(const Customer& customer);

class CustomerBook {
 public:
  explicit CustomerBook(BookStore& store) : store_(store) {}

  common::Result<std::optional<Customer>> byId(const std::string& id);
  // email is lowercased and trimmed first, as the decoders keep it.
  common::Result<std::optional<Customer>> byEmail(const std::string& email);
  // The customer an order's buyer was recorded under; nullopt when none was.
  // A customer found by a channel's buyer id (one who gave no email on that channel).
  common::Result<std::optional<Customer>> byBuyer(const std::string& channel, const std::string& buyer_id);
  common::Result<std::optional<std::string>> customerOfOrder(const std::string& channel, const std::string& order_id);

  // Locked helpers for OrderBook (its mutex held, inside its transaction).
  // Finds or makes the customer of this contact, brings their contact up to date, and records the
  // order's buyer once (a delivery of the same order again changes nothing). Nothing personal: nothing.
  common::Status recordLocked(const OrderRef& order, const channels::CustomerContact& contact, int64_t now_ms);
  // Clears the personal fields of one order's buyer record; false when there was none to clear.
  common::Result<bool> purgeOrderLocked(const OrderRef& order, int64_t now_ms);
  // Customers none of whose orders still holds personal data lose theirs too (retention).
  common::Result<int64_t> retireEmptiedLocked(int64_t now_ms);
  // The customer's row cleared and tombstoned (erased_why).
  common::Status tombstoneLocked(const std::string& id, const std::string& why, int64_t now_ms);
  common::Result<std::optional<Customer>> byIdLocked(const std::string& id);

 private:
  common::Result<std::optional<Customer>> byKeyLocked(const char* column, const std::string& value);

  BookStore& store_;
};

}  // namespace sw::coordinator
