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
