#pragma once
// Renders query results and topics as an aligned table, CSV (RFC 4180; for
// observations the same columns as the CSV backup) or JSON (null where the
// input had no value).

#include <span>
#include <string>
#include <string_view>

#include "core/observation.hpp"
#include "core/result.hpp"
#include "log/log.hpp"
#include "store/store.hpp"

namespace squall::cli {

enum class Format { table, csv, json };

Result<Format> parse_format(std::string_view text);

std::string render_observations(std::span<const Observation> rows, Format format);
std::string render_dead_letters(std::span<const store::DeadLetter> rows, Format format);
std::string render_stats(const store::Stats& stats, Format format);
std::string render_windows(std::span<const store::WindowRow> rows, Format format);  // output_windows.cpp
std::string render_alerts(std::span<const store::AlertRow> rows, Format format);    // output_windows.cpp
std::string render_topics(std::span<const log::TopicInfo> topics, Format format);   // squall topics list
std::string render_topic(const log::TopicDescription& topic, Format format);         // squall topics describe

// Columns aligned by display width (UTF-8 aware); first row is the header.
std::string render_table(const std::vector<std::vector<std::string>>& rows);

}  // namespace squall::cli
