"""Names dbt allows but URLs do not like: every page and API endpoint that lists or links them answers 200,
and every capsule and column is reachable at the one escaped URL (dab_project.converters)."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from urllib.parse import quote, urlsplit

import pytest
from django.urls import reverse

from catalog.models import Capsule, Column, Domain
from conftest import SAMPLE_TARGET_DIR
from dab_project.converters import name_escape, name_unescape
from ingestion.services import Artifact, dbt_ingest

pytestmark = pytest.mark.django_db

RTL = "\u202e"  # right-to-left override
RLM = "\u200f"  # right-to-left mark
# unique_id -> the hostile name it gets; unique_ids stay, so refs, the catalog and tests still join.
HOSTILE = {
    "source.acme_shop.web.web_events": "events/2024",
    "source.acme_shop.shop.orders": "orders 50%2F off?#",
    "model.acme_shop.stg_orders": "stg orders/v2 'q\" ~2F~",
    "model.acme_shop.fct_orders": "fct/orders/lineage",  # ends like a sub-resource
    "model.acme_shop.stg_customers": f"kunden_名前_{RTL}gpj.exe{RLM}",
    "model.acme_shop.dim_products": "dim..products/../x",
    "seed.acme_shop.countries": "countries%",
}
HOSTILE_COLUMN = "e-mail/address ?#%"
HOSTILE_DOMAIN = "sales/emea ~ 100%"


def _hostile_manifest(tmp_path):
    manifest = json.loads((SAMPLE_TARGET_DIR / "manifest.json").read_bytes())
    catalog = json.loads((SAMPLE_TARGET_DIR / "catalog.json").read_bytes())
    for unique_id, name in HOSTILE.items():
        section = "sources" if unique_id.startswith("source.") else "nodes"
        manifest[section][unique_id]["name"] = name
    fct = manifest["nodes"]["model.acme_shop.fct_orders"]
    fct["meta"]["domain"] = fct["config"]["meta"]["domain"] = HOSTILE_DOMAIN
    stg = manifest["nodes"]["model.acme_shop.stg_customers"]
    email = next(c for c in stg["columns"] if "email" in c)
    column = stg["columns"].pop(email)
    column["name"] = HOSTILE_COLUMN
    stg["columns"][HOSTILE_COLUMN] = column
    for section in ("nodes", "sources"):
        entry = catalog[section].get("model.acme_shop.stg_customers")
        if entry and email in entry["columns"]:
            entry["columns"][HOSTILE_COLUMN] = {**entry["columns"].pop(email), "name": HOSTILE_COLUMN}
    (tmp_path / "manifest.json").write_bytes(json.dumps(manifest).encode())
    (tmp_path / "catalog.json").write_bytes(json.dumps(catalog).encode())
    return tmp_path


@pytest.fixture
def hostile_project(tmp_path):
    target = _hostile_manifest(tmp_path)
    job = dbt_ingest(
        manifest=Artifact.from_path("manifest", target / "manifest.json"),
        catalog=Artifact.from_path("catalog", target / "catalog.json"),
        run_results=Artifact.from_path("run_results", SAMPLE_TARGET_DIR / "run_results.json"),
        triggered_by="test",
    )
    assert job.status == "completed", job.error_message
    hostile = Capsule.objects.filter(name__in=HOSTILE.values())
    assert hostile.count() == len(HOSTILE)
    return hostile


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs = []

    def handle_starttag(self, tag, attrs):
        href = dict(attrs).get("href")
        if tag == "a" and href:
            self.hrefs.append(href)


def _links(html: str) -> list[str]:
    parser = _Links()
    parser.feed(html)
    return parser.hrefs


def _get(client, url, **kwargs):
    response = client.get(url, **kwargs)
    assert response.status_code == 200, (url, response.status_code, response.content[:300])
    return response


def test_escaping_round_trips_every_hostile_name():
    for name in [*HOSTILE.values(), HOSTILE_COLUMN, HOSTILE_DOMAIN, "~", "~~2F", "/", "a~7Eb"]:
        escaped = name_escape(name)
        assert "/" not in escaped and name_unescape(escaped) == name
    with pytest.raises(ValueError):
        name_unescape("a~b")


def test_every_page_linking_hostile_names_answers_and_each_link_reaches_its_capsule(steward_client, hostile_project):
    urns = list(hostile_project.values_list("urn", flat=True))
    column = Column.objects.get(name=HOSTILE_COLUMN.lower())
    pages = [
        "/", "/capsules/", "/capsules/?page_size=100", "/domains/", "/owners/", "/conformance/",
        "/conformance/violations/", "/pii/", "/ingestion/", "/search/?q=orders",
        reverse("catalog:domain_detail", kwargs={"name": HOSTILE_DOMAIN}),
        reverse("pii:trace", kwargs={"urn": column.urn}),
        reverse("catalog:column_detail", kwargs={"urn": column.urn}),
    ]
    for urn in urns:
        pages += [
            reverse("catalog:capsule_detail", kwargs={"urn": urn}),
            f"/lineage/?urn={quote(urn)}", f"/lineage/impact/?urn={quote(urn)}",
            f"/lineage/graph.json?urn={quote(urn)}", f"/lineage/graph.json?urn={quote(column.urn)}&level=column",
        ]
    followed = set()
    for page in pages:
        response = _get(steward_client, page)
        if response["Content-Type"].startswith("text/html"):
            for href in _links(response.content.decode()):
                parts = urlsplit(href)
                if not parts.netloc and parts.path.startswith(
                    ("/capsules/urn:", "/columns/urn:", "/domains/", "/owners/", "/pii/trace/",
                     "/conformance/violations/", "/api/v1/")
                ):
                    followed.add(href)
    reached = set()
    for href in sorted(followed):
        response = _get(steward_client, href)
        if href.startswith("/api/v1/"):
            continue
        if "object" in (response.context or {}):
            reached.add(getattr(response.context["object"], "urn", None))
    # the pages link every hostile capsule (neighbours' pages, lists, lineage), and each link lands on it
    assert set(urns) <= reached
    assert column.urn in reached
    assert reverse("catalog:domain_detail", kwargs={"name": HOSTILE_DOMAIN}) in followed


def test_every_api_endpoint_answers_for_hostile_names(api_client, hostile_project):
    column = Column.objects.get(name=HOSTILE_COLUMN.lower())
    domain = Domain.objects.get(name=HOSTILE_DOMAIN)
    urls = [
        "/api/v1/capsules?page_size=100", "/api/v1/columns?page_size=100", "/api/v1/domains", "/api/v1/owners",
        "/api/v1/compliance/pii-inventory", "/api/v1/compliance/pii-exposure", "/api/v1/conformance/violations",
        "/api/v1/search?q=orders", "/api/v1/capsules/stats",
        reverse("domain-detail", kwargs={"name": domain.name}),
        reverse("domain-capsules", kwargs={"name": domain.name}),
        reverse("column-detail", kwargs={"urn": column.urn}),
        reverse("column-lineage", kwargs={"urn": column.urn}),
        reverse("column-impact", kwargs={"urn": column.urn}),
        reverse("pii-trace", kwargs={"urn": column.urn}),
        f"/api/v1/lineage/graph?urn={quote(column.urn)}&level=column",
    ]
    for capsule in hostile_project:
        kwargs = {"urn": capsule.urn}
        urls += [reverse(name, kwargs=kwargs) for name in (
            "capsule-detail", "capsule-columns", "capsule-lineage", "capsule-impact", "capsule-violations")]
        urls += [reverse("capsule-impact", kwargs=kwargs) + "?format=csv"]
        urls += [f"/api/v1/lineage/graph?urn={quote(capsule.urn)}"]
    for url in urls:
        _get(api_client, url)
    # the links the lists hand out lead to the very object
    hostile_urns = set(hostile_project.values_list("urn", flat=True)) | {column.urn}
    for listing in ("/api/v1/capsules?page_size=100", "/api/v1/columns?page_size=500"):
        for row in _get(api_client, listing).json()["results"]:
            if row["urn"] in hostile_urns:
                assert _get(api_client, row["url"]).json()["urn"] == row["urn"]
                hostile_urns.discard(row["urn"])
    assert not hostile_urns
    urn = _events_urn(hostile_project)
    detail = _get(api_client, reverse("capsule-detail", kwargs={"urn": urn})).json()
    assert detail["urn"] == urn
    assert detail["html_url"].endswith(reverse("catalog:capsule_detail", kwargs={"urn": urn}))
    assert detail["url"].endswith(reverse("capsule-detail", kwargs={"urn": urn}))


def _events_urn(capsules) -> str:
    return capsules.get(name="events/2024").urn


def test_old_raw_and_percent_encoded_links_redirect_to_the_escaped_one(steward_client, api_client, hostile_project):
    urn = _events_urn(hostile_project)  # urn:dab:dbt:source:acme_shop.web.events/2024
    canonical = reverse("catalog:capsule_detail", kwargs={"urn": urn})
    assert "~2F" in canonical
    for old in (f"/capsules/{urn}/", f"/capsules/{urn.replace('/', '%2F')}/"):
        response = steward_client.get(old)
        assert response.status_code == 307 and response["Location"] == canonical, old
    api_canonical = reverse("capsule-lineage", kwargs={"urn": urn})
    response = api_client.get(f"/api/v1/capsules/{urn}/lineage?direction=upstream")
    assert response.status_code == 307 and response["Location"] == f"{api_canonical}?direction=upstream"
    # a URN that ends like a sub-resource is still the capsule itself
    fct = hostile_project.get(name="fct/orders/lineage").urn
    response = api_client.get(f"/api/v1/capsules/{fct}")
    assert response["Location"] == reverse("capsule-detail", kwargs={"urn": fct})
    response = api_client.get(f"/api/v1/capsules/{fct}/lineage")
    assert response["Location"] == reverse("capsule-lineage", kwargs={"urn": fct})
    assert steward_client.get("/capsules/urn:dab:dbt:model:nowhere/to/be/").status_code == 404
