"""Conformance's periodic tasks, run through the task queue as `dab worker` runs them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from conformance.models import ScoreSnapshot, Violation, ViolationEvent
from conformance.services import violations_triage
from conformance.tasks import conformance_daily_snapshot, conformance_waivers_expired
from dab_project.periodic import periodic_ensure_all, periodic_next
from ingestion.tests.conftest import run_worker

pytestmark = pytest.mark.django_db


def pending(task) -> list[DBTaskResult]:
    return list(DBTaskResult.objects.filter(task_path=task.module_path, status="READY"))


def test_an_expired_waiver_reopens_its_violation_through_the_scheduled_task(sample_project):
    violation = Violation.objects.filter(status="open").order_by("fingerprint").first()
    today = timezone.localdate()
    violations_triage(violations=[violation], action="waive", actor="steward", reason="until today", expires=today)
    violation.refresh_from_db()
    assert violation.status == "waived"
    periodic_ensure_all()
    run_worker()  # the waiver still holds through today: nothing to re-evaluate
    violation.refresh_from_db()
    assert violation.status == "waived"
    [next_run] = pending(conformance_waivers_expired)  # it scheduled its next run itself, an hour on
    assert timedelta(minutes=59) < next_run.run_after - timezone.now() <= timedelta(hours=1)

    # A day passes: the waiver's last day is yesterday. The next scheduled run reopens the violation.
    Violation.objects.filter(pk=violation.pk).update(waiver_expires=today - timedelta(days=1))
    DBTaskResult.objects.filter(pk=next_run.pk).update(run_after=timezone.now())
    run_worker()
    violation.refresh_from_db()
    assert violation.status == "open" and violation.waiver_expires is None
    event = ViolationEvent.objects.filter(violation=violation).order_by("-at").first()
    assert event.to_status == "open" and event.reason.startswith("waiver expired on")
    assert ScoreSnapshot.objects.filter(trigger="scheduled").count() == 1
    assert len(pending(conformance_waivers_expired)) == 1


def test_each_periodic_task_keeps_exactly_one_pending_run():
    periodic_ensure_all()
    periodic_ensure_all()  # a second worker starting
    periodic_next(conformance_waivers_expired)  # a run finishing while another is pending
    assert len(pending(conformance_waivers_expired)) == 1
    [daily] = pending(conformance_daily_snapshot)
    local = timezone.localtime(daily.run_after)
    assert (local.hour, local.minute) == (0, 10) and daily.run_after > timezone.now()
    assert len(pending(conformance_waivers_expired)) + len(pending(conformance_daily_snapshot)) == 2


def test_the_daily_snapshot_is_taken_once_a_day(sample_project):
    ScoreSnapshot.objects.all().delete()
    first = conformance_daily_snapshot.call()
    assert first["score"] is not None
    assert ScoreSnapshot.objects.filter(trigger="scheduled").count() == 1
    assert conformance_daily_snapshot.call() == {"skipped": "a snapshot was already taken today"}
    assert len(pending(conformance_daily_snapshot)) == 1
