"""Data Architecture Brain: architecture intelligence over dbt metadata."""

__version__ = "0.1.0"
