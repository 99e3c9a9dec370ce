#pragma once
// Internal to sw_orders: what the parts of one order book share (order_book.h), and the row
// helpers more than one part uses.

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "sw/common/clock.h"
#include "sw/common/result.h"
#include "sw/common/sql.h"
#include "sw/coordinator/orders/tasks.h"

namespace sw::coordinator {

struct BookStore {
  explicit BookStore(const common::Clock& c) : clock(c) {}
  const common::Clock& clock;
  std::mutex mu;  // around db, and every part's memory (Holds)
  std::unique_ptr<common::SqlDb> db;  // SQLite or PostgreSQL (OrderBook::open)
  int64_t writer_lease_token = 0;     // OrderBook::fenceWith (0: not fenced)
};

// Reads a state column. A word this version does not know (the file was edited, or written by a
// newer version) is kept in `bad`, and the caller returns badState(bad) once the rows are read:
// never taken silently as another state.
template <typename E>
E stateColumn(const common::SqlStmt& st, int col, std::optional<E> (*parse)(std::string_view), const char* what,
              std::string& bad) {
  std::string word = st.columnText(col);
  if (auto e = parse(word)) return *e;
  if (bad.empty()) bad = std::string(what) + " '" + word + "' is not a state this version knows";
  return E{};
}

inline common::Error badState(const std::string& bad) {
  return common::Error::fatal("bad_state", "order book: " + bad);
}

// Task lines as fulfilments keep them (a JSON array).
nlohmann::json taskLinesJson(const std::vector<TaskLine>& lines);
std::vector<TaskLine> taskLinesFrom(const std::string& text);

// The distinct values, sorted.
std::vector<std::string> sortedUnique(std::vector<std::string> v);

}  // namespace sw::coordinator
