"""Fault suite on the real servers (the `kafka` and `cassandra` CTest
fixtures; RESOURCE_LOCK gives this file the servers for its duration, and it
stops and starts them with scripts/services, leaving them running):

- the processor SIGKILLed at 20 random moments;
- the Kafka broker stopped and restarted mid-stream;
- Cassandra stopped for 30 s mid-stream.

One deterministic dataset (simulated events plus records to dead-letter) is
ingested into one topic; a clean run processes it into its own keyspace and
group, and each fault run into another. Each must end with every Cassandra
table (observations, latest_by_city, observation_days, windows final and
open, alerts, late records, dead letters) and the CSV backup equal, as row
multisets, to the clean run's: 0 lost, 0 duplicated."""

import os
import random
import time

import pytest

from conftest import squall, wait_until
from faults import (BAD_LINES, RULES, assert_same_results, cassandra_session, cassandra_snapshot, csv_count,
                    held_still, ingest_dataset, kafka_committed_offsets, kill9, rss_kib, services, start_logged)

BROKER = os.environ.get("SQUALL_TEST_KAFKA", "")
NODE = os.environ.get("SQUALL_TEST_CASSANDRA", "")
TOTAL, CITIES, PARTITIONS = 20_000, 200, 4
ENV = {**RULES, "SQUALL_PROCESSOR_CHECKPOINT_INTERVAL": "50ms", "SQUALL_LOG_PARTITIONS": str(PARTITIONS)}


def check_servers():
    """The servers this file stops and starts must be the ones the tests talk to:
    scripts/services reads KAFKA_PORT / CASSANDRA_PORT (default 9092 / 9042)."""
    assert BROKER and NODE, "SQUALL_TEST_KAFKA and SQUALL_TEST_CASSANDRA must be set (kafka and cassandra fixtures)"
    assert BROKER.rsplit(":", 1)[1] == os.environ.get("KAFKA_PORT", "9092"), \
        f"SQUALL_TEST_KAFKA={BROKER} is not the broker scripts/services manages (KAFKA_PORT)"
    assert NODE.rsplit(":", 1)[1] == os.environ.get("CASSANDRA_PORT", "9042"), \
        f"SQUALL_TEST_CASSANDRA={NODE} is not the node scripts/services manages (CASSANDRA_PORT)"


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    check_servers()
    # Whatever a test did, the servers run again afterwards (the fixtures stop them at the end of the run).
    services("start", "kafka")
    services("start", "cassandra")
    tmp = tmp_path_factory.mktemp("faults-dist")
    suffix = f"{os.getpid()}_{time.monotonic_ns() % 10**9}"
    topic = f"weather-faults-{suffix}"
    log = ["--log", f"kafka://{BROKER}", "--topic", topic]
    ingest_dataset(["--data-dir", tmp / "ingest", *log], TOTAL, CITIES, tmp)
    keyspaces = []

    def run(name):
        keyspace = f"e2e_faults_{name}_{suffix}"
        keyspaces.append(keyspace)
        data_dir = tmp / name
        args = ["process", "--data-dir", data_dir, *log, "--store", f"cassandra://{NODE}", "--keyspace", keyspace,
                "--group", f"faults-{name}-{suffix}", "--batch-max-records", 300, "--batch-max-wait", "20ms",
                "--no-serve",
                # A restarted processor gets the partitions once the broker has given up on
                # the killed member: the shortest session the broker allows keeps that short.
                "--kafka-property", "session.timeout.ms=6000", "--kafka-property", "heartbeat.interval.ms=1000"]
        return args, data_dir, keyspace, f"faults-{name}-{suffix}"

    def snapshot(keyspace, data_dir):
        cluster, session = cassandra_session(NODE)
        try:
            return cassandra_snapshot(session, keyspace, data_dir)
        finally:
            cluster.shutdown()

    args, clean_dir, clean_keyspace, _ = run("clean")
    squall(*args, "--exit-when-drained", env=ENV, timeout=600)
    clean = snapshot(clean_keyspace, clean_dir)
    assert len(clean["observations"]) == TOTAL and len(clean["csv"]) == TOTAL
    assert len(clean["dead_letters"]) == len(BAD_LINES)
    assert clean["window_aggregates"] and clean["alerts"]

    yield {"run": run, "snapshot": snapshot, "clean": clean, "topic": topic, "tmp": tmp}

    services("start", "kafka")
    services("start", "cassandra")
    cluster, session = cassandra_session(NODE)
    try:
        for keyspace in keyspaces:
            session.execute(f"DROP KEYSPACE IF EXISTS {keyspace}", timeout=120)
    finally:
        cluster.shutdown()


