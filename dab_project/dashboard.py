"""What the dashboard shows: the landscape's size, coverage, conformance, PII and lineage at a glance.

Each figure comes from the selector its app already serves; about ten small aggregate queries in all.
"""

from __future__ import annotations

from django.db.models import Count, Q

from catalog.models import Capsule, Column
from catalog.querysets import pii_q
from catalog.selectors import capsule_coverage, capsule_facet_counts, catalog_counts
from conformance.selectors import snapshot_latest
from dab_project.text import plural
from ingestion.changes.selectors import models_slowest_growing
from ingestion.selectors import job_list
from pii.selectors import pii_exposure

LINEAGE_TYPES = ("model", "snapshot")


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


# dbt resource types whose plural is not the name plus "s".
_TYPE_PLURALS = {"analysis": "analyses", "saved_query": "saved queries"}
SHOWN_TYPES = 3


def type_breakdown(facets) -> list[str]:
    """'26 models', '9 sources', '8 seeds', '8 others': the commonest types, then the rest together,
    so the parts add up to the capsule count."""
    shown = [
        plural(f.count, f.value.replace("_", " "), _TYPE_PLURALS.get(f.value)) for f in facets[:SHOWN_TYPES] if f.value
    ]
    rest = sum(f.count for f in facets[SHOWN_TYPES:]) + sum(f.count for f in facets[:SHOWN_TYPES] if not f.value)
    if rest:
        shown.append(plural(rest, "other"))
    return shown


def dashboard_summary() -> dict:
    counts = catalog_counts()
    summary: dict = {"counts": counts, "recent_jobs": list(job_list()[:5])}
    if not counts["capsules"]:
        return summary
    models = Capsule.objects.filter(capsule_type="model")
    summary["models"] = capsule_coverage(queryset=models)
    everything = Capsule.objects.all()  # one queryset for both facets: counted in one scan
    facets = capsule_facet_counts(querysets={"capsule_type": everything, "layer": everything})
    summary["by_type"], summary["by_layer"] = facets["capsule_type"], facets["layer"]
    summary["type_breakdown"] = type_breakdown(facets["capsule_type"])
    pii = Column.objects.filter(pii_q()).aggregate(total=Count("pk"), masked=Count("pk", filter=Q(pii_masked=True)))
    summary["pii"] = {**pii, "exposed": pii_exposure().columns.count()}
    lineage = dict(
        Capsule.objects.filter(capsule_type__in=LINEAGE_TYPES)
        .order_by()
        .values_list("lineage_status")
        .annotate(n=Count("pk"))
    )
    with_sql = sum(n for status, n in lineage.items() if status != "no_sql")
    summary["lineage"] = {
        "statuses": lineage,
        "parsed": lineage.get("parsed", 0),
        "parsed_ratio": _ratio(lineage.get("parsed", 0), with_sql),
        "no_sql": lineage.get("no_sql", 0),
    }
    snapshot = snapshot_latest()
    summary["conformance"] = snapshot
    summary["offenders"] = (snapshot.offenders or [])[:6] if snapshot else []
    summary["slowest_growing"] = models_slowest_growing(limit=5)
    return summary
