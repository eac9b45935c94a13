"""Ctrl-C: the in-flight batch is finished, offsets committed, the CSV file completed."""

import signal
from pathlib import Path

from conftest import squall, start, stats, stored_observation_count, wait_until


def test_sigint_shuts_down_cleanly_and_loses_nothing(data_dir):
    run = start("run", "--data-dir", data_dir, "--cities", 50, "--rate", 2000, "--no-serve")
    try:
        wait_until(lambda: stored_observation_count(data_dir) >= 500, what="observations to be stored")
    finally:
        run.send_signal(signal.SIGINT)
        run.wait(timeout=60)
    err = run.err_text()
    assert run.returncode == 0, err
    assert "stopping" in err

    # Everything the run put in the log is either stored already or still
    # uncommitted in the log: a processor catching up must end with exactly
    # as many observations as records, no more and no fewer.
    log_records = squall("tail", "--data-dir", data_dir, "--from-beginning", "--no-follow", "--format", "json",
                         timeout=120).stdout.splitlines()
    squall("process", "--data-dir", data_dir, "--exit-when-drained")
    assert stats(data_dir)["observations"] == len(log_records)
    assert len(log_records) >= 500

    csv_dir = Path(data_dir) / "csv"
    assert list(csv_dir.glob("*.part")) == [], "a clean shutdown completes the CSV file"
    assert list(csv_dir.glob("weather-*.csv")), "the CSV backup was written"
