"""The `dab` command: a thin front over DAB's management commands, grouped the way people think.

`dab <group> <action> [options]` runs the management command `<group>_<action>` (hyphens become
underscores), and `dab <command> [options]` runs `<command>` itself; so `dab ingest dbt ...` is
`manage.py ingest_dbt ...` and every later command appears here without touching this file.
`dab serve` runs the web server (gunicorn; `--dev` for Django's auto-reloading server; `--with-worker` runs a
background worker beside it).
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import sys
from collections import defaultdict

from dab_project.memory import gc_paused

# Groups shown first by `dab --help`, with what they are for.
GROUPS = {
    "ingest": "read metadata into the catalog (dab ingest dbt --manifest ... --catalog ...)",
    "diff": "what a change breaks, before it merges (dab diff dbt --head target/manifest.json)",
    "capsules": "list and inspect capsules, their lineage",
    "impact": "everything downstream of a capsule or column",
    "pii": "PII inventory, trace and exposure",
    "conformance": "rules, violations, scores, and the CI gate",
    "report": "self-contained HTML reports",
    "serve": "run the web server (gunicorn; --dev for auto-reload; --with-worker starts a worker beside it)",
    "worker": "run background jobs: uploads, retries, periodic tasks (dab worker --processes N)",
    "migrate": "create or upgrade the database schema",
    "setup-local": "first-run set-up for a laptop: admin login and the sample project",
}
OUR_APPS = ("dab_project", "catalog", "lineage", "pii", "conformance", "ingestion")
# Django commands worth reaching through `dab` too.
PASSTHROUGH = {"migrate", "createsuperuser", "changepassword", "check", "shell", "dbshell", "showmigrations"}
# Commands that run without a database; every other one first checks that it answers.
NO_DATABASE = {"check"}
DATABASE_UNAVAILABLE = 3  # exit status when the database cannot be reached


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dab_project.settings")
    import django

    django.setup()
    # The pool logs a warning per failed reconnection attempt; a command says what is wrong once instead.
    logging.getLogger("psycopg.pool").setLevel(logging.ERROR)


def _our_commands() -> dict[str, str]:
    from django.core.management import get_commands

    return {name: app for name, app in get_commands().items() if app in OUR_APPS or name in PASSTHROUGH}


def _help() -> str:
    from django.core.management import load_command_class

    commands = _our_commands()
    by_group: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for name, app in sorted(commands.items()):
        group, _, action = name.partition("_")
        if group not in GROUPS or not action or name in PASSTHROUGH:
            group, action = name.replace("_", "-"), ""
        try:
            summary = (load_command_class(app, name).help or "").strip().splitlines()[0]
        except Exception:  # a broken command must not break `dab --help`
            summary = ""
        by_group[group].append((action.replace("_", "-"), summary))
    lines = ["usage: dab <group> [<action>] [options]   (dab <group> <action> --help for details)", "", "groups:"]
    for group in [*GROUPS, *sorted(set(by_group) - set(GROUPS))]:
        if group not in by_group and group != "serve":
            continue
        lines.append(f"  {group:<14} {GROUPS.get(group, '')}".rstrip())
        for action, summary in by_group.get(group, []):
            if action:
                lines.append(f"      {action:<18} {summary}".rstrip())
    return "\n".join(lines)


def _resolve(argv: list[str]) -> tuple[str, list[str]] | None:
    """Map `dab <group> <action> args` onto a management command and its arguments."""
    commands = _our_commands()
    group = argv[0].replace("-", "_")
    if len(argv) > 1 and not argv[1].startswith("-"):
        candidate = f"{group}_{argv[1].replace('-', '_')}"
        if candidate in commands:
            return candidate, argv[2:]
    if group in commands:
        return group, argv[1:]
    return None


def _serve(args: list[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="dab serve", description="Run DAB's web server.")
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8001")))
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WORKERS", "2")))
    parser.add_argument("--dev", action="store_true", help="Django's auto-reloading development server")
    parser.add_argument(
        "--with-worker", action="store_true", help="also run a background worker (`dab worker`) stopped with it"
    )
    options = parser.parse_args(args)
    worker = None
    if options.with_worker:
        import subprocess

        # its own session: Ctrl+C reaches the server; the worker gets one SIGTERM below and finishes its job
        worker = subprocess.Popen([sys.executable, "-m", "dab_project.cli", "worker"], start_new_session=True)
    try:
        return _serve_run(options)
    finally:
        if worker is not None and worker.poll() is None:
            worker.terminate()
            try:
                worker.wait(timeout=300)
            except KeyboardInterrupt:  # a second Ctrl+C: stop it now
                worker.kill()


def _serve_run(options) -> int:
    if options.dev:
        from django.core.management import call_command

        call_command("runserver", f"{options.host}:{options.port}")
        return 0
    gunicorn = shutil.which("gunicorn", path=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    if gunicorn is None:
        print("gunicorn is not installed; run `make install` or use `dab serve --dev`.", file=sys.stderr)
        return 1
    # Outside production whitenoise serves the apps' folders directly; in production the pages need the
    # collected files and their manifest, so collect them now if they are missing or out of date.
    from django.core.exceptions import ImproperlyConfigured

    from dab_project.staticfiles import static_files_ensure

    try:
        static_files_ensure()
    except ImproperlyConfigured as exc:
        print(f"dab serve: {exc}", file=sys.stderr)
        return 1
    argv = [
        gunicorn,
        "dab_project.wsgi",
        "--bind",
        f"{options.host}:{options.port}",
        "--workers",
        str(options.workers),
        "--timeout",
        os.environ.get("GUNICORN_TIMEOUT", "300"),
        "--graceful-timeout",
        "30",
        "--max-requests",
        "2000",
        "--max-requests-jitter",
        "200",
    ]
    if not options.with_worker:
        os.execv(gunicorn, argv)
    import signal
    import subprocess

    # With a worker beside it the server runs as a child, so that stopping `dab serve` stops both.
    server = subprocess.Popen(argv)
    signal.signal(signal.SIGTERM, lambda signum, frame: server.terminate())
    try:
        return server.wait()
    except KeyboardInterrupt:
        server.terminate()
        return server.wait()


# 128 + SIGPIPE: what a shell reports for a command whose reader went away.
EXIT_BROKEN_PIPE = 141


def main(argv: list[str] | None = None) -> int:
    """The `dab` command. A reader that stops early (`dab --help | head`) ends it quietly, no traceback.

    Run as the process's entry point (no ``argv``), it ends the process itself once a command has kept its
    large results for the exit (``dab_project.memory.keep_until_exit``), instead of freeing them first.
    """
    from dab_project.memory import process_exit, process_exit_claim

    if argv is None:
        process_exit_claim()
    try:
        status = _main(argv)
        sys.stdout.flush()  # inside the try: a pipe closed early fails here, not at interpreter exit
        status = process_exit(status)
    except BrokenPipeError:
        # Point stdout at /dev/null so the interpreter's own final flush has nowhere to fail.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    return status


def _main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] != ["serve"]:
        # Commands print their own results; routine log lines would only interleave with them.
        os.environ.setdefault("LOG_LEVEL", "WARNING")
    if argv[:1] in (["--version"], ["version"]):
        from dab_project import __version__

        print(f"dab {__version__}")
        return 0
    # Django's set-up and the command's imports allocate a few hundred thousand objects that live as long as the
    # process: the collector would scan them again and again (0.16 s of CPU for an ingestion's imports). Paused
    # until the command runs, then frozen out of every later collection.
    with gc_paused(freeze=True):
        resolved = _start(argv)
    if not isinstance(resolved, tuple):
        return resolved
    command, rest = resolved
    if command == "serve" and argv[0] == "serve":
        return _serve(rest)
    from django.core.management import ManagementUtility
    from django.db import InterfaceError, OperationalError

    from dab_project.database import database_problem

    wants_command_help = any(arg in ("-h", "--help") for arg in rest)
    if command not in NO_DATABASE and not wants_command_help:
        # Asked once, directly: the pool would retry for its whole timeout and log a warning per attempt.
        problem = database_problem(timeout=2.0)
        if problem is not None:
            print(f"dab: database unavailable: {problem}", file=sys.stderr)
            return DATABASE_UNAVAILABLE
    utility = ManagementUtility(["dab", command, *rest])
    utility.prog_name = f"dab {' '.join(argv[: len(argv) - len(rest)])}"
    try:
        utility.execute()
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except (OperationalError, InterfaceError) as exc:  # the database went away while the command ran
        problem = database_problem(timeout=2.0) or (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        print(f"dab: database unavailable: {problem}", file=sys.stderr)
        return DATABASE_UNAVAILABLE
    return 0


def _start(argv: list[str]) -> tuple[str, list[str]] | int:
    """Set Django up and import the command ``argv`` names: (command, its arguments), or the exit status when
    nothing is left to run (help, serve, a configuration error, an unknown command)."""
    wants_help = not argv or argv[0] in ("-h", "--help", "help")
    try:
        _setup_django()
    except Exception as exc:  # e.g. ImproperlyConfigured: say it plainly, no traceback
        print(f"dab: configuration error: {exc}", file=sys.stderr)
        if not wants_help:
            return 2
        # Help must work before the configuration does (a fresh checkout has no .env yet): list the
        # commands under development settings; this process runs nothing else.
        os.environ["ENVIRONMENT"] = "development"
        try:
            _setup_django()
        except Exception:
            return 2
        print("dab: listing the commands anyway; they refuse to run until the configuration is fixed.", file=sys.stderr)
    if wants_help:
        print(_help())
        return 0
    if argv[0] == "serve":
        return "serve", argv[1:]  # run by _main once the collector is back on
    resolved = _resolve(argv)
    if resolved is None:
        print(f"dab: unknown command {' '.join(argv[:2])!r}; see `dab --help`.", file=sys.stderr)
        return 2
    command, rest = resolved
    from django.core.management import get_commands, load_command_class

    # imported here, while the collector is paused; a failure is reported by Django's own fetch, as it always was
    with contextlib.suppress(Exception):
        load_command_class(get_commands()[command], command)
    return command, rest


if __name__ == "__main__":
    sys.exit(main())
