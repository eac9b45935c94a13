"""The Cassandra store with PasswordAuthenticator (the `cassandra_auth` CTest
fixture: superuser cassandra/cassandra): credentials from the environment,
refused credentials a clear error with the auth exit code, the password never shown."""

import json
import os

from conftest import squall

NODE = os.environ.get("SQUALL_TEST_CASSANDRA", "")
USER, PASSWORD = os.environ.get("SQUALL_TEST_CASSANDRA_AUTH", ":").split(":", 1)
EXIT_AUTH = 3


def store_flags():
    assert NODE and USER, "SQUALL_TEST_CASSANDRA and SQUALL_TEST_CASSANDRA_AUTH must be set (the auth fixture)"
    return ["--store", f"cassandra://{NODE}", "--keyspace", f"e2e_auth_{os.getpid()}"]


def credentials(user, password):
    return {"SQUALL_STORE_USER": user, "SQUALL_STORE_PASSWORD": password}


def test_pipeline_writes_with_credentials_from_the_environment(data_dir):
    env = credentials(USER, PASSWORD)
    squall("run", "--data-dir", data_dir, *store_flags(), "--cities", 10, "--rate", 0, "--max-events", 500,
           "--exit-when-drained", "--no-serve", env=env)
    stats = json.loads(squall("query", "stats", *store_flags(), "--format", "json", env=env).stdout)
    assert stats["observations"] == 500
    assert stats["cities"] == 10
    squall("schema", "check", *store_flags(), env=env)


def test_a_wrong_password_is_refused_clearly_and_never_printed(data_dir):
    secret = "not-the-password-4711"
    result = squall("run", "--data-dir", data_dir, *store_flags(), "--max-events", 10, "--exit-when-drained",
                    "--no-serve", env=credentials(USER, secret), check=False, timeout=120)
    assert result.returncode == EXIT_AUTH
    assert "cassandra" in result.stderr.lower()
    assert secret not in result.stderr and secret not in result.stdout


def test_no_credentials_against_an_authenticating_node_says_what_is_missing():
    result = squall("query", "stats", *store_flags(), check=False, timeout=120)
    assert result.returncode == EXIT_AUTH
    assert "requires authentication" in result.stderr and "no user" in result.stderr
    assert "store.user" in result.stderr  # the hint names the setting
