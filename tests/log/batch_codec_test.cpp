#include "log/embedded/batch_codec.hpp"

#include <limits>
#include <random>

#include <gtest/gtest.h>

namespace squall::log::embedded {
namespace {

std::vector<Record> sample_records() {
  std::vector<Record> records;
  records.push_back(Record{"4887398", R"({"id":4887398,"name":"Chicago"})",
                           {{"source", "simulator"}, {"units", "metric"}}, 1'700'000'000'000});
  records.push_back(Record{"", "", {}, 1'699'999'999'000});  // empty key and value, earlier timestamp
  records.push_back(Record{std::string("\0\xff\x80k", 4), std::string("\x00\x01\x02\xfe\xff", 5),
                           {{std::string("\0h", 2), std::string("\xff", 1)}, {"", ""}}, -5});
  records.push_back(Record{"max", "v", {}, std::numeric_limits<std::int64_t>::max()});
  records.push_back(Record{"min", "v", {}, std::numeric_limits<std::int64_t>::min()});
  return records;
}

TEST(BatchCodec, RoundTripsEveryKindOfRecord) {
  const auto records = sample_records();
  const std::string blob = encode_batch(records);
  auto decoded = decode_batch(blob);
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(*decoded, records);
}

TEST(BatchCodec, RoundTripsAnEmptyBatchAndManyRecords) {
  auto empty = decode_batch(encode_batch(std::span<const Record>{}));
  ASSERT_TRUE(empty.ok()) << empty.error().message;
  EXPECT_TRUE(empty->empty());

  std::vector<Record> many;
  for (int i = 0; i < 5000; ++i) {
    many.push_back(Record{std::to_string(i), std::string(static_cast<std::size_t>(i % 300), 'x'),
                          {{"seq", std::to_string(i)}}, 1'700'000'000'000 + i * 7});
  }
  auto decoded = decode_batch(encode_batch(many));
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(*decoded, many);
}

TEST(BatchCodec, SmallDeltasStayCompact) {
  std::vector<Record> records(100, Record{"k", "v", {}, 1'700'000'000'000});
  for (std::size_t i = 0; i < records.size(); ++i) records[i].timestamp_ms += static_cast<std::int64_t>(i);
  // 8 bytes of header, then per record at most 7: a 1-2 byte delta, key,
  // value and header count.
  EXPECT_LE(encode_batch(records).size(), 8 + records.size() * 7);
}

void expect_corrupt(std::string_view blob, std::string_view mention) {
  auto decoded = decode_batch(blob);
  ASSERT_FALSE(decoded.ok()) << "decoded " << decoded->size() << " records";
  EXPECT_EQ(decoded.error().code, Errc::parse);
  EXPECT_EQ(decoded.error().message.rfind("corrupt batch: ", 0), 0U) << decoded.error().message;
  EXPECT_NE(decoded.error().message.find(mention), std::string::npos) << decoded.error().message;
}

TEST(BatchCodec, RejectsEveryTruncation) {
  const std::string blob = encode_batch(sample_records());
  for (std::size_t size = 0; size < blob.size(); ++size) {
    auto decoded = decode_batch(std::string_view(blob).substr(0, size));
    ASSERT_FALSE(decoded.ok()) << "prefix of " << size << " bytes decoded";
    EXPECT_EQ(decoded.error().code, Errc::parse);
  }
}

TEST(BatchCodec, NamesWhatIsWrong) {
  expect_corrupt("", "empty");
  expect_corrupt("\x07", "format version 7");
  // One record claimed, its key length (100) runs past the end.
  expect_corrupt(std::string("\x01\x01\x00\x00\x64kk", 7), "record 0 key length 100");
  // A record count no blob of this size could hold.
  expect_corrupt(std::string("\x01\xff\xff\xff\xff\x0f\x00", 7), "record count");
  // A varint longer than 64 bits.
  expect_corrupt(std::string("\x01\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f", 11), "overflows 64 bits");
  // Trailing garbage after a valid empty batch.
  expect_corrupt(encode_batch(std::span<const Record>{}) + "zz", "2 trailing bytes");
  // A header count larger than the bytes left.
  expect_corrupt(std::string("\x01\x01\x00\x00\x00\x00\x7f\x00\x00\x00\x00", 11), "header count 127");
}

TEST(BatchCodec, SurvivesRandomGarbageAndBitFlips) {
  std::mt19937_64 random(42);
  const std::string valid = encode_batch(sample_records());
  for (int round = 0; round < 2000; ++round) {
    std::string blob = valid;
    const int flips = 1 + static_cast<int>(random() % 4);
    for (int f = 0; f < flips; ++f) blob[random() % blob.size()] = static_cast<char>(random() & 0xff);
    auto decoded = decode_batch(blob);
    if (!decoded) {
      EXPECT_EQ(decoded.error().code, Errc::parse);
    }
  }
  for (int round = 0; round < 2000; ++round) {
    std::string garbage(random() % 64, '\0');
    for (char& c : garbage) c = static_cast<char>(random() & 0xff);
    if (!garbage.empty()) garbage[0] = static_cast<char>(kBatchFormatVersion);
    auto decoded = decode_batch(garbage);
    if (!decoded) {
      EXPECT_EQ(decoded.error().code, Errc::parse);
    }
  }
}

}  // namespace
}  // namespace squall::log::embedded
