"""The Cassandra store on the secured node of the `cassandra_auth` CTest fixture
(`scripts/services start cassandra --auth`): PasswordAuthenticator (superuser
cassandra/cassandra) and client-to-node TLS required, with a self-signed
certificate made when the node started (SQUALL_TEST_CASSANDRA_CA names it).
Credentials come from the environment; refused credentials and untrusted
certificates are clear errors; the password is never shown: not on stdout,
stderr, /metrics, the JSON API or the dashboard."""

import json
import os
import subprocess
from pathlib import Path

import pytest

from conftest import squall, wait_until
from test_serve import Served

NODE = os.environ.get("SQUALL_TEST_CASSANDRA", "")
USER, PASSWORD = os.environ.get("SQUALL_TEST_CASSANDRA_AUTH", ":").split(":", 1)
CA = os.environ.get("SQUALL_TEST_CASSANDRA_CA", "")
SERVICES = Path(__file__).resolve().parents[2] / "scripts" / "services"
EXIT_FAILURE = 1
EXIT_AUTH = 3

# A role of this test's own, with a password that appears nowhere else, so
# "never printed" is checked against a string that cannot occur by chance
# (the superuser's password is "cassandra", a word every message contains).
ROLE = f"squall_e2e_{os.getpid()}"
ROLE_PASSWORD = f"Pw-{os.getpid()}-never-printed-9c41"


def store_flags():
    assert NODE and USER and CA, ("SQUALL_TEST_CASSANDRA, SQUALL_TEST_CASSANDRA_AUTH and SQUALL_TEST_CASSANDRA_CA "
                                  "must be set (the cassandra_auth fixture)")
    return ["--store", f"cassandra://{NODE}", "--keyspace", f"e2e_auth_{os.getpid()}"]


def secured(user, password, ca=None, **settings):
    """Environment for squall: credentials and TLS settings, all as a user would set them."""
    env = {"SQUALL_STORE_USER": user, "SQUALL_STORE_PASSWORD": password, "SQUALL_STORE_TLS": "true",
           "SQUALL_STORE_TLS_CA_FILE": ca or CA}
    env.update(settings)
    return env


def cql(*statements):
    """As the superuser, through the harness's own client (which speaks TLS to this node)."""
    result = subprocess.run([str(SERVICES), "cql", *statements], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def role():
    cql(f"CREATE ROLE IF NOT EXISTS {ROLE} WITH PASSWORD = '{ROLE_PASSWORD}' AND LOGIN = true",
        f"GRANT ALL PERMISSIONS ON ALL KEYSPACES TO {ROLE}")
    yield ROLE
    cql(f"DROP ROLE IF EXISTS {ROLE}")


def untrusted_ca(tmp_path):
    """A self-signed certificate that did not sign the node's."""
    pem = tmp_path / "untrusted-ca.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                    "/CN=squall-untrusted", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                    "-keyout", str(tmp_path / "untrusted.key"), "-out", str(pem)],
                   check=True, capture_output=True, timeout=60)
    return pem


def assert_never_shown(secret, *results):
    for result in results:
        assert secret not in result.stdout and secret not in result.stderr


def test_the_node_requires_tls_and_the_harness_client_speaks_it():
    status = subprocess.run([str(SERVICES), "status", "cassandra"], capture_output=True, text=True, timeout=60)
    assert "TLS required" in status.stdout and CA in status.stdout, status.stdout
    assert cql("SELECT release_version FROM system.local").splitlines()[1].startswith("5.")


def test_pipeline_writes_over_tls_with_credentials_from_the_environment(data_dir):
    env = secured(USER, PASSWORD)
    squall("run", "--data-dir", data_dir, *store_flags(), "--cities", 10, "--rate", 0, "--max-events", 500,
           "--exit-when-drained", "--no-serve", env=env)
    stats = json.loads(squall("query", "stats", *store_flags(), "--format", "json", env=env).stdout)
    assert stats["observations"] == 500
    assert stats["cities"] == 10
    squall("schema", "check", *store_flags(), env=env)


