"""Change intelligence: what changed between two states of a dbt project, what it breaks, and its history.

Pure core (no Django): ``state`` (a project state), ``types`` (type normalisation), ``lineage`` (column
lineage on demand), ``diff`` (the changes), ``breaking`` (what they break), ``report`` (with the PII and
conformance deltas), ``formats`` (Markdown, JSON, SARIF, JUnit), ``graph`` (the affected subgraph),
``charts``. Django side: ``selectors`` (a state from what DAB stored; history reads), ``services`` (the
preview that evaluates PII and conformance without storing), ``history`` (the changeset and run results
every ingestion records), ``panels`` (the capsule page's History panel). See docs/changes.md.
"""
