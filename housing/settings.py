"""One typed settings object, read from the environment once, when the app is made.

`create_app()` builds it with `Settings.from_env()` and passes it on (to the auth, the login
throttle, the security headers, Piccolo Admin); nothing else reads the environment for
settings. `PARK_ENV=production` means HTTPS and real secrets: cookies are `Secure`, HSTS is
sent, Piccolo Admin runs in production mode, and a missing `SECRET_KEY` stops the start
instead of inventing one. Which database is used is Piccolo's business (`piccolo_conf.py`
reads `DATABASE_URL`), because Piccolo binds every table to its engine at import.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class LoginLimits:
    """How many failed logins are allowed before a door is shut for the rest of the window."""

    per_account_and_address: int = 5
    per_address: int = 50
    window: timedelta = timedelta(minutes=15)


@dataclass(frozen=True)
class Settings:
    secret_key: str
    production: bool = False
    token_lifetime: timedelta = timedelta(hours=12)
    login_limits: LoginLimits = field(default_factory=LoginLimits)
    # Proxies whose X-Forwarded-For is believed; any other peer is the client itself.
    trusted_proxies: tuple[IPNetwork, ...] = ()
    hsts_seconds: int = 0
    # PostgreSQL serves requests from a connection pool (`DB_POOL=0`: a connection per query,
    # e.g. behind PgBouncer); it opens `DB_POOL_MIN` connections and grows to `DB_POOL_MAX`.
    db_pool: bool = True
    db_pool_min: int = 2
    db_pool_max: int = 10
    # Each API process runs long work (solver runs) in child processes; `RUN_JOBS=0` leaves
    # that to other processes (or to SAQ workers) and only serves requests.
    run_jobs: bool = True
    # Uploaded files (rental contracts, ticket photos) live here, outside the database, under
    # names the server makes; back it up with the database.
    upload_dir: Path = ROOT / "var" / "uploads"

    @property
    def secure_cookies(self) -> bool:
        return self.production

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        production = env.get("PARK_ENV", "development") == "production"
        return cls(
            secret_key=_secret_key(env, production),
            production=production,
            trusted_proxies=_networks(env.get("TRUSTED_PROXIES", "")),
            hsts_seconds=int(env.get("HSTS_SECONDS", "31536000" if production else "0")),
            db_pool=env.get("DB_POOL", "1") != "0",
            db_pool_min=int(env.get("DB_POOL_MIN", "2")),
            db_pool_max=int(env.get("DB_POOL_MAX", "10")),
            run_jobs=env.get("RUN_JOBS", "1") != "0",
            upload_dir=Path(env["UPLOAD_DIR"]) if env.get("UPLOAD_DIR") else ROOT / "var" / "uploads",
        )


def _networks(value: str) -> tuple[IPNetwork, ...]:
    """`TRUSTED_PROXIES=10.0.0.5,10.1.0.0/16`: addresses or networks, comma-separated."""
    parts = [p.strip() for p in value.split(",") if p.strip()]
    try:
        return tuple(ipaddress.ip_network(p, strict=False) for p in parts)
    except ValueError as error:
        raise RuntimeError(f"TRUSTED_PROXIES: {error}") from None


def _secret_key(env: Mapping[str, str], production: bool) -> str:
    """`SECRET_KEY` in production; on a developer's machine a key kept in ./var survives restarts."""
    if key := env.get("SECRET_KEY"):
        return key
    if production:
        raise RuntimeError("PARK_ENV=production needs SECRET_KEY (the JWT signing key) in the environment")
    path = ROOT / "var" / "secret_key"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()
