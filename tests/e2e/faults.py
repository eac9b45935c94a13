"""Shared helpers of the fault suite (test_faults_*.py): a deterministic
dataset, exact snapshots of every result a run leaves (store tables, CSV
backup) to compare with a clean run, processes whose output goes to a file
(a pipe nobody reads would stall a long run), the servers' start/stop through
scripts/services with the knobs of the environment the test runs in, a Kafka
group's committed offsets and a process's resident memory."""

import signal
import socket
import sqlite3
import struct
import subprocess
import time
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

from conftest import SQUALL, clean_env, csv_rows, squall

REPO = Path(__file__).resolve().parents[2]
SERVICES = REPO / "scripts" / "services"

# Alert rules, so the alerts table has rows to compare (the same as test_distributed.py).
RULES = {"SQUALL_ALERTS_RULES": "breezy: wind_speed_ms > 3 for 2 clear wind_speed_ms < 2; cold: temp_c < 5"}

# Records the processor must dead-letter, appended after the simulated ones so
# that the dead_letters tables are compared on real rows, not two empty ones.
BAD_LINES = ['{"cod":"404","message":"city not found"}', "not json at all", '{"id":1,"dt":"yesterday"}',
             '{"coord":{},"main":{"temp":"hot"},"id":42,"dt":1700000000}', "[1,2,3]"] * 4


def ingest_dataset(target, events, cities, tmp_path):
    """Simulated events (deterministic for the seed and --cities/--max-events:
    observation k of a city has dt = start_time + k * step) followed by
    BAD_LINES, into the log `target` points at (flags)."""
    squall("ingest", *target, "--cities", cities, "--rate", 0, "--max-events", events, "--seed", 7)
    bad = Path(tmp_path) / "bad.ndjson"
    bad.write_text("\n".join(BAD_LINES) + "\n")
    squall("ingest", *target, "--source", "replay", "--replay-file", bad, "--rate", 0)


def start_logged(args, log_path, env=None):
    """Starts squall in the background with stdout and stderr appended to `log_path`."""
    out = open(log_path, "ab")
    try:
        return subprocess.Popen([SQUALL, *map(str, args)], stdout=out, stderr=subprocess.STDOUT,
                                env=clean_env(env))
    finally:
        out.close()


def kill9(process):
    if process.poll() is None:
        process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)


@contextmanager
def held_still(process):
    """The process stopped (SIGSTOP) for the block's duration: a fault set up
    meanwhile meets it mid-stream, however fast it would have run on."""
    process.send_signal(signal.SIGSTOP)
    try:
        yield
    finally:
        process.send_signal(signal.SIGCONT)


def rss_kib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmRSS for pid {pid}")


def multiset(rows):
    """Rows as a sorted list (a multiset: a duplicate shows up as a repeated row)."""
    return sorted((tuple(row) for row in rows), key=repr)


# ---------------------------------------------------------------------------
# Embedded store (SQLite) snapshot

# Columns left out of the comparison, and why:
#   observations.id / rowid: SQLite's row id counts inserts, a replayed upsert can take a new one.
#   dead_letters.received_at_ms: the wall-clock time the processor received the record.
SQLITE_TABLES = {
    "observations": ("id", "rowid"),
    "latest_by_city": (),
    "dead_letters": ("received_at_ms",),
    "window_aggregates": (),
    "late_records": (),
    "alerts": (),
}


def sqlite_snapshot(data_dir):
    """Every result table of DATA_DIR/store.db (all rows, every deterministic
    column) plus the CSV backup rows, each as a sorted multiset."""
    snapshot = {}
    with sqlite3.connect(f"file:{Path(data_dir) / 'store.db'}?mode=ro", uri=True, timeout=30) as db:
        for table, exclude in SQLITE_TABLES.items():
            columns = [row[1] for row in db.execute(f"PRAGMA table_info({table})") if row[1] not in exclude]
            assert columns, f"no table {table} in {data_dir}"
            snapshot[table] = multiset(db.execute(f"SELECT {', '.join(columns)} FROM {table}").fetchall())
    snapshot["csv"] = sorted(csv_rows(data_dir))
    return snapshot


