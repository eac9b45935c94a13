"""A replay file with bad lines: good rows stored, every bad line dead-lettered with its reason."""

import json

from conftest import squall, stats

GOOD = {
    "coord": {"lon": -87.65, "lat": 41.85},
    "weather": [{"id": 803, "main": "Clouds", "description": "broken clouds", "icon": "04d"}],
    "base": "stations",
    "main": {"temp": 281.52, "feels_like": 278.99, "temp_min": 280.15, "temp_max": 283.71,
             "pressure": 1016, "humidity": 93, "sea_level": 1016, "grnd_level": 991},
    "visibility": 10000,
    "wind": {"speed": 4.63, "deg": 180, "gust": 7.2},
    "rain": {"1h": 0.25},
    "clouds": {"all": 75},
    "dt": 1700000000,
    "sys": {"type": 2, "id": 2075214, "country": "US", "sunrise": 1699964400, "sunset": 1700000940},
    "timezone": -21600, "id": 4887398, "name": "Chicago", "cod": 200,
}


def good(city_id, dt, name):
    record = json.loads(json.dumps(GOOD))
    record.update({"id": city_id, "dt": dt, "name": name})
    return json.dumps(record, ensure_ascii=False)


BAD_LINES = {
    '{"cod":"401","message":"Invalid API key. Please see https://openweathermap.org/faq#error401"}': "cod=401",
    '{"cod":"404","message":"city not found"}': "cod=404",
    '{"coord":{"lon":1,"lat":2},"main":{"temp":280': "JSON",
    'this is not json at all': "JSON",
    '{"id":1,"main":{"temp":280}}': "dt",
    '{"id":1,"dt":1700000000,"main":{"temp":"warm"}}': "main.temp",
    '{"id":1,"dt":1700000000,"main":{"temp":280,"humidity":140}}': "main.humidity",
}


def test_good_rows_are_stored_and_every_bad_line_is_dead_lettered_with_its_reason(tmp_path):
    data_dir = tmp_path / "data"
    replay = tmp_path / "recorded.ndjson"
    good_lines = [good(4887398, 1700000000, "Chicago"), good(4164138, 1700000000, "Miami"),
                  good(3448439, 1700000600, "São Paulo"), good(2657896, 1700001200, "Zürich")]
    # Bad lines between good ones: the good rows around them must be untouched.
    lines = []
    for i, bad in enumerate(BAD_LINES):
        if i < len(good_lines):
            lines.append(good_lines[i])
        lines.append(bad)
        lines.append("")  # blank lines are skipped, not dead-lettered
    replay.write_text("\n".join(lines) + "\n", encoding="utf-8")

    squall("run", "--data-dir", data_dir, "--source", "replay", "--replay-file", replay, "--rate", 0,
           "--exit-when-drained", "--no-serve")

    counts = stats(data_dir)
    assert counts["observations"] == len(good_lines)
    assert counts["dead_letters"] == len(BAD_LINES)

    latest = json.loads(squall("query", "latest", "--data-dir", data_dir, "--format", "json").stdout)
    assert sorted(row["city"] for row in latest) == sorted(["Chicago", "Miami", "São Paulo", "Zürich"])
    chicago = next(row for row in latest if row["city_id"] == 4887398)
    assert chicago["temp_c"] == 8.37
    assert chicago["rain_1h_mm"] == 0.25
    assert chicago["snow_1h_mm"] is None

    # The dead-letter topic holds each bad line untouched, with a reason header.
    tail = squall("tail", "--data-dir", data_dir, "--topic", "weather.dlq", "--from-beginning", "--no-follow",
                  "--format", "json", timeout=60)
    dead = [json.loads(line) for line in tail.stdout.splitlines()]
    assert sorted(record["value"] for record in dead) == sorted(BAD_LINES)
    for record in dead:
        reason = record["headers"]["dlq.reason"]
        assert BAD_LINES[record["value"]] in reason, (record["value"], reason)
        assert record["headers"]["dlq.topic"] == "weather"

    # And the store keeps them queryable with the same reasons.
    stored = json.loads(squall("query", "dead-letters", "--data-dir", data_dir, "--format", "json").stdout)
    assert sorted(row["payload"] for row in stored) == sorted(BAD_LINES)
