"""Settings read from the environment, in one place.

`PARK_ENV=production` means HTTPS and real secrets: cookies are `Secure`, Piccolo Admin runs in
production mode, and a missing `SECRET_KEY` stops the start instead of inventing one.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def is_production() -> bool:
    return os.environ.get("PARK_ENV", "development") == "production"


def secret_key() -> str:
    """`SECRET_KEY` in production; on a developer's machine a key kept in ./var survives restarts."""
    if key := os.environ.get("SECRET_KEY"):
        return key
    if is_production():
        raise RuntimeError("PARK_ENV=production needs SECRET_KEY (the JWT signing key) in the environment")
    path = ROOT / "var" / "secret_key"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()
