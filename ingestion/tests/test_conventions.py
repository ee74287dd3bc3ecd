"""Tests of layer and domain inference (ingestion/conventions.py): pure, no database."""

from __future__ import annotations

from collections import Counter
from dataclasses import FrozenInstanceError
from pathlib import Path
from typing import Any

import pytest

from ingestion.conventions import (
    DEFAULT_CONVENTIONS,
    LAYERS,
    Conventions,
    conventions_from_dict,
    infer_domain,
    infer_layer,
)
from ingestion.parsers.dbt import parse_dbt_artifacts
from ingestion.records import CapsuleRecord

SHARED_DBT = Path(__file__).resolve().parents[2] / ".." / "shared" / "dbt"


def make_capsule(**overrides: Any) -> CapsuleRecord:
    values: dict[str, Any] = {
        "unique_id": "model.shop.orders",
        "urn": "urn:dab:dbt:model:shop.orders",
        "name": "orders",
        "capsule_type": "model",
        "package_name": "shop",
        "database": None,
        "schema": None,
        "relation_name": "orders",
        "fqn": ("shop", "orders"),
        "materialization": "table",
        "description": "",
        "tags": (),
        "meta": {},
        "original_file_path": "models/orders.sql",
        "path": "orders.sql",
        "access": None,
        "group": None,
        "contract_enforced": False,
        "version": None,
        "latest_version": None,
        "language": "sql",
        "compiled_sql": None,
        "raw_sql": None,
        "checksum": "",
        "depends_on": (),
        "owner": None,
        "domain": None,
        "attributes": {},
        "columns": (),
        "tests": (),
        "test_count": 0,
        "has_tests": False,
        "doc_coverage": None,
        "catalog_stats": {},
        "in_catalog": False,
    }
    values.update(overrides)
    return CapsuleRecord(**values)


# ---------------------------------------------------------------------------------------------- layer


def test_model_without_any_hint_has_no_layer():
    assert infer_layer(make_capsule(), DEFAULT_CONVENTIONS) is None


@pytest.mark.parametrize(
    ("value", "layer"),
    [("marts", "marts"), ("Gold", "marts"), (" bronze ", "raw"), ("silver", "staging"), ("consumption", "consumption")],
)
def test_meta_layer_wins_over_every_other_rule(value, layer):
    capsule = make_capsule(name="stg_orders", tags=("intermediate",), meta={"layer": value})
    assert infer_layer(capsule) == layer


def test_unknown_meta_layer_falls_through_to_the_next_rule():
    assert infer_layer(make_capsule(name="stg_orders", meta={"layer": "platinum"})) == "staging"
    assert infer_layer(make_capsule(name="stg_orders", meta={"layer": 3})) == "staging"


def test_sources_are_raw_even_when_filed_and_tagged_as_staging():
    source = make_capsule(
        capsule_type="source", name="stg_customers", tags=("staging",), original_file_path="models/staging/_src.yml"
    )
    assert infer_layer(source) == "raw"


@pytest.mark.parametrize("capsule_type", ["exposure", "metric", "saved_query", "semantic_model"])
def test_semantic_layer_and_exposures_are_consumption(capsule_type):
    capsule = make_capsule(capsule_type=capsule_type, original_file_path="models/marts/sem.yml", tags=("marts",))
    assert infer_layer(capsule) == "consumption"


@pytest.mark.parametrize(
    ("tags", "layer"),
    [
        (("bronze",), "raw"),
        (("raw",), "raw"),
        (("silver",), "staging"),
        (("STAGING",), "staging"),
        (("intermediate",), "intermediate"),
        (("gold",), "marts"),
        (("mart",), "marts"),
        (("marts",), "marts"),
        (("nightly", "pii", "gold", "staging"), "marts"),  # the first tag naming a layer
    ],
)
def test_tags_name_the_layer(tags, layer):
    assert infer_layer(make_capsule(name="orders", tags=tags, original_file_path="models/staging/orders.sql")) == layer


@pytest.mark.parametrize(
    ("name", "layer"),
    [
        ("stg_orders", "staging"),
        ("base_orders", "staging"),
        ("int_orders_joined", "intermediate"),
        ("fct_orders", "marts"),
        ("fact_orders", "marts"),
        ("dim_customers", "marts"),
        ("rpt_revenue", "marts"),
        ("mart_revenue", "marts"),
        ("agg_daily_revenue", "marts"),
        ("raw_orders", "raw"),
        ("STG_Orders", "staging"),
        ("src_orders", None),  # ambiguous on purpose
        ("stgorders", None),
    ],
)
def test_name_prefixes(name, layer):
    assert infer_layer(make_capsule(name=name)) == layer


