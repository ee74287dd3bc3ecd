"""Ingestion as background jobs: queue order, progress, workers (real processes), dead workers, retries."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.db import connection

from catalog.models import Capsule
from dab_project.progress import counted
from ingestion.jobs import dbt_job_enqueue, job_retry, job_run
from ingestion.models import IngestionArtifact, IngestionJob
from ingestion.progress import JobProgress
from ingestion.services import Artifact
from ingestion.tests.conftest import SAMPLE_TARGET_DIR

REPO_DIR = Path(__file__).resolve().parents[2]


def sample_job(**options) -> IngestionJob:
    """The bundled sample, checked, stored and queued as an upload would be."""
    return dbt_job_enqueue(
        manifest=Artifact.from_path("manifest", SAMPLE_TARGET_DIR / "manifest.json"),
        catalog=Artifact.from_path("catalog", SAMPLE_TARGET_DIR / "catalog.json"),
        triggered_by="test",
        upload=False,
        **options,
    )


# -- in this process -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_progress_reports_each_stage_in_order_up_to_done(ingest_sample):
    states = []
    job = ingest_sample(report=states.append)
    stages = [s.stage for s in states]
    assert [stage for i, stage in enumerate(stages) if i == 0 or stages[i - 1] != stage] == [
        "parsing", "loading", "pii", "column_lineage", "pii", "conformance", "done",
    ]  # fmt: skip
    overall = [s.progress for s in states]
    assert overall == sorted(overall) and overall[-1] == 1.0
    # the loader and column lineage count their work: progress within those stages
    assert any(s.stage == "loading" and s.stage_progress == pytest.approx(1 / 3) for s in states)
    assert any(s.stage == "column_lineage" and s.stage_progress is not None for s in states)
    job.refresh_from_db()
    assert (job.status, job.stage, job.progress, job.stored) == ("completed", "done", 1.0, True)


@pytest.mark.django_db(transaction=True)
def test_progress_is_stored_as_it_goes_with_a_heartbeat(settings):
    settings.INGEST_PROGRESS_INTERVAL = 0.05
    job = IngestionJob.objects.create(source_type="dbt", status="running", stage="parsing")
    with JobProgress(job) as tracker:
        tracker.step("loading")
        tracker(counted("columns", done=2, total=3))
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            job.refresh_from_db()
            if job.stage_progress is not None:
                break
            time.sleep(0.05)
    assert (job.stage, job.progress_message) == ("loading", "columns")
    assert job.stage_progress == pytest.approx(2 / 3)
    assert job.progress == pytest.approx(0.15 + 0.25 * 2 / 3, abs=1e-4)  # parsing done, two thirds of loading
    assert job.heartbeat_at is not None and tracker.writes >= 1


@pytest.mark.django_db
def test_a_later_upload_of_a_project_never_overtakes_an_earlier_one(worker):
    first, second = sample_job(), sample_job(dry_run=True)
    # the second job's task comes first (say, a free worker picked it): it lets the first go
    outcome = job_run(job_id=second.pk)
    waiting = IngestionJob.objects.get(pk=second.pk)
    assert outcome["requeued"] and waiting.status == "queued"
    assert waiting.progress_message == f"waiting for the earlier job {first.pk} to finish"
    worker()
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == second.status == "completed"
    assert first.completed_at <= second.worker_started_at


@pytest.mark.django_db
def test_a_job_whose_process_died_after_its_commit_is_completed_saying_everything_is_stored():
    from ingestion.services import jobs_sweep_stale

    dead = {"pid": 2**22 + 4321, "host": os.uname().nodename}
    committed = IngestionJob.objects.create(source_type="dbt", stage="conformance", stored=True, config=dead)
    rolled_back = IngestionJob.objects.create(source_type="dbt", stage="column_lineage", config=dead)
    assert jobs_sweep_stale() == 2
    committed.refresh_from_db()
    rolled_back.refresh_from_db()
    assert committed.status == "completed" and committed.error_message is None  # its data is there
    assert any("everything is stored" in warning for warning in committed.warnings)
    assert "stopped during column lineage" in rolled_back.error_message
    assert "rolled back: nothing was stored" in rolled_back.error_message


@pytest.mark.django_db
def test_a_dead_queued_job_never_blocks_the_jobs_after_it(worker):
    from datetime import timedelta

    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    long_ago = timezone.now() - timedelta(hours=1)
    never_queued = IngestionJob.objects.create(source_type="dbt", status="queued", started_at=long_ago)
    lost = sample_job()
    DBTaskResult.objects.filter(id=lost.task_id).update(status="FAILED")  # its task ended without running it
    later = sample_job()
    worker()
    never_queued.refresh_from_db()
    lost.refresh_from_db()
    later.refresh_from_db()
    assert never_queued.status == "failed" and "stopped before its job was queued" in never_queued.error_message
    assert lost.status == "failed" and "ended without running it" in lost.error_message
    assert later.status == "completed"


@pytest.mark.django_db
def test_a_failed_job_is_retried_over_its_stored_artifacts_from_the_api(api_client, worker, settings, tmp_path):
    from ingestion.services import conventions_load

    settings.CONVENTIONS_PATH = tmp_path / "missing.yml"  # the worker fails to read it
    conventions_load.cache_clear()
    try:
        job = sample_job()
        worker()
        job.refresh_from_db()
        assert job.status == "failed" and "cannot read the conventions file" in job.error_message
        assert not Capsule.objects.exists() and IngestionArtifact.objects.filter(job=job).count() == 2
        settings.CONVENTIONS_PATH = None
        conventions_load.cache_clear()
        response = api_client.post(f"/api/v1/ingest/history/{job.pk}/retry")
    finally:
        conventions_load.cache_clear()
    assert response.status_code == 202, response.content
    retry = response.json()
    assert (retry["status"], retry["retry_of"]) == ("queued", str(job.pk))
    assert api_client.post(f"/api/v1/ingest/history/{job.pk}/retry").status_code == 409  # once
    worker()
    retried = IngestionJob.objects.get(pk=retry["id"])
    assert retried.status == "completed" and Capsule.objects.count() > 40
    assert retried.config["manifest"] == str(SAMPLE_TARGET_DIR / "manifest.json")
    completed = api_client.post(f"/api/v1/ingest/history/{retried.pk}/retry")
    assert completed.status_code == 409 and "only a failed job" in completed.json()["error"]["message"]


@pytest.mark.django_db
def test_a_job_that_read_files_in_the_command_cannot_be_retried(ingest_sample, settings, tmp_path):
    from ingestion.jobs import JobRetryError

    job = IngestionJob.objects.create(source_type="dbt", status="failed", completed_at=ingest_sample().completed_at)
    with pytest.raises(JobRetryError, match="were not stored"):
        job_retry(job=job, triggered_by="test")


# -- real worker processes (PostgreSQL: they share the test database) ------------------------------------


@pytest.fixture
def start_worker(settings) -> Iterator[Callable[..., subprocess.Popen]]:
    """start_worker(*args) -> a real `dab worker` process on the test database; all are stopped at the end."""
    if connection.vendor != "postgresql":
        pytest.skip("worker processes share the test database only on PostgreSQL (SQLite's is in memory)")
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {
        "PATH": os.environ["PATH"], "DAB_ENV_FILE": os.devnull, "ENVIRONMENT": "development", "DATABASE_URL": url,
        "DATABASE_POOL_SIZE": "0", "INGEST_PROGRESS_INTERVAL": "0.1", "LOG_LEVEL": "WARNING",
        "LINEAGE_PROCESSES": "1",
    }  # fmt: skip
    processes: list[subprocess.Popen] = []

    def start(*args: str) -> subprocess.Popen:
        process = subprocess.Popen(
            [sys.executable, "-m", "dab_project.cli", "worker", "--interval", "0.1", *args],
            cwd=REPO_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        processes.append(process)
        return process

    yield start
    for process in processes:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)


def wait_for(condition: Callable[[], bool], *, seconds: float = 240, what: str = "") -> None:
    """Generous: a loaded 2-core machine runs these workers slowly."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    jobs = list(IngestionJob.objects.values_list("pk", "status", "stage", "error_message"))
    pytest.fail(f"timed out waiting for {what}; jobs: {jobs}")