def test_tls_settings_from_a_config_file_and_a_role_of_its_own(role, data_dir, tmp_path):
    config = tmp_path / "squall.toml"
    config.write_text(f'[store]\nurl = "cassandra://{NODE}"\nkeyspace = "e2e_role_{os.getpid()}"\n'
                      f'user = "{role}"\ntls = true\ntls_ca_file = "{CA}"\n')
    env = {"SQUALL_STORE_PASSWORD": ROLE_PASSWORD}
    run = squall("--config", config, "run", "--data-dir", data_dir, "--cities", 3, "--rate", 0, "--max-events", 90,
                 "--exit-when-drained", "--no-serve", env=env)
    stats = squall("--config", config, "query", "stats", "--format", "json", env=env)
    assert json.loads(stats.stdout)["observations"] == 90
    assert_never_shown(ROLE_PASSWORD, run, stats)


def test_a_wrong_password_is_refused_clearly_and_never_printed(role, data_dir):
    secret = "not-the-password-4711"
    result = squall("run", "--data-dir", data_dir, *store_flags(), "--max-events", 10, "--exit-when-drained",
                    "--no-serve", env=secured(role, secret), check=False, timeout=120)
    assert result.returncode == EXIT_AUTH, result.stderr
    assert f"authentication as '{role}'" in result.stderr and "store.user" in result.stderr
    assert_never_shown(secret, result)
    assert_never_shown(ROLE_PASSWORD, result)


def test_no_credentials_against_an_authenticating_node_says_what_is_missing():
    env = {"SQUALL_STORE_TLS": "true", "SQUALL_STORE_TLS_CA_FILE": CA}
    result = squall("query", "stats", *store_flags(), env=env, check=False, timeout=120)
    assert result.returncode == EXIT_AUTH
    assert "requires authentication" in result.stderr and "no user" in result.stderr
    assert "store.user" in result.stderr  # the hint names the setting


def test_an_untrusted_certificate_is_a_clear_tls_error(role, data_dir, tmp_path):
    result = squall("run", "--data-dir", data_dir, *store_flags(), "--max-events", 10, "--exit-when-drained",
                    "--no-serve", env=secured(role, ROLE_PASSWORD, ca=untrusted_ca(tmp_path)), check=False,
                    timeout=120)
    assert result.returncode == EXIT_FAILURE, result.stderr
    assert f"TLS handshake with {NODE} failed" in result.stderr, result.stderr
    assert "certificate was not accepted: self-signed certificate" in result.stderr, result.stderr
    assert "store.tls_ca_file" in result.stderr  # the hint says what to change
    assert_never_shown(ROLE_PASSWORD, result)


def test_without_verification_the_node_is_reached(role, tmp_path):
    env = secured(role, ROLE_PASSWORD, ca=untrusted_ca(tmp_path), SQUALL_STORE_TLS_VERIFY="false")
    result = squall("query", "stats", *store_flags(), "--format", "json", env=env, timeout=120)
    assert "observations" in json.loads(result.stdout)
    assert_never_shown(ROLE_PASSWORD, result)


def test_plain_text_against_the_tls_only_node_says_tls_is_needed(role):
    env = {"SQUALL_STORE_USER": role, "SQUALL_STORE_PASSWORD": ROLE_PASSWORD}
    result = squall("query", "stats", *store_flags(), env=env, check=False, timeout=120)
    assert result.returncode == EXIT_FAILURE, result.stderr
    assert "does the node require client-to-node TLS?" in result.stderr, result.stderr
    assert "store.tls = true" in result.stderr
    assert_never_shown(ROLE_PASSWORD, result)


def test_the_password_never_reaches_logs_metrics_api_or_dashboard(role, data_dir):
    env = secured(role, ROLE_PASSWORD)
    served = Served("run", "--data-dir", data_dir, *store_flags(), "--cities", 3, "--rate", 50, env=env)
    try:
        wait_until(lambda: served.json("/api/pipeline")["stored"] > 0, timeout_s=60, what="stored observations")
        pipeline = served.get("/api/pipeline")[2]
        assert json.loads(pipeline)["store"] == "cassandra"
        bodies = [served.get(path)[2] for path in ("/", "/app.js", "/api/latest", "/metrics", "/readyz",
                                                   "/healthz", "/api/alerts", "/api/windows")] + [pipeline]
    finally:
        assert served.stop() == 0, "".join(served.lines)
    for body in bodies:
        assert ROLE_PASSWORD not in body
    assert ROLE_PASSWORD not in "".join(served.lines)
    assert ROLE_PASSWORD not in served.process.out_text()
