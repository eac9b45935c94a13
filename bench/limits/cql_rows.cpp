#include "cql_rows.hpp"

#include <utility>

namespace squall::bench {

std::vector<cql::Value> observation_row(const Observation& o, store::cassandra_columns::Absent absent) {
  namespace columns = store::cassandra_columns;
  std::vector<cql::Value> values;
  values.reserve(1 + columns::kValueCount);
  values.emplace_back(columns::day_of(o.observed_at));
  columns::append_values(o, values, absent);
  return values;
}

Result<InsertSession> connect_for_inserts(const std::string& contact, const std::string& keyspace,
                                          std::size_t in_flight) {
  cql::SessionOptions options;
  options.contact_points = {contact};
  options.consistency = cql::Consistency::local_quorum;
  options.max_in_flight = in_flight;
  auto session = cql::Session::connect(options);
  if (!session) return session.error();
  auto insert = (*session)->prepare(store::cassandra_columns::insert_observation_cql(keyspace));
  if (!insert) return insert.error();
  return InsertSession{std::move(*session), std::move(*insert)};
}

}  // namespace squall::bench
