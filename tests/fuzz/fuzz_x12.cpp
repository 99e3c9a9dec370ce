// X12 files from a wholesale partner through the envelope parser, the typed readers (850, 997, TA1) and
// edi-decode's JSON. Must never crash; every refusal must carry its X12 code and a reason; a
// clean group's 997, written by us, must parse clean and read back to the same acknowledgment;
// a rejected interchange with a readable ISA must be answerable with a TA1 that parses clean.

#include <cstdint>
#include <cstdlib>
#include <string>

#include <nlohmann/json.hpp>

#include "sw/coordinator/edi/documents.h"
#include "sw/coordinator/edi/edi_decode.h"
#include "sw/coordinator/edi/x12.h"

using namespace sw::coordinator::edi;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  ParsedFile file = parseX12(text);
  if (file.interchanges.empty()) std::abort();
  if (!file.clean() && file.firstProblem().empty()) std::abort();

  PartnerConfig back;
  back.sender_id = "STOCKWIRE";
  back.receiver_id = "PARTNER";
  const WriteTime time{"20261207", "1405"};
  for (const Interchange& ic : file.interchanges) {
    if (!ic.accepted() && ic.message.empty()) std::abort();
    for (const Segment& t : ic.ta1s) {
      auto ack = readInterchangeAck(t);
      if (ack.ok() && ack->control.size() != 9) std::abort();
      if (!ack.ok() && (ack.error().code != "x12_bad_TA1" || ack.error().message.empty())) std::abort();
    }
    if (!ic.accepted() && ic.header_read) {
      CountingControlNumbers numbers;
      auto ta1 = writeTa1(back, numbers, time, ic);
      // ISA13 may hold a separator of ours when the partner's ISA was broken; then it is refused.
      if (ta1.ok() && !parseX12(*ta1).clean()) std::abort();
    }
    for (const FunctionalGroup& g : ic.groups) {
      if (!g.codes.empty() && (g.status != AckStatus::kRejected || g.message.empty())) std::abort();
      for (const TransactionSet& s : g.sets) {
        if ((s.status == AckStatus::kRejected) != !s.codes.empty()) std::abort();
        if (!s.codes.empty() && s.message.empty()) std::abort();
        for (const SegmentNote& n : s.notes) {
          if (n.code == 0 || n.position == 0) std::abort();
        }
      }
      if (!ic.accepted()) continue;
      GroupAck ack = ackFor(g);
      CountingControlNumbers numbers;
      auto written = write997(back, numbers, time, {ack});
      if (!written.ok()) continue;  // a received id holding one of our separators cannot be echoed
      ParsedFile again = parseX12(*written);
      if (!again.clean()) std::abort();
      auto read = readFunctionalAck(again.interchanges.at(0).groups.at(0).sets.at(0));
      if (!read.ok() || !(*read == ack)) std::abort();
    }
  }
  if (file.clean()) {
    auto sets = decodedSets(file);
    if (sets.ok()) {
      for (const nlohmann::json& j : *sets) (void)j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    } else if (sets.error().message.empty()) {
      std::abort();
    }
  }
  return 0;
}
