"""Admin pieces every app's admin uses."""

from __future__ import annotations

from django.contrib import admin

__all__ = ["ReadOnlyAdmin"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows DAB itself writes (bookkeeping, history, snapshots): staff may look them up, never add or edit them."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
