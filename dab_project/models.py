"""Abstract model bases shared by every app."""

import uuid

from django.db import models
from django.db.models.functions import Now
from django.utils import timezone


class UUIDModel(models.Model):
    """A row keyed by a random UUID, as every table of the seed schema is."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)

    class Meta:
        abstract = True


class TimeStampedModel(UUIDModel):
    """A row that remembers when it was created and last changed."""

    created_at = models.DateTimeField(default=timezone.now, db_default=Now(), db_index=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True, db_default=Now())

    class Meta:
        abstract = True