def finish(processor, log_path, timeout_s):
    """Waits (bounded) for a processor started with --exit-when-drained to exit 0."""
    try:
        code = processor.wait(timeout=timeout_s)
    except Exception:
        kill9(processor)
        raise AssertionError(f"the processor did not finish within {timeout_s}s:\n"
                             f"{log_path.read_text(errors='replace')[-3000:]}")
    assert code == 0, f"the processor exited {code}:\n{log_path.read_text(errors='replace')[-3000:]}"


def test_processor_sigkilled_at_20_random_moments(dataset):
    args, data_dir, keyspace, _ = dataset["run"]("killed")
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    print(f"kill moments: random.Random({seed})")
    log_path = dataset["tmp"] / "killed.log"
    mid_stream, progressed = 0, 0
    for kill in range(20):
        before = csv_count(data_dir)
        processor = start_logged(args, log_path, env=ENV)
        try:
            if kill % 4 == 3:
                # During start-up: connecting, joining the group, loading checkpoints.
                time.sleep(rng.uniform(0.2, 2.0))
            else:
                # Mid-processing: once a random number of new rows reached the CSV
                # backup (written beside each Cassandra batch, exactly-once per data dir).
                step = rng.randint(150, 1200)
                wait_until(lambda: csv_count(data_dir) >= min(before + step, TOTAL) or processor.poll() is not None,
                           timeout_s=120, interval_s=0.02, what=f"{step} more rows")
            assert processor.poll() is None, f"the processor exited {processor.returncode}: see {log_path}"
        finally:
            kill9(processor)
        after = csv_count(data_dir)
        mid_stream += after < TOTAL
        progressed += after > before
        print(f"kill {kill + 1}: {after} of {TOTAL} rows in the CSV backup")
    print(f"{mid_stream} of 20 kills landed mid-stream, {progressed} after new rows were stored")
    assert mid_stream >= 15, f"only {mid_stream} of 20 kills landed mid-stream (seed {seed})"

    processor = start_logged([*args, "--exit-when-drained"], log_path, env=ENV)
    finish(processor, log_path, 300)
    assert_same_results(dataset["snapshot"](keyspace, data_dir), dataset["clean"],
                        "the killed and restarted processor's results")


def test_kafka_broker_stopped_and_restarted_mid_stream(dataset):
    args, data_dir, keyspace, _ = dataset["run"]("kafka_restart")
    log_path = dataset["tmp"] / "kafka_restart.log"
    processor = start_logged([*args, "--exit-when-drained"], log_path, env=ENV)
    try:
        wait_until(lambda: csv_count(data_dir) >= TOTAL // 4 or processor.poll() is not None, timeout_s=120,
                   what="a quarter of the rows stored")
        assert processor.poll() is None, f"the processor exited early:\n{log_path.read_text()[-3000:]}"
        # A fast processor stores the rest of the data set in the seconds the
        # broker takes to stop (20 000 rows in 2 s in one CI run): hold it
        # still until the broker is down, so the outage meets it mid-stream.
        with held_still(processor):
            at_stop = csv_count(data_dir)
            stop_s = services("stop", "kafka")
        time.sleep(5)
        assert processor.poll() is None, f"the processor died with the broker:\n{log_path.read_text()[-3000:]}"
        start_s = services("start", "kafka")
        t_back = time.monotonic()
        print(f"broker stopped at {at_stop} of {TOTAL} rows; stop took {stop_s:.1f}s, down 5s, start {start_s:.1f}s")
        assert at_stop < TOTAL
        finish(processor, log_path, 300)
        print(f"the processor finished {time.monotonic() - t_back:.1f}s after the broker was back")
    finally:
        kill9(processor)
        services("start", "kafka")
    assert_same_results(dataset["snapshot"](keyspace, data_dir), dataset["clean"],
                        "the results across a broker restart")


OUTAGE_S = 30


