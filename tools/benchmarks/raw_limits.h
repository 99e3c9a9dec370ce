#pragma once
// Raw limits of this machine, measured in the same run as each benchmark.

#include <cstddef>
#include <string>

#include "sw/common/sql.h"

namespace sw::bench {

struct RawSqlite {
  double rows_per_s = 0;  // batched inserts, WAL + synchronous=FULL, one transaction per batch
};
// Inserts `rows` rows of about `row_bytes` bytes in transactions of `batch` rows into a fresh file in dir.
RawSqlite measureRawSqliteInsert(const std::string& dir, size_t rows, size_t batch, size_t row_bytes);
// The same, one row per statement, into a table of its own on any SQL store (sql.h).
RawSqlite measureRawInsert(common::SqlDb& db, size_t rows, size_t batch, size_t row_bytes);

struct RawCommit {
  double p50_ms = 0;
  double p99_ms = 0;
  double max_ms = 0;
};
// Single-row transactions, WAL + synchronous=FULL, timed after `warmup` untimed ones (until the
// WAL has been checkpointed once it grows the file on every commit, and an fsync that changes
// the file's size costs ext4 a journal commit: ~4 ms against ~0.5 ms here).
RawCommit measureRawSqliteCommit(const std::string& dir, size_t commits, size_t warmup = 0);

struct RawMqtt {
  double msgs_per_s = 0;
  double bytes_per_s = 0;
};
// QoS 1 publish -> subscribe through the broker at broker_url, `window` publishes in flight.
RawMqtt measureRawMqtt(const std::string& broker_url, size_t messages, size_t payload_bytes, int window);

struct RawRoundTrip {
  double p50_ms = 0;
  double p99_ms = 0;
};
// One QoS 1 message there and its QoS 1 answer back through the broker (a client publishes,
// another answers on a second topic), one exchange at a time, on the load generator's client
// (TCP_NODELAY; Paho's client leaves Nagle on and answers in about 80 ms here): the least a
// device's batch and its ack can take.
RawRoundTrip measureRawMqttRoundTrip(const std::string& broker_url, size_t exchanges, size_t payload_bytes);

}  // namespace sw::bench