def _task_outcomes() -> list[dict]:
    from django_tasks_db.models import DBTaskResult

    return list(
        DBTaskResult.objects.filter(task_path="ingestion.tasks.ingestion_job_run", status="SUCCESSFUL").values_list(
            "return_value", flat=True
        )
    )


@pytest.mark.django_db(transaction=True)
def test_two_workers_share_the_queue_and_never_run_the_same_job(start_worker):
    jobs = [sample_job(dry_run=True) for _ in range(4)]
    workers = [start_worker(), start_worker()]
    from django_tasks_db.models import DBTaskResult

    wait_for(
        lambda: not IngestionJob.objects.filter(status__in=["queued", "running"]).exists(), what="the jobs to finish"
    )
    # a task is marked successful just after its job finished
    tasks = DBTaskResult.objects.filter(task_path="ingestion.tasks.ingestion_job_run")
    wait_for(lambda: not tasks.filter(status__in=["READY", "RUNNING"]).exists(), what="the tasks to finish")
    assert all(w.poll() is None for w in workers), [w.stdout.read() for w in workers if w.poll() is not None]
    finished = {job.pk: job for job in IngestionJob.objects.all()}
    assert all(finished[job.pk].status == "completed" for job in jobs)
    ran = [outcome["job"] for outcome in _task_outcomes() if outcome["ran"]]
    assert sorted(ran) == sorted(str(job.pk) for job in jobs)  # each job run once, none twice
    # applied in the order uploaded: each starts after the one before it finished
    ordered = [finished[job.pk] for job in jobs]
    assert all(a.completed_at <= b.worker_started_at for a, b in zip(ordered, ordered[1:], strict=False))


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_job_fails_it_truthfully_and_the_retry_completes(start_worker):
    from django_tasks_db.models import DBTaskResult

    from conformance.services import CONFORMANCE_LOCK_KEY

    job = sample_job()
    # Hold conformance's lock from another session: the worker's ingestion stops at its last step, having
    # loaded the catalog, lineage and PII inside its (uncommitted) transaction.
    import psycopg

    holder = psycopg.connect(_url(), autocommit=True)
    holder.execute("SELECT pg_advisory_lock(%s)", [CONFORMANCE_LOCK_KEY])
    try:
        doomed = start_worker()
        wait_for(lambda: IngestionJob.objects.get(pk=job.pk).stage == "conformance", what="the conformance stage")
        assert not Capsule.objects.exists()  # written, but not committed
        doomed.send_signal(signal.SIGKILL)
        doomed.wait(timeout=30)
    finally:
        holder.close()
    job.refresh_from_db()
    assert job.status == "running"  # nobody has noticed yet
    start_worker()  # the next worker to start notices
    wait_for(lambda: IngestionJob.objects.get(pk=job.pk).status == "failed", what="the sweep")
    job.refresh_from_db()
    assert "stopped during conformance" in job.error_message
    assert "rolled back: nothing was stored" in job.error_message
    assert job.error_details == {"type": "WorkerLost", "stage": "conformance", "stored": False}
    assert not Capsule.objects.exists() and not job.stored
    task = DBTaskResult.objects.filter(id=job.task_id)
    wait_for(lambda: task.get().status == "FAILED", what="its task marked failed")  # right after the job
    # retried from the command line; the running worker takes it
    result = subprocess.run(
        [sys.executable, "-m", "dab_project.cli", "ingest", "retry", str(job.pk), "--wait"], cwd=REPO_DIR,
        env={**os.environ, "DAB_ENV_FILE": os.devnull, "ENVIRONMENT": "development",
             "DATABASE_URL": _url(), "DATABASE_POOL_SIZE": "0"},
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    retry = IngestionJob.objects.get(retry_of=job)
    assert f"queued job {retry.pk}" in result.stdout and "Ingested acme_shop in" in result.stdout
    assert "100% Done: done" in result.stderr  # --wait followed its progress, a line per stage
    retry.refresh_from_db()
    assert retry.status == "completed", retry.error_message
    assert Capsule.objects.count() > 40 and retry.stored


def _url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_job_page_shows_live_progress_without_reloading(logged_in_page, start_worker):
    import psycopg

    from conformance.services import CONFORMANCE_LOCK_KEY

    page = logged_in_page
    holder = psycopg.connect(_url(), autocommit=True)
    holder.execute("SELECT pg_advisory_lock(%s)", [CONFORMANCE_LOCK_KEY])  # the job waits at its last step
    try:
        job = sample_job()
        page.goto(f"/ingestion/{job.pk}/")
        bar = page.get_by_test_id("job-progress")
        assert bar.locator("progress").get_attribute("value") == "0"
        assert "Queued" in bar.inner_text()
        page.evaluate("window.notReloaded = true")
        start_worker()
        page.wait_for_function(
            "() => document.querySelector('[data-field=stage]').textContent === 'Conformance'", timeout=180_000
        )
        assert page.evaluate("window.notReloaded") is True  # updated in place
        assert int(bar.locator("progress").evaluate("el => el.value")) >= 75
    finally:
        holder.close()  # the job goes on and finishes
    page.wait_for_selector("text=What changed", timeout=180_000)  # the page reloads once, finished
    assert page.get_by_test_id("job-progress").count() == 0
    assert page.locator(".badge-ok", has_text="completed").is_visible()