def test_prefix_wins_over_folder_and_tag_wins_over_prefix():
    assert infer_layer(make_capsule(name="int_x", original_file_path="models/marts/int_x.sql")) == "intermediate"
    assert infer_layer(make_capsule(name="int_x", tags=("marts",))) == "marts"


@pytest.mark.parametrize(
    ("path", "layer"),
    [
        ("models/staging/shopify/orders.sql", "staging"),
        ("models/intermediate/orders.sql", "intermediate"),
        ("models/marts/finance/orders.sql", "marts"),
        ("models/marts/intermediate/orders.sql", "intermediate"),  # the deepest folder is the most specific
        ("models/reporting/orders.sql", "marts"),
        ("models/orders.sql", None),
        ("models\\staging\\orders.sql", "staging"),
    ],
)
def test_folders_name_the_layer(path, layer):
    assert infer_layer(make_capsule(original_file_path=path)) == layer


def test_file_name_itself_is_not_a_folder():
    assert infer_layer(make_capsule(name="staging", original_file_path="models/staging.sql")) is None


def test_seeds_and_snapshots_fall_back_to_raw_after_tags_and_names():
    assert infer_layer(make_capsule(capsule_type="seed", original_file_path="seeds/countries.csv")) == "raw"
    assert infer_layer(make_capsule(capsule_type="snapshot", original_file_path="snapshots/orders.sql")) == "raw"
    assert infer_layer(make_capsule(capsule_type="seed", tags=("marts",))) == "marts"
    assert infer_layer(make_capsule(capsule_type="snapshot", name="dim_customers_history")) == "marts"


def test_inferred_layers_are_canonical():
    capsules = [
        make_capsule(name=name, capsule_type=kind, tags=tags)
        for name in ("stg_a", "int_a", "fct_a", "raw_a", "a")
        for kind in ("model", "source", "seed", "snapshot", "exposure", "metric")
        for tags in ((), ("gold",), ("bronze",))
    ]
    assert {infer_layer(c) for c in capsules} <= {*LAYERS, None}


# ---------------------------------------------------------------------------------------------- domain


def test_meta_domain_is_trimmed_and_lower_cased():
    assert infer_domain(make_capsule(meta={"domain": "  Finance  Ops "})) == "finance ops"
    keep_case = Conventions(lowercase_domains=False)
    assert infer_domain(make_capsule(meta={"domain": "Finance"}), keep_case) == "Finance"


def test_group_is_a_domain_only_when_configured():
    capsule = make_capsule(group="payments", original_file_path="models/orders.sql")
    assert infer_domain(capsule) is None
    assert infer_domain(capsule, Conventions(domain_from_group=True)) == "payments"
    assert infer_domain(
        make_capsule(group="payments", meta={"domain": "sales"}), Conventions(domain_from_group=True)
    ) == ("sales")


@pytest.mark.parametrize(
    ("path", "domain"),
    [
        ("models/marts/finance/fct_revenue.sql", "finance"),
        ("models/marts/Finance/core/fct_revenue.sql", "finance"),
        ("models/marts/fct_revenue.sql", None),  # directly in the root: no domain folder
        ("models/staging/finance/stg_revenue.sql", None),
        (None, None),
    ],
)
def test_domain_from_folder_under_a_configured_root(path, domain):
    assert infer_domain(make_capsule(original_file_path=path, path=None)) == domain


def test_domain_folder_roots_are_configurable():
    conventions = conventions_from_dict({"domain_folder_roots": ["models/domains", "models/marts"]})
    assert infer_domain(make_capsule(original_file_path="models/domains/hr/x.sql"), conventions) == "hr"


def test_domain_folders_of_installed_packages_are_ignored_when_the_project_is_known():
    package_model = make_capsule(package_name="dbt_project_evaluator", original_file_path="models/marts/dag/fct_x.sql")
    assert infer_domain(package_model) == "dag"
    assert infer_domain(package_model, project_name="shop") is None
    own = make_capsule(package_name="shop", original_file_path="models/marts/sales/fct_x.sql")
    assert infer_domain(own, project_name="shop") == "sales"


# ---------------------------------------------------------------------------------------------- configuration


def test_conventions_are_frozen_and_hashable():
    with pytest.raises(FrozenInstanceError):
        DEFAULT_CONVENTIONS.domain_from_group = True  # type: ignore[misc]
    assert hash(DEFAULT_CONVENTIONS) == hash(Conventions())


def test_conventions_from_empty_dict_are_the_defaults():
    assert conventions_from_dict({}) == DEFAULT_CONVENTIONS


