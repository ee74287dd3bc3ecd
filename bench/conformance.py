"""Time a whole conformance evaluation on PostgreSQL, storing violations included, over generated projects.

    python bench/conformance.py                         # 1,000 and 10,000 models, 5 repeats
    python bench/conformance.py --models 10000 --repeat 7
    python bench/conformance.py --models 10000 --reuse     # the bench database already holds that project
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/dab_bench_conformance python bench/conformance.py

For each size: the project comes from ../shared/bench/gen_dbt.py (cached under /tmp/dab_bench_gen_<N>); the
bench (re)creates its own database (BENCH_DATABASE_URL; it is dropped first), migrates it and ingests the
project with CONFORMANCE_ON_INGEST off. Then it times ``conformance.services.conformance_evaluate`` exactly as
``dab conformance check`` runs it (sync the rule files, graph_load, evaluate all built-in rules, score, store):

- first run: every finding is a new violation (COPY);
- unchanged re-run (median of --repeat): every violation is found again (diff, last_seen_at update);
- re-run after stewards waived 5,000 violations (median of --repeat): waivers looked up by fingerprint;
- ``--changed`` models (default 5) changed, then the evaluation an ingestion runs after such a change (judging
  again only what it can affect, ``changes=``) and, for comparison, a full evaluation of the same state (median
  of --repeat; a different set of models each time).

``--vs-dbt-score`` then runs, side by side and interleaved (--repeat times each), the commands a user would:
``dab conformance check`` (every built-in rule, table output, the bench database: it builds on the last evaluation
and judges again what changed since, here nothing), ``dab conformance check --full`` (every rule on every capsule)
and ``dbt-score lint`` on the same manifest (dbt-score from requirements-bench.txt, installed into .venv-bench on
first use), and prints the median wall time and CPU time (user + system, child processes) of each, with what each
check said it judged.

Each line gives wall and process CPU time (the CPU time is the fairer figure on a busy machine; PostgreSQL's
own work runs in another process and shows only in wall time) and the steps' wall times. The load average is
printed with the figures.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
GENERATOR = REPO / ".." / "shared" / "bench" / "gen_dbt.py"
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/dab_bench_conformance"


def generate(models: int, gen_dir: str | None = None) -> Path:
    folder = Path(gen_dir or "/tmp") / f"dab_bench_gen_{models}"
    if not (folder / "manifest.json").exists():
        if not GENERATOR.exists():
            sys.exit(f"generator not found: {GENERATOR}")
        subprocess.run([sys.executable, str(GENERATOR), "--models", str(models), "--out", str(folder)], check=True)
    return folder


def recreate_database(url: str) -> None:
    """Drop and create the bench's own database (never one the product or the tests use)."""
    import psycopg

    name = url.rsplit("/", 1)[1]
    if not name.startswith("dab_") or "bench" not in name:
        sys.exit(f"refusing to drop {name!r}: the bench database's name must start with dab_ and say bench")
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def ensure_database(url: str) -> None:
    """Create the bench's database when ``--reuse`` names one that does not exist yet (nothing is dropped)."""
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def timed(function, *args, **kwargs):
    started, cpu = time.perf_counter(), time.process_time()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - started, time.process_time() - cpu


def steps(run) -> str:
    return " ".join(f"{key} {value:.2f}" for key, value in run.timings.items())


