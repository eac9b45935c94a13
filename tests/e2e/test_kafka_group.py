"""Scale-out on a real Kafka broker (the `kafka` CTest fixture): two `squall
process` instances in one consumer group share a topic's partitions; one
joins mid-stream and the other is killed mid-stream, and the store still
holds every observation exactly once."""

import os
import signal
import sqlite3
import time

from conftest import (COUNT_ERRORS, kill_hard, squall, start, stats, stored_observation_count, table_rows,
                      wait_until)

BROKER = os.environ.get("SQUALL_TEST_KAFKA", "")
# A killed member is noticed after the session timeout; keep it short so the test is quick. The
# rebalance timeout (max.poll.interval.ms) bounds how long the coordinator waits for members to
# rejoin, and so for a member killed mid-rebalance: 20 s, not librdkafka's default 300 s.
FAST_GROUP = ["--kafka-property", "session.timeout.ms=6000", "--kafka-property", "heartbeat.interval.ms=1000",
              "--kafka-property", "max.poll.interval.ms=20000"]


def test_two_processors_share_partitions_and_one_killed_mid_stream_loses_nothing(data_dir):
    assert BROKER, "SQUALL_TEST_KAFKA is not set: start a broker with scripts/services start kafka"
    log = ["--log", f"kafka://{BROKER}", "--topic", f"weather-group-{os.getpid()}-{time.monotonic_ns()}"]
    total, cities = 40_000, 400
    squall("topics", "create", log[3], "--partitions", 8, "--log", log[1], "--data-dir", data_dir)
    # Both instances share one SQLite store (its writes are idempotent upserts); the CSV backup is per
    # instance, so it is off here.
    env = {"SQUALL_CSV_ENABLED": "false"}
    process = ["process", "--data-dir", data_dir, *log, "--group", f"g-{os.getpid()}", *FAST_GROUP]

    producer = start("ingest", "--data-dir", data_dir, *log, "--cities", cities, "--rate", 2500,
                     "--max-events", total)
    first = start(*process, env=env)
    second = None
    try:
        wait_until(lambda: stored_observation_count(data_dir) >= 2_000, timeout_s=120,
                   what="the first instance to store records")
        second = start(*process, env=env)  # joins: the group rebalances mid-stream
        joined_at = stored_observation_count(data_dir)
        wait_until(lambda: stored_observation_count(data_dir) >= joined_at + 8_000, timeout_s=120,
                   what="both instances to process records")
        kill_hard(first)  # leaves without a goodbye: its partitions move after the session timeout
        killed_at = stored_observation_count(data_dir)
        assert killed_at < total, "the stream ended before the kill: the test proved nothing"
        assert producer.wait(timeout=300) == 0, producer.err_text()
        wait_until(lambda: stored_observation_count(data_dir) == total, timeout_s=180, interval_s=0.2,
                   what=f"all {total} observations in the store")
    except BaseException:
        for p in (first, second, producer):
            if p is not None and p.poll() is None:
                kill_hard(p)
        explain_shortfall(data_dir, log, total, {"producer": producer, "first": first, "second": second})
        raise
    second.send_signal(signal.SIGTERM)
    assert second.wait(timeout=60) == 0
    second_log = second.err_text()
    # It started with some partitions and took over the killed member's: two assignments at least.
    assert second_log.count("assigned") >= 2, second_log
    # The group's session settings reach the producer too; librdkafka's note that it ignores them is not news.
    assert "will be ignored by this producer" not in second_log, second_log
    counts = stats(data_dir)
    assert counts["observations"] == total
    assert counts["cities"] == cities
    assert counts["dead_letters"] == 0


def explain_shortfall(data_dir, log, total, processes):
    """Prints what tells a stall from a loss: the store's count and checkpoints
    against the log's end offsets, and what each process said."""
    stored = stored_observation_count(data_dir)
    print(f"stored {stored} of {total} {COUNT_ERRORS.get(str(data_dir), '')}")
    try:
        rows = table_rows(data_dir, "checkpoints", "partition", exclude=("group_id", "topic", "state"))
        print("store checkpoints (partition, next offset):", rows)
    except sqlite3.Error as error:
        print("store checkpoints unreadable:", error)
    described = squall("topics", "describe", log[3], "--log", log[1], "--data-dir", data_dir, check=False)
    print("the topic:", described.stdout, described.stderr)
    for name, process in processes.items():
        if process is not None:
            print(f"----- {name} (exit {process.returncode}), its stderr's last 6000 characters -----")
            print(process.err_text()[-6000:])
