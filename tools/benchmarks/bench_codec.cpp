// tools/bench codec: size and speed of the three wire encodings for a realistic batch.

#include <chrono>
#include <cstdio>

#include "bench.h"
#include "sw/common/batch_decoders.h"
#include "sw/common/codec.h"
#include "sw/common/uuid.h"

namespace sw::bench {

int benchCodec(const common::ParsedOptions&) {
  using common::WireFormat;
  common::EventBatch b;
  b.device_id = "till-0042";
  b.epoch = common::newUuid();
  b.sent_at_ms = 1'795'000'000'000;
  b.clock_offset_ms = -35;
  for (uint64_t i = 1; i <= 500; ++i) {
    common::Event e;
    e.device_id = b.device_id;
    e.seq = 100'000 + i;
    e.event_id = common::newUuid();
    e.type = common::EventType::kSale;
    e.occurred_at_ms = 1'795'000'000'000 + static_cast<int64_t>(i) * 37;
    e.location = "store-0042";
    e.lines = {{"SKU-" + std::to_string(10000 + i % 700), 1 + static_cast<int64_t>(i % 3),
                common::Decimal::parse("12.99").value()}};
    if (i % 4 == 0) e.lines.push_back({"SKU-00" + std::to_string(i % 90), 2, common::Decimal::parse("3.49").value()});
    b.events.push_back(e);
  }
  std::printf("codec: batch of %zu sale events (1.25 lines each), best of 5 rounds of 20 encode+decode\n",
              b.events.size());
  // decode: decodeBatch() (the streaming decoder the coordinator uses); dom: the reference decoder
  // that parses into nlohmann::json first, the raw cost of nlohmann's parser plus field checks.
  std::printf("%-8s %12s %12s %16s %16s %16s\n", "format", "bytes", "bytes/event", "encode ns/event",
              "decode ns/event", "dom ns/event");
  for (WireFormat f : {WireFormat::kJson, WireFormat::kCbor, WireFormat::kMsgPack}) {
    std::string bytes = common::encodeBatch(b, f);
    double best_enc = 1e30, best_dec = 1e30, best_dom = 1e30;
    for (int round = 0; round < 5; ++round) {
      auto t0 = std::chrono::steady_clock::now();
      size_t sink = 0;
      for (int k = 0; k < 20; ++k) sink += common::encodeBatch(b, f).size();
      auto t1 = std::chrono::steady_clock::now();
      for (int k = 0; k < 20; ++k) {
        auto d = common::decodeBatch(bytes, f);
        if (!d) {
          std::fprintf(stderr, "decode failed: %s\n", d.error().toString().c_str());
          return 1;
        }
        sink += d->events.size();
      }
      auto t2 = std::chrono::steady_clock::now();
      for (int k = 0; k < 20; ++k) {
        auto d = common::decodeBatchDom(bytes, f);
        if (!d) return 1;
        sink += d->events.size();
      }
      auto t3 = std::chrono::steady_clock::now();
      if (sink == 0) return 1;
      double n = 20.0 * static_cast<double>(b.events.size());
      best_enc = std::min(best_enc, std::chrono::duration<double, std::nano>(t1 - t0).count() / n);
      best_dec = std::min(best_dec, std::chrono::duration<double, std::nano>(t2 - t1).count() / n);
      best_dom = std::min(best_dom, std::chrono::duration<double, std::nano>(t3 - t2).count() / n);
    }
    std::printf("%-8s %12zu %12.1f %16.0f %16.0f %16.0f\n", std::string(common::wireFormatName(f)).c_str(),
                bytes.size(), static_cast<double>(bytes.size()) / static_cast<double>(b.events.size()), best_enc,
                best_dec, best_dom);
  }
  return 0;
}

}  // namespace sw::bench
