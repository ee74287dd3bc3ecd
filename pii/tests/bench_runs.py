"""The pure tests' way to run a bench script (bench/pii_*.py) on a label file of a few rows."""

from __future__ import annotations

import csv
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]
_FIELDS = ["column_name", "data_type", "description", "label_pii_type", "source", "note", "capsule_name",
           "data_type_source", "stratum", "split"]


def bench_module(name: str) -> ModuleType:
    """bench/<name>.py loaded as the module ``name`` (bench/ is no package the tests import)."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "bench" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(name, module)
    spec.loader.exec_module(module)
    return module


def write_labels(path: Path, rows: list[tuple[str, str, str, str]]) -> Path:
    """A dev-split label file of (name, data type, description, label) rows: ``name`` in a table of products, the
    others in a table of customers."""
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(_FIELDS)
        for name, data_type, description, label in rows:
            table = "products" if name == "name" else "customers"
            writer.writerow([name, data_type, description, label, f"t:{table}", "", table, "ddl", "t", "dev"])
    return path
