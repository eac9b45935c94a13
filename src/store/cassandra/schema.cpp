#include "store/cassandra/schema.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <map>
#include <utility>
#include <variant>

#include "store/cassandra/observation_columns.hpp"
#include "store/cassandra/stream_tables.hpp"

namespace squall::store::cassandra_schema {
namespace {

using cassandra_columns::Column;

struct Table {
  std::string name;
  std::vector<Column> columns;
  std::string key_and_options;  // "PRIMARY KEY (...)) WITH ..." after the columns
};

std::vector<Column> with_columns(std::vector<Column> first, const std::vector<Column>& rest) {
  first.insert(first.end(), rest.begin(), rest.end());
  return first;
}

std::vector<Table> tables() {
  const auto observation = cassandra_columns::observation_columns();
  std::vector<Table> all{
      Table{"observations", with_columns({{"day", "int"}}, observation),
            "PRIMARY KEY ((city_id, day), observed_at)) WITH CLUSTERING ORDER BY (observed_at DESC)"},
      Table{"observation_days", {{"city_id", "bigint"}, {"day", "int"}},
            "PRIMARY KEY (city_id, day)) WITH CLUSTERING ORDER BY (day DESC)"},
      Table{"latest_by_city", observation, "PRIMARY KEY (city_id))"},
      Table{"dead_letters",
            {{"topic", "text"},
             {"partition", "int"},
             {"offset", "bigint"},
             {"reason", "text"},
             {"payload", "blob"},
             {"received_at", "timestamp"}},
            "PRIMARY KEY ((topic, partition), offset))"},
  };
  for (auto& stream : cassandra_stream::tables()) {
    all.push_back(Table{std::move(stream.name), std::move(stream.columns), std::move(stream.key_and_options)});
  }
  return all;
}

std::string create_table(std::string_view keyspace, const Table& table) {
  std::string cql = "CREATE TABLE IF NOT EXISTS " + std::string(keyspace) + "." + table.name + " (";
  for (const Column& column : table.columns) cql += column.name + " " + column.type + ", ";
  return cql + table.key_and_options;
}

bool is_name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'; }

Result<int> replication_factor(std::string_view text, std::string_view replication) {
  int factor = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), factor);
  if (error != std::errc() || end != text.data() + text.size() || factor < 1 || factor > 100) {
    return make_error(Errc::invalid_argument, "replication '" + std::string(replication) +
                                                  "': replication factor '" + std::string(text) +
                                                  "' is not a number from 1 to 100");
  }
  return factor;
}

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  while (true) {
    const auto at = text.find(separator);
    parts.push_back(text.substr(0, at));
    if (at == std::string_view::npos) return parts;
    text.remove_prefix(at + 1);
  }
}

// Data centre names are pasted into the replication map, so only the
// characters real ones use are let through.
Result<std::string> datacentre_entry(std::string_view pair, std::string_view replication) {
  const auto colon = pair.rfind(':');
  const std::string_view name = pair.substr(0, colon == std::string_view::npos ? 0 : colon);
  const bool valid_name = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return is_name_char(c) || c == '-' || c == '.';
  });
  if (!valid_name) {
    return make_error(Errc::invalid_argument, "replication '" + std::string(replication) + "': '" +
                                                  std::string(pair) + "' is not DATACENTRE:FACTOR");
  }
  int factor = 0;
  SQUALL_ASSIGN(factor, replication_factor(pair.substr(colon + 1), replication));
  return "'" + std::string(name) + "': " + std::to_string(factor);
}

Result<std::string> network_topology_map(std::string_view pairs, std::string_view replication) {
  std::string map = "{'class': 'NetworkTopologyStrategy'";
  for (std::string_view pair : split(pairs, ',')) {
    std::string entry;
    SQUALL_ASSIGN(entry, datacentre_entry(pair, replication));
    map += ", " + entry;
  }
  return map + "}";
}

// (table, column) -> type, as system_schema.columns reports them.
using ColumnTypes = std::map<std::pair<std::string, std::string>, std::string>;

