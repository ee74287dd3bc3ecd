from rest_framework import serializers
from rest_framework.reverse import reverse

from ingestion.models import IngestionJob


class IngestionJobSerializer(serializers.ModelSerializer):
    duration_seconds = serializers.FloatField(read_only=True)
    url = serializers.SerializerMethodField(help_text="this job in the API: poll it to follow its progress")
    page_url = serializers.CharField(source="get_absolute_url", read_only=True, help_text="this job's page")

    class Meta:
        model = IngestionJob
        fields = (
            "id", "url", "page_url", "source_type", "source_name", "status", "stage", "stage_progress", "progress",
            "progress_message", "started_at", "worker_started_at", "heartbeat_at", "completed_at", "duration_seconds",
            "stats", "config", "warnings", "error_message", "error_details", "stored", "retry_of", "triggered_by",
        )  # fmt: skip
        read_only_fields = fields

    def get_url(self, job: IngestionJob) -> str:
        return reverse("ingestion-job-detail", kwargs={"pk": job.pk}, request=self.context.get("request"))
