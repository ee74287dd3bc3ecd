"""Make sure production has its static files collected before it serves a page.

In production the pages link hashed file names from whitenoise's manifest (STATIC_ROOT/staticfiles.json);
a file missing from it makes every page answer 500. Outside production whitenoise serves the apps'
folders directly and nothing needs collecting.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def manifest_path() -> Path:
    return Path(settings.STATIC_ROOT) / "staticfiles.json"


def static_files_missing() -> list[str]:
    """Static files the manifest lacks (all of them when there is no manifest); empty when it is complete.

    Walks the finders' file lists (a few hundred names); reads no file's content.
    """
    from django.contrib.staticfiles.finders import get_finders

    found = {path for finder in get_finders() for path, _storage in finder.list(["CVS", ".*", "*~"])}
    try:
        paths = json.loads(manifest_path().read_text()).get("paths", {})
    except (OSError, ValueError):
        paths = {}
    return sorted(found - set(paths))


def needs_collecting() -> bool:
    return settings.STRICT and bool(static_files_missing())


def static_files_ensure(*, stdout=None) -> None:
    """Collect the static files when production's manifest is missing or incomplete.

    Raises ImproperlyConfigured, naming STATIC_ROOT and the command to run, when collecting fails
    (for example a read-only STATIC_ROOT).
    """
    if not needs_collecting():
        return
    from django.core.management import call_command

    try:
        Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)
        call_command("collectstatic", interactive=False, verbosity=0, stdout=stdout)
    except Exception as exc:
        raise ImproperlyConfigured(
            f"Static files are not collected in STATIC_ROOT={settings.STATIC_ROOT} and collecting them failed"
            f" ({exc}). Run `python manage.py collectstatic --no-input` with a writable STATIC_ROOT."
        ) from exc
    if missing := static_files_missing():
        raise ImproperlyConfigured(f"collectstatic left static files out of the manifest: {', '.join(missing[:5])}")


def static_files_require() -> None:
    """Refuse to serve (the WSGI entry point) rather than answer 500 on every page for want of collectstatic."""
    if needs_collecting():
        missing = static_files_missing()
        raise ImproperlyConfigured(
            f"Static files are not collected in STATIC_ROOT={settings.STATIC_ROOT} ({len(missing)} missing,"
            f" e.g. {missing[0]}): every page would fail. Run `python manage.py collectstatic --no-input`"
            " (`dab serve` and the Docker entry point do it for you)."
        )
