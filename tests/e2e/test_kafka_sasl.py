"""squall on a real Kafka broker with SASL/PLAIN authentication, configured
only through librdkafka's pass-through (`kafka.*` settings, SQUALL_KAFKA_*
variables, --kafka-property). The `kafka` CTest fixture's broker has a
SASL_PLAINTEXT listener (SQUALL_TEST_KAFKA_SASL, user and password in
SQUALL_TEST_KAFKA_SASL_AUTH) beside its PLAINTEXT one (SQUALL_TEST_KAFKA):
counts are exact, a wrong password fails fast with the credentials exit code,
and the password never appears in output, logs, /metrics, the API or the
dashboard."""

import json
import os
import subprocess
import time

from conftest import squall, stats, wait_until
from test_serve import Served

SASL_BROKER = os.environ.get("SQUALL_TEST_KAFKA_SASL", "")
PLAIN_BROKER = os.environ.get("SQUALL_TEST_KAFKA", "")
USER, PASSWORD = os.environ.get("SQUALL_TEST_KAFKA_SASL_AUTH", ":").split(":", 1)
EXIT_AUTH = 3


def sasl_url():
    assert SASL_BROKER and USER and PASSWORD, ("SQUALL_TEST_KAFKA_SASL and SQUALL_TEST_KAFKA_SASL_AUTH must be set: "
                                               "the kafka fixture (scripts/services start kafka) provides them")
    return f"kafka://{SASL_BROKER}"


def unique(name):
    return f"{name}-{os.getpid()}-{time.monotonic_ns()}"


def sasl(password):
    """What a user sets: the protocol and mechanism as flags, the user and password in the environment."""
    flags = ["--kafka-property", "security.protocol=SASL_PLAINTEXT", "--kafka-property", "sasl.mechanism=PLAIN"]
    env = {"SQUALL_KAFKA_SASL_USERNAME": USER, "SQUALL_KAFKA_SASL_PASSWORD": password}
    return flags, env


def shown(secret, *texts):
    return [text for text in texts if secret in text]


def test_run_through_the_sasl_listener_stores_every_record(data_dir):
    topic = unique("weather-sasl")
    flags, env = sasl(PASSWORD)
    run = squall("run", "--data-dir", data_dir, "--log", sasl_url(), *flags, "--topic", topic, "--group",
                 unique("g"), "--cities", 20, "--rate", 0, "--max-events", 2000, "--exit-when-drained", "--no-serve",
                 env=env)
    counts = stats(data_dir)
    assert counts["observations"] == 2000 and counts["cities"] == 20 and counts["dead_letters"] == 0
    assert not shown(PASSWORD, run.stdout, run.stderr)
    # The same records, read by an independent client through the broker's plain listener.
    out = subprocess.run(["kcat", "-b", PLAIN_BROKER, "-C", "-t", topic, "-e", "-q", "-f", "%k\n"],
                         capture_output=True, text=True, timeout=60, check=True).stdout
    assert len(out.split()) == 2000


def test_tail_and_topics_authenticate_too(data_dir):
    topic = unique("weather-sasl")
    flags, env = sasl(PASSWORD)
    squall("topics", "create", topic, "--partitions", 2, "--log", sasl_url(), *flags, env=env)
    squall("ingest", "--data-dir", data_dir, "--log", sasl_url(), *flags, "--topic", topic, "--cities", 3, "--rate",
           0, "--max-events", 12, env=env)
    described = json.loads(squall("topics", "describe", topic, "--log", sasl_url(), *flags, "--format", "json",
                                  env=env).stdout)
    assert sum(p["records"] for p in described["partitions"]) == 12
    tail = squall("tail", "--log", sasl_url(), *flags, "--topic", topic, "--from-beginning", "--max", 12, env=env)
    assert not shown(PASSWORD, tail.stdout, tail.stderr)


def test_a_wrong_password_fails_fast_with_the_credentials_exit_code(data_dir, tmp_path):
    secret = "wrong-sasl-password-31337"
    flags, env = sasl(secret)
    # A start-up check that waited its whole timeout would take 120 s: the
    # refusal must end it long before.
    config = tmp_path / "squall.toml"
    config.write_text('[log]\nkafka_timeout = "120s"\n')
    started = time.monotonic()
    result = squall("--verbose", "--config", config, "run", "--data-dir", data_dir, "--log", sasl_url(), *flags, "--topic",
                    unique("weather-sasl"), "--max-events", 10, "--exit-when-drained", "--no-serve", env=env,
                    check=False, timeout=120)
    elapsed = time.monotonic() - started
    assert result.returncode == EXIT_AUTH, result.stderr[-4000:]
    assert f"Kafka at {SASL_BROKER} refused the client's credentials" in result.stderr, result.stderr[-4000:]
    assert "Authentication failed" in result.stderr or "authentication" in result.stderr.lower()
    assert "kafka.sasl" in result.stderr  # the hint names the settings
    assert elapsed < 60, f"took {elapsed:.1f} s to give up"
    assert not shown(secret, result.stdout, result.stderr)  # not even in --verbose output


def test_no_credentials_on_the_sasl_listener_is_refused_too(data_dir):
    result = squall("topics", "list", "--log", sasl_url(), "--kafka-property", "security.protocol=SASL_PLAINTEXT",
                    "--kafka-property", "sasl.mechanism=PLAIN", check=False, timeout=120)
    # librdkafka refuses to start SASL/PLAIN without a user name: a configuration error, named.
    assert result.returncode == 2, result.stderr
    assert "sasl.username" in result.stderr, result.stderr


def test_the_password_never_reaches_logs_metrics_api_or_dashboard(data_dir):
    flags, env = sasl(PASSWORD)
    # --verbose and librdkafka's own debug contexts for security and configuration:
    # as much log output as there can be, all of which must be free of the password.
    served = Served("--verbose", "run", "--data-dir", data_dir, "--log", sasl_url(), *flags, "--kafka-property",
                    "debug=security,conf,broker", "--topic", unique("weather-sasl"), "--group", unique("g"),
                    "--cities", 3, "--rate", 50, env=env)
    try:
        wait_until(lambda: served.json("/api/pipeline")["stored"] > 0, timeout_s=90, what="stored observations")
        pipeline = served.json("/api/pipeline")
        assert pipeline["log"] == "kafka" and pipeline["consumed"] > 0
        bodies = [served.get(path)[2] for path in ("/", "/app.js", "/api/pipeline", "/metrics", "/api/latest",
                                                   "/readyz", "/healthz", "/api/alerts", "/api/windows")]
        assert "squall_processor_records_in_total" in bodies[3]
    finally:
        assert served.stop() == 0, "".join(served.lines)[-4000:]
    logs = "".join(served.lines)
    assert "librdkafka" in logs and "sasl" in logs.lower(), logs[-4000:]  # the clients' debug log is in there
    assert not shown(PASSWORD, *bodies, logs, served.process.out_text())
