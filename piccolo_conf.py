"""Piccolo's configuration: which database, which apps.

`DATABASE_URL` unset means a SQLite file under ./var/ (zero set-up for a newcomer);
`postgresql://…` means PostgreSQL, as in production. Read once, at import, because
Piccolo binds every table to this engine when the tables are imported.
"""

from __future__ import annotations

import os
from pathlib import Path

from piccolo.conf.apps import AppRegistry

from housing.web.db import ParkPostgresEngine, ParkSQLiteEngine

ROOT = Path(__file__).resolve().parent
DEFAULT_SQLITE_PATH = ROOT / "var" / "park.sqlite"


def engine_from_url(url: str | None) -> ParkSQLiteEngine | ParkPostgresEngine:
    """Pick the engine for `url`; `sqlite:///path` and an empty value both mean SQLite."""
    if not url:
        DEFAULT_SQLITE_PATH.parent.mkdir(parents=True, exist_ok=True)
        return ParkSQLiteEngine(path=str(DEFAULT_SQLITE_PATH), timeout=30)
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        return ParkSQLiteEngine(path=str(path), timeout=30)
    if url.startswith(("postgresql://", "postgres://")):
        return ParkPostgresEngine(config={"dsn": url})
    raise RuntimeError(f"DATABASE_URL must start with postgresql:// or sqlite:///, got {url.split(':', 1)[0]}://…")


DB = engine_from_url(os.environ.get("DATABASE_URL"))

APP_REGISTRY = AppRegistry(
    apps=[
        "piccolo.apps.user.piccolo_app",
        "piccolo_api.session_auth.piccolo_app",
        "housing.piccolo_app",
        # canteen (issue 11): its own app, after housing (its migrations depend on housing's)
        "canteen.piccolo_app",
    ]
)
