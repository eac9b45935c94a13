"""The dashboard's server as a user meets it: `squall run` serves the API,
/metrics and health checks beside the pipeline, `squall serve` serves a store
alone, and nothing secret ever leaves the process."""

import json
import re
import signal
import socket
import urllib.error
import urllib.request

import pytest

from conftest import squall, start, stored_observation_count, wait_until

SECRETS = {
    "OPENWEATHER_API_KEY": "owm-key-5f0c1e2d-never-shown",
    "SQUALL_STORE_PASSWORD": "store-password-never-shown",
    "SQUALL_STORE_USER": "squall-user",
}
DEAD_LETTER_KINDS = ("empty", "invalid_utf8", "invalid_json", "wrong_type", "missing_field", "duplicate_field",
                     "out_of_range", "owm_error", "bad_header", "too_large", "too_deep", "other")
URL_LINE = re.compile(r"serving dashboard and API on (http://127\.0\.0\.1:\d+/)")


def series(metrics, family):
    """{label value: value} of the single-label series of `family` in a /metrics body."""
    pattern = re.compile(rf'^{re.escape(family)}\{{\w+="([^"]*)"\}} (\S+)$', re.M)
    return {label: float(value) for label, value in pattern.findall(metrics)}


class Running:
    """A squall process in the background, stopped with Ctrl-C."""

    def __init__(self, *args, env=None):
        self.process = start(*args, env=env)

    @property
    def lines(self):
        """Its stderr lines so far."""
        return list(self.process.err_lines)

    def stop(self):
        self.process.send_signal(signal.SIGINT)
        self.process.wait(timeout=60)
        self.process.err_text()  # waits for the last lines
        return self.process.returncode


class Served(Running):
    """A squall process that serves, once it has said where."""

    def __init__(self, *args, env=None):
        super().__init__(*args, env=env)
        self.url = None
        wait_until(self._found_url, timeout_s=60, interval_s=0.05, what="the 'serving ... on URL' line")

    def _found_url(self):
        for line in list(self.lines):
            if match := URL_LINE.search(line):
                self.url = match.group(1)
                return True
        if self.process.poll() is not None:
            raise AssertionError(f"squall exited {self.process.returncode}:\n{''.join(self.lines)}")
        return False

    def get(self, path, method="GET"):
        """(status, content type, body) of one request."""
        request = urllib.request.Request(self.url + path.lstrip("/"), method=method)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.headers.get("Content-Type"), response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.headers.get("Content-Type"), error.read().decode()

    def json(self, path):
        status, content_type, body = self.get(path)
        assert status == 200, f"{path}: {status} {body}"
        assert content_type == "application/json"
        return json.loads(body)

    def metrics(self):
        status, content_type, body = self.get("/metrics")
        assert status == 200 and content_type.startswith("text/plain; version=0.0.4"), f"{status} {body}"
        return body


