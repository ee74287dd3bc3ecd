"""The `dab` command."""

import subprocess
import sys
from pathlib import Path

from dab_project import cli

REPO_DIR = Path(__file__).resolve().parents[2]


def test_help_lists_the_command_groups(capsys):
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: dab <group>")
    for group in ("serve", "migrate"):
        assert f"  {group}" in out


def test_unknown_command_exits_non_zero(capsys):
    assert cli.main(["frobnicate"]) == 2
    assert "unknown command" in capsys.readouterr().err


def _dab(*args: str, environment: str) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", "DAB_ENV_FILE": "/dev/null", "ENVIRONMENT": environment,
           "DATA_DIR": "/tmp/dab-cli-test"}  # fmt: skip
    return subprocess.run(
        [sys.executable, "-m", "dab_project.cli", *args], cwd=REPO_DIR, env=env, capture_output=True, text=True
    )


def test_configuration_errors_are_reported_without_a_traceback():
    result = _dab("migrate", "--check", environment="production")
    assert result.returncode == 2
    assert result.stderr.startswith("dab: configuration error: Refusing to start")
    assert "Traceback" not in result.stderr


def test_help_works_before_the_configuration_does():
    """A fresh checkout has no .env, so production defaults refuse to start; `dab --help` still lists the
    commands, and says on stderr what stops them."""
    result = _dab("--help", environment="production")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: dab <group>")
    assert "  ingest" in result.stdout
    assert "configuration error: Refusing to start" in result.stderr
    assert "Traceback" not in result.stderr


def test_console_script_is_installed():
    dab = Path(sys.executable).parent / "dab"
    assert dab.exists(), "pip install -e . installs the dab console script"
    env = {
        "PATH": "/usr/bin:/bin",
        "DAB_ENV_FILE": "/dev/null",
        "ENVIRONMENT": "development",
        "DATA_DIR": "/tmp/dab-cli-test",
    }
    result = subprocess.run([str(dab), "--version"], cwd="/", env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("dab ")


def test_a_reader_that_stops_early_gets_no_traceback():
    """`dab --help | head`: the pipe closes before dab writes; dab stops quietly (128 + SIGPIPE)."""
    env = {"PATH": "/usr/bin:/bin", "DAB_ENV_FILE": "/dev/null", "ENVIRONMENT": "development",
           "DATA_DIR": "/tmp/dab-cli-test"}  # fmt: skip
    process = subprocess.Popen(
        [sys.executable, "-m", "dab_project.cli", "--help"],
        cwd=REPO_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    process.stdout.close()  # the reader is gone before the help is written
    stderr = process.stderr.read()
    assert process.wait(timeout=60) == cli.EXIT_BROKEN_PIPE
    assert "Traceback" not in stderr and "BrokenPipeError" not in stderr


def test_serve_with_worker_ingests_an_upload_and_stops_both(tmp_path):
    """`make run`'s server: gunicorn and a background worker on the embedded SQLite, stopped together."""
    import json
    import signal
    import socket
    import time
    import urllib.request

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    key = "serve-test-api-key-0123456789"
    env = {"PATH": "/usr/bin:/bin", "DAB_ENV_FILE": "/dev/null", "ENVIRONMENT": "development",
           "DATA_DIR": str(tmp_path), "API_KEY": key, "LOG_LEVEL": "WARNING"}  # fmt: skip
    dab = [sys.executable, "-m", "dab_project.cli"]
    subprocess.run([*dab, "migrate", "-v0"], cwd=REPO_DIR, env=env, check=True, capture_output=True)
    server = subprocess.Popen(
        [*dab, "serve", "--with-worker", "--port", str(port), "--workers", "1"], cwd=REPO_DIR, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{base}/health/live", timeout=5)
                break
            except OSError:
                assert time.monotonic() < deadline and server.poll() is None, "the server did not start"
                time.sleep(0.2)
        sample = REPO_DIR / "examples" / "acme_shop" / "target" / "manifest.json"
        upload = subprocess.run(
            ["curl", "-s", "-H", f"X-API-Key: {key}", "-F", f"manifest=@{sample}", f"{base}/ingest/dbt"],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        job = json.loads(upload.stdout)
        assert job["status"] == "queued", upload.stdout
        request = urllib.request.Request(job["url"], headers={"X-API-Key": key})
        deadline = time.monotonic() + 120
        while job["status"] in ("queued", "running"):
            assert time.monotonic() < deadline, f"the worker did not finish the job: {job}"
            time.sleep(0.5)
            job = json.loads(urllib.request.urlopen(request, timeout=10).read())
        assert job["status"] == "completed" and job["stats"]["capsules"]["created"] > 40
        children = subprocess.run(["pgrep", "-P", str(server.pid)], capture_output=True, text=True).stdout.split()
        assert len(children) == 2  # gunicorn and the worker
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=120)
    assert server.returncode == 0
    assert not [pid for pid in children if Path(f"/proc/{pid}").exists()]  # both stopped with it
