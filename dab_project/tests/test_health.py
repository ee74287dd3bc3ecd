"""Health endpoints, in-process and against a real gunicorn whose database is down."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

REPO_DIR = Path(__file__).resolve().parents[2]


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


@pytest.fixture
def gunicorn_without_database(collected_static):
    """A production-configured gunicorn whose DATABASE_URL points at a port nobody listens on."""
    port = _free_port()
    dead_db_port = _free_port()
    env = {
        "PATH": os.environ["PATH"],
        "DAB_ENV_FILE": os.devnull,
        "ENVIRONMENT": "production",
        "SECRET_KEY": "q3VZ8mJx1-Lr9TfKc0wYpN4sHd7GbE2uAiO6nWvX5yRt_zCkMe",
        "API_KEY": "Tz4kQ9vN2pLx7mRc0sWb8yHd",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:{dead_db_port}/dab",
        "DATABASE_POOL_TIMEOUT": "2",
        "DATABASE_CONNECT_TIMEOUT": "2",
        "LOG_FORMAT": "json",
        "STATIC_ROOT": collected_static,
    }
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
