"""`dab ingest dbt` / `manage.py ingest_dbt`: output, JSON, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from catalog.models import Capsule
from ingestion.tests.conftest import SAMPLE_TARGET_DIR

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command("ingest_dbt", *args, stdout=out)
    return out.getvalue()


def test_summary_shows_what_changed():
    out = run(
        "--manifest", str(SAMPLE_TARGET_DIR / "manifest.json"), "--catalog", str(SAMPLE_TARGET_DIR / "catalog.json")
    )
    assert out.startswith("Ingested acme_shop in ")
    capsules_line = next(line for line in out.splitlines() if line.strip().startswith("capsules"))
    assert capsules_line.split()[1] == str(Capsule.objects.count())
    again = run(
        "--manifest", str(SAMPLE_TARGET_DIR / "manifest.json"), "--catalog", str(SAMPLE_TARGET_DIR / "catalog.json")
    )
    assert again.startswith("Nothing changed in acme_shop (") and "--force runs the pipeline anyway" in again
    forced = run(
        "--manifest", str(SAMPLE_TARGET_DIR / "manifest.json"), "--catalog", str(SAMPLE_TARGET_DIR / "catalog.json"),
        "--force",
    )  # fmt: skip
    assert next(line for line in forced.splitlines() if line.strip().startswith("capsules")).split()[1:] == [
        "0", "0", str(Capsule.objects.count()), "0",
    ]  # fmt: skip


def test_json_output_is_the_job():
    job = json.loads(run("--manifest", str(SAMPLE_TARGET_DIR / "manifest.json"), "--json"))
    assert job["status"] == "completed" and job["stats"]["capsules"]["created"] > 40
    assert job["triggered_by"] == "cli"


def test_bad_input_fails_with_the_reason():
    with pytest.raises(CommandError, match="looks like a dbt catalog.json, not a manifest"):
        run("--manifest", str(SAMPLE_TARGET_DIR / "catalog.json"))


def test_project_name_and_dry_run():
    out = run("--manifest", str(SAMPLE_TARGET_DIR / "manifest.json"), "--project-name", "acme_renamed", "--dry-run")
    assert "Ingested acme_renamed" in out and "dry run" in out
    assert not Capsule.objects.exists()


def test_the_cli_names_a_jobs_urls_as_the_site_does():
    # `--json` reverses the job's URLs with dab_project.job_urls (the ingestion routes alone); the site's URLconf
    # must give the very same ones.
    from django.urls import reverse

    from ingestion.models import IngestionJob

    job = json.loads(run("--manifest", str(SAMPLE_TARGET_DIR / "manifest.json"), "--json"))
    stored = IngestionJob.objects.get(pk=job["id"])
    api_url = reverse("ingestion-job-detail", kwargs={"pk": stored.pk})
    assert job["url"] == api_url == f"/api/v1/ingest/history/{stored.pk}"
    assert job["page_url"] == reverse("ingestion:job_detail", kwargs={"pk": stored.pk}) == f"/ingestion/{stored.pk}/"


def test_the_clis_json_is_the_api_serializers_rendering(tmp_path):
    """`--json` writes a job without Django REST framework (ingestion.representations): the very text main's
    command wrote with the API's serializer, field by field, for a completed, a failed and a retried job (in memory
    as the command holds it, and as stored), in UTC and in another time zone."""
    from datetime import timedelta

    from django.utils import timezone

    from ingestion.api.serializers import IngestionJobSerializer
    from ingestion.management.commands.ingest_dbt import _json_dump
    from ingestion.models import IngestionJob
    from ingestion.services import Artifact, dbt_ingest

    ran = dbt_ingest(manifest=Artifact.from_path("manifest", SAMPLE_TARGET_DIR / "manifest.json"), triggered_by="cli")
    failed = dbt_ingest(manifest=Artifact.from_path("manifest", tmp_path / "missing.json"), triggered_by="cli")
    assert ran.status == "completed" and failed.status == "failed"
    now = timezone.now()
    retried = IngestionJob.objects.create(
        source_type="dbt", source_name="acme_shop", status="failed", stage="loading", stage_progress=0.25,
        progress=0.375, progress_message="columns", started_at=now - timedelta(seconds=90),
        worker_started_at=now - timedelta(seconds=80, microseconds=5), heartbeat_at=now - timedelta(seconds=3),
        completed_at=now, error_message="the worker died", error_details={"stage": "loading", "stored": False},
        warnings=["a warning", "another"], stored=False, retry_of=failed, triggered_by="api:ci",
    )  # fmt: skip
    jobs = [ran, failed, retried, *IngestionJob.objects.order_by("started_at")]
    for zone in ("UTC", "Asia/Kolkata"):
        with timezone.override(zone):
            for job in jobs:
                expected = json.dumps(IngestionJobSerializer(job).data, indent=2, default=str)  # main's --json
                written = _json_dump(job)
                cli, api = json.loads(written), json.loads(expected)
                assert list(cli) == list(api)
                for name, value in api.items():
                    assert cli[name] == value, (name, cli[name], value)
                assert written == expected
    assert json.loads(_json_dump(retried))["retry_of"] == str(failed.pk)


DAB = [sys.executable, "-m", "dab_project.cli"]


@pytest.fixture(scope="module")
def cli_env(tmp_path_factory) -> dict[str, str]:
    """The environment of a `dab` process on a migrated SQLite database of its own."""
    data = tmp_path_factory.mktemp("cli")
    env = {
        **os.environ, "ENVIRONMENT": "development", "DAB_ENV_FILE": os.devnull, "DATA_DIR": str(data),
        "DATABASE_URL": "",
    }  # fmt: skip
    env.pop("DJANGO_SETTINGS_MODULE", None)
    subprocess.run([*DAB, "migrate", "-v0"], env=env, check=True, capture_output=True)
    return env


def test_cli_exits_non_zero_without_a_traceback(cli_env, tmp_path):
    env, dab = cli_env, DAB
    result = subprocess.run(
        [*dab, "ingest", "dbt", "--manifest", str(tmp_path / "missing.json")], env=env, capture_output=True, text=True
    )
    assert result.returncode == 1
    assert "ingestion failed: manifest file not found" in result.stderr
    assert "Traceback" not in result.stderr
    ok = subprocess.run(
        [*dab, "ingest", "dbt", "--manifest", str(SAMPLE_TARGET_DIR / "manifest.json"), "--json"],
        env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["status"] == "completed"


def test_an_ingestion_of_identical_artifacts_imports_neither_sqlglot_nor_the_sites_views(cli_env):
    # What a process imports is most of what `dab ingest dbt` costs when nothing changed: sqlglot is imported
    # only to derive lineage, the site's views (the URL system check) never.
    manifest = str(SAMPLE_TARGET_DIR / "manifest.json")
    subprocess.run([*DAB, "ingest", "dbt", "--manifest", manifest], env=cli_env, check=True, capture_output=True)
    script = (
        "import sys; from dab_project.cli import main; status = main(sys.argv[1:]); "
        "print(sorted(m for m in ('sqlglot', 'catalog.views', 'pii.api.views') if m in sys.modules)); sys.exit(status)"
    )
    again = subprocess.run(
        [sys.executable, "-c", script, "ingest", "dbt", "--manifest", manifest], env=cli_env, capture_output=True,
        text=True,
    )  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert "Nothing changed" in again.stdout
    assert again.stdout.strip().endswith("[]"), again.stdout


def test_a_json_summary_of_identical_artifacts_imports_none_of_the_sites_views(cli_env):
    # --json prints the job with its URLs, reversed with dab_project.job_urls: the site's URLconf, which imports every
    # view (the admin, every app's API, drf-spectacular), is never loaded.
    manifest = str(SAMPLE_TARGET_DIR / "manifest.json")
    subprocess.run([*DAB, "ingest", "dbt", "--manifest", manifest], env=cli_env, check=True, capture_output=True)
    views = ("dab_project.urls", "catalog.views", "pii.api.views", "conformance.api.views", "drf_spectacular.views")
    script = (
        "import sys; from dab_project.cli import main; status = main(sys.argv[1:]); "
        f"print(sorted(m for m in {views!r} if m in sys.modules)); sys.exit(status)"
    )
    again = subprocess.run(
        [sys.executable, "-c", script, "ingest", "dbt", "--manifest", manifest, "--json"], env=cli_env,
        capture_output=True, text=True,
    )  # fmt: skip
    assert again.returncode == 0, again.stderr
    job = json.loads(again.stdout[: again.stdout.rindex("}") + 1])
    assert "unchanged" in job["stats"] and job["url"] == f"/api/v1/ingest/history/{job['id']}"
    assert again.stdout.strip().endswith("[]"), again.stdout


def test_a_json_summary_imports_no_part_of_django_rest_framework(cli_env):
    # --json writes the job as the API renders it (ingestion.representations) and names its URLs with
    # dab_project.job_urls, which imports no view: after a whole pipeline (--force), no part of Django REST framework
    # or drf-spectacular is imported beyond what Django's set-up loads of every installed app (apps, checks).
    manifest = str(SAMPLE_TARGET_DIR / "manifest.json")
    script = (
        "import sys; from dab_project.cli import main; status = main(sys.argv[1:]); "
        "print(sorted(m for m in sys.modules if m.startswith(('rest_framework.', 'drf_spectacular.', 'ingestion.api', "
        "'ingestion.views')) and m.rsplit('.', 1)[-1] not in ('apps', 'checks'))); sys.exit(status)"
    )
    ran = subprocess.run(
        [sys.executable, "-c", script, "ingest", "dbt", "--manifest", manifest, "--force", "--json"], env=cli_env,
        capture_output=True, text=True,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    job = json.loads(ran.stdout[: ran.stdout.rindex("}") + 1])
    assert job["status"] == "completed" and "unchanged" not in job["stats"]
    assert job["url"] == f"/api/v1/ingest/history/{job['id']}" and job["page_url"] == f"/ingestion/{job['id']}/"
    assert ran.stdout.strip().endswith("[]"), ran.stdout[ran.stdout.rindex("}") + 1 :]


def test_an_ingestion_run_as_the_process_ends_without_the_interpreters_teardown(cli_env, tmp_path):
    """Run as the process's entry point (the installed `dab` script calls ``main()``), `dab ingest dbt` ends the
    process once the job is finished and its output written (dab_project.memory.process_exit): the interpreter does
    not free every module and cache the ingestion filled (0.4-0.7 s at 10,000 models). The output and the exit
    status are those of a normal exit, a failed job's too."""
    script = (
        "import atexit, sys; atexit.register(lambda: print('teardown ran', file=sys.stderr)); "
        "from dab_project.cli import main; sys.exit(main())"
    )

    def dab(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-c", script, "ingest", "dbt", *args], env=cli_env, capture_output=True, text=True
        )

    ok = dab("--manifest", str(SAMPLE_TARGET_DIR / "manifest.json"), "--force", "--json")
    assert ok.returncode == 0, ok.stderr
    assert "teardown ran" not in ok.stderr
    job = json.loads(ok.stdout)
    assert job["status"] == "completed" and "unchanged" not in job["stats"]
    failed = dab("--manifest", str(tmp_path / "missing.json"))
    assert failed.returncode == 1
    assert "ingestion failed: manifest file not found" in failed.stderr and "teardown ran" not in failed.stderr


