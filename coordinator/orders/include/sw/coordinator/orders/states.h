#pragma once
// The states of the order book's rows. In code they are these enums; the words are what the
// tables hold and what GET /v1/orders shows, turned to and from the enums only where a row is
// written or read (order_book.cpp) and where JSON is made (routes.cpp, pick_tasks.cpp).

#include <optional>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

namespace sw::coordinator {

// An order (orders.status).
//   accepted           stock reserved for every line (some may still wait for routing)
//   rejected_no_stock  strict policy: available-to-sell did not cover a line when the order came in;
//                      nothing was reserved; the channel is told to cancel it (ChannelCancel)
//   partially_shipped  some units shipped, others still held
//   shipped            every held unit shipped (short units that could not be re-routed stay held)
//   cancelled          cancelled or fully refunded at the channel: held units released
enum class OrderState { kAccepted, kRejectedNoStock, kPartiallyShipped, kShipped, kCancelled };

// Units of one line at one location (allocations.state): reserved -> tasked -> shipped | released | short.
// reserved and tasked units are held (count against available-to-sell).
enum class AllocationState { kReserved, kTasked, kShipped, kReleased, kShort };
inline bool isHeld(AllocationState s) { return s == AllocationState::kReserved || s == AllocationState::kTasked; }

// A pick task (tasks.status): open -> done | cancelled.
enum class TaskStatus { kOpen, kDone, kCancelled };

// A fulfilment report to the channel (fulfilments.status): pending -> reported, or failed (the
// channel refused it for good: a person must look; retried only on request).
enum class FulfilmentStatus { kPending, kReported, kFailed };

// Refunded units put back as ledger events (restocks.state): pending -> applied.
enum class RestockState { kPending, kApplied };

// Telling the channel to cancel an order Stockwire rejected (orders.channel_cancel):
//   none (""): nothing to do;  pending: to be sent (retried with backoff);  done: the channel cancelled it;
//   manual: the channel's API has no seller cancel: a person must cancel it in the channel's back office;
//   failed: the channel refused (channel_cancel_error says why): a person must look.
enum class ChannelCancel { kNone, kPending, kDone, kManual, kFailed };

const char* toString(OrderState s);
const char* toString(AllocationState s);
const char* toString(TaskStatus s);
const char* toString(FulfilmentStatus s);
const char* toString(RestockState s);
const char* toString(ChannelCancel s);

// JSON holds the word too (found by nlohmann through ADL): an enum never leaks out as a number.
void to_json(nlohmann::json& j, OrderState s);
void to_json(nlohmann::json& j, AllocationState s);
void to_json(nlohmann::json& j, TaskStatus s);
void to_json(nlohmann::json& j, FulfilmentStatus s);
void to_json(nlohmann::json& j, RestockState s);
void to_json(nlohmann::json& j, ChannelCancel s);

// The word as stored; nullopt for any other text.
std::optional<OrderState> parseOrderState(std::string_view text);
std::optional<AllocationState> parseAllocationState(std::string_view text);
std::optional<TaskStatus> parseTaskStatus(std::string_view text);
std::optional<FulfilmentStatus> parseFulfilmentStatus(std::string_view text);
std::optional<RestockState> parseRestockState(std::string_view text);
std::optional<ChannelCancel> parseChannelCancel(std::string_view text);

}  // namespace sw::coordinator
