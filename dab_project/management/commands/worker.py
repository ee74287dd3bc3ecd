"""`dab worker`: run background jobs (ingestion, periodic tasks) from the task queue in the database."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Run background jobs: uploads, retries, periodic tasks (several processes or machines may share a queue)."

    def add_arguments(self, parser):
        parser.add_argument("--processes", type=int, default=1, help="worker processes to run here (default 1)")
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between looks at an empty queue")
        parser.add_argument("--batch", action="store_true", help="run what is due now, then exit")
        parser.add_argument("--max-tasks", type=int, default=None, help="exit after this many tasks")
        parser.add_argument("--queue-name", default="*", help="queues to take from, comma-separated (default: all)")
        parser.add_argument("--worker-id", default=None, help="unique name of this worker (default host-pid)")
        parser.add_argument("--no-periodic", action="store_true", help="don't make sure the periodic tasks are queued")

    def handle(self, *args, processes, interval, batch, max_tasks, queue_name, worker_id, no_periodic, **options):
        if settings.TASKS["default"]["BACKEND"] != "django_tasks_db.DatabaseBackend":
            raise CommandError(
                f"TASKS_BACKEND is {settings.TASKS['default']['BACKEND']}: run that backend's own worker "
                "(for example `manage.py rqworker` for django-tasks-rq); `dab worker` runs the database queue"
            )
        if processes < 1:
            raise CommandError("--processes must be at least 1")
        if processes > 1:
            return self._several(processes, options["verbosity"])
        from django_tasks_db.management.commands.db_worker import Worker

        from dab_project.periodic import periodic_ensure_all
        from ingestion.services import jobs_sweep_stale

        swept = jobs_sweep_stale()
        if swept:
            self.stdout.write(f"{swept} job(s) left by a dead worker marked failed")
        if not no_periodic:
            periodic_ensure_all()
        worker_id = worker_id or f"{socket.gethostname()}-{os.getpid()}"[:64]
        self.stdout.write(f"worker {worker_id} taking jobs (queues: {queue_name})")
        self.stdout.flush()
        worker = Worker(
            queue_names=queue_name.split(","), interval=interval, batch=batch, backend_name="default",
            startup_delay=not batch, max_tasks=max_tasks, worker_id=worker_id, excluded_queue_names=[],
        )  # fmt: skip
        worker.configure_signals()
        worker.run()
        return None

    def _several(self, processes: int, verbosity: int) -> None:
        """Start that many single workers (each claims its own jobs) and stop them together."""
        argv = [sys.executable, "-m", "dab_project.cli", "worker", "--processes", "1", "--verbosity", str(verbosity)]
        # Their own session: a Ctrl+C reaches only this process, which passes it on once (twice would stop a job).
        children = [subprocess.Popen(argv, start_new_session=True) for _ in range(processes)]

        def stop(signum, frame):
            for child in children:
                if child.poll() is None:
                    child.send_signal(signal.SIGTERM)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        codes = [child.wait() for child in children]
        if any(codes):
            raise CommandError(f"a worker exited with {max(codes)}")
