"""Project-wide settings the engine applies to every rule: what is excluded, how models are typed, and the
per-project parameters of rules (a dbt-project-evaluator set-up, or the same knobs set natively).

Pure data and pure functions; ``conformance.evaluator`` reads them from an evaluator's ``dbt_project.yml``,
``conformance.services`` from the stored project settings.

A *model type* is dbt-project-evaluator's layer of a model: the type whose prefixes include the name's
prefix (the text up to its first ``_``, underscore included); else the type whose folder is the deepest
folder of its path; else ``other``. Sources, seeds, exposures, metrics and tests have none.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

# The evaluator's own package: its models describe the project, they are not part of it.
EVALUATOR_PACKAGE = "dbt_project_evaluator"
# dbt-project-evaluator's defaults (its dbt_project.yml vars)
DEFAULT_MODEL_TYPES = ("base", "staging", "intermediate", "marts", "other")
DEFAULT_TYPE_PREFIXES = {
    "base": ("base_",),
    "staging": ("stg_",),
    "intermediate": ("int_",),
    "marts": ("fct_", "dim_"),
    "other": ("rpt_",),
}
DEFAULT_TYPE_FOLDERS = {
    "base": ("base",),
    "staging": ("staging",),
    "intermediate": ("intermediate",),
    "marts": ("marts",),
}
TYPED_RESOURCES = frozenset({"model", "snapshot", "analysis"})  # the evaluator types every node but these


@dataclass(frozen=True)
class Naming:
    """Model types in order, with their name prefixes and folder names."""

    types: tuple[str, ...] = DEFAULT_MODEL_TYPES
    prefixes: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType(DEFAULT_TYPE_PREFIXES))
    folders: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType(DEFAULT_TYPE_FOLDERS))

    def __post_init__(self) -> None:
        by_prefix: dict[str, str] = {}
        by_folder: dict[str, str] = {}
        for kind in self.types:
            for prefix in self.prefixes.get(kind, ()):
                by_prefix.setdefault(prefix, kind)
            for folder in self.folders.get(kind, ()):
                by_folder.setdefault(folder, kind)
        object.__setattr__(self, "_by_prefix", by_prefix)
        object.__setattr__(self, "_by_folder", by_folder)

    def __hash__(self) -> int:
        return hash((self.types, tuple(sorted(self.prefixes.items())), tuple(sorted(self.folders.items()))))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Naming) and hash(self) == hash(other) and self.to_dict() == other.to_dict()

    @staticmethod
    def name_prefix(name: str) -> str:
        """The evaluator's prefix: the text up to the first underscore, underscore included."""
        return name.split("_", 1)[0] + "_"

    def prefix_type(self, name: str) -> str | None:
        return self._by_prefix.get(self.name_prefix(name))  # type: ignore[attr-defined]

    def folder_type(self, path: str | None) -> tuple[str | None, str | None]:
        """(type, folder) of the deepest folder of ``path`` that names a type, as the evaluator finds it: the
        first occurrence of ``/folder/`` in the directory part with the highest position."""
        if not path:
            return None, None
        directory = path.replace("\\", "/").rsplit("/", 1)[0] + "/" if "/" in path else ""
        best: tuple[int, str | None, str | None] = (-1, None, None)
        for folder, kind in self._by_folder.items():  # type: ignore[attr-defined]
            position = directory.find(f"/{folder}/")
            if position > best[0]:
                best = (position, kind, folder)
        return best[1], best[2]

    def model_type(self, name: str, path: str | None) -> str:
        return self.prefix_type(name) or self.folder_type(path)[0] or "other"

    def to_dict(self) -> dict[str, Any]:
        return {
            "types": list(self.types),
            "prefixes": {kind: list(self.prefixes.get(kind, ())) for kind in self.types if self.prefixes.get(kind)},
            "folders": {kind: list(self.folders.get(kind, ())) for kind in self.types if self.folders.get(kind)},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Naming:
        return cls(
            types=tuple(data.get("types") or DEFAULT_MODEL_TYPES),
            prefixes=MappingProxyType({k: tuple(v) for k, v in (data.get("prefixes") or {}).items()}),
            folders=MappingProxyType({k: tuple(v) for k, v in (data.get("folders") or {}).items()}),
        )


DEFAULT_NAMING = Naming()


@dataclass(frozen=True)
class ProjectSettings:
    """What one dbt project (a source system) asks of every evaluation.

    ``exclude_packages`` drops capsules of those packages (``all``: every package but the project's own);
    ``exclude_path_patterns`` are regular expressions searched (case-insensitively) in a project capsule's
    file path, or ``path:source.table`` for sources, the evaluator's ``exclude_paths_from_project``;
    ``exclude_paths`` and ``exclude_names`` are globs (DAB's own knobs) over the path and the name or label.
    Exposures and metrics are never excluded (the evaluator does not allow it either).
    ``parameters`` are check parameters per rule id laid over the rule file's; ``resource_types`` replace a
    rule's resource-type filter (the evaluator's enforced_primary_key_node_types).
    """

    project: str
    exclude_packages: tuple[str, ...] = ()
    exclude_path_patterns: tuple[str, ...] = ()
    exclude_paths: tuple[str, ...] = ()
    exclude_names: tuple[str, ...] = ()
    naming: Naming | None = None
    parameters: Mapping[str, Mapping[str, Any]] = field(default_factory=lambda: MappingProxyType({}))
    resource_types: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        patterns = tuple(re.compile(p, re.IGNORECASE) for p in self.exclude_path_patterns)
        globs = re.compile("|".join(fnmatch.translate(g) for g in self.exclude_paths)) if self.exclude_paths else None
        names = (
            re.compile("|".join(fnmatch.translate(g) for g in self.exclude_names), re.IGNORECASE)
            if self.exclude_names
            else None
        )
        object.__setattr__(self, "_patterns", patterns)
        object.__setattr__(self, "_globs", globs)
        object.__setattr__(self, "_names", names)

    @property
    def excludes(self) -> bool:
        return bool(self.exclude_packages or self.exclude_path_patterns or self.exclude_paths or self.exclude_names)

    def excludes_capsule(
        self, *, capsule_type: str, package: str | None, path: str | None, names: Iterable[str]
    ) -> bool:
        if capsule_type in ("exposure", "metric"):
            return False
        own = not package or package == self.project
        if not own and (package in self.exclude_packages or "all" in self.exclude_packages):
            return True
        return self.excludes_path(path=path, own=own) or (
            self._names is not None and any(self._names.match(name) for name in names)  # type: ignore[attr-defined]
        )

    def excludes_path(self, *, path: str | None, own: bool = True, source_label: str | None = None) -> bool:
        """Whether a file path of the project is excluded (``source_label``: ``source.table`` of a source)."""
        if not path:
            return False
        if own and self._patterns:  # type: ignore[attr-defined]
            subject = f"{path}:{source_label}" if source_label else path
            if any(pattern.search(subject) for pattern in self._patterns):  # type: ignore[attr-defined]
                return True
        return self._globs is not None and self._globs.match(path) is not None  # type: ignore[attr-defined]


@dataclass(frozen=True)
class ProjectScope:
    """Every project's settings, by project name (the capsules' ``source_system``)."""

    projects: Mapping[str, ProjectSettings] = field(default_factory=lambda: MappingProxyType({}))

    def get(self, project: str | None) -> ProjectSettings | None:
        return self.projects.get(project) if project is not None else None

    def naming(self, project: str | None) -> Naming:
        settings = self.get(project)
        return settings.naming if settings is not None and settings.naming is not None else DEFAULT_NAMING

    def overridden(self, rule_id: str) -> list[ProjectSettings]:
        """Projects that set parameters or resource types of ``rule_id``, by name."""
        return [
            self.projects[name]
            for name in sorted(self.projects)
            if rule_id in self.projects[name].parameters or rule_id in self.projects[name].resource_types
        ]


NO_PROJECTS = ProjectScope()
