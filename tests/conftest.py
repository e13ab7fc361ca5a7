"""Test set-up shared by every package's tests.

The engine is chosen before anything imports Piccolo: `DATABASE_URL` when the run gives one
(./scripts/test points it at a throwaway PostgreSQL database), else a fresh SQLite file for
this session. The schema is made once by the real migrations; each test that needs the
database starts from emptied tables (the app runs in its own thread and event loop, so a
test cannot wrap it in a transaction to roll back).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def _scratch_root() -> str | None:
    """Memory-backed /dev/shm when there is one: each test commits dozens of times while it sets
    up its park, and on a disk every commit waits for fsync (about 0.6 s of a test's 0.7 s was
    spent waiting on it). Nothing here needs to survive the session."""
    shm = Path("/dev/shm")
    return str(shm) if shm.is_dir() and os.access(shm, os.W_OK) else None


_session_dir = Path(tempfile.mkdtemp(prefix="park-test-", dir=_scratch_root()))
os.environ.setdefault("DATABASE_URL", f"sqlite:///{_session_dir / 'test.sqlite'}")
os.environ.setdefault("SECRET_KEY", "test-secret-key-for-the-test-suite-only-0123456789")
os.environ.setdefault("DB_POOL_MIN", "1")  # each test app opens its pool: one connection to start with
os.environ.setdefault("UPLOAD_DIR", str(_session_dir / "uploads"))  # never the developer's var/uploads

import asyncio  # noqa: E402

import pytest  # noqa: E402


def pytest_report_header(config: pytest.Config) -> str:
    url = os.environ["DATABASE_URL"]
    engine = "postgresql" if url.startswith("postgres") else "sqlite"
    return f"database engine: {engine}"


@pytest.fixture(scope="session")
def migrated() -> None:
    """Make the schema once per session, through the migrations (the only way it is made)."""
    from piccolo.apps.migrations.commands.forwards import run_forwards

    result = asyncio.run(run_forwards(app_name="all"))
    assert result.success, result.message
