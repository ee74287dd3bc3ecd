from rest_framework import serializers

from ingestion.models import IngestionJob


class IngestionJobSerializer(serializers.ModelSerializer):
    duration_seconds = serializers.FloatField(read_only=True)

    class Meta:
        model = IngestionJob
        fields = (
            "id", "source_type", "source_name", "status", "started_at", "completed_at", "duration_seconds", "stats",
            "config", "warnings", "error_message", "error_details", "triggered_by",
        )  # fmt: skip
        read_only_fields = fields
