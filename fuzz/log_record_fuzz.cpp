// Fuzzes decode_batch, the embedded log's reading of a stored record batch (log/embedded/batch_codec.hpp).
// Properties: a corrupt blob is an error value; whatever decodes, encodes again to a batch that decodes to the
// same records.

#include "check.hpp"
#include "log/embedded/batch_codec.hpp"

using squall::fuzz::require;
using squall::log::embedded::decode_batch;
using squall::log::embedded::encode_batch;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto records = decode_batch(squall::fuzz::as_text(data, size));
  if (!records) {
    require(records.error().code == squall::Errc::parse, "a corrupt batch is not a parse error");
    return 0;
  }
  // Not byte for byte: a varint may be written longer than needed, and the
  // encoder picks its own base timestamp.
  const auto again = decode_batch(encode_batch(*records));
  require(again.ok(), "a re-encoded batch does not decode");
  require(*again == *records, "a batch does not round-trip");
  return 0;
}
