"""Fault suite, the live source: an OpenWeatherMap endpoint that flaps.
A local HTTP server on 127.0.0.1 serves recorded OWM responses
(tests/processor/testdata), and between them requests that time out, 500s
and 429s with Retry-After. The openweather source must back off (honouring
Retry-After), keep going, and deliver every good response exactly once;
nothing from an error response reaches the log or the store (the source
retries those, it does not pass them on)."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from conftest import squall, wait_until
from faults import sqlite_snapshot
from test_serve import Served, series

TESTDATA = Path(__file__).resolve().parents[1] / "processor" / "testdata"
CHICAGO, MIAMI, SAN_FRANCISCO = 4887398, 4164138, 5391959
TEMPLATES = {
    CHICAGO: json.loads((TESTDATA / "chicago_standard.json").read_text()),
    MIAMI: {**json.loads((TESTDATA / "chicago_standard.json").read_text()), "name": "Miami"},
    SAN_FRANCISCO: json.loads((TESTDATA / "san_francisco_sparse.json").read_text()),
}
# What the n-th request (all cities together) gets; the pattern repeats.
PATTERN = ["ok", "timeout", "ok", "500", "ok", "429", "ok", "500", "timeout", "ok"]
GOOD = 18
CLIENT_TIMEOUT_S = 0.5
RETRY_AFTER_S = 1


class FlappingOwm:
    def __init__(self):
        self.lock = threading.Lock()
        self.requests = []  # (monotonic time, city id, what was served)
        self.served = []  # (city id, dt) of every good response
        self.next_dt = {city: template["dt"] for city, template in TEMPLATES.items()}
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                query = parse_qs(urlparse(self.path).query)
                city = int(query["id"][0])
                assert query["appid"] == ["fault-suite-key"] and query["units"] == ["standard"]
                with owner.lock:
                    kind = PATTERN[len(owner.requests) % len(PATTERN)]
                    owner.requests.append((time.monotonic(), city, kind))
                    if kind == "ok":
                        dt = owner.next_dt[city]
                        owner.next_dt[city] += 600
                        owner.served.append((city, dt))
                try:
                    if kind == "timeout":
                        time.sleep(CLIENT_TIMEOUT_S * 4)  # the client gave up long before
                        self.reply(200, {"cod": 200, "too": "late"})
                    elif kind == "500":
                        self.reply(500, {"cod": "500", "message": "Internal server error"})
                    elif kind == "429":
                        self.reply(429, {"cod": 429, "message": "Your account is temporary blocked"},
                                   {"Retry-After": str(RETRY_AFTER_S)})
                    else:
                        self.reply(200, {**TEMPLATES[city], "id": city, "dt": dt})
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def reply(self, status, body, headers=None):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base_url(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def source_env(owm):
    """Points the openweather source at `owm`."""
    return {"OPENWEATHER_API_KEY": "fault-suite-key",
            "SQUALL_SOURCE_OPENWEATHER_BASE_URL": owm.base_url,
            "SQUALL_SOURCE_OPENWEATHER_CITY_IDS": f"{CHICAGO},{MIAMI},{SAN_FRANCISCO}",
            "SQUALL_SOURCE_OPENWEATHER_TIMEOUT": f"{int(CLIENT_TIMEOUT_S * 1000)}ms",
            "SQUALL_SOURCE_OPENWEATHER_POLL_INTERVAL": "1s"}


def test_openweather_endpoint_flapping(data_dir):
    owm = FlappingOwm()
    try:
        env = source_env(owm)
        t0 = time.monotonic()
        ingest = squall("-v", "ingest", "--data-dir", data_dir, "--source", "openweather", "--max-events", GOOD,
                        env=env, timeout=300)
        print(f"ingest took {time.monotonic() - t0:.1f}s for {len(owm.requests)} requests")
    finally:
        owm.close()
    log = ingest.stderr + ingest.stdout
    kinds = [kind for _, _, kind in owm.requests]
    # Every kind of failure was met and retried, and the source kept going to the end.
    assert {"timeout", "500", "429"} <= set(kinds), kinds
    assert len(owm.served) == GOOD, f"{len(owm.served)} good responses served, {kinds}"
    retries = [line for line in log.splitlines() if "; retry " in line]
    for failure in ("HTTP 500", "HTTP 429", "imeout"):
        assert any(failure in line for line in retries), f"no retry after {failure}:\n{log[-3000:]}"
    assert "giving up" not in log, log[-3000:]
    # Back-off: the request after a 429 waits for its Retry-After.
    for (t, _, kind), (t_next, _, _) in zip(owm.requests, owm.requests[1:]):
        if kind == "429":
            assert t_next - t >= RETRY_AFTER_S * 0.95, f"retried {t_next - t:.3f}s after a 429 with Retry-After"
    assert "fault-suite-key" not in log

    # The log holds exactly the good responses.
    topic = json.loads(squall("topics", "describe", "weather", "--data-dir", data_dir, "--format", "json").stdout)
    assert sum(p["records"] for p in topic["partitions"]) == GOOD, topic

    squall("process", "--data-dir", data_dir, "--no-serve", "--exit-when-drained")
    results = sqlite_snapshot(data_dir)
    stored = sorted((row[0], row[2]) for row in results["observations"])  # (city_id, day, observed_at, ...)
    assert stored == sorted(owm.served), f"stored {stored}\nserved {sorted(owm.served)}"
    assert len(results["csv"]) == GOOD
    assert results["dead_letters"] == [], "an error response reached the processor"
    assert len(results["latest_by_city"]) == len(TEMPLATES)


def test_response_statuses_reach_the_metrics_of_a_running_pipeline(data_dir):
    """The source counts the endpoint's answers by status, and `squall run`
    exports them at /metrics: a timeout has no status, it counts as "error"."""
    owm = FlappingOwm()
    served = None
    try:
        served = Served("run", "--data-dir", data_dir, "--source", "openweather", env=source_env(owm))
        wait_until(lambda: set(series(served.metrics(), "squall_source_http_responses_total"))
                   >= {"200", "500", "429", "error"}, timeout_s=120, interval_s=0.2,
                   what="every kind of response in /metrics")
        statuses = series(served.metrics(), "squall_source_http_responses_total")
        with owm.lock:
            answered_ok = sum(1 for _, _, kind in owm.requests if kind == "ok")
        # Counted after the server answered: never more 200s than it sent.
        assert 1 <= statuses["200"] <= answered_ok, (statuses, answered_ok)
        assert set(statuses) == {"200", "500", "429", "error"}, statuses
    finally:
        if served:
            assert served.stop() == 0, "".join(served.lines)
        owm.close()
