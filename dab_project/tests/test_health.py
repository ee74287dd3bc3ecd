"""Health endpoints, in-process and against a real gunicorn whose database is down."""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

REPO_DIR = Path(__file__).resolve().parents[2]
API_KEY = secrets.token_urlsafe(32)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "status"),
    [("/api/v1/health", "healthy"), ("/api/v1/health/live", "alive"), ("/api/v1/health/ready", "ready")],
)
def test_health_endpoints_answer_without_api_key(anon_api_client, url, status):
    response = anon_api_client.get(url)
    assert response.status_code == 200
    assert response.json()["status"] == status
    assert "timestamp" in response.json()


@pytest.mark.django_db
def test_ready_reports_the_database_check(anon_api_client):
    assert anon_api_client.get("/api/v1/health/ready").json()["checks"] == {"database": "ok"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str) -> tuple[int, dict, dict]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, json.loads(response.read()), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read()), dict(error.headers)


@pytest.fixture(scope="module")
def collected_static(tmp_path_factory) -> str:
    """A STATIC_ROOT with the collected files: production's web process refuses to start without them."""
    root = tmp_path_factory.mktemp("static")
    env = {
        "PATH": os.environ["PATH"],
        "DAB_ENV_FILE": os.devnull,
        "ENVIRONMENT": "production",
        "SECRET_KEY": "q3VZ8mJx1-Lr9TfKc0wYpN4sHd7GbE2uAiO6nWvX5yRt_zCkMe",
        "API_KEY": "Tz4kQ9vN2pLx7mRc0sWb8yHd",
        "STATIC_ROOT": str(root),
    }
    subprocess.run([sys.executable, "manage.py", "ensure_static"], cwd=REPO_DIR, env=env, check=True)
    return str(root)


def _pg_url(**parts) -> str:
    """The test database's server, with one part changed."""
    from django.db import connection

    settings = {"user": connection.settings_dict["USER"] or "postgres", "host": connection.settings_dict["HOST"]
                or "127.0.0.1", "port": connection.settings_dict["PORT"] or 5432, "name": "dab", **parts}
    return f"postgres://{settings['user']}@{settings['host']}:{settings['port']}/{settings['name']}"


# Each outage a deployment meets, and the words that must name it.
OUTAGES = {
    "closed port": (lambda: f"postgres://postgres@127.0.0.1:{_free_port()}/dab", "connection refused"),
    "unknown user": (lambda: _pg_url(user="dab_no_such_role"), "authentication failed for user dab_no_such_role"),
    "missing database": (lambda: _pg_url(name="dab_no_such_database"), "database 'dab_no_such_database' does not"),
}


@pytest.fixture
def gunicorn_without_database(collected_static):
    """A production-configured gunicorn whose DATABASE_URL points at a port nobody listens on."""
    yield from _gunicorn(f"postgres://postgres@127.0.0.1:{_free_port()}/dab", static_root=collected_static)


@pytest.fixture(params=sorted(OUTAGES))
def gunicorn_with_an_outage(request, collected_static):
    """A production-configured gunicorn with the default pool and connect timeouts, whose database is out
    in one of the ways of OUTAGES; yields (base url, process, words naming the outage)."""
    make_url, words = OUTAGES[request.param]
    for base, process in _gunicorn(make_url(), static_root=collected_static, timeouts=False):
        yield base, process, words


