"""The embedded pipeline end to end: exact counts, every field, CSV backup."""

import json

from conftest import csv_rows, squall, stats

REFERENCE_CITIES = {4887398: "Chicago", 4164138: "Miami", 5391959: "San Francisco"}

EXPECTED_FIELDS = [
    "city_id", "city", "country", "observed_at", "lat", "lon", "temp_c", "feels_like_c", "temp_min_c",
    "temp_max_c", "pressure_hpa", "humidity_pct", "wind_speed_ms", "wind_deg", "wind_gust_ms", "clouds_pct",
    "visibility_m", "rain_1h_mm", "snow_1h_mm", "condition", "description",
]


def test_hundred_thousand_events_for_a_thousand_cities_are_stored_exactly(data_dir):
    squall("run", "--data-dir", data_dir, "--cities", 1000, "--rate", 0, "--max-events", 100_000,
           "--exit-when-drained", "--no-serve")

    counts = stats(data_dir)
    assert counts["observations"] == 100_000
    assert counts["cities"] == 1000
    assert counts["dead_letters"] == 0

    latest = json.loads(squall("query", "latest", "--data-dir", data_dir, "--format", "json").stdout)
    assert len(latest) == 1000
    assert len({row["city_id"] for row in latest}) == 1000
    by_id = {row["city_id"]: row for row in latest}
    for city_id, name in REFERENCE_CITIES.items():
        assert by_id[city_id]["city"] == name
        assert by_id[city_id]["country"] == "US"
    for row in latest:
        for field in EXPECTED_FIELDS:
            assert field in row, f"latest row lacks {field}"
        assert row["observed_at"].endswith("Z")
        assert -100 <= row["temp_c"] <= 70
        assert 0 <= row["humidity_pct"] <= 100

    # Every observation is in the CSV backup exactly once.
    rows = csv_rows(data_dir)
    assert len(rows) == 100_000
    assert len(set(rows)) == 100_000


def test_each_city_keeps_its_newest_observation_as_latest(data_dir):
    squall("run", "--data-dir", data_dir, "--cities", 3, "--rate", 0, "--max-events", 30,
           "--exit-when-drained", "--no-serve")
    latest = json.loads(squall("query", "latest", "--data-dir", data_dir, "--format", "json").stdout)
    assert sorted(row["city_id"] for row in latest) == sorted(REFERENCE_CITIES)
    for row in latest:
        history = json.loads(squall("query", "history", "--data-dir", data_dir, "--city", row["city_id"],
                                    "--format", "json").stdout)
        assert len(history) == 10
        assert history[0]["observed_at"] == row["observed_at"]
        assert [h["observed_at"] for h in history] == sorted((h["observed_at"] for h in history), reverse=True)


def test_query_formats_render_the_same_rows(data_dir):
    squall("run", "--data-dir", data_dir, "--cities", 3, "--rate", 0, "--max-events", 9,
           "--exit-when-drained", "--no-serve")
    table = squall("query", "latest", "--data-dir", data_dir).stdout.splitlines()
    assert table[0].split()[:3] == ["city_id", "city", "country"]
    assert len(table) == 4
    assert any("San Francisco" in line for line in table)
    csv_lines = squall("query", "latest", "--data-dir", data_dir, "--format", "csv").stdout.splitlines()
    assert len(csv_lines) == 4
    assert "city_id" in csv_lines[0]


def test_a_second_run_on_the_same_data_dir_adds_nothing_twice(data_dir):
    args = ["--data-dir", data_dir, "--cities", 10, "--rate", 0, "--max-events", 500, "--exit-when-drained",
            "--no-serve"]
    squall("run", *args)
    assert stats(data_dir)["observations"] == 500
    # The deterministic simulator emits the same 500 observations again: the
    # log grows, the store does not.
    squall("run", *args)
    assert stats(data_dir)["observations"] == 500
