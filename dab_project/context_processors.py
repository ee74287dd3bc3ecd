from django.conf import settings
from django.urls import reverse

from dab_project import __version__

_NAV = (
    ("dashboard", "Dashboard", "dashboard"),
    ("capsules", "Capsules", "catalog:capsule_list"),
    ("lineage", "Lineage", "lineage:explorer"),
    ("pii", "PII", "pii:inventory"),
    ("conformance", "Conformance", "conformance:dashboard"),
    ("ingestion", "Ingestion", "ingestion:job_list"),
    ("changes", "Changes", "ingestion:changes"),
)


def _section(request) -> str:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return ""
    if match.namespace == "catalog":
        return "capsules"
    if match.namespace == "ingestion" and match.url_name in ("diff", "changes"):
        return "changes"
    return match.namespace or match.url_name or ""


def dab(request):
    """Values every page needs: navigation, environment badge, API prefix for links to raw JSON."""
    items = [{"key": key, "label": label, "url": reverse(name)} for key, label, name in _NAV]
    user = getattr(request, "user", None)
    if user is not None and user.is_staff:
        items.append({"key": "admin", "label": "Admin", "url": reverse("admin:index")})
    return {
        "nav_items": items,
        "nav_section": _section(request),
        "dab_environment": settings.ENVIRONMENT,
        "dab_version": __version__,
        "api_prefix": settings.API_PREFIX,
        "allow_anonymous_read": settings.ALLOW_ANONYMOUS_READ,
    }
