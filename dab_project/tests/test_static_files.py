"""Production without collectstatic: `dab serve` and the Docker entry point collect, or stop saying why."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

REPO_DIR = Path(__file__).resolve().parents[2]


def production_env(static_root: Path, **extra: str) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", ""),
        "DAB_ENV_FILE": os.devnull,
        "DATA_DIR": "/tmp/dab-static-test-var",
        "ENVIRONMENT": "production",
        "SECRET_KEY": "q3VZ8mJx1-Lr9TfKc0wYpN4sHd7GbE2uAiO6nWvX5yRt_zCkMe",
        "API_KEY": "Tz4kQ9vN2pLx7mRc0sWb8yHd",
        "STATIC_ROOT": str(static_root),
        "LOG_FORMAT": "console",
        **extra,
    }


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=REPO_DIR, env=env, capture_output=True, text=True, timeout=300)


def test_the_web_process_refuses_to_start_without_collected_static_files(tmp_path):
    result = run(["-c", "import dab_project.wsgi"], production_env(tmp_path / "static"))
    assert result.returncode != 0
    assert "Static files are not collected in STATIC_ROOT=" in result.stderr
    assert "collectstatic --no-input" in result.stderr


def test_the_entry_point_command_collects_once_and_then_leaves_them(tmp_path):
    env = production_env(tmp_path / "static")
    first = run(["manage.py", "ensure_static"], env)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == "Static files collected."
    manifest = json.loads((tmp_path / "static" / "staticfiles.json").read_text())
    assert "dab/dab.css" in manifest["paths"]
    second = run(["manage.py", "ensure_static"], env)
    assert second.stdout.strip() == "Static files are in place."
    assert run(["-c", "import dab_project.wsgi"], env).returncode == 0


def test_an_unwritable_static_root_fails_with_a_clear_message(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = run(["manage.py", "ensure_static"], production_env(blocker / "static"))
    assert result.returncode != 0
    assert "Static files are not collected in STATIC_ROOT=" in result.stderr
    assert "with a writable STATIC_ROOT" in result.stderr


def test_entrypoint_runs_the_static_check_before_the_server():
    script = (REPO_DIR / "docker" / "entrypoint.sh").read_text()
    assert script.index("manage.py ensure_static") < script.index('exec "$@"')


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _fetch(url: str) -> tuple[int, str]:
    request = urllib.request.Request(url, headers={"X-Forwarded-Proto": "https"})  # as the TLS proxy says
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode(errors="replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")


def test_dab_serve_collects_static_files_then_serves_pages_and_their_css(tmp_path):
    port = _free_port()
    env = production_env(tmp_path / "static", ALLOWED_HOSTS="127.0.0.1")
    dab = [sys.executable, "-c", "from dab_project.cli import main; main()"]
    process = subprocess.Popen(
        [*dab, "serve", "--port", str(port), "--workers", "1"],
        cwd=REPO_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        status, html = 0, ""
        while time.monotonic() < deadline:
            try:
                status, html = _fetch(f"http://127.0.0.1:{port}/accounts/login/")
                break
            except OSError:
                if process.poll() is not None:
                    pytest.fail(f"dab serve exited: {process.stderr.read()}")
                time.sleep(0.3)
        assert status == 200, html[:500]
        css = re.search(r'href="(/static/dab/dab\.[0-9a-f]{12}\.css)"', html)
        assert css, "the page links the collected, hashed stylesheet"
        assert _fetch(f"http://127.0.0.1:{port}{css.group(1)}")[0] == 200
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
