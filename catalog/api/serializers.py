"""Catalog API shapes. Related objects render through brief serializers (id, url, display name)."""

from __future__ import annotations

import functools
from urllib.parse import quote

from django.urls import reverse
from django.utils import timezone
from rest_framework import serializers

from catalog.choices import PiiDecision
from catalog.models import Capsule, Column, Domain, Owner, SourceSystem
from dab_project.converters import name_escape

# A value each lookup pattern accepts (URNs must start "urn:"), reversed once per URL name.
_PLACEHOLDERS = {"urn": "urn:dab-placeholder", "name": "dab-placeholder", "pk": "00000000-0000-0000-0000-000000000000"}
_SAFE = "!$&'()*+,;=/~:@"  # what Django's reverse() leaves unquoted in a path argument


@functools.lru_cache(maxsize=64)
def _url_template(url_name: str, key: str) -> str:
    return reverse(url_name, kwargs={key: _PLACEHOLDERS[key]})


def _path(url_name: str, **kwargs) -> str:
    """reverse() for one keyword argument, from a template reversed once per route. URNs and names are
    escaped into one segment as their route's converter does (dab_project.converters)."""
    ((key, value),) = kwargs.items()
    value = name_escape(str(value)) if key in ("urn", "name") else str(value)
    return _url_template(url_name, key).replace(_PLACEHOLDERS[key], quote(value, safe=_SAFE))


def _api_url(request, url_name: str, **kwargs) -> str:
    """The absolute URL of an API object. Lists build 150 of these, so the route is reversed once per name
    and the scheme and host are read once per request (reverse() and build_absolute_uri() per row cost
    more than the rest of a row's serialization)."""
    path = _path(url_name, **kwargs)
    if request is None:
        return path
    base = getattr(request, "_dab_absolute_base", None)
    if base is None:
        base = request._dab_absolute_base = request.build_absolute_uri("/")[:-1]
    return base + path


def _datetime(value) -> str | None:
    """A datetime as DRF's DateTimeField writes it (ISO 8601 in the current time zone, UTC as "Z")."""
    if value is None:
        return None
    text = timezone.localtime(value).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _domain_brief(request, domain: Domain | None) -> dict | None:
    if domain is None:
        return None
    return {"id": str(domain.pk), "url": _api_url(request, "domain-detail", name=domain.name), "name": domain.name}


def _owner_brief(request, owner: Owner | None) -> dict | None:
    if owner is None:
        return None
    url = _api_url(request, "owner-detail", pk=owner.pk)
    return {"id": str(owner.pk), "url": url, "name": owner.name, "email": owner.email}


# -- brief serializers --------------------------------------------------------------------------------


class OwnerBriefSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = Owner
        fields = ("id", "url", "name", "email")

    def get_url(self, owner: Owner) -> str:
        return _api_url(self.context.get("request"), "owner-detail", pk=owner.pk)


class DomainBriefSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = Domain
        fields = ("id", "url", "name")

    def get_url(self, domain: Domain) -> str:
        return _api_url(self.context.get("request"), "domain-detail", name=domain.name)


class SourceSystemBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = SourceSystem
        fields = ("id", "name", "source_type")


class CapsuleBriefSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = Capsule
        fields = ("id", "url", "urn", "name", "capsule_type", "layer")

    def get_url(self, capsule: Capsule) -> str:
        return _api_url(self.context.get("request"), "capsule-detail", urn=capsule.urn)


# -- owners, domains, source systems ------------------------------------------------------------------


class OwnerSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    capsule_count = serializers.IntegerField(read_only=True)
    tested_count = serializers.IntegerField(read_only=True)
    documented_count = serializers.IntegerField(read_only=True)
    capsules_url = serializers.SerializerMethodField()

    class Meta:
        model = Owner
        fields = (
            "id",
            "url",
            "name",
            "owner_type",
            "email",
            "slack_channel",
            "meta",
            "capsule_count",
            "tested_count",
            "documented_count",
            "capsules_url",
            "created_at",
            "updated_at",
        )

    def get_url(self, owner: Owner) -> str:
        return _api_url(self.context.get("request"), "owner-detail", pk=owner.pk)

    def get_capsules_url(self, owner: Owner) -> str:
        return _api_url(self.context.get("request"), "owner-capsules", pk=owner.pk)


class DomainSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    parent = DomainBriefSerializer(read_only=True, allow_null=True)
    owner = OwnerBriefSerializer(read_only=True, allow_null=True)
    capsule_count = serializers.IntegerField(read_only=True)
    tested_count = serializers.IntegerField(read_only=True)
    documented_count = serializers.IntegerField(read_only=True)
    capsules_url = serializers.SerializerMethodField()

    class Meta:
        model = Domain
        fields = (
            "id",
            "url",
            "name",
            "description",
            "parent",
            "owner",
            "meta",
            "capsule_count",
            "tested_count",
            "documented_count",
            "capsules_url",
            "created_at",
            "updated_at",
        )

    def get_url(self, domain: Domain) -> str:
        return _api_url(self.context.get("request"), "domain-detail", name=domain.name)

    def get_capsules_url(self, domain: Domain) -> str:
        return _api_url(self.context.get("request"), "domain-capsules", name=domain.name)


class SourceSystemSerializer(serializers.ModelSerializer):
    capsule_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = SourceSystem
        fields = (
            "id",
            "name",
            "source_type",
            "description",
            "connection_info",
            "meta",
            "capsule_count",
            "created_at",
            "updated_at",
        )


# -- capsules -----------------------------------------------------------------------------------------

CAPSULE_LIST_FIELDS = (
    "id",
    "url",
    "html_url",
    "urn",
    "name",
    "capsule_type",
    "layer",
    "materialization",
    "description",
    "domain",
    "owner",
    "source_system",
    "database_name",
    "schema_name",
    "relation_name",
    "tags",
    "has_tests",
    "test_count",
    "doc_coverage",
    "column_count",
    "access",
    "group_name",
    "version",
    "lineage_status",
    "updated_at",
)


class CapsuleSerializer(serializers.ModelSerializer):
    """A capsule in a list: identity, classification, ownership and coverage (no SQL, no raw dbt facts)."""

    url = serializers.SerializerMethodField()
    html_url = serializers.CharField(source="get_absolute_url", read_only=True)
    domain = DomainBriefSerializer(read_only=True, allow_null=True)
    owner = OwnerBriefSerializer(read_only=True, allow_null=True)
    source_system = SourceSystemBriefSerializer(read_only=True)
    column_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Capsule
        fields = CAPSULE_LIST_FIELDS

    def get_url(self, capsule: Capsule) -> str:
        return _api_url(self.context.get("request"), "capsule-detail", urn=capsule.urn)

    def to_representation(self, capsule: Capsule) -> dict:
        """Built directly: DRF's field-by-field machinery cost more than everything else on a page of 50
        (5 of 14 ms). catalog/tests/test_api.py holds it equal to what the declared fields give."""
        request = self.context.get("request")
        domain, owner, system = capsule.domain, capsule.owner, capsule.source_system
        return {
            "id": str(capsule.pk),
            "url": _api_url(request, "capsule-detail", urn=capsule.urn),
            "html_url": _path("catalog:capsule_detail", urn=capsule.urn),
            "urn": capsule.urn,
            "name": capsule.name,
            "capsule_type": capsule.capsule_type,
            "layer": capsule.layer,
            "materialization": capsule.materialization,
            "description": capsule.description,
            "domain": _domain_brief(request, domain),
            "owner": _owner_brief(request, owner),
            "source_system": None
            if system is None
            else {"id": str(system.pk), "name": system.name, "source_type": system.source_type},
            "database_name": capsule.database_name,
            "schema_name": capsule.schema_name,
            "relation_name": capsule.relation_name,
            "tags": capsule.tags,
            "has_tests": capsule.has_tests,
            "test_count": capsule.test_count,
            "doc_coverage": capsule.doc_coverage,
            "column_count": getattr(capsule, "column_count", None),
            "access": capsule.access,
            "group_name": capsule.group_name,
            "version": capsule.version,
            "lineage_status": capsule.lineage_status,
            "updated_at": _datetime(capsule.updated_at),
        }


