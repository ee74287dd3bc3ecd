"""The built-in check types; importing this package registers them."""

from conformance.engine.checks import code, dag, naming, pii, properties

__all__ = ["code", "dag", "naming", "pii", "properties"]
