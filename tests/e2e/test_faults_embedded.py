"""Fault suite, embedded backends (embedded log + SQLite + CSV backup):
SIGKILL of the processor at 20 random moments, the data directory's disk
full, and the data directory read-only. Each run ends with every result
(observations, latest_by_city, windows final and open, late records, alerts,
dead letters, CSV backup rows) equal, as a row multiset, to a clean run over
the same log: 0 lost, 0 duplicated."""

import gc
import json
import random
import shutil
import subprocess
import time

import pytest

from conftest import squall, stored_observation_count, wait_until
from faults import (BAD_LINES, RULES, assert_same_results, held_still, ingest_dataset, kill9, sqlite_snapshot,
                    start_logged)

# Enough that the later kills still find work on a fast host: a processor
# there stores well over 100 000 observations a second (40 000 once left only
# 11 of 20 kills mid-stream).
EVENTS, CITIES = 120_000, 200
# Small batches and frequent checkpoints, so a kill lands between many commits.
ENV = {**RULES, "SQUALL_PROCESSOR_CHECKPOINT_INTERVAL": "50ms"}


def process_args(data_dir):
    return ["process", "--data-dir", data_dir, "--batch-max-records", 300, "--batch-max-wait", "20ms", "--no-serve"]


def clean_run(source_dir, tmp_path, events):
    """The same log processed without faults, in its own data dir."""
    clean = tmp_path / "clean"
    shutil.copytree(source_dir, clean, ignore=shutil.ignore_patterns("csv", "store.db*"))
    squall(*process_args(clean), "--exit-when-drained", env=ENV)
    snapshot = sqlite_snapshot(clean)
    assert len(snapshot["observations"]) == events and len(snapshot["csv"]) == events
    assert len(snapshot["dead_letters"]) == len(BAD_LINES)
    assert snapshot["window_aggregates"] and snapshot["alerts"]
    return snapshot


def test_processor_sigkilled_at_20_random_moments(tmp_path):
    crashed = tmp_path / "crashed"
    ingest_dataset(["--data-dir", crashed], EVENTS, CITIES, tmp_path)
    clean = clean_run(crashed, tmp_path, EVENTS)

    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    print(f"kill moments: random.Random({seed})")
    log_path = tmp_path / "processor.log"
    mid_stream, progressed = 0, 0
    for kill in range(20):
        before = stored_observation_count(crashed)
        processor = start_logged(process_args(crashed), log_path, env=ENV)
        try:
            if kill % 4 == 3:
                # During start-up and recovery: opening the store, loading checkpoints.
                time.sleep(rng.uniform(0.02, 0.2))
            else:
                # Mid-processing: once a random number of new observations is
                # stored. The steps, plus what is stored between a check and the
                # kill, must leave most of the dataset for the later kills.
                step = rng.randint(200, 1200)
                wait_until(lambda: stored_observation_count(crashed) >= min(before + step, EVENTS)
                           or processor.poll() is not None, timeout_s=120, interval_s=0.01,
                           what=f"{step} more observations")
            assert processor.poll() is None, f"the processor exited {processor.returncode}: see {log_path}"
        finally:
            kill9(processor)
        after = stored_observation_count(crashed)
        mid_stream += after < EVENTS
        progressed += after > before
        print(f"kill {kill + 1}: {after} of {EVENTS} observations stored")
    print(f"{mid_stream} of 20 kills landed mid-stream, {progressed} after new rows were stored")
    assert mid_stream >= 15, f"only {mid_stream} of 20 kills landed mid-stream (seed {seed})"
    assert progressed >= 10, f"only {progressed} of 20 runs stored anything before their kill (seed {seed})"

    squall(*process_args(crashed), "--exit-when-drained", env=ENV)
    assert_same_results(sqlite_snapshot(crashed), clean, "the killed and restarted processor's results")


# ---------------------------------------------------------------------------
# The data directory on a small tmpfs: full, then read-only.

FAULT_EVENTS = 30_000


@pytest.fixture
def tmpfs(tmp_path):
    mount_point = tmp_path / "tmpfs"
    mount_point.mkdir()
    # Room to spare for the run itself: an ASan build once filled 96 MiB
    # before the disk-full test did.
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256m", "tmpfs", str(mount_point)],
                             capture_output=True, text=True)
    assert mounted.returncode == 0, (f"cannot mount a tmpfs at {mount_point} (the disk-full and read-only tests "
                                     f"need root): {mounted.stderr.strip()}")
    try:
        yield mount_point
    finally:
        gc.collect()
        subprocess.run(["mount", "-o", "remount,rw", str(mount_point)], capture_output=True)
        unmounted = subprocess.run(["umount", str(mount_point)], capture_output=True, text=True)
        if unmounted.returncode != 0:
            subprocess.run(["umount", "-l", str(mount_point)], capture_output=True)


def fill(directory):
    """Writes a filler file until the file system is full; returns its path."""
    filler = directory / "filler"
    with open(filler, "wb") as out:
        chunk = b"\0" * (1 << 20)
        try:
            while True:
                out.write(chunk)
                out.flush()
        except OSError:
            pass
    return filler


