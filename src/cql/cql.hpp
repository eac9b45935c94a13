#pragma once
// squall's client for Apache Cassandra: the CQL native protocol, version 4,
// written from the spec (doc/native_protocol_v4.spec in apache/cassandra),
// because no C++ driver is packaged for Debian.
//
// This header is the module's whole interface for the rest of squall:
//
//   cql::SessionOptions options;
//   options.contact_points = {"127.0.0.1:9042"};
//   options.keyspace = "squall";
//   auto session = cql::Session::connect(options);
//   auto insert = (*session)->prepare("INSERT INTO t (id, temp) VALUES (?, ?)");
//   auto done = (*session)->execute(*insert, {std::int64_t{4887398}, 21.5}, cql::idempotent_options());
//
// Values are cql::Value (types.hpp): int32_t for int, int64_t for bigint,
// double, float, std::string for text, Timestamp, Date, Uuid, bool, Null.
// Every failure is a squall::Error whose message names the statement, the
// node and, for server errors, the error kind with its details.
//
// The layers underneath — wire.hpp (primitive codecs), frame.hpp, messages.hpp,
// connection.hpp — are internal to the module and tested on their own.

#include "cql/session.hpp"  // IWYU pragma: export
#include "cql/types.hpp"    // IWYU pragma: export
