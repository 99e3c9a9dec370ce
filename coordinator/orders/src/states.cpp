#include "sw/coordinator/orders/states.h"

#include <array>
#include <utility>

#include <nlohmann/json.hpp>

namespace sw::coordinator {

namespace {

// One table per enum, in the enum's order: the word of each value.
constexpr std::array kOrderWords = {"accepted", "rejected_no_stock", "partially_shipped", "shipped", "cancelled"};
constexpr std::array kAllocationWords = {"reserved", "tasked", "shipped", "released", "short"};
constexpr std::array kTaskWords = {"open", "done", "cancelled"};
constexpr std::array kFulfilmentWords = {"pending", "reported", "failed"};
constexpr std::array kRestockWords = {"pending", "applied"};
constexpr std::array kCancelWords = {"", "pending", "done", "manual", "failed"};

template <typename E, size_t N>
std::optional<E> parseWord(const std::array<const char*, N>& words, std::string_view text) {
  for (size_t i = 0; i < N; ++i) {
    if (text == words[i]) return static_cast<E>(i);
  }
  return std::nullopt;
}

}  // namespace

const char* toString(OrderState s) { return kOrderWords.at(static_cast<size_t>(s)); }
const char* toString(AllocationState s) { return kAllocationWords.at(static_cast<size_t>(s)); }
const char* toString(TaskStatus s) { return kTaskWords.at(static_cast<size_t>(s)); }
const char* toString(FulfilmentStatus s) { return kFulfilmentWords.at(static_cast<size_t>(s)); }
const char* toString(RestockState s) { return kRestockWords.at(static_cast<size_t>(s)); }
const char* toString(ChannelCancel s) { return kCancelWords.at(static_cast<size_t>(s)); }

void to_json(nlohmann::json& j, OrderState s) { j = toString(s); }
void to_json(nlohmann::json& j, AllocationState s) { j = toString(s); }
void to_json(nlohmann::json& j, TaskStatus s) { j = toString(s); }
void to_json(nlohmann::json& j, FulfilmentStatus s) { j = toString(s); }
void to_json(nlohmann::json& j, RestockState s) { j = toString(s); }
void to_json(nlohmann::json& j, ChannelCancel s) { j = toString(s); }

std::optional<OrderState> parseOrderState(std::string_view t) { return parseWord<OrderState>(kOrderWords, t); }
std::optional<AllocationState> parseAllocationState(std::string_view t) {
  return parseWord<AllocationState>(kAllocationWords, t);
}
std::optional<TaskStatus> parseTaskStatus(std::string_view t) { return parseWord<TaskStatus>(kTaskWords, t); }
std::optional<FulfilmentStatus> parseFulfilmentStatus(std::string_view t) {
  return parseWord<FulfilmentStatus>(kFulfilmentWords, t);
}
std::optional<RestockState> parseRestockState(std::string_view t) { return parseWord<RestockState>(kRestockWords, t); }
std::optional<ChannelCancel> parseChannelCancel(std::string_view t) { return parseWord<ChannelCancel>(kCancelWords, t); }

}  // namespace sw::coordinator