def bench(models: int, *, url: str, repeat: int, reuse: bool, gen_dir: str | None = None, changed: int = 0) -> None:
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from catalog.models import Capsule
    from conformance.choices import ViolationStatus
    from conformance.models import ScoreSnapshot, Violation, ViolationEvent
    from conformance.services import conformance_evaluate, violations_triage
    from ingestion.services import Artifact, dbt_ingest

    folder = generate(models, gen_dir)
    settings.CONFORMANCE_ON_INGEST = False
    if reuse:
        call_command("migrate", verbosity=0)  # a new database, or one stored by older code
    models_stored = Capsule.objects.filter(capsule_type="model").count() if reuse else -1
    if models_stored == models:
        # a first run again: no violation, event or snapshot stored yet
        ViolationEvent.objects.all().delete()
        Violation.objects.all().delete()
        ScoreSnapshot.objects.all().delete()
        print(f"\n{models:,} models: reusing the bench database")
    else:
        connection.close()
        recreate_database(url)
        call_command("migrate", verbosity=0)
        job, seconds, _ = timed(
            dbt_ingest,
            manifest=Artifact.from_path("manifest", folder / "manifest.json"),
            catalog=Artifact.from_path("catalog", folder / "catalog.json"),
            triggered_by="bench",
        )
        if job.status != "completed":
            sys.exit(f"ingestion failed: {job.error_message}")
        counts = f"{job.stats.get('capsules')}, {job.stats.get('columns')}"
        print(f"\n{models:,} models: ingested in {seconds:.1f} s ({counts})")

    run, wall, cpu = timed(conformance_evaluate, triggered_by="bench")
    print(
        f"  first run        wall {wall:5.2f} s  cpu {cpu:5.2f} s  findings {len(run.evaluation.findings):,}  "
        f"new {run.stored.new:,}  [{steps(run)}]"
    )
    for label, prepare in (("unchanged re-run", None), ("5,000 waived", "waive")):
        if prepare == "waive":
            chosen = Violation.objects.filter(status=ViolationStatus.OPEN).order_by("fingerprint")[:5000]
            violations_triage(violations=list(chosen), action="waive", actor="bench", reason="bench")
        walls, cpus, last = [], [], None
        for _ in range(repeat):
            last, wall, cpu = timed(conformance_evaluate, triggered_by="bench")
            walls.append(wall)
            cpus.append(cpu)
        print(
            f"  {label:<16} wall {statistics.median(walls):5.2f} s  cpu {statistics.median(cpus):5.2f} s  "
            f"(median of {repeat}; min wall {min(walls):.2f})  still open {last.stored.still_open:,}  "
            f"waived {len(last.evaluation.findings) - len(last.evaluation.active_findings):,}  [{steps(last)}]"
        )
    if changed:
        incremental(changed, repeat=repeat)


def incremental(count: int, *, repeat: int) -> None:
    """``count`` models changed (their description cleared or restored, a different set each time), then the
    evaluation an ingestion runs after such a change (``changes``), and a full one over the same state for
    comparison; each prints the scope it judged."""
    from django.utils import timezone

    from catalog.models import Capsule
    from conformance.services import ConformanceChanges, conformance_evaluate

    models = list(Capsule.objects.filter(capsule_type="model").order_by("urn").values_list("pk", "description"))
    runs: dict[str, list[tuple[float, float, object]]] = {"incremental": [], "full": []}
    for round_ in range(repeat):
        chosen = models[round_ * count : (round_ + 1) * count]
        for pk, description in chosen:
            Capsule.objects.filter(pk=pk).update(
                description="" if description else "documented", updated_at=timezone.now()
            )
        changes = ConformanceChanges(capsule_ids=frozenset(pk for pk, _ in chosen))
        runs["incremental"].append(timed(conformance_evaluate, triggered_by="bench", changes=changes))
        runs["full"].append(timed(conformance_evaluate, triggered_by="bench"))  # nothing changed since: same outcome
        # the proof: the full evaluation of the same state changes no stored violation and scores the same
        after, full = runs["incremental"][-1][0], runs["full"][-1][0]
        same_report = _report(after) == _report(full)
        moved = {k: v for k, v in full.stored.to_dict().items() if k not in ("still_open", "events") and v}
        print(
            f"  round {round_ + 1}: the full evaluation after the incremental one: report identical {same_report}, "
            f"violations changed {moved or 'none'}"
        )
    for label, values in runs.items():
        walls, cpus, last = [w for _, w, _ in values], [c for _, _, c in values], values[-1][0]
        scope = last.scope or {"mode": "full"}
        print(
            f"  {count} changed, {label:<11} wall {statistics.median(walls):5.2f} s  "
            f"cpu {statistics.median(cpus):5.2f} s  "
            f"(median of {repeat}) scope {scope.get('mode')} {scope.get('changed_capsules', '')}  "
            f"new {last.stored.new + last.stored.reopened} resolved {last.stored.resolved}  [{steps(last)}]"
        )  # fmt: skip


