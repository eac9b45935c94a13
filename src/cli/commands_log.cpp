// squall tail | topics: look into the log (the reference system's
// kafka-console-consumer and kafka-topics.sh).

#include <unistd.h>

#include <cstdio>

#include <fmt/format.h>

#include "cli/command.hpp"
#include "cli/output.hpp"
#include "cli/pipeline.hpp"
#include "core/json.hpp"
#include "log/log.hpp"

namespace squall::cli {
namespace {

struct TailFlags {
  bool from_beginning = false;
  bool follow = true;
  std::int64_t max = 0;
  std::string format = "text";
  std::string topic;  // empty: the configured log.topic
};

std::string render_record(const log::ConsumedRecord& r, bool as_json) {
  std::string out;
  if (!as_json) {
    out = fmt::format("{}/{}@{} key={}", r.where.topic, r.where.partition, r.offset, r.record.key);
    for (const auto& h : r.record.headers) out += fmt::format(" {}={}", h.key, h.value);
    out += ' ';
    out += r.record.value;
    out += '\n';
    return out;
  }
  out = "{\"topic\":";
  json::append_string(out, r.where.topic);
  out += fmt::format(",\"partition\":{},\"offset\":{},\"timestamp_ms\":{},\"key\":", r.where.partition, r.offset,
                     r.record.timestamp_ms);
  json::append_string(out, r.record.key);
  out += ",\"headers\":{";
  for (std::size_t i = 0; i < r.record.headers.size(); ++i) {
    if (i > 0) out += ',';
    json::append_string(out, r.record.headers[i].key);
    out += ':';
    json::append_string(out, r.record.headers[i].value);
  }
  out += "},\"value\":";
  json::append_string(out, r.record.value);
  out += "}\n";
  return out;
}

Result<void> tail(const CommandContext& context, const TailFlags& flags) {
  if (flags.format != "text" && flags.format != "json") {
    return make_error(Errc::invalid_argument, "--format: expected text or json, got '" + flags.format + "'");
  }
  auto settings = context.settings();
  if (!settings) return settings.error();
  // A private group that never commits: tailing must not move anyone's position.
  const std::string group = fmt::format("squall-tail-{}", ::getpid());
  const std::string topic = flags.topic.empty() ? settings->topic : flags.topic;
  auto consumer = log::open_consumer(settings->log, group, {topic},
                                     flags.from_beginning ? log::StartFrom::earliest : log::StartFrom::latest);
  if (!consumer) return consumer.error();
  install_stop_signals();
  std::int64_t printed = 0;
  while (!stop_signalled() && (flags.max == 0 || printed < flags.max)) {
    auto polled = (*consumer)->poll(500, 200);
    if (!polled) return polled.error();
    for (const auto& record : polled->records) {
      if (flags.max != 0 && printed >= flags.max) break;
      const std::string line = render_record(record, flags.format == "json");
      std::fwrite(line.data(), 1, line.size(), stdout);
      ++printed;
    }
    std::fflush(stdout);
    if (!flags.follow && polled->caught_up) break;
  }
  return {};
}

Result<void> list_topics(const CommandContext& context, const std::string& format_name) {
  auto format = parse_format(format_name);
  if (!format) return format.error();
  auto settings = context.settings();
  if (!settings) return settings.error();
  auto topics = log::list_topics(settings->log);
  if (!topics) return topics.error();
  const std::string out = render_topics(*topics, *format);
  std::fwrite(out.data(), 1, out.size(), stdout);
  return {};
}

Result<void> create_topic(const CommandContext& context, const std::string& name, std::int32_t partitions) {
  auto settings = context.settings();
  if (!settings) return settings.error();
  SQUALL_TRY(log::create_topic(settings->log, name, partitions));
  std::printf("topic %s has %d partitions\n", name.c_str(), partitions);
  return {};
}

Result<void> describe_topic(const CommandContext& context, const std::string& name,
                            const std::string& format_name) {
  auto format = parse_format(format_name);
  if (!format) return format.error();
  auto settings = context.settings();
  if (!settings) return settings.error();
  auto topic = log::describe_topic(settings->log, name);
  if (!topic) return topic.error();
  const std::string out = render_topic(*topic, *format);
  std::fwrite(out.data(), 1, out.size(), stdout);
  return {};
}

}  // namespace

void add_log_commands(CLI::App& app, CommandContext& context) {
  static TailFlags tail_flags;
  auto* tail_command = app.add_subcommand("tail", "print records of a topic as they arrive");
  context.bind(tail_command, "--data-dir", "data_dir", "directory for all embedded state (default squall-data)");
  context.bind(tail_command, "--log", "log.url", "log backend (default embedded)");
  context.bind_kafka_properties(tail_command);
  tail_command->add_option("--topic", tail_flags.topic, "topic to print (default: log.topic; try weather.dlq)");
  tail_command->add_flag("--from-beginning", tail_flags.from_beginning, "start at the oldest retained record");
  tail_command->add_flag("!--no-follow", tail_flags.follow, "exit once the end of the topic is reached");
  tail_command->add_option("--max", tail_flags.max, "exit after printing N records");
  tail_command->add_option("--format", tail_flags.format, "text | json (default text)");
  tail_command->footer("Examples:\n  squall tail                                   # follow new weather records\n"
                       "  squall tail --topic weather.dlq --from-beginning --no-follow   # why records were rejected");
  tail_command->callback([&context] {
    if (auto done = tail(context, tail_flags); !done) context.fail(done.error());
  });

  static std::string topic_name;
  static std::int32_t partitions = 4;
  static std::string topics_format = "table";
  auto* topics = app.add_subcommand("topics", "list, create or describe topics");
  topics->require_subcommand(1);
  auto* list = topics->add_subcommand("list", "topics and their partition counts");
  auto* create = topics->add_subcommand("create", "create a topic");
  auto* describe = topics->add_subcommand("describe", "a topic's partitions: leader, replicas, retained offsets");
  for (auto* sub : {list, create, describe}) {
    context.bind(sub, "--data-dir", "data_dir", "directory for all embedded state (default squall-data)");
    context.bind(sub, "--log", "log.url", "log backend (default embedded)");
    context.bind_kafka_properties(sub);
  }
  create->add_option("name", topic_name, "topic name")->required();
  create->add_option("--partitions", partitions, "partition count (default 4)")->check(CLI::Range(1, 10000));
  context.bind(create, "--replication-factor", "log.replication_factor", "Kafka: replicas per partition (default 1)");
  describe->add_option("name", topic_name, "topic name")->required();
  for (auto* sub : {list, describe}) sub->add_option("--format", topics_format, "table | csv | json (default table)");
  topics->footer("Examples:\n  squall topics list\n  squall topics describe weather --format json\n"
                 "  squall topics create weather --partitions 12 --log kafka://127.0.0.1:9092 --replication-factor 3");
  list->footer("Examples:\n  squall topics list\n  squall topics list --log kafka://127.0.0.1:9092 --format json");
  create->footer("Examples:\n  squall topics create weather --partitions 12\n"
                 "  squall topics create weather --partitions 12 --log kafka://127.0.0.1:9092 --replication-factor 3");
  describe->footer("Examples:\n  squall topics describe weather\n  squall topics describe weather.dlq --format json\n"
                   "  squall topics describe weather --format csv");
  describe->callback([&context] {
    if (auto done = describe_topic(context, topic_name, topics_format); !done) context.fail(done.error());
  });
  list->callback([&context] {
    if (auto done = list_topics(context, topics_format); !done) context.fail(done.error());
  });
  create->callback([&context] {
    if (auto done = create_topic(context, topic_name, partitions); !done) context.fail(done.error());
  });
}

}  // namespace squall::cli
