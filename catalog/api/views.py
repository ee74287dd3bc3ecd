from rest_framework import viewsets

from catalog import selectors
from catalog.api.serializers import DomainSerializer, OwnerSerializer, SourceSystemSerializer


class OwnerViewSet(viewsets.ReadOnlyModelViewSet):
    """Owners of data assets (teams or people), with how many capsules each owns."""

    serializer_class = OwnerSerializer
    ordering_fields = ("name", "capsule_count")

    def get_queryset(self):
        return selectors.owner_list()


class DomainViewSet(viewsets.ReadOnlyModelViewSet):
    """Business domains; addressed by name."""

    serializer_class = DomainSerializer
    lookup_field = "name"
    lookup_value_regex = "[^/]+"
    ordering_fields = ("name", "capsule_count")

    def get_queryset(self):
        return selectors.domain_list()


class SourceSystemViewSet(viewsets.ReadOnlyModelViewSet):
    """Systems metadata is read from: one per dbt project."""

    serializer_class = SourceSystemSerializer
    ordering_fields = ("name",)

    def get_queryset(self):
        return selectors.source_system_list()
