"""Write a development `.env` with fresh random secrets (used by `make run` when no .env exists)."""

import secrets
import sys
from pathlib import Path

target = Path(sys.argv[1] if len(sys.argv) > 1 else ".env")
if target.exists():
    sys.exit(0)
target.write_text(
    "# Written by `make run` for a local install; see .env.example for every variable.\n"
    "ENVIRONMENT=development\n"
    f"SECRET_KEY={secrets.token_urlsafe(50)}\n"
    f"API_KEY={secrets.token_urlsafe(24)}\n"
    "LOG_LEVEL=INFO\n"
)
target.chmod(0o600)
print(f"Wrote {target} (development settings, random SECRET_KEY and API_KEY).")
