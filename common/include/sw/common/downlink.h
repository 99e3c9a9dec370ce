#pragma once
// Coordinator-to-device data (stock views, catalog, prices, tasks), versioned per location
// and pulled by the devices, so that a device that was offline for a week catches up with
// the changes it missed and a new device gets a snapshot:
//
//   sw/v1/loc/{location}/notice  retained, coordinator -> devices: current version of each kind
//   sw/v1/dev/{device}/req       device -> coordinator: "kind K for location L, I have version N"
//   sw/v1/dev/{device}/down/{K}  coordinator -> device: a page of changes after N, or of a snapshot
//
// A page of changes carries the items changed after `have` in version order; `version` is
// what the device has once it applied the page. A snapshot (have = 0, or too old for the
// changes still kept) comes in pages ordered by key: each page carries `cursor`, the last key,
// and the device asks again with have = the snapshot's version and that cursor until `more`
// is false. A device may also ask for the changes after the version it has when no notice
// announced a newer one: the stock view's meta says which of the device's own events its figures
// include, and applying an event may change no figure (and so no version). All JSON: the volume
// is small and people read it with mosquitto_sub.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "sw/common/result.h"

namespace sw::common {

struct DownRequest {
  std::string kind;
  std::string location;
  int64_t have = 0;    // the version the device has (0: nothing)
  std::string cursor;  // continuing a snapshot: the last key received
};

struct DownPage {
  std::string kind;
  std::string location;
  bool snapshot = false;  // items are a full copy (in key order), not changes
  int64_t version = 0;    // what the device has after applying this page (all pages, for a snapshot)
  std::string cursor;     // snapshot: the last key in this page
  bool more = false;      // ask again for the rest
  nlohmann::json items = nlohmann::json::array();
  nlohmann::json meta = nlohmann::json::object();  // kind-specific, e.g. the device's applied seq
};

struct DownNotice {
  std::string location;
  std::map<std::string, int64_t> versions;
  int64_t at_ms = 0;
};

// Where a page of changes stops: "d:<version>:<key>" (the last item sent, by version then key), or
// "d:<version>" for kinds whose versions are unique per item. The snapshot cursor is "s:<key>".
struct DeltaCursor {
  int64_t version = 0;
  std::string key;
};
// The one reader of delta cursors. "" -> nullopt (start after `have`); anything that is not a
// cursor of this shape -> reject "bad_cursor". with_key: "d:<version>:<key>", else "d:<version>".
Result<std::optional<DeltaCursor>> parseDeltaCursor(std::string_view cursor, bool with_key);
std::string deltaCursor(int64_t version, std::string_view key);  // with a key
std::string deltaCursor(int64_t version);                          // without

std::string encodeDownRequest(const DownRequest& r);
Result<DownRequest> decodeDownRequest(std::string_view bytes);
std::string encodeDownPage(const DownPage& p);
Result<DownPage> decodeDownPage(std::string_view bytes);
std::string encodeDownNotice(const DownNotice& n);
Result<DownNotice> decodeDownNotice(std::string_view bytes);

}  // namespace sw::common
