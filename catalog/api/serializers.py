from rest_framework import serializers

from catalog.models import Domain, Owner, SourceSystem


class OwnerBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Owner
        fields = ("id", "name", "email")


class DomainBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Domain
        fields = ("id", "name")


class OwnerSerializer(serializers.ModelSerializer):
    capsule_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Owner
        fields = (
            "id",
            "name",
            "owner_type",
            "email",
            "slack_channel",
            "meta",
            "capsule_count",
            "created_at",
            "updated_at",
        )


class DomainSerializer(serializers.ModelSerializer):
    parent = DomainBriefSerializer(read_only=True)
    owner = OwnerBriefSerializer(read_only=True)
    capsule_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Domain
        fields = ("id", "name", "description", "parent", "owner", "meta", "capsule_count", "created_at", "updated_at")


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