Result<ColumnTypes> existing_columns(cql::Session& session, std::string_view keyspace) {
  ColumnTypes columns;
  cql::StatementOptions options;
  options.idempotent = true;
  while (true) {
    auto page = session.query("SELECT table_name, column_name, type FROM system_schema.columns WHERE keyspace_name = ?",
                              {std::string(keyspace)}, options);
    if (!page) return page.error();
    for (const cql::Row& row : page->rows) {
      const auto* table = row.size() == 3 ? std::get_if<std::string>(&row[0]) : nullptr;
      const auto* column = row.size() == 3 ? std::get_if<std::string>(&row[1]) : nullptr;
      const auto* type = row.size() == 3 ? std::get_if<std::string>(&row[2]) : nullptr;
      if (table == nullptr || column == nullptr || type == nullptr) {
        return make_error(Errc::parse, "system_schema.columns returned a row that is not three texts");
      }
      columns[{*table, *column}] = *type;
    }
    if (!page->paging_state) return columns;
    options.paging_state = page->paging_state;
  }
}

// "; observations.temp_c is text, not double" for each difference; a whole
// missing table is one problem, not one per column.
std::string table_problems(const Table& table, const ColumnTypes& existing) {
  const auto first = existing.lower_bound({table.name, ""});
  if (first == existing.end() || first->first.first != table.name) return "; table " + table.name + " is missing";
  std::string problems;
  for (const Column& column : table.columns) {
    const auto found = existing.find({table.name, column.name});
    if (found == existing.end()) {
      problems += "; " + table.name + "." + column.name + " is missing";
    } else if (found->second != column.type) {
      problems += "; " + table.name + "." + column.name + " is " + found->second + ", not " + column.type;
    }
  }
  return problems;
}

}  // namespace

Result<void> check_keyspace_name(std::string_view keyspace) {
  const bool valid = !keyspace.empty() && keyspace.size() <= 48 &&
                     std::isalpha(static_cast<unsigned char>(keyspace.front())) != 0 &&
                     std::all_of(keyspace.begin(), keyspace.end(), is_name_char);
  if (valid) return {};
  return make_error(Errc::invalid_argument, "keyspace '" + std::string(keyspace) +
                                                "' is not a valid name: letters, digits and '_', starting with a "
                                                "letter, at most 48 characters");
}

Result<std::string> replication_map(std::string_view replication) {
  const auto colon = replication.find(':');
  const std::string_view strategy = replication.substr(0, colon);
  const std::string_view rest = colon == std::string_view::npos ? std::string_view() : replication.substr(colon + 1);
  if (strategy == "SimpleStrategy") {
    int factor = 0;
    SQUALL_ASSIGN(factor, replication_factor(rest, replication));
    return "{'class': 'SimpleStrategy', 'replication_factor': " + std::to_string(factor) + "}";
  }
  if (strategy == "NetworkTopologyStrategy") return network_topology_map(rest, replication);
  return make_error(Errc::invalid_argument, "replication '" + std::string(replication) +
                                                "' is neither SimpleStrategy:FACTOR nor "
                                                "NetworkTopologyStrategy:DC:FACTOR[,DC:FACTOR...]");
}

Result<std::vector<std::string>> schema_statements(std::string_view keyspace, std::string_view replication) {
  SQUALL_TRY(check_keyspace_name(keyspace));
  std::string map;
  SQUALL_ASSIGN(map, replication_map(replication));
  std::vector<std::string> statements{"CREATE KEYSPACE IF NOT EXISTS " + std::string(keyspace) +
                                      " WITH replication = " + map};
  for (const Table& table : tables()) statements.push_back(create_table(keyspace, table));
  return statements;
}

Result<void> create_schema(cql::Session& session, std::string_view keyspace, std::string_view replication) {
  std::vector<std::string> statements;
  SQUALL_ASSIGN(statements, schema_statements(keyspace, replication));
  for (const std::string& statement : statements) {
    auto done = session.query(statement, {}, cql::idempotent_options());
    if (!done) return make_error(done.error().code, "creating the cassandra schema: " + done.error().message);
  }
  return {};
}

Result<void> check_schema(cql::Session& session, std::string_view keyspace) {
  SQUALL_TRY(check_keyspace_name(keyspace));
  ColumnTypes existing;
  SQUALL_ASSIGN(existing, existing_columns(session, keyspace));
  if (existing.empty()) {
    return make_error(Errc::not_found, "cassandra keyspace " + std::string(keyspace) +
                                           " has no tables (or does not exist): `squall schema create` makes them");
  }
  std::string problems;
  for (const Table& table : tables()) problems += table_problems(table, existing);
  if (problems.empty()) return {};
  return make_error(Errc::not_found, "cassandra schema of keyspace " + std::string(keyspace) +
                                         " is not squall's" + problems);
}

}  // namespace squall::store::cassandra_schema
