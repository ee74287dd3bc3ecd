"""Query parameters of the lineage endpoints (validated here, so views never parse them by hand)."""

from rest_framework import serializers

from lineage.selectors import DIRECTIONS, LEVELS


class LineageQuerySerializer(serializers.Serializer):
    direction = serializers.ChoiceField(choices=DIRECTIONS, default="both")
    depth = serializers.IntegerField(min_value=1, required=False, help_text="hops; capped at MAX_LINEAGE_DEPTH")
    level = serializers.ChoiceField(choices=LEVELS, default="capsule")


class ImpactQuerySerializer(serializers.Serializer):
    depth = serializers.IntegerField(min_value=1, required=False, help_text="hops; capped at MAX_LINEAGE_DEPTH")


class PathsQuerySerializer(serializers.Serializer):
    to = serializers.CharField(max_length=1000, help_text="URN of the capsule or column to reach")
    depth = serializers.IntegerField(min_value=1, required=False, help_text="hops; capped at MAX_LINEAGE_DEPTH")

    def get_fields(self):
        # "from" is a Python keyword, so it cannot be declared as a class attribute.
        fields = super().get_fields()
        fields["from"] = serializers.CharField(max_length=1000, help_text="URN of the capsule or column to start at")
        return fields


class GraphQuerySerializer(serializers.Serializer):
    urn = serializers.CharField(max_length=1000)
    upstream = serializers.IntegerField(min_value=0, required=False, help_text="hops upstream (default 2)")
    downstream = serializers.IntegerField(min_value=0, required=False, help_text="hops downstream (default 2)")
    level = serializers.ChoiceField(choices=LEVELS, default="capsule")
    max_nodes = serializers.IntegerField(min_value=10, max_value=2000, required=False)
