"""The command line: version, help, and configuration that fails fast naming the key."""

import csv
import io
import json
import re
from pathlib import Path

from conftest import squall

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_exit_codes():
    """(code, meaning) pairs of the README's "Exit codes" paragraph."""
    text = README.read_text()
    paragraph = " ".join(text[text.index("Exit codes"):].split("\n\n", 1)[0].split())
    return re.findall(r"`(\d)` (.*?)(?=, `\d`|\.$)", paragraph)

def test_version_and_help():
    assert squall("--version").stdout.startswith("squall ")
    help_text = squall("run", "--help").stdout
    assert "--exit-when-drained" in help_text and "Examples:" in help_text


def test_help_lists_every_exit_code_as_the_readme_does():
    codes = readme_exit_codes()
    assert [code for code, _ in codes] == ["0", "1", "2", "3"], codes
    help_text = " ".join(squall("--help").stdout.split())
    assert "Exit codes:" in help_text
    for code, meaning in codes:
        assert f"{code} {meaning}" in help_text, f"squall --help lacks exit code {code} ({meaning}):\n{help_text}"


def test_every_command_has_help_with_examples():
    commands = [["run"], ["ingest"], ["process"], ["serve"], ["tail"], ["query"], ["topics"], ["topics", "list"],
                ["topics", "create"], ["topics", "describe"], ["schema"], ["schema", "create"], ["schema", "check"]]
    commands += [["query", what] for what in ("latest", "history", "windows", "alerts", "stats", "dead-letters")]
    for command in commands:
        help_text = squall(*command, "--help").stdout
        assert "Examples:" in help_text, f"squall {' '.join(command)} --help has no examples:\n{help_text}"


def test_bad_flag_value_names_the_key_and_exits_with_usage_code(data_dir):
    result = squall("run", "--data-dir", data_dir, "--rate", "fast", check=False)
    assert result.returncode == 2
    assert "source.rate" in result.stderr and "fast" in result.stderr


def test_unknown_key_in_config_file_is_rejected(tmp_path):
    config = tmp_path / "squall.toml"
    config.write_text('[source]\nrat = 10\n')
    result = squall("--config", config, "run", "--data-dir", tmp_path / "d", check=False)
    assert result.returncode == 2
    assert "source.rat" in result.stderr


def test_environment_overrides_file_and_flags_override_environment(tmp_path):
    config = tmp_path / "squall.toml"
    config.write_text('[source]\ncities = 7\nrate = 0\nmax_events = 14\n')
    data_dir = tmp_path / "d"
    squall("--config", config, "run", "--data-dir", data_dir, "--exit-when-drained", "--no-serve")
    assert '"cities":7' in squall("query", "stats", "--data-dir", data_dir, "--format", "json").stdout

    data_dir = tmp_path / "e"
    squall("--config", config, "run", "--data-dir", data_dir, "--exit-when-drained", "--no-serve",
           env={"SQUALL_SOURCE_CITIES": "5", "SQUALL_SOURCE_MAX_EVENTS": "10"})
    assert '"cities":5' in squall("query", "stats", "--data-dir", data_dir, "--format", "json").stdout

    data_dir = tmp_path / "f"
    squall("--config", config, "run", "--data-dir", data_dir, "--exit-when-drained", "--no-serve", "--cities", 2,
           env={"SQUALL_SOURCE_CITIES": "5", "SQUALL_SOURCE_MAX_EVENTS": "10"})
    assert '"cities":2' in squall("query", "stats", "--data-dir", data_dir, "--format", "json").stdout


def test_unknown_environment_setting_is_rejected(data_dir):
    result = squall("run", "--data-dir", data_dir, check=False, env={"SQUALL_SOURCE_RATEE": "5"})
    assert result.returncode == 2
    assert "SQUALL_SOURCE_RATEE" in result.stderr


def test_openweather_without_key_explains_how_to_set_it(data_dir):
    result = squall("run", "--data-dir", data_dir, "--source", "openweather", check=False,
                    env={"OPENWEATHER_API_KEY": ""})
    assert result.returncode == 2
    assert "OPENWEATHER_API_KEY" in result.stderr


def test_replay_of_a_missing_file_names_the_file(tmp_path):
    missing = tmp_path / "nope.ndjson"
    result = squall("run", "--data-dir", tmp_path / "d", "--source", "replay", "--replay-file", missing,
                    check=False)
    assert result.returncode != 0
    assert "nope.ndjson" in result.stderr


def test_history_without_city_says_what_to_do(data_dir):
    result = squall("query", "history", "--data-dir", data_dir, check=False)
    assert result.returncode == 2
    assert "--city" in result.stderr


def test_topics_describe_shows_every_partition_and_its_records(data_dir):
    squall("ingest", "--data-dir", data_dir, "--cities", 10, "--rate", 0, "--max-events", 100)
    described = json.loads(squall("topics", "describe", "weather", "--data-dir", data_dir, "--format", "json").stdout)
    assert described["topic"] == "weather"
    assert len(described["partitions"]) == 4
    assert sum(p["records"] for p in described["partitions"]) == 100
    rows = list(csv.DictReader(io.StringIO(
        squall("topics", "describe", "weather", "--data-dir", data_dir, "--format", "csv").stdout)))
    assert [row["partition"] for row in rows] == ["0", "1", "2", "3"]
    assert {row["topic"] for row in rows} == {"weather"}
    assert sum(int(row["records"]) for row in rows) == 100
    missing = squall("topics", "describe", "nope", "--data-dir", data_dir, check=False)
    assert missing.returncode == 1
    assert "does not exist" in missing.stderr


def test_topics_list_in_every_format(data_dir):
    squall("ingest", "--data-dir", data_dir, "--cities", 3, "--rate", 0, "--max-events", 6)
    listed = json.loads(squall("topics", "list", "--data-dir", data_dir, "--format", "json").stdout)
    assert {"topic": "weather", "partitions": 4} in listed, listed
    table = [line.split() for line in squall("topics", "list", "--data-dir", data_dir).stdout.splitlines()]
    assert table[0] == ["topic", "partitions"] and ["weather", "4"] in table[1:], table
    rows = list(csv.reader(io.StringIO(
        squall("topics", "list", "--data-dir", data_dir, "--format", "csv").stdout)))
    assert rows[0] == ["topic", "partitions"] and ["weather", "4"] in rows[1:], rows
    wrong = squall("topics", "list", "--data-dir", data_dir, "--format", "yaml", check=False)
    assert wrong.returncode == 2
    assert "table, csv or json" in wrong.stderr
