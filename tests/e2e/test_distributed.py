"""The reference architecture on real servers (the `kafka` and `cassandra`
CTest fixtures): producer -> Kafka -> processor -> Cassandra + CSV, with the
processor killed at random points and restarted: nothing lost, nothing
duplicated, and windows and alerts equal to a clean run's."""

import json
import os
import random
import time

from conftest import csv_rows, kill_hard, squall, start, wait_until

BROKER = os.environ.get("SQUALL_TEST_KAFKA", "")
NODE = os.environ.get("SQUALL_TEST_CASSANDRA", "")


def stored(store):
    result = squall("query", "stats", *store, "--format", "json", check=False)
    return json.loads(result.stdout)["observations"] if result.returncode == 0 else 0


RULES = {"SQUALL_ALERTS_RULES": "breezy: wind_speed_ms > 3 for 2 clear wind_speed_ms < 2; cold: temp_c < 5"}


def query(what, store):
    return json.loads(squall("query", what, *store, "--limit", 1_000_000, "--format", "json").stdout)


def test_kafka_to_cassandra_survives_a_killed_processor(data_dir):
    assert BROKER and NODE, "SQUALL_TEST_KAFKA and SQUALL_TEST_CASSANDRA must be set (kafka and cassandra fixtures)"
    suffix = f"{os.getpid()}_{time.monotonic_ns() % 10**9}"
    log = ["--log", f"kafka://{BROKER}", "--topic", f"weather-dist-{suffix}"]
    store = ["--store", f"cassandra://{NODE}", "--keyspace", f"e2e_dist_{suffix}"]
    total, cities = 30_000, 300
    # Paced, so the stream outlasts the kills below: a processor reading a backlog can store the rest of it
    # between a kill point being seen and the kill, and a kill after the end tests no recovery.
    producer = start("ingest", "--data-dir", data_dir, *log, "--cities", cities, "--rate", 1000, "--max-events", total)
    # The restarted processor gets the partitions once the broker has given up on the killed member:
    # a short session timeout keeps that wait short.
    process = ["process", "--data-dir", data_dir, *log, *store, "--group", f"g-{suffix}", "--batch-max-records", 1000,
               "--kafka-property", "session.timeout.ms=6000", "--kafka-property", "heartbeat.interval.ms=1000"]

    # Each run lasts a few seconds, less than the default interval on Cassandra (10 s), so checkpoints every
    # 500 ms make each restart resume from one; the clean run below keeps the default and must build the same windows.
    killed_env = {**RULES, "SQUALL_PROCESSOR_CHECKPOINT_INTERVAL": "500ms"}

    # Killed with SIGKILL at several random points, restarted each time.
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    kill_points = sorted(rng.randint(total // 10, total * 6 // 10) for _ in range(3))
    mid_stream = 0  # kills that landed before everything was stored
    try:
        for point in kill_points:
            processor = start(*process, env=killed_env)
            try:
                wait_until(lambda: stored(store) >= point, timeout_s=300, interval_s=0.2,
                           what=f"{point} observations in Cassandra")
            finally:
                kill_hard(processor)
            mid_stream += stored(store) < total
        assert producer.wait(timeout=300) == 0, producer.err_text()
    finally:
        if producer.poll() is None:
            kill_hard(producer)
    assert mid_stream >= 2, f"only {mid_stream} kill(s) landed mid-stream (points {kill_points}, seed {seed})"

    squall(*process, "--exit-when-drained", env=killed_env)
    stats = json.loads(squall("query", "stats", *store, "--format", "json").stdout)
    assert stats["observations"] == total
    assert stats["cities"] == cities
    assert stats["dead_letters"] == 0
    rows = csv_rows(data_dir)
    assert len(rows) == total and len(set(rows)) == total
    squall("schema", "check", *store)

    # A clean run over the same topic, in its own group and keyspace, builds the same windows and alerts.
    clean_store = ["--store", f"cassandra://{NODE}", "--keyspace", f"e2e_dist_clean_{suffix}"]
    squall("process", "--data-dir", data_dir / "clean", *log, *clean_store, "--group", f"clean-{suffix}",
           "--exit-when-drained", env=RULES)
    assert query("windows", store) == query("windows", clean_store)
    assert query("alerts", store) == query("alerts", clean_store)
    assert len(query("windows", store)) > 0 and len(query("alerts", store)) > 0
