"""`manage.py conformance_project` / `dab conformance project`: a project's conformance settings.

    dab conformance project acme_shop                                   # show them
    dab conformance project acme_shop --file conformance.yml            # DAB's own excludes (and evaluator vars)
    dab conformance project acme_shop --dbt-project dbt_project.yml --evaluator-exceptions exceptions.csv

Changing them re-evaluates conformance at once (unless --no-evaluate). Exit status 2 when a file is invalid
or the project unknown; nothing is stored then.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from catalog.selectors import source_system_list
from conformance.selectors import project_config_get
from conformance.services import EvaluatorConfigError, project_settings_update


class Command(BaseCommand):
    help = "Show or change a dbt project's conformance settings (excludes, dbt-project-evaluator set-up)."

    def add_arguments(self, parser):
        parser.add_argument("project", help="the project (source system) name")
        parser.add_argument("--file", type=Path, metavar="FILE", help="settings YAML: exclude: and/or evaluator:")
        parser.add_argument("--dbt-project", type=Path, metavar="FILE", help="the project's dbt_project.yml")
        parser.add_argument(
            "--evaluator-exceptions", type=Path, metavar="FILE", help="dbt_project_evaluator_exceptions.csv"
        )
        parser.add_argument("--clear", action="store_true", help="forget the stored settings first")
        parser.add_argument("--no-evaluate", action="store_true", help="store only; evaluate later")
        parser.add_argument("--json", action="store_true", help="print the settings as JSON")

    def handle(self, *args, project, file, dbt_project, evaluator_exceptions, clear, no_evaluate, json, **options):
        system = source_system_list().filter(name=project).first()
        if system is None:
            known = ", ".join(source_system_list().values_list("name", flat=True)) or "none yet"
            raise CommandError(f"unknown project {project!r} (known: {known})", returncode=2)
        files = {"settings": file, "dbt_project": dbt_project, "exceptions": evaluator_exceptions}
        if any(files.values()) or clear:
            contents = {}
            for key, path in files.items():
                if path is None:
                    continue
                try:
                    contents[key] = path.read_bytes()
                except OSError as exc:
                    raise CommandError(f"cannot read {path}: {exc.strerror}", returncode=2) from None
            try:
                _, run, warnings = project_settings_update(
                    source_system=system,
                    settings_file=contents.get("settings"),
                    dbt_project=contents.get("dbt_project"),
                    exceptions=contents.get("exceptions"),
                    labels={key: str(path) for key, path in files.items() if path is not None},
                    clear=clear,
                    actor="cli",
                    evaluate=not no_evaluate,
                )
            except (EvaluatorConfigError, ValueError) as exc:
                raise CommandError(str(exc), returncode=2) from None
            for warning in warnings:
                self.stderr.write(self.style.WARNING(f"warning: {warning}"))
            if run is not None:
                overall = run.report.overall
                self.stderr.write(
                    f"re-evaluated: score {overall.score:.1f}, {len(run.evaluation.active_findings)} active findings"
                    if overall.score is not None
                    else "re-evaluated"
                )
        config = project_config_get(source_system=system)
        data = {
            "project": system.name,
            "exclude_packages": config.exclude_packages if config else [],
            "exclude_paths": config.exclude_paths if config else [],
            "exclude_names": config.exclude_names if config else [],
            "evaluator_vars": config.evaluator_vars if config else {},
            "evaluator_not_understood": config.evaluator_not_understood if config else [],
            "evaluator_exceptions": config.evaluator_exceptions if config else [],
            "changed_by": config.changed_by if config else None,
            "updated_at": config.updated_at.isoformat() if config else None,
        }
        if json:
            self.stdout.write(_dump(data))
            return
        self.stdout.write(f"{system.name}: {'no settings stored' if config is None else 'settings'}")
        for key, value in data.items():
            if key != "project" and value not in ([], {}, None):
                self.stdout.write(f"  {key}: {_dump(value) if isinstance(value, dict | list) else value}")


def _dump(value) -> str:
    return json.dumps(value, indent=None, default=str, sort_keys=True)
