"""`manage.py conformance_check` / `dab conformance check`: evaluate the rules now; the CI gate.

Exit status: 0 when no (new) active violation is at or above --fail-on, 1 when some are (the gate failed),
2 when the request cannot run (a rule file that does not validate, an unknown rule set, a bad baseline).
"""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from conformance.engine import FORMATS, SEVERITIES, RuleFileError, load_rules, render
from conformance.selectors import baseline_snapshot, fingerprints_present_at
from conformance.services import SINCE_LAST_EVALUATION, conformance_evaluate, evaluation_only, gate_findings
from dab_project.memory import gc_paused, keep_until_exit
from dab_project.text import plural
from lineage.graph import GraphLoad, graph_load_start


class Command(BaseCommand):
    help = "Evaluate the conformance rules now and fail (exit 1) on violations at or above a severity: the CI gate."
    # The system checks import every URL module (and the PII vocabulary behind the API's choices): about a
    # second of CPU on every CI gate run, for nothing the evaluation uses. `dab check` still runs them.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        parser.add_argument(
            "--rules",
            action="append",
            type=Path,
            metavar="FILE",
            help="evaluate this rule file (or folder) instead of the stored rules; repeatable; never stored",
        )
        parser.add_argument("--rule-set", help="only the rules of this set")
        parser.add_argument(
            "--fail-on", choices=SEVERITIES, default="error", help="lowest severity that fails (default: error)"
        )
        parser.add_argument(
            "--new-only",
            action="store_true",
            help="fail only on violations the evaluation before the latest ingestion did not have",
        )
        parser.add_argument(
            "--baseline",
            type=Path,
            metavar="FILE",
            help="with --new-only: compare with an earlier --format json or sarif output instead of the database",
        )
        parser.add_argument("--format", choices=list(FORMATS), default="table", help="output format (default: table)")
        parser.add_argument("--output", type=Path, metavar="FILE", help="write the output here instead of stdout")
        parser.add_argument(
            "--path-prefix", default="", help="SARIF: prefix of the dbt project's files in the repository (e.g. dbt/)"
        )
        parser.add_argument("--limit", type=int, default=200, help="table: at most this many rows (0: all)")
        parser.add_argument("--no-store", action="store_true", help="evaluate only: keep no violations or score")
        parser.add_argument(
            "--full",
            action="store_true",
            help="judge every rule on every capsule, instead of only what changed since the last evaluation",
        )

    def handle(self, *args, **options):
        # The evaluation holds the graph (a million small objects) until the command ends: with the cyclic
        # collector running, sorting and writing 60,000 findings afterwards triggered full collections that
        # rescanned it all (3.5 s of CPU at 10,000 models, more than the rules' evaluation itself).
        with gc_paused():
            self._handle(options)

    def _handle(self, options):
        now = timezone.now()
        specs = graph = None
        if options["rules"]:
            try:
                specs = load_rules(options["rules"])
            except RuleFileError as exc:
                raise CommandError(str(exc), returncode=2) from None
        baseline, baseline_label = self._baseline(options, now=now)
        store = specs is None and not options["no_store"]
        # Every stored rule, stored: the evaluation builds on the last one and judges again only what changed since
        # (found in the database); it is a full one when it cannot (conformance.services.graph_changes_since).
        # Its graph is read without columns: it loads those it judges again.
        since_last = store and options["rule_set"] is None and not options["full"]
        if specs is None:
            # The stored rules: the graph's read starts now, and PostgreSQL sends it while the rule files are synced
            # and the settings read. With its raw SQL, which the built-in rules read (hard_coded_references): a
            # graph with it judges the same as one without when no rule reads it.
            graph = graph_load_start(sql=True, columns=not since_last)
        try:
            run = conformance_evaluate(
                rule_set=options["rule_set"], specs=specs, store=store, triggered_by="cli", now=now, graph=graph,
                graph_columns=not since_last, changes=SINCE_LAST_EVALUATION if since_last else None,
            )  # fmt: skip
        except ValueError as exc:
            if isinstance(graph, GraphLoad):
                graph.wait()  # the read ends (its connections closed) before the command does
            raise CommandError(str(exc), returncode=2) from None
        if getattr(self, "_called_from_command_line", False):  # the process's command, not a call_command()
            keep_until_exit(run)  # freed at the exit by the operating system, not object by object (0.35 s)
        for warning in run.warnings:
            self.stderr.write(f"warning: {warning}")
        if store and options["rule_set"] is None:
            self.stderr.write(f"evaluation: {_scope_text(run.scope, full=options['full'])}")
        evaluation = run.evaluation
        failing, known = gate_findings(evaluation=evaluation, fail_on=options["fail_on"], baseline=baseline)
        shown = evaluation
        if baseline is not None:
            shown = evaluation_only(evaluation, fingerprints={f.fingerprint for f in evaluation.findings} - baseline)
        self._write(shown, run, options)
        self._verdict(failing, known, options, baseline_label)

    def _baseline(self, options, *, now) -> tuple[set[str] | None, str]:
        if options["baseline"] and not options["new_only"]:
            raise CommandError("--baseline goes with --new-only", returncode=2)
        if not options["new_only"]:
            return None, ""
        if options["baseline"]:
            return _fingerprints_from(options["baseline"]), str(options["baseline"])
        snapshot = baseline_snapshot(before=now)
        if snapshot is None:
            self.stderr.write("note: no evaluation stored before the latest ingestion; every violation is new")
            return set(), "no earlier evaluation"
        return fingerprints_present_at(snapshot=snapshot), f"the evaluation of {snapshot.evaluated_at:%Y-%m-%d %H:%M}"

    def _write(self, evaluation, run, options) -> None:
        fmt = options["format"]
        extra = {}
        if fmt == "json":
            extra["score"] = run.report
        elif fmt == "sarif":
            extra["path_prefix"] = options["path_prefix"]
        elif fmt == "table" and options["limit"] > 0:
            extra["limit"] = options["limit"]
        text = render(evaluation, fmt=fmt, **extra)
        if options["output"]:
            options["output"].write_text(text, encoding="utf-8")
        else:
            self.stdout.write(text, ending="")

    def _verdict(self, failing, known, options, baseline_label: str) -> None:
        threshold = options["fail_on"]
        counts = {severity: sum(1 for f in failing if f.severity == severity) for severity in SEVERITIES}
        detail = ", ".join(f"{n} {severity}" for severity, n in counts.items() if n)
        what = "new violation" if options["new_only"] else "violation"
        known_text = f"; {len(known)} already in {baseline_label}" if options["new_only"] else ""
        if failing:
            raise CommandError(
                f"conformance gate failed: {plural(len(failing), what)} at or above {threshold} ({detail}){known_text}",
                returncode=1,
            )
        self.stderr.write(f"conformance gate passed: no {what}s at or above {threshold}{known_text}")


def _scope_text(scope: dict | None, *, full: bool) -> str:
    """What the stored evaluation judged: ``incremental (N capsules changed ...)`` or ``full (why)``."""
    if full or scope is None:
        return "full (--full)"
    if scope["mode"] == "full":
        return f"full ({scope['reason']})"
    return f"incremental ({plural(scope['changed_capsules'], 'capsule')} changed since the last evaluation)"


def _fingerprints_from(path: Path) -> set[str]:
    """Fingerprints listed by an earlier `--format json` (findings[].fingerprint) or `--format sarif` output."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CommandError(f"cannot read the baseline {path}: {exc}", returncode=2) from None
    if isinstance(document, dict) and isinstance(document.get("findings"), list):
        return {
            item["fingerprint"] for item in document["findings"] if isinstance(item, dict) and "fingerprint" in item
        }
    if isinstance(document, dict) and isinstance(document.get("runs"), list):
        return {
            result.get("partialFingerprints", {}).get("dabFingerprint/v1")
            for run in document["runs"]
            for result in run.get("results", [])
        } - {None}
    raise CommandError(f"the baseline {path} is neither a DAB JSON nor a SARIF output", returncode=2)