def test_pattern_keys_update_the_defaults_pattern_by_pattern():
    conventions = conventions_from_dict(
        {"layer_synonyms": {"sources": "staging", "landing": None}, "prefix_layers": [["src_", "staging"]]}
    )
    gitlab_style = make_capsule(name="zuora_account", tags=("sources",))
    assert infer_layer(gitlab_style, conventions) == "staging"
    assert infer_layer(make_capsule(tags=("landing",)), conventions) is None  # removed
    assert infer_layer(make_capsule(tags=("bronze",)), conventions) == "raw"  # default kept
    assert infer_layer(make_capsule(name="src_orders"), conventions) == "staging"
    assert infer_layer(make_capsule(name="stg_orders"), conventions) == "staging"


def test_longest_prefix_wins():
    conventions = conventions_from_dict({"prefix_layers": {"int_rpt_": "marts"}})
    assert infer_layer(make_capsule(name="int_rpt_sales"), conventions) == "marts"
    assert infer_layer(make_capsule(name="int_sales"), conventions) == "intermediate"


def test_list_keys_replace_the_default_and_accept_a_single_string():
    conventions = conventions_from_dict({"meta_layer_keys": "tier_layer", "domain_meta_keys": ["business_domain"]})
    assert infer_layer(make_capsule(meta={"tier_layer": "gold", "layer": "raw"}), conventions) == "marts"
    assert infer_domain(make_capsule(meta={"business_domain": "HR", "domain": "x"}), conventions) == "hr"


def test_type_layers_can_be_overridden():
    conventions = conventions_from_dict({"type_layers": {"semantic_model": "marts"}})
    assert infer_layer(make_capsule(capsule_type="semantic_model"), conventions) == "marts"
    assert infer_layer(make_capsule(capsule_type="metric"), conventions) == "consumption"


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"layer_synonym": {"x": "raw"}}, "unknown conventions key 'layer_synonym'"),
        ({"layer_synonyms": {"platinum": "diamond"}}, "conventions key 'layer_synonyms' maps 'platinum' to 'diamond'"),
        ({"prefix_layers": "stg_"}, "conventions key 'prefix_layers' must be a mapping of pattern to layer"),
        (
            {"prefix_layers": {"": "raw"}},
            "conventions key 'prefix_layers' has a pattern that is not a non-empty string",
        ),
        ({"domain_from_group": "yes"}, "conventions key 'domain_from_group' must be true or false"),
        ({"domain_folder_roots": [1]}, "conventions key 'domain_folder_roots' must be a list of non-empty strings"),
        ({"meta_layer_keys": None}, "conventions key 'meta_layer_keys' must be a list"),
    ],
)
def test_bad_configuration_raises_value_error_naming_the_key(values, message):
    with pytest.raises(ValueError, match="conventions") as raised:
        conventions_from_dict(values)
    assert message in str(raised.value)


def test_configuration_must_be_a_mapping():
    with pytest.raises(ValueError, match="must be a mapping"):
        conventions_from_dict(["layer"])  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------- real projects


def parsed_real(name: str):
    folder = SHARED_DBT / name
    if not (folder / "manifest.json").exists():
        pytest.skip(f"real dbt artifacts not available at {folder}")
    return parse_dbt_artifacts(manifest=(folder / "manifest.json").read_bytes())


@pytest.mark.shared
def test_jaffle_shop_layers_hand_checked():
    parsed = parsed_real("jaffle-shop")
    layers = {c.unique_id: infer_layer(c) for c in parsed.capsules}
    assert layers["model.jaffle_shop.stg_customers"] == "staging"  # models/staging/, stg_
    assert layers["model.jaffle_shop.customers"] == "marts"  # models/marts/
    assert layers["source.jaffle_shop.ecom.raw_customers"] == "raw"  # filed in models/staging/__sources.yml
    assert layers["seed.jaffle_shop.raw_customers"] == "raw"
    assert layers["metric.jaffle_shop.revenue"] == "consumption"
    assert layers["semantic_model.jaffle_shop.orders"] == "consumption"
    assert None not in layers.values()


@pytest.mark.shared
def test_gitlab_source_models_become_staging_once_configured():
    parsed = parsed_real("gitlab-analytics")
    source_models = [
        c
        for c in parsed.capsules
        if c.capsule_type == "model" and (c.original_file_path or "").startswith("models/sources/")
    ]
    assert len(source_models) > 1000
    assert Counter(infer_layer(c) for c in source_models)["staging"] < len(source_models) / 10  # defaults: no guess
    gitlab = conventions_from_dict({"layer_synonyms": {"sources": "staging"}})
    assert Counter(infer_layer(c, gitlab) for c in source_models)["staging"] > len(source_models) * 0.9


@pytest.mark.shared
def test_package_folders_give_no_domain_when_the_project_is_known():
    parsed = parsed_real("dbt-project-evaluator")
    name = parsed.project.name
    domains = Counter(infer_domain(c, project_name=name) for c in parsed.capsules if c.package_name != name)
    assert domains == {None: sum(domains.values())}
