"""The pipeline on a real Kafka broker (started by the `kafka` CTest fixture):
exact counts into SQLite, and interop with an independent client, kcat."""

import json
import os
import subprocess
import time

from conftest import squall, stats

BROKER = os.environ.get("SQUALL_TEST_KAFKA", "")


def kafka_url():
    assert BROKER, "SQUALL_TEST_KAFKA is not set: start a broker with scripts/services start kafka"
    return f"kafka://{BROKER}"


def unique(name):
    return f"{name}-{os.getpid()}-{time.monotonic_ns()}"


def test_hundred_thousand_events_through_kafka_are_stored_exactly(data_dir):
    topic = unique("weather")
    squall("run", "--data-dir", data_dir, "--log", kafka_url(), "--topic", topic, "--group", unique("g"),
           "--cities", 1000, "--rate", 0, "--max-events", 100_000, "--exit-when-drained", "--no-serve")
    counts = stats(data_dir)
    assert counts["observations"] == 100_000
    assert counts["cities"] == 1000
    assert counts["dead_letters"] == 0


def test_kcat_reads_what_squall_ingest_wrote(data_dir):
    topic = unique("weather")
    squall("ingest", "--data-dir", data_dir, "--log", kafka_url(), "--topic", topic, "--cities", 3, "--rate", 0,
           "--max-events", 30)
    out = subprocess.run(["kcat", "-b", BROKER, "-C", "-t", topic, "-e", "-q", "-f", "%k\t%s\n"],
                         capture_output=True, text=True, timeout=60, check=True).stdout
    lines = [line for line in out.splitlines() if line]
    assert len(lines) == 30
    for line in lines:
        key, value = line.split("\t", 1)
        assert json.loads(value)["id"] == int(key)
    assert {int(line.split("\t", 1)[0]) for line in lines} == {4887398, 4164138, 5391959}


def test_squall_processes_raw_owm_json_that_kcat_produced(tmp_path, data_dir):
    topic = unique("weather")
    record = {"coord": {"lon": -80.19, "lat": 25.77}, "weather": [{"id": 800, "main": "Clear",
              "description": "clear sky", "icon": "01d"}], "main": {"temp": 301.2, "pressure": 1015,
              "humidity": 70}, "wind": {"speed": 5.1, "deg": 90}, "dt": 1700000000, "sys": {"country": "US"},
              "id": 4164138, "name": "Miami", "cod": 200}
    lines = [json.dumps(dict(record, dt=1700000000 + 600 * i)) for i in range(5)] + ['{"cod":"404"}']
    source = tmp_path / "records.ndjson"
    source.write_text("\n".join(lines) + "\n")
    # No key and no headers: another producer wrote them. City id comes from the payload, units from --units.
    subprocess.run(["kcat", "-b", BROKER, "-P", "-t", topic, "-l", str(source)], check=True, timeout=60)
    squall("process", "--data-dir", data_dir, "--log", kafka_url(), "--topic", topic, "--group", unique("g"),
           "--units", "standard", "--exit-when-drained")
    counts = stats(data_dir)
    assert counts["observations"] == 5
    assert counts["dead_letters"] == 1
    latest = json.loads(squall("query", "latest", "--data-dir", data_dir, "--format", "json").stdout)
    assert latest[0]["city"] == "Miami"
    assert latest[0]["temp_c"] == 28.05


def test_a_response_too_large_for_kafka_is_dead_lettered_and_ingest_carries_on(tmp_path, data_dir):
    good = {"coord": {"lon": -87.65, "lat": 41.85}, "main": {"temp": 281.5, "humidity": 80}, "dt": 1700000000,
            "id": 4887398, "name": "Chicago", "cod": 200}
    huge = json.dumps(dict(good, dt=1700000600, padding="x" * 2_000_000))
    lines = [json.dumps(good), huge, json.dumps(dict(good, dt=1700001200))]
    replay = tmp_path / "recorded.ndjson"
    replay.write_text("\n".join(lines) + "\n")
    result = squall("run", "--data-dir", data_dir, "--log", kafka_url(), "--topic", unique("weather"),
                    "--group", unique("g"), "--source", "replay", "--replay-file", replay, "--rate", 0,
                    "--exit-when-drained", "--no-serve")
    assert f"a response of {len(huge)} bytes" in result.stderr, result.stderr[-2000:]
    counts = stats(data_dir)
    assert counts["observations"] == 2
    assert counts["dead_letters"] == 1
    dead = json.loads(squall("query", "dead-letters", "--data-dir", data_dir, "--format", "json").stdout)
    assert dead[0]["reason"] == (f"message of {len(huge)} bytes is over the log's record limit: "
                                 "ingest kept only its first 1024 bytes"), dead[0]


def test_unreachable_broker_is_a_clear_error_not_a_hang(data_dir):
    # A hang would raise subprocess.TimeoutExpired and fail the test.
    result = squall("run", "--data-dir", data_dir, "--log", "kafka://127.0.0.1:1", "--max-events", 10,
                    "--exit-when-drained", "--no-serve", check=False, timeout=120)
    assert result.returncode == 1
    assert "unreachable" in result.stderr


def test_topics_describe_on_kafka(data_dir):
    topic = unique("weather")
    squall("topics", "create", topic, "--partitions", 3, "--log", kafka_url())
    squall("ingest", "--data-dir", data_dir, "--log", kafka_url(), "--topic", topic, "--cities", 9, "--rate", 0,
           "--max-events", 90)
    described = json.loads(squall("topics", "describe", topic, "--log", kafka_url(), "--format", "json").stdout)
    assert described["replication_factor"] == 1
    assert [p["partition"] for p in described["partitions"]] == [0, 1, 2]
    assert all(p["leader"] >= 0 and p["in_sync_replicas"] == p["replicas"] for p in described["partitions"])
    assert sum(p["records"] for p in described["partitions"]) == 90
