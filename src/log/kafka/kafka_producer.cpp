// Producer side of the Kafka backend.
//
// produce() hands records to librdkafka's queue; the broker acknowledges
// them in the background, and every acknowledgement or failure comes back
// as a delivery report, served on this thread by poll() and flush(). A
// failed record is remembered until the next flush() reports it: nothing is
// lost silently.

#include <charconv>
#include <memory>
#include <set>
#include <string>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "log/embedded/log_database.hpp"
#include "log/kafka/kafka_admin.hpp"
#include "log/kafka/kafka_client.hpp"
#include "log/kafka/kafka_config.hpp"
#include "log/kafka/kafka_log.hpp"

namespace squall::log::kafka {
namespace {

// A full local queue drains as the broker acknowledges batches; how long
// produce() waits for room before giving up.
constexpr int kQueueFullPollMs = 100;
constexpr int kQueueFullMaxWaits = 600;
// flush() waits in slices until librdkafka has an outcome for every record
// (bounded by message.timeout.ms, after which records fail).
constexpr int kFlushSliceMs = 500;

// The producer's record size limit, as librdkafka will apply it (the default
// or a kafka.message.max.bytes pass-through).
Result<std::size_t> message_max_bytes(const RdKafka::Conf& conf) {
  std::string text;
  if (conf.get("message.max.bytes", text) != RdKafka::Conf::CONF_OK) {
    return make_error(Errc::internal, "librdkafka does not report message.max.bytes");
  }
  std::size_t bytes = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), bytes);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return make_error(Errc::internal, "librdkafka reports message.max.bytes as '" + text + "'");
  }
  return bytes;
}

// Counts the records the broker did not take since the last report.
class DeliveryReports final : public RdKafka::DeliveryReportCb {
 public:
  void dr_cb(RdKafka::Message& message) override {
    if (message.err() == RdKafka::ERR_NO_ERROR) return;
    if (failed_ == 0) {
      first_code_ = message.err();
      first_failure_ = fmt::format("topic '{}' partition {}: {}", message.topic_name(), message.partition(),
                                   message.errstr());
    }
    ++failed_;
  }

  // The failures since the last call, as one error; success if none.
  Result<void> take(RdKafka::Producer& producer) {
    if (failed_ == 0) return {};
    std::string message = fmt::format("Kafka did not accept {} record(s); first: {}", failed_, first_failure_);
    std::string fatal_reason;
    if (producer.fatal_error(fatal_reason) != RdKafka::ERR_NO_ERROR) message += "; fatal: " + fatal_reason;
    const Errc code = errc_of(first_code_);
    failed_ = 0;
    return make_error(code, std::move(message));
  }

 private:
  std::int64_t failed_ = 0;
  RdKafka::ErrorCode first_code_ = RdKafka::ERR_NO_ERROR;
  std::string first_failure_;
};

std::unique_ptr<RdKafka::Headers> kafka_headers(const std::vector<Header>& headers) {
  if (headers.empty()) return nullptr;
  std::unique_ptr<RdKafka::Headers> converted(RdKafka::Headers::create());
  for (const Header& header : headers) converted->add(header.key, header.value.data(), header.value.size());
  return converted;
}

class KafkaProducer final : public Producer {
 public:
  KafkaProducer(const LogOptions& options, std::string bootstrap)
      : defaults_{options.default_partitions, options.replication_factor},
        timeout_ms_(options.kafka_timeout_ms),
        bootstrap_(std::move(bootstrap)),
        events_("kafka producer") {}
  ~KafkaProducer() override;

  Result<void> connect(const LogOptions& options);
  Result<void> produce(std::string_view topic, std::span<const Record> records) override;
  Result<void> flush() override;
  std::size_t max_record_bytes() const override { return max_record_bytes_; }

 private:
  Result<void> ensure_topic(const std::string& topic);
  Result<void> enqueue(const std::string& topic, const Record& record);

  TopicDefaults defaults_;
  int timeout_ms_;
  std::string bootstrap_;
  std::set<std::string, std::less<>> known_topics_;
  std::size_t max_record_bytes_ = 0;  // message.max.bytes, read back from the configuration
  ClientEvents events_;
  DeliveryReports reports_;
  // Last: destroyed first, while the callbacks it calls still exist.
  std::unique_ptr<RdKafka::Producer> producer_;
};

