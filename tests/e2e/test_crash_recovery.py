"""kill -9 the processor mid-stream, restart on the same data dir: the store
and the CSV backup equal those of a clean run (no loss, no duplicates)."""

import shutil

from conftest import csv_rows, kill_hard, squall, start, stats, stored_observation_count, table_rows, wait_until

EVENTS = 60_000


def process_args(data_dir):
    # Small batches so a kill lands between many commits.
    return ["process", "--data-dir", data_dir, "--batch-max-records", 500, "--batch-max-wait", "50ms"]


def test_processor_killed_mid_stream_ends_identical_to_a_clean_run(tmp_path):
    crashed = tmp_path / "crashed"
    clean = tmp_path / "clean"
    squall("ingest", "--data-dir", crashed, "--cities", 200, "--rate", 0, "--max-events", EVENTS)
    shutil.copytree(crashed, clean)

    squall(*process_args(clean), "--exit-when-drained")
    assert stats(clean)["observations"] == EVENTS

    mid_stream = 0  # kills that landed before everything was stored
    for threshold in (EVENTS // 5, EVENTS // 2, (EVENTS * 4) // 5):
        processor = start(*process_args(crashed))
        try:
            wait_until(lambda: stored_observation_count(crashed) >= threshold, what=f"{threshold} stored observations")
        finally:
            kill_hard(processor)
        mid_stream += stored_observation_count(crashed) < EVENTS
    assert mid_stream >= 1, "every kill landed after the last observation was stored; the test proved nothing"
    squall(*process_args(crashed), "--exit-when-drained")

    assert stats(crashed)["observations"] == EVENTS
    # Every column but the row id must match: ingest time comes from the log record, so it is equal too.
    assert table_rows(crashed, "observations", "city_id, observed_at", exclude=("rowid", "id")) == \
        table_rows(clean, "observations", "city_id, observed_at", exclude=("rowid", "id"))
    assert table_rows(crashed, "latest_by_city", "city_id") == table_rows(clean, "latest_by_city", "city_id")
    crashed_csv = csv_rows(crashed)
    assert len(crashed_csv) == EVENTS
    assert sorted(crashed_csv) == sorted(csv_rows(clean))