def test_run_serves_live_data_metrics_and_health(data_dir):
    served = Served("run", "--data-dir", data_dir, "--cities", 5, "--rate", 100, env=SECRETS)
    try:
        assert served.get("/healthz")[:1] == (200,)
        wait_until(lambda: served.get("/readyz")[0] == 200, timeout_s=30, what="readiness")
        wait_until(lambda: len(served.json("/api/latest")) == 5, timeout_s=60, what="all five cities")
        latest = served.json("/api/latest")
        assert {row["city"] for row in latest} >= {"Chicago", "Miami", "San Francisco"}

        history = served.json("/api/history?city=4887398&limit=3")
        assert 1 <= len(history) <= 3 and all(row["city_id"] == 4887398 for row in history)
        assert history == sorted(history, key=lambda row: row["observed_at"], reverse=True)
        assert isinstance(served.json("/api/windows?city=4887398&window=1h"), list)
        assert set(served.json("/api/alerts")) == {"active", "recent"}

        first = served.json("/api/pipeline")
        assert first["in_process"] is True and first["log"] == "embedded" and first["store"] == "sqlite"
        wait_until(lambda: served.json("/api/pipeline")["stored"] > first["stored"], timeout_s=30,
                   what="the stored count to grow")
        wait_until(lambda: served.json("/api/pipeline")["rates"]["stored_per_s"], timeout_s=30,
                   what="a store rate")
        wait_until(lambda: served.json("/api/pipeline")["latency_ms"] is not None, timeout_s=30,
                   what="a latency summary")

        status, content_type, metrics = served.get("/metrics")
        assert status == 200 and content_type.startswith("text/plain; version=0.0.4")
        consumed = re.search(r"^squall_processor_records_in_total (\d+(\.\d+)?(e\+\d+)?)$", metrics, re.M)
        assert consumed and float(consumed.group(1)) > 0, metrics
        for family in ("squall_ingest_records_out_total", "squall_produce_to_stored_seconds_bucket",
                       "squall_processor_batch_records_count", "squall_processor_consumer_lag_records{",
                       "squall_store_observations"):
            assert family in metrics, family
        # The labelled counters exist before their first event. The simulator
        # sends only valid reports, so no kind of dead letter has any.
        for family in ("squall_processor_dead_letters_total", "squall_processor_late_records_total",
                       "squall_processor_sink_retries_total", "squall_processor_sink_errors_total"):
            assert f"# TYPE {family} counter" in metrics, family
        assert series(metrics, "squall_processor_dead_letters_total") == dict.fromkeys(DEAD_LETTER_KINDS, 0.0)
        assert set(series(metrics, "squall_processor_late_records_total")) == {"behind_watermark"}
        for family in ("squall_processor_sink_retries_total", "squall_processor_sink_errors_total"):
            assert set(series(metrics, family)) == {"store", "topics", "csv", "offset_commit"}, family

        assert served.get("/api/latest", method="POST")[0] == 405
        assert served.get("/api/latest", method="DELETE")[0] == 405

        bodies = [served.get(path)[2] for path in ("/", "/app.js", "/api/latest", "/api/pipeline", "/metrics",
                                                   "/readyz", "/api/alerts", "/api/windows")]
    finally:
        assert served.stop() == 0, "".join(served.lines)
    for secret in SECRETS.values():
        if secret == SECRETS["SQUALL_STORE_USER"]:
            continue
        for body in bodies:
            assert secret not in body
        assert secret not in "".join(served.lines)


def test_serve_alone_reads_what_a_run_stored(data_dir):
    squall("run", "--data-dir", data_dir, "--cities", 3, "--rate", 0, "--max-events", 30, "--exit-when-drained",
           "--no-serve")
    served = Served("serve", "--data-dir", data_dir)
    try:
        assert [row["city"] for row in served.json("/api/latest")] == ["Miami", "Chicago", "San Francisco"]
        pipeline = served.json("/api/pipeline")
        assert pipeline["in_process"] is False
        assert pipeline["stored"] == 30 and pipeline["produced"] is None
        assert len(served.json("/api/history?city=5391959")) == 10
    finally:
        assert served.stop() == 0, "".join(served.lines)


def test_a_taken_port_fails_at_start_and_says_what_to_do(data_dir, tmp_path):
    first = Served("serve", "--data-dir", data_dir)
    try:
        taken = first.url.removeprefix("http://").rstrip("/")
        result = squall("run", "--data-dir", tmp_path / "other", "--listen", taken, "--max-events", 10, check=False)
        assert result.returncode == 1
        assert f"cannot listen on {taken}" in result.stderr and "--listen" in result.stderr
        bad = squall("serve", "--data-dir", data_dir, "--listen", "nowhere", check=False)
        assert bad.returncode == 2 and "serve.listen" in bad.stderr
    finally:
        assert first.stop() == 0


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_run_with_no_serve_listens_nowhere(data_dir):
    port = free_port()
    running = Running("run", "--data-dir", data_dir, "--cities", 3, "--rate", 100, "--listen", f"127.0.0.1:{port}",
                      "--no-serve")
    try:
        # A server starts before the stages do: with observations stored, it would be listening.
        wait_until(lambda: stored_observation_count(data_dir) > 0 or running.process.poll() is not None,
                   timeout_s=60, what="stored observations")
        assert running.process.poll() is None, "".join(running.lines)
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=10).close()
    finally:
        assert running.stop() == 0, "".join(running.lines)
    assert not any("serving" in line for line in running.lines), "".join(running.lines)
