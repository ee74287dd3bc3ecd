"""The dashboard: the first page a steward sees."""

from urllib.parse import quote

from django.http import Http404, HttpResponseRedirect
from django.urls import Resolver404, resolve
from django.utils.http import RFC3986_SUBDELIMS
from django.views.generic import TemplateView

from catalog.selectors import urns_known
from dab_project.converters import name_escape
from dab_project.dashboard import dashboard_summary


class DashboardView(TemplateView):
    template_name = "dashboard.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(dashboard_summary())
        context["last_job"] = context["recent_jobs"][0] if context["recent_jobs"] else None
        return context


def legacy_urn_redirect(request, **kwargs):
    """An old link whose URN is raw or ``%2F``-encoded (``/capsules/urn:…:events/2024/lineage``) is sent, with a
    307 that keeps the method, to the one spelling every route answers: the URN escaped into one segment
    (dab_project.converters). The URN's end is ambiguous once its '/' are bare, so each split is tried from
    the longest URN down; the first that routes and names a stored capsule or column wins (two queries)."""
    path = request.path_info
    start = path.find("/urn:") + 1
    head, parts = path[:start], path[start:].split("/")
    candidates = []
    for cut in range(len(parts), 0, -1):
        urn, rest = "/".join(parts[:cut]), parts[cut:]
        target = head + name_escape(urn) + "".join("/" + part for part in rest)
        for spelling in (target, target + "/") if not rest else (target,):
            try:
                match = resolve(spelling)
            except Resolver404:
                continue
            if match.func is not legacy_urn_redirect:
                candidates.append((urn, spelling))
                break
    known = urns_known(urns=[urn for urn, _ in candidates])
    for urn, target in candidates:
        if urn in known:
            query = request.META.get("QUERY_STRING", "")
            location = quote(request.META.get("SCRIPT_NAME", "") + target, safe=RFC3986_SUBDELIMS + "/~:@")
            location += f"?{query}" if query else ""
            return HttpResponseRedirect(location, status=307)
    raise Http404("No capsule or column has this URN.")