def assert_same_results(actual, clean, what):
    """Exact equality of every table's row multiset; on a difference, says how many rows
    are missing (lost) and how many extra (duplicated or wrong) per table."""
    problems = []
    for table in clean:
        if actual.get(table) == clean[table]:
            continue
        a, c = Counter(actual.get(table, [])), Counter(clean[table])
        lost, extra = c - a, a - c
        problems.append(f"{table}: {len(actual.get(table, []))} rows vs {len(clean[table])} clean; "
                        f"{sum(lost.values())} missing (e.g. {list(lost)[:2]}), "
                        f"{sum(extra.values())} extra (e.g. {list(extra)[:2]})")
    assert not problems, f"{what} differs from the clean run:\n" + "\n".join(problems)


def csv_count(data_dir):
    try:
        return len(csv_rows(data_dir))
    except (FileNotFoundError, UnicodeDecodeError):  # a file rolled or half-written between listing and reading
        return 0


# ---------------------------------------------------------------------------
# Cassandra snapshot (the DataStax driver, Debian's python3-cassandra)

def cassandra_session(node):
    from cassandra.cluster import Cluster

    host, port = node.rsplit(":", 1)
    cluster = Cluster([host], port=int(port), protocol_version=4)
    return cluster, cluster.connect()


# Left out: checkpoints (the processor's bookkeeping, keyed by group: two runs
# use two groups), and dead_letters' received time (wall clock).
CASSANDRA_SKIP_TABLES = {"checkpoints"}


def cassandra_snapshot(session, keyspace, csv_dir_data):
    tables = [row.table_name for row in session.execute(
        "SELECT table_name FROM system_schema.tables WHERE keyspace_name = %s", (keyspace,))]
    assert "observations" in tables, f"keyspace {keyspace} has no observations table: {tables}"
    snapshot = {}
    for table in sorted(set(tables) - CASSANDRA_SKIP_TABLES):
        result = session.execute(f"SELECT * FROM {keyspace}.{table}", timeout=120)
        names = [n for n in result.column_names if not n.startswith("received")]
        snapshot[table] = multiset([tuple(getattr(row, n) for n in names) for row in result])
    if csv_dir_data is not None:
        snapshot["csv"] = sorted(csv_rows(csv_dir_data))
    return snapshot


# ---------------------------------------------------------------------------
# Servers (scripts/services) with the knobs of the environment the test runs in

def services(action, service, timeout=600):
    """scripts/services ACTION SERVICE; the environment (KAFKA_PORT, CASSANDRA_PORT,
    SQUALL_SERVICES_DIR, ...) is passed through, so the test drives the same
    servers the CTest fixture (or the developer) started."""
    t0 = time.monotonic()
    result = subprocess.run([str(SERVICES), action, service], capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, (f"scripts/services {action} {service} exited {result.returncode}\n"
                                    f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return time.monotonic() - t0


def _string(text):
    data = text.encode()
    return struct.pack(">h", len(data)) + data


def kafka_committed_offsets(broker, group, topic, partitions, timeout_s=10):
    """The group's committed offset per partition (-1: none), read with one
    OffsetFetch v1 request to the broker (the single broker is the group
    coordinator). Kafka's own CLI is not among the jars scripts/services
    assembles, and kcat cannot read a group's offsets without joining it."""
    host, port = broker.rsplit(":", 1)
    body = _string(group) + struct.pack(">i", 1) + _string(topic) + struct.pack(">i", partitions)
    body += b"".join(struct.pack(">i", p) for p in range(partitions))
    request = struct.pack(">hhi", 9, 1, 1) + _string("squall-fault-suite") + body
    with socket.create_connection((host, int(port)), timeout=timeout_s) as sock:
        sock.sendall(struct.pack(">i", len(request)) + request)

        def read(n):
            data = b""
            while len(data) < n:
                chunk = sock.recv(n - len(data))
                if not chunk:
                    raise ConnectionError("broker closed the connection")
                data += chunk
            return data

        size = struct.unpack(">i", read(4))[0]
        data = read(size)
    pos = 4  # correlation id
    offsets = {}
    (topics,) = struct.unpack_from(">i", data, pos)
    pos += 4
    for _ in range(topics):
        (n,) = struct.unpack_from(">h", data, pos)
        pos += 2 + n
        (count,) = struct.unpack_from(">i", data, pos)
        pos += 4
        for _ in range(count):
            partition, offset, meta_len = struct.unpack_from(">iqh", data, pos)
            pos += 14 + max(meta_len, 0)
            (error,) = struct.unpack_from(">h", data, pos)
            pos += 2
            assert error == 0, f"OffsetFetch error {error} for {topic}/{partition}"
            offsets[partition] = offset
    return offsets
