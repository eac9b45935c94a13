"""Helpers for end-to-end tests: run the squall binary as a user would."""

import json
import os
import signal
import sqlite3
import subprocess
import threading
import time
from pathlib import Path

import pytest

SQUALL = os.environ.get("E2E_SQUALL_BINARY", "squall")

# The squall processes the running test started, checked when it ends.
STARTED = []


def clean_env(env):
    """This process's environment without squall settings, plus `env`. Servers
    listen on a free port, so tests running at once never collide on 8080."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("SQUALL_")}
    full_env["SQUALL_SERVE_LISTEN"] = "127.0.0.1:0"
    full_env.update(env or {})
    return full_env


def squall(*args, check=True, timeout=600, env=None, cwd=None):
    """Runs squall to completion and returns the CompletedProcess."""
    full_env = clean_env(env)
    result = subprocess.run([SQUALL, *map(str, args)], capture_output=True, text=True,
                            timeout=timeout, env=full_env, cwd=cwd)
    STARTED.append(result)
    if check and result.returncode != 0:
        raise AssertionError(f"squall {' '.join(map(str, args))} exited {result.returncode}\n"
                             f"stdout:\n{result.stdout[-4000:]}\nstderr:\n{result.stderr[-4000:]}")
    return result


class Started(subprocess.Popen):
    """A squall process in the background. Its stdout and stderr are collected
    as they arrive: a pipe nobody reads fills at 64 KiB and then blocks the
    process mid-write, which looks exactly like a stalled pipeline."""

    def __init__(self, args, env):
        super().__init__(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        self.out_lines, self.err_lines = [], []
        self._readers = [threading.Thread(target=self._collect, args=(pipe, lines), daemon=True)
                         for pipe, lines in ((self.stdout, self.out_lines), (self.stderr, self.err_lines))]
        for reader in self._readers:
            reader.start()

    @staticmethod
    def _collect(pipe, lines):
        for line in pipe:
            lines.append(line)

    def _settled(self):
        """Once the process has ended, waits for the readers to reach the end of its output."""
        if self.poll() is not None:
            for reader in self._readers:
                reader.join(timeout=10)

    def out_text(self):
        """What the process has written to stdout so far (all of it once it has ended)."""
        self._settled()
        return "".join(self.out_lines)

    def err_text(self):
        """What the process has written to stderr so far (all of it once it has ended)."""
        self._settled()
        return "".join(self.err_lines)


def start(*args, env=None):
    """Starts squall in the background; the caller stops it."""
    process = Started([SQUALL, *map(str, args)], clean_env(env))
    STARTED.append(process)
    return process


def stats(data_dir):
    return json.loads(squall("query", "stats", "--data-dir", data_dir, "--format", "json").stdout)


def wait_until(predicate, timeout_s=120, interval_s=0.05, what="condition"):
    """Polls `predicate` until true; a bounded loop, never a timing assertion."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval_s)
    raise AssertionError(f"timed out after {timeout_s}s waiting for {what}")


# Why the last stored_observation_count() read 0 without counting, for a failing test to show.
COUNT_ERRORS = {}


def stored_observation_count(data_dir):
    """Reads the store directly (read-only) so polling does not need a process
    per check. A store not created yet, or busy, reads as 0 for now."""
    path = Path(data_dir) / "store.db"
    if not path.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5) as db:
            count = db.execute("SELECT count(*) FROM observations").fetchone()[0]
    except sqlite3.OperationalError as error:
        COUNT_ERRORS[str(data_dir)] = str(error)
        return 0
    COUNT_ERRORS.pop(str(data_dir), None)
    return count


def table_rows(data_dir, table, order_by, exclude=()):
    with sqlite3.connect(f"file:{Path(data_dir) / 'store.db'}?mode=ro", uri=True) as db:
        columns = [row[1] for row in db.execute(f"PRAGMA table_info({table})") if row[1] not in exclude]
        return db.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY {order_by}").fetchall()


def csv_rows(data_dir):
    """Every data row of every CSV backup file (completed or in progress), header rows excluded."""
    rows = []
    for path in sorted((Path(data_dir) / "csv").glob("weather-*.csv*")):
        if path.name.endswith(".tmp"):
            continue
        lines = path.read_text(encoding="utf-8").splitlines()
        rows.extend(lines[1:])
    return rows


def kill_hard(process):
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)


@pytest.fixture
def data_dir(tmp_path):
    return tmp_path / "data"


# Set by the asan and tsan test presets; UBSan shares ASan's process and
# ignores log_path there, so its reports stay on stderr.
SANITIZER_OPTIONS = ("ASAN_OPTIONS", "TSAN_OPTIONS")


def aborted(process):
    code = process.returncode if isinstance(process, subprocess.CompletedProcess) else process.poll()
    return code == -signal.SIGABRT


@pytest.fixture(autouse=True)
def fail_on_sanitizer_reports(tmp_path_factory, monkeypatch):
    """Fails the test when a squall process it ran aborted or, in a sanitizer
    build, wrote a report, even one the test expected to fail, killed, or whose
    exit code it does not check. The presets make every sanitizer abort on its
    first report; ASan's and TSan's reports go to files read here."""
    STARTED.clear()
    reports = tmp_path_factory.mktemp("sanitizer-reports")
    for name in SANITIZER_OPTIONS:
        if name in os.environ:
            monkeypatch.setenv(name, f"{os.environ[name]}:log_path={reports / 'squall'}")
    yield
    problems = [abort_report(process) for process in STARTED if aborted(process)]
    problems += [path.read_text() for path in sorted(reports.iterdir())]
    if problems:
        pytest.fail("squall aborted or a sanitizer reported:\n" + "\n".join(problems), pytrace=False)


def abort_report(process):
    report = f"aborted: {' '.join(map(str, process.args))}"
    stderr = process.stderr if isinstance(process, subprocess.CompletedProcess) else process.err_text()
    report += f"\nstderr:\n{stderr[-4000:]}"
    return report
