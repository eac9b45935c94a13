"""Event-time windows, late data and alerts through the real binary: a hand-made
out-of-order stream with known answers, and a disordered stream whose
windows and late records come out identical after the processor is killed
at several points."""

import json
import random
import shutil

from conftest import kill_hard, squall, start, stats, stored_observation_count, table_rows, wait_until

HOUR = 3600
T0 = 1700002800  # 2023-11-14T23:00:00Z, an hour boundary


def owm(city_id, dt, temp_c, wind=None, rain_1h=None):
    record = {"coord": {"lon": -87.65, "lat": 41.85},
              "weather": [{"id": 803, "main": "Clouds", "description": "broken clouds", "icon": "04d"}],
              "main": {"temp": round(temp_c + 273.15, 2), "pressure": 1016, "humidity": 80},
              "dt": dt, "sys": {"country": "US"}, "id": city_id, "name": f"City {city_id}", "cod": 200}
    if wind is not None:
        record["wind"] = {"speed": wind, "deg": 180}
    if rain_1h is not None:
        record["rain"] = {"1h": rain_1h}
    return json.dumps(record)


def windows(data_dir, *flags):
    return json.loads(squall("query", "windows", "--data-dir", data_dir, *flags, "--format", "json",
                             "--limit", 100000).stdout)


def test_a_hand_made_out_of_order_stream_gives_the_known_windows(tmp_path):
    lines = [
        owm(1, T0 + 600, 10.0, wind=2.0, rain_1h=0.5),
        owm(1, T0 + 1800, 14.0, wind=6.0, rain_1h=1.0),
        owm(1, T0 + 1200, 12.0),                   # out of order, within lateness: counts
        owm(1, T0 + 1800, 14.0, wind=6.0, rain_1h=1.0),  # a repeat: counts once
        owm(1, T0 + 2 * HOUR + 900, 20.0),         # moves the watermark to T0 + 2h + 5m
        owm(1, T0 + 3000, 25.0),                   # 1h 5m behind with 10m lateness: late
    ]
    replay = tmp_path / "stream.ndjson"
    replay.write_text("\n".join(lines) + "\n")
    data_dir = tmp_path / "data"
    squall("run", "--data-dir", data_dir, "--source", "replay", "--replay-file", replay, "--rate", 0,
           "--exit-when-drained", "--no-serve", env={"SQUALL_WINDOWS_SIZES": "1h", "SQUALL_LOG_PARTITIONS": "1"})

    rows = {row["window_start"]: row for row in windows(data_dir, "--city", 1)}
    assert set(rows) == {"2023-11-14T23:00:00Z", "2023-11-15T01:00:00Z"}
    first = rows["2023-11-14T23:00:00Z"]
    assert first["count"] == 3
    assert (first["temp_min_c"], first["temp_max_c"]) == (10.0, 14.0)
    assert abs(first["temp_avg_c"] - 12.0) < 1e-9
    assert first["wind_max_ms"] == 6.0 and abs(first["wind_avg_ms"] - 4.0) < 1e-9
    assert first["rain_mm"] == 1.0, "the hour's newest rain_1h, not the sum of every report"
    assert first["final"] is True, "the watermark (T0 + 2h 5m) passed its end"
    assert rows["2023-11-15T01:00:00Z"]["final"] is False

    counts = stats(data_dir)
    assert counts["late_records"] == 1
    assert counts["observations"] == 5, "the late observation is stored; the repeat is not a second row"
    late = squall("tail", "--data-dir", data_dir, "--topic", "weather.late", "--from-beginning", "--no-follow",
                  "--format", "json").stdout.splitlines()
    assert len(late) == 1
    record = json.loads(late[0])
    assert json.loads(record["value"])["main"]["temp"] == round(25.0 + 273.15, 2)
    assert "late" in record["headers"]["dlq.reason"]


