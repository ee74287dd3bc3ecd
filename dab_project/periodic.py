"""Periodic work as tasks of the Tasks framework, with nothing else to run (no cron, no beat process).

A periodic task ends by enqueueing its own next run with ``run_after`` (``periodic_next``), and ``dab worker``
makes sure each one has a run pending when it starts (``periodic_ensure_all``). Both go through
``periodic_schedule``, which is idempotent: under a lock, it enqueues only when no run of the task is pending, so
several workers starting at once, or a run finishing while a worker starts, still leave one pending run.
Finding the pending run needs a backend that keeps its queue where we can read it (the database backend);
with another backend every call enqueues.

Apps declare theirs in ``<app>/tasks.py`` as ``PERIODIC = [Periodic(task, every=...)]`` or ``daily_at=``.
"""

from __future__ import annotations

import hashlib
import importlib
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

try:  # Django 6 has the framework built in; on 5.2 the django-tasks backport provides the same API
    from django.tasks import task  # type: ignore[import-not-found]
    from django.tasks.base import Task  # type: ignore[import-not-found]
except ImportError:
    from django_tasks import task
    from django_tasks.base import Task

__all__ = ["Periodic", "Task", "periodic_all", "periodic_ensure_all", "periodic_next", "periodic_schedule", "task"]

APPS_WITH_TASKS = ("ingestion", "conformance")


@dataclass(frozen=True)
class Periodic:
    """A task run at a fixed interval (``every``) or once a day at a local time (``daily_at``)."""

    task: Task
    every: timedelta | None = None
    daily_at: time | None = None

    def next_run(self, now: datetime) -> datetime:
        if self.every is not None:
            return now + self.every
        assert self.daily_at is not None
        local = timezone.localtime(now)
        at = local.replace(hour=self.daily_at.hour, minute=self.daily_at.minute, second=0, microsecond=0)
        return at if at > local else at + timedelta(days=1)


def periodic_all() -> list[Periodic]:
    """Every app's PERIODIC list."""
    found: list[Periodic] = []
    for app in APPS_WITH_TASKS:
        found.extend(getattr(importlib.import_module(f"{app}.tasks"), "PERIODIC", []))
    return found


def _find(task: Task) -> Periodic:
    for periodic in periodic_all():
        if periodic.task.module_path == task.module_path:
            return periodic
    raise LookupError(f"{task.module_path} is not a periodic task (no Periodic entry in its app's tasks.py)")


def periodic_next(task: Task, *, now: datetime | None = None) -> Any:
    """Enqueue the task's next run at its next time, unless one is already pending (call it at the end of a run)."""
    periodic = _find(task)
    return periodic_schedule(task, run_after=periodic.next_run(now or timezone.now()))


def periodic_ensure_all(*, now: datetime | None = None) -> list[Any]:
    """Make sure every periodic task has a pending run (``dab worker`` calls it when it starts). Interval tasks
    with none pending run at once; daily ones at their next time."""
    now = now or timezone.now()
    results = []
    for periodic in periodic_all():
        run_after = now if periodic.every is not None else periodic.next_run(now)
        results.append(periodic_schedule(periodic.task, run_after=run_after))
    return results


def periodic_schedule(task: Task, *, run_after: datetime) -> Any:
    """Enqueue one run of ``task`` after ``run_after`` unless a run is already pending; returns the new task
    result, or None when one was pending. Two queries under a lock (PostgreSQL: an advisory lock per task;
    SQLite: the write lock every transaction takes)."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            key = int.from_bytes(hashlib.md5(task.module_path.encode(), usedforsecurity=False).digest()[:8], "big")
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key & 0x7FFF_FFFF_FFFF_FFFF])
        if _pending(task):
            return None
        return task.using(run_after=run_after).enqueue()


def _pending(task: Task) -> bool:
    if settings.TASKS["default"]["BACKEND"] != "django_tasks_db.DatabaseBackend":
        return False
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(task_path=task.module_path, status="READY").exists()
