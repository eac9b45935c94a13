"""The pipeline into a real Cassandra (started by the `cassandra` CTest fixture):
exact counts after a crash, `squall schema`, and interop with an independent
client, the DataStax Python driver (Debian package python3-cassandra)."""

import datetime
import json
import os
import time

import pytest
from cassandra import InvalidRequest
from cassandra.cluster import Cluster, NoHostAvailable

from conftest import csv_rows, kill_hard, squall, start, wait_until

NODE = os.environ.get("SQUALL_TEST_CASSANDRA", "")


def store_url():
    assert NODE, "SQUALL_TEST_CASSANDRA is not set: start a node with scripts/services start cassandra"
    return f"cassandra://{NODE}"


@pytest.fixture(scope="module")
def driver():
    host, port = NODE.rsplit(":", 1)
    cluster = Cluster([host], port=int(port), protocol_version=4)
    session = cluster.connect()
    yield session
    cluster.shutdown()


@pytest.fixture
def keyspace(driver):
    """A fresh keyspace per test, so counts are this test's alone; dropped afterwards."""
    name = f"e2e_{os.getpid()}_{time.monotonic_ns() % 10**9}"
    yield name
    driver.execute(f"DROP KEYSPACE IF EXISTS {name}", timeout=60)


def store_flags(keyspace):
    return ["--store", store_url(), "--keyspace", keyspace]


def query_json(*args):
    return json.loads(squall("query", *args, "--format", "json").stdout)


def count_rows(driver, keyspace, table):
    try:
        return driver.execute(f"SELECT count(*) FROM {keyspace}.{table}", timeout=60).one()[0]
    except InvalidRequest:  # the processor has not created the keyspace yet
        return 0
    except NoHostAvailable as error:
        # Read while the processor creates the table, Cassandra can answer
        # "Unknown CF <id>" for a moment; anything else is a real failure.
        if "Unknown CF" not in str(error):
            raise
        return 0


def test_simulated_events_into_cassandra_are_stored_exactly(data_dir, keyspace):
    squall("run", "--data-dir", data_dir, *store_flags(keyspace), "--cities", 200, "--rate", 0,
           "--max-events", 20_000, "--seed", 7, "--exit-when-drained", "--no-serve")
    after = query_json("stats", *store_flags(keyspace))
    assert after["observations"] == 20_000
    assert after["cities"] == 200
    assert after["dead_letters"] == 0
    latest = query_json("latest", *store_flags(keyspace), "--city", 4887398)
    assert len(latest) == 1
    assert latest[0]["city"] == "Chicago"
    # The 100th observation of each city: the first dt + 99 * 10 minutes.
    assert latest[0]["observed_at"] == "2023-11-15T14:43:20Z"


def test_processor_killed_mid_stream_loses_and_duplicates_nothing(data_dir, keyspace, driver):
    total = 100_000
    squall("ingest", "--data-dir", data_dir, "--cities", 1000, "--rate", 0, "--max-events", total)
    flags = ["--data-dir", data_dir, *store_flags(keyspace), "--batch-max-records", 2000]
    processor = start("process", *flags)
    try:
        wait_until(lambda: count_rows(driver, keyspace, "observations") >= 10_000,
                   timeout_s=300, interval_s=0.2, what="the first 10 000 observations in Cassandra")
    finally:
        kill_hard(processor)
    stored_at_kill = count_rows(driver, keyspace, "observations")
    assert stored_at_kill < total, "the processor finished before it was killed: the test proved nothing"

    squall("process", *flags, "--exit-when-drained")
    stats = query_json("stats", *store_flags(keyspace))
    assert stats["observations"] == total
    assert stats["cities"] == 1000
    assert stats["dead_letters"] == 0
    assert count_rows(driver, keyspace, "latest_by_city") == 1000
    rows = csv_rows(data_dir)
    assert len(rows) == total
    assert len(set(rows)) == total


def test_schema_create_then_check_and_check_names_what_drifted(keyspace, driver):
    result = squall("schema", "create", *store_flags(keyspace))
    assert f"keyspace {keyspace}" in result.stdout
    squall("schema", "create", *store_flags(keyspace))  # idempotent
    assert "matches" in squall("schema", "check", *store_flags(keyspace)).stdout
    replication = driver.execute("SELECT replication FROM system_schema.keyspaces WHERE keyspace_name = %s",
                                 [keyspace]).one()[0]
    assert replication["class"].endswith("SimpleStrategy") and replication["replication_factor"] == "1"

    driver.execute(f"ALTER TABLE {keyspace}.observations DROP icon", timeout=60)
    driver.execute(f"DROP TABLE {keyspace}.dead_letters", timeout=60)
    drifted = squall("schema", "check", *store_flags(keyspace), check=False)
    assert drifted.returncode == 1
    assert "observations.icon is missing" in drifted.stderr
    assert "table dead_letters is missing" in drifted.stderr