def test_alert_rules_from_the_config_file_raise_and_clear(tmp_path):
    winds = [10, 18, 19, 20, 16, 15, 13, 18, 18, 18]  # raised at the 3rd strong one, cleared below 14
    lines = [owm(7, T0 + 600 * i, 5.0, wind=w) for i, w in enumerate(winds)] + [owm(8, T0 + 5400, -25.0, wind=1)]
    replay = tmp_path / "stream.ndjson"
    replay.write_text("\n".join(lines) + "\n")
    config = tmp_path / "squall.toml"
    config.write_text('[alerts]\nrules = ["gale: wind_speed_ms > 17.2 for 3 clear wind_speed_ms < 14", '
                      '"frost: temp_c < -20"]\n')
    data_dir = tmp_path / "data"
    squall("--config", config, "run", "--data-dir", data_dir, "--source", "replay", "--replay-file", replay,
           "--rate", 0, "--exit-when-drained", "--no-serve")

    alerts = json.loads(squall("query", "alerts", "--data-dir", data_dir, "--format", "json").stdout)
    events = sorted((a["city_id"], a["observed_at"], a["rule"], a["state"]) for a in alerts)
    assert events == [
        (7, "2023-11-14T23:30:00Z", "gale", "raised"),
        (7, "2023-11-15T00:00:00Z", "gale", "cleared"),
        (7, "2023-11-15T00:30:00Z", "gale", "raised"),
        (8, "2023-11-15T00:30:00Z", "frost", "raised"),
    ]
    assert stats(data_dir)["alerts"] == 4
    published = squall("tail", "--data-dir", data_dir, "--topic", "weather.alerts", "--from-beginning",
                       "--no-follow", "--format", "json").stdout.splitlines()
    assert len(published) == 4
    first = json.loads(json.loads(published[0])["value"])
    assert {"city_id", "rule", "state", "observed_at", "value", "condition"} <= set(first)


def test_a_bad_alert_rule_stops_squall_at_start_up_naming_it(tmp_path):
    result = squall("run", "--data-dir", tmp_path / "d", "--no-serve", check=False,
                    env={"SQUALL_ALERTS_RULES": "gale: wind >> 17"})
    assert result.returncode == 2
    assert "alerts.rules" in result.stderr and "unknown field 'wind'" in result.stderr


def disordered_stream(seed, cities=80, steps=120):
    """Per city a 10-minute cadence with jitter; every 50th record is far behind (late)."""
    rng = random.Random(seed)
    lines = []
    for step in range(steps):
        for city in range(1, cities + 1):
            dt = T0 + step * 600 + rng.randint(-900, 120)
            if rng.random() < 0.02:
                dt -= 4 * HOUR
            lines.append(owm(1000 + city, dt, rng.uniform(-10, 30), wind=round(rng.uniform(0, 15), 2),
                             rain_1h=round(rng.uniform(0, 3), 2) if rng.random() < 0.2 else None))
            if rng.random() < 0.05:
                lines.append(lines[-1])  # a repeated report
    return lines


def process_args(data_dir):
    return ["process", "--data-dir", data_dir, "--batch-max-records", 300, "--batch-max-wait", "20ms"]


WINDOW_ENV = {"SQUALL_WINDOWS_SIZES": "10m,1h,1d", "SQUALL_PROCESSOR_CHECKPOINT_INTERVAL": "100ms",
              "SQUALL_ALERTS_RULES": "gale: wind_speed_ms > 10 for 2 clear wind_speed_ms < 6; frost: temp_c < -5"}


def test_windows_alerts_and_late_records_survive_kill_9_at_several_points(tmp_path):
    replay = tmp_path / "stream.ndjson"
    lines = disordered_stream(seed=7)
    replay.write_text("\n".join(lines) + "\n")
    crashed, clean = tmp_path / "crashed", tmp_path / "clean"
    squall("ingest", "--data-dir", crashed, "--source", "replay", "--replay-file", replay, "--rate", 0)
    shutil.copytree(crashed, clean)

    squall(*process_args(clean), "--exit-when-drained", env=WINDOW_ENV)
    expected = stats(clean)
    assert expected["late_records"] > 0 and expected["windows"] > 0 and expected["alerts"] > 0

    total = expected["observations"]
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    fractions = sorted(rng.uniform(0.05, 0.8) for _ in range(4))
    mid_stream = 0  # kills that landed before everything was stored
    for fraction in fractions:
        processor = start(*process_args(crashed), env=WINDOW_ENV)
        try:
            wait_until(lambda: stored_observation_count(crashed) >= total * fraction,
                       what=f"{fraction:.0%} of the observations stored")
        finally:
            kill_hard(processor)
        mid_stream += stored_observation_count(crashed) < total
    assert mid_stream >= 2, f"only {mid_stream} kill(s) landed mid-stream (kill points {fractions}, seed {seed})"
    squall(*process_args(crashed), "--exit-when-drained", env=WINDOW_ENV)

    assert table_rows(crashed, "window_aggregates", "city_id, window_size, window_start") == \
        table_rows(clean, "window_aggregates", "city_id, window_size, window_start"), f"kill points seed {seed}"
    assert table_rows(crashed, "alerts", "city_id, observed_at, rule") == \
        table_rows(clean, "alerts", "city_id, observed_at, rule")
    assert table_rows(crashed, "late_records", "topic, partition, offset") == \
        table_rows(clean, "late_records", "topic, partition, offset")
    assert table_rows(crashed, "observations", "city_id, observed_at", exclude=("rowid",)) == \
        table_rows(clean, "observations", "city_id, observed_at", exclude=("rowid",))
