"""Change intelligence: what changed between two states of a dbt project, and what it breaks.

Pure core (no Django): ``state`` (a project state), ``types`` (type normalisation), ``lineage`` (column
lineage on demand), ``diff`` (the changes), ``breaking`` (what they break), ``formats`` (Markdown, JSON,
SARIF, JUnit). Django side: ``selectors`` (a state from what DAB stored), ``services`` (the preview that
evaluates PII and conformance without storing, and the changeset recorded with every ingestion).
"""