def _gunicorn(database_url: str, *, static_root: str, timeouts: bool = True):
    port = _free_port()
    env = {
        "PATH": os.environ["PATH"],
        "DAB_ENV_FILE": os.devnull,
        "ENVIRONMENT": "production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "API_KEY": API_KEY,
        "DATABASE_URL": database_url,
        "LOG_FORMAT": "json",
        "STATIC_ROOT": static_root,
    }
    if timeouts:
        env.update(DATABASE_POOL_TIMEOUT="2", DATABASE_CONNECT_TIMEOUT="2")
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    process = subprocess.Popen(
        [
            gunicorn,
            "-c",
            "python:dab_project.gunicorn_conf",
            "dab_project.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
        ],
        cwd=REPO_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60  # a loaded 2-core CI machine starts gunicorn slowly
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{base}/api/v1/health/live", timeout=5)
            break
        except OSError:  # refused, reset or timed out while gunicorn starts (URLError is an OSError)
            if process.poll() is not None:
                pytest.fail(f"gunicorn exited: {process.stderr.read()}")
            time.sleep(0.2)
    yield base, process
    process.terminate()
    process.wait(timeout=10)


def test_app_starts_and_answers_liveness_while_database_is_down(gunicorn_without_database):
    base, _ = gunicorn_without_database
    status, body, _ = _get(f"{base}/api/v1/health/live")
    assert (status, body["status"]) == (200, "alive")
    status, body, _ = _get(f"{base}/api/v1/health")
    assert (status, body["status"]) == (200, "healthy")


def test_ready_answers_503_naming_the_failing_check(gunicorn_without_database):
    base, _ = gunicorn_without_database
    status, body, _ = _get(f"{base}/api/v1/health/ready")
    assert status == 503
    assert body["status"] == "not_ready"
    assert body["checks"]["database"].startswith("error: ")


def _timed_get(url: str, **headers) -> tuple[int, dict, float]:
    started = time.monotonic()
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status, body, content_type = response.status, response.read(), response.headers["Content-Type"]
    except urllib.error.HTTPError as error:
        status, body, content_type = error.code, error.read(), error.headers["Content-Type"]
    elapsed = time.monotonic() - started
    assert content_type.startswith("application/json"), (url, status, body[:300])
    return status, json.loads(body), elapsed


def test_an_outage_is_named_fast_by_ready_and_every_api_request_answers_503_json(gunicorn_with_an_outage):
    base, _, words = gunicorn_with_an_outage
    status, body, elapsed = _timed_get(f"{base}/api/v1/health/ready")
    assert status == 503 and elapsed < 2.0, (status, elapsed)
    assert body["status"] == "not_ready" and words in body["checks"]["database"], body
    key = API_KEY
    for path in ("/api/v1/capsules", "/api/v1/columns/urn:dab:dbt:model:a.b:c", "/api/v1/conformance/score"):
        # as behind the TLS proxy production expects (plain HTTP would be redirected to https)
        status, body, elapsed = _timed_get(f"{base}{path}", **{"X-API-Key": key, "X-Forwarded-Proto": "https"})
        # the pool waits DATABASE_POOL_TIMEOUT (2 s by default), then the cause is named
        assert status == 503 and elapsed < 4.0, (path, status, elapsed, body)
        assert body["error"]["code"] == "database_unavailable" and words in body["error"]["message"], body
        assert body["error"]["request_id"]
    # a path no route takes needs no database, and is JSON too
    status, body, _ = _timed_get(f"{base}/api/v1/no-such-endpoint", **{"X-API-Key": key, "X-Forwarded-Proto": "https"})
    assert status == 404 and body["error"]["code"] == "not_found"


def test_the_cli_names_an_outage_in_one_line_and_exits_non_zero():
    for make_url, words in OUTAGES.values():
        env = {"PATH": os.environ["PATH"], "DAB_ENV_FILE": os.devnull, "ENVIRONMENT": "development",
               "DATABASE_URL": make_url()}
        started = time.monotonic()
        result = subprocess.run(
            [sys.executable, "-c", "import sys; from dab_project.cli import main; sys.exit(main())",
             "conformance", "score"],
            cwd=REPO_DIR, env=env, capture_output=True, text=True, timeout=60,
        )
        elapsed = time.monotonic() - started
        assert result.returncode == 3, result
        lines = (result.stdout + result.stderr).strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("dab: database unavailable: ") and words in lines[0], lines
        assert elapsed < 10, elapsed  # interpreter start-up included; no pool timeout


def test_production_logs_are_json_lines_with_the_request_id(gunicorn_without_database):
    base, process = gunicorn_without_database
    request = urllib.request.Request(f"{base}/api/v1/health/live", headers={"X-Request-ID": "trace-42"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.headers["X-Request-ID"] == "trace-42"
    _get(f"{base}/api/v1/health/ready")  # logs a warning with the same machinery
    process.terminate()
    _, stderr = process.communicate(timeout=10)
    lines = [line for line in stderr.splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]  # every line, gunicorn's own included, is JSON
    assert any(r.get("logger", "").startswith("gunicorn") for r in records)
    not_ready = [r for r in records if r.get("event") == "not_ready"]
    assert not_ready and not_ready[0]["level"] == "warning" and "request_id" in not_ready[0]
    assert all("timestamp" in r for r in records)
