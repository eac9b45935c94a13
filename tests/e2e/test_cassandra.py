"""The pipeline into a real Cassandra (started by the `cassandra` CTest fixture):
embedded log -> processor -> Cassandra store, exact counts, read back by `squall query`."""

import json
import os

from conftest import squall

NODE = os.environ.get("SQUALL_TEST_CASSANDRA", "")


def store_url():
    assert NODE, "SQUALL_TEST_CASSANDRA is not set: start a node with scripts/services start cassandra"
    return f"cassandra://{NODE}"


def test_simulated_events_into_cassandra_are_stored_exactly(data_dir):
    # The simulator is deterministic and every write an upsert, so the keyspace
    # holds exactly these rows however often the test has run against this node.
    squall("run", "--data-dir", data_dir, "--store", store_url(), "--cities", 200, "--rate", 0,
           "--max-events", 20_000, "--seed", 7, "--exit-when-drained", "--no-serve")
    after = json.loads(squall("query", "stats", "--store", store_url(), "--format", "json").stdout)
    assert after["observations"] == 20_000
    assert after["cities"] == 200
    assert after["dead_letters"] == 0
    latest = json.loads(squall("query", "latest", "--store", store_url(), "--city", 4887398,
                               "--format", "json").stdout)
    assert len(latest) == 1
    assert latest[0]["city"] == "Chicago"
    # The 100th observation of each city: the first dt + 99 * 10 minutes.
    assert latest[0]["observed_at"] == "2023-11-15T14:43:20Z"