class CapsuleDetailSerializer(CapsuleSerializer):
    """Everything ingested about one capsule, with its counts and where its columns are."""

    pii_column_count = serializers.IntegerField(read_only=True)
    upstream_count = serializers.IntegerField(read_only=True)
    downstream_count = serializers.IntegerField(read_only=True)
    columns_url = serializers.SerializerMethodField()
    qualified_name = serializers.CharField(read_only=True)

    class Meta:
        model = Capsule
        fields = (
            *CAPSULE_LIST_FIELDS,
            "qualified_name",
            "unique_id",
            "package_name",
            "original_file_path",
            "contract_enforced",
            "checksum",
            "meta",
            "attributes",
            "tests",
            "compiled_sql",
            "raw_sql",
            "lineage_error",
            "pii_column_count",
            "upstream_count",
            "downstream_count",
            "columns_url",
            "ingestion",
            "created_at",
        )

    def get_columns_url(self, capsule: Capsule) -> str:
        return _api_url(self.context.get("request"), "capsule-columns", urn=capsule.urn)

    def to_representation(self, capsule: Capsule) -> dict:
        return serializers.ModelSerializer.to_representation(self, capsule)  # one row: the declared fields


class FacetCountSerializer(serializers.Serializer):
    value = serializers.CharField(allow_null=True)
    count = serializers.IntegerField()


class CapsuleStatsSerializer(serializers.Serializer):
    """Counts by type, layer, domain, owner, materialization and source, and test/documentation coverage."""

    count = serializers.IntegerField()
    by_type = FacetCountSerializer(many=True)
    by_layer = FacetCountSerializer(many=True)
    by_domain = FacetCountSerializer(many=True)
    by_owner = FacetCountSerializer(many=True)
    by_materialization = FacetCountSerializer(many=True)
    by_source = FacetCountSerializer(many=True)
    tested = serializers.IntegerField()
    tested_ratio = serializers.FloatField(allow_null=True)
    documented = serializers.IntegerField()
    documented_ratio = serializers.FloatField(allow_null=True)
    column_doc_coverage = serializers.FloatField(allow_null=True)


# -- columns ------------------------------------------------------------------------------------------

COLUMN_LIST_FIELDS = (
    "id",
    "url",
    "html_url",
    "urn",
    "name",
    "capsule",
    "data_type",
    "ordinal_position",
    "is_nullable",
    "description",
    "origin",
    "tags",
    "tests",
    "has_tests",
    "test_count",
    "semantic_type",
    "is_pii",
    "pii_type",
    "pii_confidence",
    "pii_masked",
    "pii_decision",
)


