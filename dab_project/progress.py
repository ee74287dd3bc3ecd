"""Progress messages that can also say how far a step has come.

Pipeline steps report progress through a plain ``progress(message)`` callable. ``counted`` returns a message that
is still a ``str`` (every existing callable prints it as before) but carries ``done`` and ``total``, which the
ingestion job's progress tracker turns into progress within the stage.
"""

from __future__ import annotations

__all__ = ["CountedMessage", "counted"]


class CountedMessage(str):
    """A progress message with how many of how many units are done."""

    done: int
    total: int

    def __new__(cls, message: str, done: int, total: int) -> CountedMessage:
        instance = super().__new__(cls, message)
        instance.done = max(0, done)
        instance.total = max(0, total)
        return instance


def counted(message: str, *, done: int, total: int) -> CountedMessage:
    return CountedMessage(message, done, total)
