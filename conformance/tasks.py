"""Conformance's periodic tasks: an expired waiver reopens its violation the same day; a daily score snapshot."""

from __future__ import annotations

from datetime import time, timedelta
from typing import Any

from django.utils import timezone

from dab_project.periodic import Periodic, periodic_next, task

__all__ = ["PERIODIC", "conformance_daily_snapshot", "conformance_waivers_expired"]

SCHEDULE_ACTOR = "schedule"


@task()
def conformance_waivers_expired() -> dict[str, Any]:
    """Hourly: when a waiver has expired (its last day is past), evaluate again so its violation opens today.
    One query when none has."""
    from conformance.choices import EvaluationTrigger, ViolationStatus
    from conformance.models import Violation
    from conformance.services import conformance_evaluate

    try:
        expired = Violation.objects.filter(
            status=ViolationStatus.WAIVED, waiver_expires__lt=timezone.localdate()
        ).count()
        if not expired:
            return {"expired_waivers": 0}
        run = conformance_evaluate(trigger=EvaluationTrigger.SCHEDULED, triggered_by=SCHEDULE_ACTOR)
        return {"expired_waivers": expired, **run.stats()}
    finally:
        periodic_next(conformance_waivers_expired)


@task()
def conformance_daily_snapshot() -> dict[str, Any]:
    """Daily: a full evaluation and its score snapshot, unless one was already taken today (an ingestion's), so the
    score's history has a point for every day even when nothing is ingested."""
    from catalog.models import Capsule
    from conformance.choices import EvaluationTrigger
    from conformance.models import ScoreSnapshot
    from conformance.services import conformance_evaluate

    try:
        today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
        if ScoreSnapshot.objects.filter(rule_set__isnull=True, evaluated_at__gte=today).exists():
            return {"skipped": "a snapshot was already taken today"}
        if not Capsule.objects.exists():
            return {"skipped": "nothing ingested yet"}
        run = conformance_evaluate(trigger=EvaluationTrigger.SCHEDULED, triggered_by=SCHEDULE_ACTOR)
        return run.stats()
    finally:
        periodic_next(conformance_daily_snapshot)


PERIODIC = [
    Periodic(conformance_waivers_expired, every=timedelta(hours=1)),
    Periodic(conformance_daily_snapshot, daily_at=time(0, 10)),
]
