#include <array>
#include <string>

#include <gtest/gtest.h>

#include "log/log.hpp"

namespace squall::log {
namespace {

// Expected values were produced on this machine by a throwaway Java 17
// program implementing Kafka's Utils.murmur2 (seed 0x9747b28c, m 0x5bd1e995,
// r 24, little-endian 4-byte words, tail bytes 3/2/1 with fall-through, final
// h ^= h >>> 13; h *= m; h ^= h >>> 15) and toPositive(h) % partitions. The
// "21", "foobar", "abc" and long-string rows also match the vectors in
// Kafka's own UtilsTest, which confirms that program.
struct Vector {
  std::string key;
  std::int32_t java_int;  // what Utils.murmur2 returns (a signed Java int)
  std::int32_t partition_of_4;
  std::int32_t partition_of_16;
};

std::string seventeen_bytes() {
  std::string key;
  for (int i = 0; i < 17; ++i) key.push_back(static_cast<char>((i * 37 + 200) & 0xff));
  return key;
}

const std::array<Vector, 14> kVectors{{
    {"", 275646681, 1, 9},
    {"a", -1563381124, 0, 12},
    {"4887398", 119215918, 2, 14},
    {"4164138", 1110400618, 2, 10},
    {"5391959", -1708558758, 2, 10},
    {"hello world", 1221641059, 3, 3},
    {"21", -973932308, 0, 12},
    {"foobar", -790332482, 2, 14},
    {"abc", 479470107, 3, 11},
    {"a-little-bit-long-string", -985981536, 0, 0},
    {"a-little-bit-longer-string", -1486304829, 3, 3},
    {"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971, 1, 13},
    {seventeen_bytes(), 1979245164, 0, 12},
    {"Z\xc3\xbcrich", -1551140815, 1, 1},
}};

TEST(Murmur2, MatchesKafkasJavaClient) {
  for (const auto& v : kVectors) {
    EXPECT_EQ(murmur2(v.key), static_cast<std::uint32_t>(v.java_int)) << "key '" << v.key << "'";
  }
}

TEST(PartitionForKey, MatchesKafkasDefaultPartitioner) {
  for (const auto& v : kVectors) {
    EXPECT_EQ(partition_for_key(v.key, 4), v.partition_of_4) << "key '" << v.key << "'";
    EXPECT_EQ(partition_for_key(v.key, 16), v.partition_of_16) << "key '" << v.key << "'";
  }
}

TEST(PartitionForKey, StaysInRangeAndTreatsNonPositiveCountsAsOne) {
  for (int i = 0; i < 1000; ++i) {
    const auto p = partition_for_key(std::to_string(i), 7);
    EXPECT_GE(p, 0);
    EXPECT_LT(p, 7);
  }
  EXPECT_EQ(partition_for_key("4887398", 1), 0);
  EXPECT_EQ(partition_for_key("4887398", 0), 0);
  EXPECT_EQ(partition_for_key("4887398", -3), 0);
}

// City ids are the keys in practice: 10 000 of them must spread evenly
// enough that no partition is a hot spot (each within 10% of the mean).
TEST(PartitionForKey, SpreadsCityIdsEvenly) {
  for (const std::int32_t partitions : {4, 16}) {
    std::vector<int> counts(partitions, 0);
    for (int city = 0; city < 10'000; ++city) ++counts[partition_for_key(std::to_string(2'000'000 + city), partitions)];
    const double mean = 10'000.0 / partitions;
    for (std::int32_t p = 0; p < partitions; ++p) {
      EXPECT_NEAR(counts[p], mean, mean * 0.1) << p << " of " << partitions;
    }
  }
}

}  // namespace
}  // namespace squall::log