def run_until_fault(data_dir, tmp_path, inject, log_name):
    """Starts the processor, injects the fault once a fifth of the events are
    stored, and waits (bounded) for it to stop with an error. Returns the
    log text and the number of observations stored when the fault hit."""
    log_path = tmp_path / log_name
    processor = start_logged(process_args(data_dir), log_path, env=ENV)
    try:
        wait_until(lambda: stored_observation_count(data_dir) >= FAULT_EVENTS // 5 or processor.poll() is not None,
                   timeout_s=60, what="a fifth of the observations stored")
        assert processor.poll() is None, f"the processor exited before the fault: {log_path.read_text()[-2000:]}"
        # Held still while the fault is set up, so that a processor faster
        # than the setup still meets it mid-stream.
        with held_still(processor):
            stored_at_fault = stored_observation_count(data_dir)
            inject()
        try:
            code = processor.wait(timeout=60)
        except subprocess.TimeoutExpired:
            code = None
    finally:
        kill9(processor)
    text = log_path.read_text(errors="replace")
    print(text[-3000:])
    assert code not in (None, 0), f"the processor did not stop with an error on the fault (exit {code}):\n{text[-3000:]}"
    assert stored_at_fault < FAULT_EVENTS, "the fault landed after everything was stored; it proved nothing"
    return text, stored_at_fault


def test_data_dir_disk_full_then_space_returns(tmp_path, tmpfs):
    data_dir = tmpfs / "data"
    ingest_dataset(["--data-dir", data_dir], FAULT_EVENTS, CITIES, tmp_path)
    clean = clean_run(data_dir, tmp_path, FAULT_EVENTS)

    filler = None

    def disk_full():
        nonlocal filler
        filler = fill(tmpfs)

    text, _ = run_until_fault(data_dir, tmp_path, disk_full, "full.log")
    # A clear error: the problem, and the file it hit.
    errors = [line for line in text.splitlines() if line.startswith("squall: ")]
    assert errors, f"no error line:\n{text[-2000:]}"
    assert "No space left on device" in errors[-1] or "disk is full" in errors[-1], errors
    assert str(data_dir) in errors[-1], f"the error does not name the file in {data_dir}: {errors}"

    # While the disk is still full, a restart fails the same clear way and breaks nothing.
    still_full = squall(*process_args(data_dir), "--exit-when-drained", env=ENV, check=False, timeout=120)
    print(still_full.stderr[-1000:])
    assert still_full.returncode != 0 and str(data_dir) in still_full.stderr, still_full.stderr[-2000:]

    filler.unlink()
    squall(*process_args(data_dir), "--exit-when-drained", env=ENV, timeout=300)
    squall("query", "stats", "--data-dir", data_dir)  # the store opens and answers
    assert_same_results(sqlite_snapshot(data_dir), clean, "the results after the disk filled up")


def test_data_dir_read_only_then_writable(tmp_path, tmpfs):
    """Linux refuses to remount a file system read-only while a process holds
    files on it open for writing (EBUSY), so the fault here is the one a
    running processor can meet: it dies mid-stream (SIGKILL), the file system
    comes back read-only (as after an errors=remount-ro), and squall is
    started on it. Then it becomes writable again."""
    data_dir = tmpfs / "data"
    ingest_dataset(["--data-dir", data_dir], FAULT_EVENTS, CITIES, tmp_path)
    clean = clean_run(data_dir, tmp_path, FAULT_EVENTS)

    log_path = tmp_path / "ro.log"
    processor = start_logged(process_args(data_dir), log_path, env=ENV)
    try:
        wait_until(lambda: stored_observation_count(data_dir) >= FAULT_EVENTS // 5 or processor.poll() is not None,
                   timeout_s=60, what="a fifth of the observations stored")
        assert processor.poll() is None, f"the processor exited early: {log_path.read_text()[-2000:]}"
    finally:
        kill9(processor)
    stored_before = stored_observation_count(data_dir)
    assert stored_before < FAULT_EVENTS, "the kill landed after everything was stored"

    # Python's sqlite3 connections (the progress polls) close when collected;
    # an open one maps the WAL index writable and would keep the remount busy.
    gc.collect()
    remounted = subprocess.run(["mount", "-o", "remount,ro", str(tmpfs)], capture_output=True, text=True)
    assert remounted.returncode == 0, f"cannot remount {tmpfs} read-only: {remounted.stderr}"
    before = {p.name: p.read_bytes() for p in sorted(data_dir.rglob("*")) if p.is_file()}
    refused = squall(*process_args(data_dir), "--exit-when-drained", env=ENV, check=False, timeout=120)
    print(refused.stderr[-2000:])
    assert refused.returncode != 0
    # A clear error: the problem and the file.
    assert "read-only" in refused.stderr and str(data_dir / "store.db") in refused.stderr, refused.stderr[-2000:]
    # Queries still answer from the read-only directory.
    stats = json.loads(squall("query", "stats", "--data-dir", data_dir, "--format", "json").stdout)
    assert stats["observations"] == stored_before
    assert {p.name: p.read_bytes() for p in sorted(data_dir.rglob("*")) if p.is_file()} == before

    remounted = subprocess.run(["mount", "-o", "remount,rw", str(tmpfs)], capture_output=True, text=True)
    assert remounted.returncode == 0, remounted.stderr
    squall(*process_args(data_dir), "--exit-when-drained", env=ENV, timeout=300)
    assert_same_results(sqlite_snapshot(data_dir), clean, "the results after the read-only spell")
