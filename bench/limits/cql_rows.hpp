#pragma once
// What the CQL limit tools send: an observation as the bound values of the
// store's own INSERT into `observations`, and a session set up the way the
// store sets up its own.

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "core/observation.hpp"
#include "core/result.hpp"
#include "cql/cql.hpp"
#include "store/cassandra/observation_columns.hpp"

namespace squall::bench {

std::vector<cql::Value> observation_row(const Observation& o, store::cassandra_columns::Absent absent);

// A session to `contact` at LOCAL_QUORUM with `in_flight` requests
// outstanding at most, and the store's INSERT prepared on it.
struct InsertSession {
  std::unique_ptr<cql::Session> session;
  cql::Prepared insert;
};
Result<InsertSession> connect_for_inserts(const std::string& contact, const std::string& keyspace,
                                          std::size_t in_flight);

}  // namespace squall::bench