def test_tables_changed_by_hand_stop_the_pipeline_pointing_at_schema_check(data_dir, keyspace, driver):
    squall("schema", "create", *store_flags(keyspace))
    driver.execute(f"ALTER TABLE {keyspace}.observations DROP icon", timeout=60)
    result = squall("run", "--data-dir", data_dir, *store_flags(keyspace), "--cities", 3, "--rate", 0,
                    "--max-events", 10, "--exit-when-drained", "--no-serve", check=False)
    assert result.returncode == 1  # not 2: squall's settings are fine, the tables are not
    assert "icon" in result.stderr  # the node's own reason
    assert "squall schema check" in result.stderr


def test_schema_check_of_a_missing_keyspace_says_how_to_create_it(keyspace):
    result = squall("schema", "check", *store_flags(keyspace), check=False)
    assert result.returncode == 1
    assert "squall schema create" in result.stderr


def test_bad_cassandra_settings_fail_at_start_up_naming_the_key(data_dir):
    result = squall("run", "--data-dir", data_dir, "--store", store_url(), "--consistency", "MOSTLY",
                    "--no-serve", check=False)
    assert result.returncode == 2
    assert "store.consistency" in result.stderr
    result = squall("schema", "create", "--store", store_url(), "--replication", "SimpleStrategy:zero", check=False)
    assert result.returncode == 2
    assert "store.replication" in result.stderr


def test_the_python_driver_reads_what_squall_wrote_with_the_right_types(data_dir, keyspace, driver):
    squall("run", "--data-dir", data_dir, *store_flags(keyspace), "--cities", 3, "--rate", 0,
           "--max-events", 30, "--exit-when-drained", "--no-serve")
    expected = {row["city_id"]: row for row in query_json("latest", *store_flags(keyspace))}
    rows = list(driver.execute(f"SELECT * FROM {keyspace}.latest_by_city"))
    assert sorted(row.city_id for row in rows) == sorted(expected)
    for row in rows:
        want = expected[row.city_id]
        assert isinstance(row.city_id, int) and isinstance(row.condition_id, int)
        assert isinstance(row.temp_c, float) and row.temp_c == pytest.approx(want["temp_c"], abs=1e-9)
        assert row.city == want["city"] and row.country == want["country"]
        assert isinstance(row.observed_at, datetime.datetime)
        assert row.observed_at.strftime("%Y-%m-%dT%H:%M:%SZ") == want["observed_at"]
        assert row.humidity_pct == want["humidity_pct"]
        assert row.wind_gust_ms is None if want["wind_gust_ms"] is None else row.wind_gust_ms == want["wind_gust_ms"]
        assert row.source == "simulator"
    assert count_rows(driver, keyspace, "observations") == 30


def test_squall_query_reads_rows_the_python_driver_wrote(keyspace, driver):
    squall("schema", "create", *store_flags(keyspace))
    observed = [datetime.datetime(2024, 1, 31, 23, 50, tzinfo=datetime.timezone.utc),
                datetime.datetime(2024, 2, 1, 0, 0, tzinfo=datetime.timezone.utc)]
    for i, at in enumerate(observed):
        day = int(at.timestamp()) // 86400
        values = [day, 2643743, "London", "GB", at, 51.51, -0.13, 4.5 + i, 82.0, 1003.0, 7.2, 1, "Rain",
                  "light rain", "10n", 0.25, None, "test-driver"]
        columns = ("day, city_id, city, country, observed_at, lat, lon, temp_c, humidity_pct, pressure_hpa, "
                   "wind_speed_ms, condition_id, condition, description, icon, rain_1h_mm, snow_1h_mm, source")
        marks = ", ".join(["%s"] * len(values))
        driver.execute(f"INSERT INTO {keyspace}.observations ({columns}) VALUES ({marks})", values)
        driver.execute(f"INSERT INTO {keyspace}.observation_days (city_id, day) VALUES (%s, %s)", [2643743, day])
        driver.execute(f"INSERT INTO {keyspace}.latest_by_city ({columns[5:]}) VALUES ({marks[4:]})", values[1:])

    latest = query_json("latest", *store_flags(keyspace), "--city", 2643743)
    assert len(latest) == 1
    assert latest[0]["city"] == "London"
    assert latest[0]["observed_at"] == "2024-02-01T00:00:00Z"
    assert latest[0]["temp_c"] == 5.5
    assert latest[0]["rain_1h_mm"] == 0.25 and latest[0]["snow_1h_mm"] is None
    assert latest[0]["description"] == "light rain"
    history = query_json("history", *store_flags(keyspace), "--city", 2643743)
    assert [row["observed_at"] for row in history] == ["2024-02-01T00:00:00Z", "2024-01-31T23:50:00Z"]
    assert [row["temp_c"] for row in history] == [5.5, 4.5]