class _Terminal(StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_a_bar_on_a_terminal_and_a_line_per_stage_elsewhere(capsys):
    from ingestion.management.commands.ingest_dbt import ProgressPrinter

    terminal = _Terminal()
    run("--manifest", str(SAMPLE_TARGET_DIR / "manifest.json"), "--dry-run", "--verbosity", "0")
    assert capsys.readouterr().err == ""  # quiet when asked
    run("--manifest", str(SAMPLE_TARGET_DIR / "manifest.json"), "--dry-run")  # not a terminal: a line per stage
    lines = capsys.readouterr().err.splitlines()
    stages = [line.split("%", 1)[1].split(":", 1)[0].strip() for line in lines]
    assert stages == ["Parsing", "Loading", "PII", "Column lineage", "PII", "Conformance", "Done"]
    assert lines[-1].startswith("[" + "#" * 30 + "] 100% Done")
    from ingestion.progress import ProgressState

    bar = ProgressPrinter(terminal, interactive=terminal.isatty())
    bar(ProgressState("loading", 0.5, 0.275, "columns"))
    bar(ProgressState("done", 1.0, 1.0, "done"))
    bar.close()
    drawn = terminal.getvalue()
    assert drawn.startswith("\r\033[K[########......................]  28% Loading: columns")
    assert "\r\033[K[" + "#" * 30 + "] 100% Done: done" in drawn and drawn.endswith("\r\033[K")


def test_enqueue_queues_the_job_for_a_worker(worker):
    from ingestion.models import IngestionJob

    out = run("--manifest", str(SAMPLE_TARGET_DIR / "manifest.json"), "--enqueue")
    job = IngestionJob.objects.get()
    assert out.startswith(f"queued job {job.pk}") and job.status == "queued" and job.triggered_by == "cli"
    assert not Capsule.objects.exists()
    worker()
    job.refresh_from_db()
    assert job.status == "completed" and Capsule.objects.count() > 40
    with pytest.raises(CommandError, match="--wait goes with --enqueue"):
        run("--manifest", str(SAMPLE_TARGET_DIR / "manifest.json"), "--wait")