def test_cassandra_stopped_for_30s_mid_stream(dataset):
    args, data_dir, keyspace, group = dataset["run"]("cassandra_outage")
    log_path = dataset["tmp"] / "cassandra_outage.log"
    processor = start_logged([*args, "--exit-when-drained"], log_path, env=ENV)
    try:
        wait_until(lambda: csv_count(data_dir) >= TOTAL // 4 or processor.poll() is not None, timeout_s=120,
                   what="a quarter of the rows stored")
        assert processor.poll() is None, f"the processor exited early:\n{log_path.read_text()[-3000:]}"
        # Cassandra takes seconds to stop, in which a fast processor could store
        # the rest of the data set: hold it still until the node is down, so
        # the outage always meets it mid-stream. Its memory, held still, is
        # what it was running.
        with held_still(processor):
            baseline_kib = rss_kib(processor.pid)
            stop_s = services("stop", "cassandra")
        t_down = time.monotonic()
        # A commit can still be in flight for a batch Cassandra acknowledged before it stopped.
        time.sleep(1)
        at_stop = csv_count(data_dir)
        assert at_stop < TOTAL, "Cassandra stopped after everything was stored; the test proved nothing"
        offsets_at_stop = kafka_committed_offsets(BROKER, group, dataset["topic"], PARTITIONS)
        rss_samples, offset_samples = [], []
        while time.monotonic() - t_down < OUTAGE_S:
            assert processor.poll() is None, f"the processor gave up:\n{log_path.read_text()[-3000:]}"
            rss_samples.append(rss_kib(processor.pid))
            if len(rss_samples) % 10 == 0:
                offset_samples.append(kafka_committed_offsets(BROKER, group, dataset["topic"], PARTITIONS))
            time.sleep(0.5)
        offset_samples.append(kafka_committed_offsets(BROKER, group, dataset["topic"], PARTITIONS))
        rows_during = csv_count(data_dir)
        start_s = services("start", "cassandra")
        t_back = time.monotonic()
        finish(processor, log_path, 300)
        recovered_s = time.monotonic() - t_back
    finally:
        kill9(processor)
        services("start", "cassandra")

    peak_kib = max(rss_samples)
    print(f"Cassandra took {stop_s:.1f}s to stop, then down {OUTAGE_S}s (+{start_s:.1f}s to start) at {at_stop} "
          f"of {TOTAL} rows; RSS before "
          f"{baseline_kib / 1024:.1f} MiB, peak during the outage {peak_kib / 1024:.1f} MiB over "
          f"{len(rss_samples)} samples; finished {recovered_s:.1f}s after Cassandra was back")
    text = log_path.read_text(errors="replace")
    # The store's back-off, whatever the outage met: a batch's write or the
    # checkpoint read of a partition the processor was (re)assigned. Held
    # still through a stop longer than the group's 6 s session (7 s in one CI
    # run), the processor is dropped from the group and, resumed, rejoins and
    # reads its partitions' checkpoints first.
    retries = [line for line in text.splitlines()
               if "store write failed, retrying in" in line or "checkpoint read failed, retrying in" in line]
    assert len(retries) >= 3, f"no back-off in the log:\n{text[-3000:]}"
    delays = [int(line.split("retrying in ")[1].split(" ms")[0]) for line in retries]
    assert max(delays) > min(delays), f"the retry delay does not grow: {delays}"
    # Memory: the processor holds one batch while it retries and reads no more
    # (it does not poll), so RSS stays flat; 2x + 50 MiB leaves room for
    # allocator noise and the CQL client's reconnect buffers, yet catches any
    # buffering that grows with the outage (20 000 records are ~11 MB raw).
    assert peak_kib < 2 * baseline_kib + 50 * 1024, f"RSS grew from {baseline_kib} KiB to {peak_kib} KiB"
    # No offset committed past unwritten data: nothing moves while Cassandra is down.
    for sample in offset_samples:
        assert sample == offsets_at_stop, f"committed offsets moved during the outage: {offsets_at_stop} -> {sample}"
    # ... and the CSV backup, which goes on beside the store, is at most the one held batch ahead.
    assert rows_during - at_stop <= 300, f"{rows_during - at_stop} rows written to the CSV while the store was down"
    assert_same_results(dataset["snapshot"](keyspace, data_dir), dataset["clean"],
                        "the results across a Cassandra outage")
