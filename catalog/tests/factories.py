"""factory_boy factories for the catalog's models (``Factory.build()`` needs no database)."""

from __future__ import annotations

import factory

from catalog.models import Capsule, Column, Domain, Owner, SourceSystem


class SourceSystemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SourceSystem
        django_get_or_create = ("name",)

    name = "shop"
    source_type = "dbt"


class OwnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Owner

    name = factory.Sequence(lambda n: f"Team {n:03d}")
    email = factory.LazyAttribute(lambda o: f"{o.name.lower().replace(' ', '-')}@example.com")


class DomainFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Domain

    name = factory.Sequence(lambda n: f"domain-{n:03d}")


class CapsuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Capsule

    name = factory.Sequence(lambda n: f"model_{n:04d}")
    capsule_type = "model"
    urn = factory.LazyAttribute(lambda o: f"urn:dab:dbt:{o.capsule_type}:shop.{o.name}")
    source_system = factory.SubFactory(SourceSystemFactory)
    layer = "staging"
    materialization = "view"


class ColumnFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Column

    capsule = factory.SubFactory(CapsuleFactory)
    name = factory.Sequence(lambda n: f"column_{n:04d}")
    urn = factory.LazyAttribute(lambda o: f"{o.capsule.urn}:{o.name}")
    data_type = "text"
    ordinal_position = factory.Sequence(lambda n: n + 1)
