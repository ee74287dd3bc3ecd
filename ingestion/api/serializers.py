from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.reverse import reverse

from ingestion.models import IngestionJob
from ingestion.representations import JOB_FIELDS


class ChangeCountsSerializer(serializers.Serializer):
    """What a load did to one kind of row."""

    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    removed = serializers.IntegerField()


class IngestionStatsSerializer(serializers.Serializer):
    """A job's figures (schema only: the stored dict is returned as it is). Which keys are present depends
    on how far the job got; each pipeline step (``pii_classification``, ``column_lineage``,
    ``pii_propagation``, ``conformance``) adds an object of its own figures."""

    capsules = ChangeCountsSerializer(required=False)
    columns = ChangeCountsSerializer(required=False)
    edges = ChangeCountsSerializer(required=False)
    tests = ChangeCountsSerializer(required=False)
    owners_created = serializers.IntegerField(required=False)
    domains_created = serializers.IntegerField(required=False)
    parsed = serializers.DictField(child=serializers.IntegerField(), required=False, help_text="what the parse read")
    timings = serializers.DictField(child=serializers.FloatField(), required=False, help_text="seconds per stage")
    dry_run = serializers.CharField(required=False, help_text="present on a dry run: nothing was stored")
    unchanged = serializers.DictField(
        required=False, help_text="present when the artifacts were those of an earlier job: `same_as_job`, `message`"
    )


@extend_schema_field(IngestionStatsSerializer)
class _StatsField(serializers.JSONField):
    pass


@extend_schema_field({"type": "object", "additionalProperties": True})
class _ObjectField(serializers.JSONField):
    pass


@extend_schema_field({"type": "object", "additionalProperties": True, "nullable": True})
class _NullableObjectField(serializers.JSONField):
    pass


class IngestionJobSerializer(serializers.ModelSerializer):
    duration_seconds = serializers.FloatField(read_only=True, allow_null=True)
    stats = _StatsField(read_only=True)
    config = _ObjectField(read_only=True, help_text="the job's inputs (artifact names, options, digests)")
    warnings = serializers.ListField(child=serializers.CharField(), read_only=True)
    error_details = _NullableObjectField(read_only=True, allow_null=True)
    url = serializers.SerializerMethodField(help_text="this job in the API: poll it to follow its progress")
    page_url = serializers.CharField(source="get_absolute_url", read_only=True, help_text="this job's page")

    class Meta:
        model = IngestionJob
        fields = JOB_FIELDS  # `dab ingest dbt --json` writes the same without DRF (ingestion.representations)
        read_only_fields = fields

    def get_url(self, job: IngestionJob) -> str:
        return reverse("ingestion-job-detail", kwargs={"pk": job.pk}, request=self.context.get("request"))