Result<void> KafkaProducer::connect(const LogOptions& options) {
  std::unique_ptr<RdKafka::Conf> conf;
  SQUALL_ASSIGN(conf, make_conf(producer_properties(options, bootstrap_), options));
  SQUALL_ASSIGN(max_record_bytes_, message_max_bytes(*conf));
  SQUALL_TRY(set_callback(*conf, "dr_cb", static_cast<RdKafka::DeliveryReportCb*>(&reports_)));
  SQUALL_TRY(set_callback(*conf, "event_cb", static_cast<RdKafka::EventCb*>(&events_)));
  std::string why;
  producer_.reset(RdKafka::Producer::create(conf.get(), why));
  if (!producer_) return make_error(Errc::invalid_argument, "cannot create the Kafka producer: " + why);
  SQUALL_TRY(check_reachable(*producer_, bootstrap_, timeout_ms_, events_));
  spdlog::info("Kafka producer connected to {}{}", bootstrap_,
               options.kafka_properties.empty() ? "" : " with " + describe_properties(options.kafka_properties));
  return {};
}

KafkaProducer::~KafkaProducer() {
  if (!producer_) return;
  producer_->flush(timeout_ms_);
  if (const int waiting = producer_->outq_len(); waiting > 0) {
    spdlog::error("Kafka producer closed with {} record(s) or requests not yet acknowledged by {}: those records "
                  "may be lost",
                  waiting, bootstrap_);
  }
  if (auto failures = reports_.take(*producer_); !failures) {
    spdlog::error("Kafka producer closed with undelivered records never reported by flush(): {}",
                  failures.error().message);
  }
}

Result<void> KafkaProducer::ensure_topic(const std::string& topic) {
  if (known_topics_.contains(topic)) return {};
  SQUALL_TRY(embedded::validate_topic_name(topic));
  SQUALL_TRY(kafka::ensure_topic(*producer_, topic, defaults_, timeout_ms_));
  known_topics_.insert(topic);
  return {};
}

Result<void> KafkaProducer::enqueue(const std::string& topic, const Record& record) {
  for (int waits = 0;; ++waits) {
    std::unique_ptr<RdKafka::Headers> headers = kafka_headers(record.headers);
    // RK_MSG_COPY: librdkafka copies the value, so the const_cast is never
    // written through. An empty key is still a key (hashed like the embedded
    // log hashes it), never the "no key" that murmur2_random scatters.
    const RdKafka::ErrorCode code = producer_->produce(
        topic, RdKafka::Topic::PARTITION_UA, RdKafka::Producer::RK_MSG_COPY, const_cast<char*>(record.value.data()),
        record.value.size(), record.key.data(), record.key.size(), record.timestamp_ms, headers.get(), nullptr);
    if (code == RdKafka::ERR_NO_ERROR) {
      static_cast<void>(headers.release());  // librdkafka owns them once the record is queued
      return {};
    }
    if (code != RdKafka::ERR__QUEUE_FULL) return kafka_error(code, fmt::format("producing to Kafka topic '{}'", topic));
    if (waits == kQueueFullMaxWaits) {
      return make_error(Errc::unavailable,
                        fmt::format("Kafka producer queue stayed full for {} ms ({} records waiting for {}): the "
                                    "brokers are not acknowledging",
                                    kQueueFullPollMs * kQueueFullMaxWaits, producer_->outq_len(), bootstrap_));
    }
    producer_->poll(kQueueFullPollMs);  // delivery reports free room in the queue
  }
}

Result<void> KafkaProducer::produce(std::string_view topic, std::span<const Record> records) {
  const std::string name(topic);
  SQUALL_TRY(ensure_topic(name));
  for (const Record& record : records) SQUALL_TRY(enqueue(name, record));
  producer_->poll(0);  // serve the delivery reports that have arrived
  return {};
}

Result<void> KafkaProducer::flush() {
  while (true) {
    const RdKafka::ErrorCode code = producer_->flush(kFlushSliceMs);
    if (code == RdKafka::ERR_NO_ERROR) break;
    if (code != RdKafka::ERR__TIMED_OUT) return kafka_error(code, "flushing the Kafka producer");
  }
  return reports_.take(*producer_);
}

}  // namespace

Result<std::unique_ptr<Producer>> open_producer(const LogOptions& options) {
  std::string bootstrap;
  SQUALL_ASSIGN(bootstrap, bootstrap_servers(options.url));
  SQUALL_TRY(embedded::validate_partition_count(options.default_partitions));
  auto producer = std::make_unique<KafkaProducer>(options, std::move(bootstrap));
  SQUALL_TRY(producer->connect(options));
  return std::unique_ptr<Producer>(std::move(producer));
}

}  // namespace squall::log::kafka
