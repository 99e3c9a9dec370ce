// zlib adapter: inflates gzip (Amazon's GZIP-compressed feed processing reports, the postal-code data).

#include <zlib.h>

#include "sw/coordinator/channels/gzip.h"

namespace sw::coordinator::channels {

common::Result<std::string> gunzip(std::string_view data, size_t max_out) {
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 32) != Z_OK) return common::Error::fatal("zlib", "inflateInit2 failed");
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  std::string out;
  char buf[16384];
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&zs);
      return common::Error::retry("bad_gzip", "compressed document is not valid gzip");
    }
    out.append(buf, sizeof buf - zs.avail_out);
    if (out.size() > max_out) {
      inflateEnd(&zs);
      return common::Error::reject("too_large", "decompressed document is too large");
    }
    if (rc == Z_OK && zs.avail_in == 0 && zs.avail_out != 0) {
      inflateEnd(&zs);
      return common::Error::retry("bad_gzip", "compressed document is cut off");
    }
  }
  inflateEnd(&zs);
  return out;
}

}  // namespace sw::coordinator::channels
