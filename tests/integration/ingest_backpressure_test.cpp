// Ingest's bounded queue against the real Paho client and a real Mosquitto. Paho runs the message
// callback holding the client's lock, which every publish takes: a callback that waited for room
// in a full queue while the apply thread published its acks stopped both for good (found by
// tools/bench fleet at 10,000 devices: acks stopped and the broker dropped the coordinator for its
// missed keepalives). Here a queue of four messages fills at once under forty tills.

#include <gtest/gtest.h>

#include "stack.h"
#include "sw/common/paho_transport.h"
#include "sw/coordinator/ingest/ingest.h"
#include "sw/coordinator/ledger/sql_ledger.h"
#include "sw/loadgen/fleet.h"

using namespace sw;
using namespace std::chrono_literals;

TEST(IngestBackpressure, AFullQueueNeverStopsTheAcks) {
  test::TempDir dir;
  test::Broker broker;
  auto ledger = coordinator::SqlLedger::open({.path = dir.file("ledger.db")});
  ASSERT_TRUE(ledger.ok()) << ledger.error().toString();
  common::MqttConfig mc;
  mc.broker_url = broker.url();
  mc.client_id = "stockwire-coordinator";
  auto transport = common::makePahoTransport(mc);
  coordinator::IngestConfig ic;
  ic.queue_capacity = 4;
  coordinator::IngestService ingest(**ledger, *transport, common::SystemClock::instance(), ic, "session-1");
  ASSERT_TRUE(ingest.start().ok());

  loadgen::FleetConfig fc;
  fc.broker_url = broker.url();
  fc.prefix = "bp";
  fc.devices = 40;
  fc.traffic.sales_per_s = 400;
  fc.sync.state_interval_ms = 200;  // states too, as a large fleet sends them
  auto fleet = loadgen::Fleet::create(fc, common::SystemClock::instance());
  ASSERT_TRUE(fleet.ok()) << fleet.error().toString();
  (*fleet)->start();
  ASSERT_TRUE(test::waitFor([&] { return (*fleet)->status().connected == 40; }, 30s));
  (*fleet)->startSelling();
  ASSERT_TRUE(test::waitFor([&] { return (*fleet)->status().recorded >= 2000; }, 60s));
  (*fleet)->stopSelling();
  ASSERT_TRUE(test::waitFor(
      [&] {
        auto s = (*fleet)->status();
        return s.drained == s.devices;
      },
      60s))
      << "acknowledged " << (*fleet)->status().acked << " of " << (*fleet)->status().recorded << "; ingest queue "
      << ingest.stats().queue_depth.load();
  (*fleet)->stop();
  EXPECT_GT(ingest.stats().acks.load(), 0u);
  // Everything acknowledged is in the ledger, once.
  auto devices = (**ledger).loadDevices();
  ASSERT_TRUE(devices.ok());
  uint64_t applied = 0;
  for (const auto& d : *devices) applied += d.last_applied_seq;
  EXPECT_EQ(applied, (*fleet)->status().acked);
  EXPECT_EQ(ingest.stats().events_applied.load(), applied);
  ingest.stop();
}