class ColumnSerializer(serializers.ModelSerializer):
    """A column in a list: identity, type, documentation, tests and its PII verdict."""

    url = serializers.SerializerMethodField()
    html_url = serializers.CharField(source="get_absolute_url", read_only=True)
    capsule = CapsuleBriefSerializer(read_only=True)
    is_pii = serializers.SerializerMethodField(help_text="A PII type is set and no steward rejected it.")

    class Meta:
        model = Column
        fields = COLUMN_LIST_FIELDS

    def get_url(self, column: Column) -> str:
        return _api_url(self.context.get("request"), "column-detail", urn=column.urn)

    def get_is_pii(self, column: Column) -> bool:
        # The same rule as catalog.querysets.pii_q, for one row already in memory.
        return column.pii_type is not None and column.pii_decision != PiiDecision.REJECTED

    def to_representation(self, column: Column) -> dict:
        """Built directly, as ``CapsuleSerializer.to_representation`` is (and held equal by the same test)."""
        request = self.context.get("request")
        capsule = column.capsule
        return {
            "id": str(column.pk),
            "url": _api_url(request, "column-detail", urn=column.urn),
            "html_url": _path("catalog:column_detail", urn=column.urn),
            "urn": column.urn,
            "name": column.name,
            "capsule": {
                "id": str(capsule.pk),
                "url": _api_url(request, "capsule-detail", urn=capsule.urn),
                "urn": capsule.urn,
                "name": capsule.name,
                "capsule_type": capsule.capsule_type,
                "layer": capsule.layer,
            },
            "data_type": column.data_type,
            "ordinal_position": column.ordinal_position,
            "is_nullable": column.is_nullable,
            "description": column.description,
            "origin": column.origin,
            "tags": column.tags,
            "tests": column.tests,
            "has_tests": column.has_tests,
            "test_count": column.test_count,
            "semantic_type": column.semantic_type,
            "is_pii": self.get_is_pii(column),
            "pii_type": column.pii_type,
            "pii_confidence": column.pii_confidence,
            "pii_masked": column.pii_masked,
            "pii_decision": column.pii_decision,
        }


class ColumnDetailSerializer(ColumnSerializer):
    """Everything ingested and inferred about one column, with the evidence behind its PII verdict."""

    def to_representation(self, column: Column) -> dict:
        return serializers.ModelSerializer.to_representation(self, column)  # one row: the declared fields

    class Meta:
        model = Column
        fields = (
            *COLUMN_LIST_FIELDS,
            "meta",
            "stats",
            "constraints",
            "in_manifest",
            "in_catalog",
            "pii_detected_by",
            "pii_evidence",
            "pii_decided_type",
            "pii_decided_by",
            "pii_decided_at",
            "pii_decision_note",
            "created_at",
            "updated_at",
        )


# -- search -------------------------------------------------------------------------------------------


class SearchSectionSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="How many matched; at least this many when count_exact is false.")
    count_exact = serializers.BooleanField()
    results = serializers.ListField(
        help_text="Capsules or columns as their lists show them, each with `match` (exact, prefix, name, "
        "description, fuzzy) and `match_reason` (why, in words); `html_url` is its page."
    )


class FacetValueSerializer(serializers.Serializer):
    value = serializers.CharField()
    count = serializers.IntegerField()


class SearchFacetsSerializer(serializers.Serializer):
    """Capsules matching the query per value of each facet, each counted under the other facets chosen."""

    capsule_type = FacetValueSerializer(many=True)
    layer = FacetValueSerializer(many=True)
    domain = FacetValueSerializer(many=True)
    owner = FacetValueSerializer(many=True)
    materialization = FacetValueSerializer(many=True)
    has_pii = FacetValueSerializer(many=True)
    has_tests = FacetValueSerializer(many=True)
    tag = FacetValueSerializer(many=True)


class SearchResultSerializer(serializers.Serializer):
    """``/search``: ranked capsules and columns, each with how many matched in all, the facets, and the
    closest names when nothing matched."""

    query = serializers.CharField()
    capsules = SearchSectionSerializer(required=False, help_text="absent when `kind=columns`")
    columns = SearchSectionSerializer(required=False, help_text="absent when `kind=capsules`")
    facets = SearchFacetsSerializer(required=False)
    did_you_mean = serializers.ListField(child=serializers.CharField())


class SuggestionSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=("capsule", "column"))
    name = serializers.CharField()
    label = serializers.CharField(help_text="The capsule's name, or capsule.column for a column.")
    capsule_type = serializers.CharField()
    layer = serializers.CharField(allow_null=True)
    urn = serializers.CharField()
    url = serializers.CharField(help_text="Its page.")
    match = serializers.CharField()


class SuggestionsSerializer(serializers.Serializer):
    """``/search/suggest``: what the header box offers while typing."""

    query = serializers.CharField()
    suggestions = SuggestionSerializer(many=True)
    all_results_url = serializers.CharField(help_text="The search page for the query.")