def _report(run) -> dict:
    """A run's score report and snapshot figures, the evaluation's own timestamp aside."""
    report = run.report.to_dict(include_objects=True)
    report.pop("evaluated_at")
    snapshot = run.snapshot
    figures = (snapshot.score, snapshot.weighted_score, snapshot.capsules, snapshot.columns, snapshot.findings,
               snapshot.waived, snapshot.by_severity, snapshot.offenders)  # fmt: skip
    return {"report": report, "snapshot": figures}


BENCH_VENV = REPO / ".venv-bench"


def bench_venv() -> Path:
    """.venv-bench with requirements-bench.txt (dbt-score), made on first use."""
    if not (BENCH_VENV / "bin" / "dbt-score").exists():
        subprocess.run([sys.executable, "-m", "venv", str(BENCH_VENV)], check=True)
        pip = str(BENCH_VENV / "bin" / "pip")
        subprocess.run([pip, "install", "--quiet", "-r", str(REPO / "requirements-bench.txt")], check=True)
    return BENCH_VENV


def timed_command(command: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Wall time, CPU time (user + system of the command and its children) and the ``evaluation:`` line a check
    writes on stderr, of one run."""
    before = os.times()
    started = time.perf_counter()
    done = subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False, text=True)
    wall = time.perf_counter() - started
    after = os.times()
    said = next((line for line in done.stderr.splitlines() if line.startswith("evaluation:")), "")
    return wall, (after.children_user - before.children_user) + (after.children_system - before.children_system), said


def versus_dbt_score(models: int, *, url: str, repeat: int, gen_dir: str | None) -> None:
    """`dab conformance check`, `dab conformance check --full` and `dbt-score lint` on the same project, interleaved;
    medians printed."""
    folder = generate(models, gen_dir)
    venv = bench_venv()
    env = {**os.environ, "DATABASE_URL": url, "ENVIRONMENT": "development", "DAB_ENV_FILE": os.devnull,
           # this checkout's code, also when the venv's editable install points at another one (a worktree)
           "PYTHONPATH": os.pathsep.join(filter(None, (str(REPO), os.environ.get("PYTHONPATH"))))}  # fmt: skip
    dab = str(Path(sys.executable).parent / "dab")
    commands = {
        "dab conformance check": [dab, "conformance", "check"],
        "dab conformance check --full": [dab, "conformance", "check", "--full"],
        "dbt-score lint": [str(venv / "bin" / "dbt-score"), "lint", "--manifest", str(folder / "manifest.json")],
    }
    runs: dict[str, list[tuple[float, float, str]]] = {name: [] for name in commands}
    for _ in range(repeat):
        for name, command in commands.items():
            runs[name].append(timed_command(command, env))
    print(f"\n{models:,} models, side by side (median of {repeat}, interleaved):")
    for name, values in runs.items():
        walls, cpus, said = [w for w, _, _ in values], [c for _, c, _ in values], values[-1][2]
        print(f"  {name:<28} wall {statistics.median(walls):5.2f} s  cpu {statistics.median(cpus):5.2f} s  "
              f"(min wall {min(walls):.2f})  {said}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", type=int, nargs="+", default=[1000, 10_000])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--reuse", action="store_true", help="keep the bench database when it holds the project")
    parser.add_argument("--gen-dir", help="folder caching the generated projects (default /tmp)")
    parser.add_argument("--vs-dbt-score", action="store_true", help="also time dab conformance check and dbt-score")
    parser.add_argument("--changed", type=int, default=5, help="models changed for the incremental runs (0: none)")
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("ENVIRONMENT", "development")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ["DATABASE_POOL_SIZE"] = "0"  # the bench drops its database between sizes: no pooled connections
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dab_project.settings")
    if args.reuse:
        ensure_database(url)
    else:
        recreate_database(url)  # so django.setup() finds it
    import django

    django.setup()
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; {os.cpu_count()} CPUs")
    for models in args.models:
        bench(models, url=url, repeat=args.repeat, reuse=args.reuse, gen_dir=args.gen_dir, changed=args.changed)
        if args.vs_dbt_score:
            versus_dbt_score(models, url=url, repeat=args.repeat, gen_dir=args.gen_dir)
    print(f"\nload average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
