"""Settings read from the environment, in one place."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class ClusterSettings:
    """Where the private development PostgreSQL cluster lives and listens."""

    var_dir: Path
    port: int
    bindir: Path
    dbname: str = "mapsvc"
    superuser: str = "mapsvc"

    @property
    def pg_dir(self) -> Path:
        """Folder holding the cluster's data, socket and log."""
        return self.var_dir / "pg"


def cluster_settings() -> ClusterSettings:
    """Read the private cluster's settings (MAPSVC_VAR, MAPSVC_PG_PORT, PG_BINDIR)."""
    return ClusterSettings(
        var_dir=Path(os.environ.get("MAPSVC_VAR", PROJECT_ROOT / "var")).resolve(),
        port=int(os.environ.get("MAPSVC_PG_PORT", "55432")),
        bindir=Path(os.environ.get("PG_BINDIR", "/usr/lib/postgresql/15/bin")),
    )


def libpq_dsn(url: str) -> str:
    """A URL psycopg2 accepts, from an SQLAlchemy-style one."""
    return url.replace("postgresql+psycopg2://", "postgresql://")


def external_database_url() -> str | None:
    """DATABASE_URL when the operator points the service at an existing PostGIS."""
    return os.environ.get("DATABASE_URL") or None


def app_role() -> str:
    """The service's login role, MAPSVC_APP_ROLE (default mapsvc_app): owns nothing, may
    read and write the data and only read and append to the audit log (migration 0013)."""
    return os.environ.get("MAPSVC_APP_ROLE") or "mapsvc_app"


def app_database_url(owner_url: str) -> str:
    """The URL the web service connects with: MAPSVC_APP_DATABASE_URL, else owner_url's
    server and database as app_role() with the password MAPSVC_APP_DB_PASSWORD (none on the
    private cluster, which trusts its loopback and socket only, as it does for its owner)."""
    explicit = os.environ.get("MAPSVC_APP_DATABASE_URL")
    if explicit:
        return explicit
    from sqlalchemy.engine import make_url

    # _replace, not set(): set() keeps the owner's password when given None
    url = make_url(owner_url)._replace(
        username=app_role(), password=os.environ.get("MAPSVC_APP_DB_PASSWORD") or None
    )
    return url.render_as_string(hide_password=False)


def _flag(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    return default if raw is None else raw.strip().lower() in ("1", "true", "yes", "on")


def secret_key() -> str:
    """The key signing session cookies: MAPSVC_SECRET_KEY, else one made once and kept in
    var/secret_key (so every worker and restart shares it)."""
    if os.environ.get("MAPSVC_SECRET_KEY"):
        return os.environ["MAPSVC_SECRET_KEY"]
    import secrets

    path = Path(os.environ.get("MAPSVC_VAR", PROJECT_ROOT / "var")) / "secret_key"
    try:
        return path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(key)
        return key
    except OSError:
        return path.read_text(encoding="ascii").strip()


def access_settings() -> dict:
    """Flask settings for sessions and kiosks, from the environment."""
    from datetime import timedelta

    return {
        "SECRET_KEY": secret_key(),
        "SESSION_COOKIE_NAME": "mapsvc_session",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        # Secure by default: browsers keep Secure cookies on http://localhost too; set
        # MAPSVC_COOKIE_SECURE=0 only for a plain-http intranet host name
        "SESSION_COOKIE_SECURE": _flag("MAPSVC_COOKIE_SECURE", True),
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=8),
        # aggregate-only pages and endpoints (the large screen) open without login
        "KIOSK_OPEN": _flag("MAPSVC_KIOSK_OPEN", False),
        # extra origins the map may load base-map tiles from (CSP img-src)
        # (by default those of MAPSVC_BASEMAP)
        "BASEMAP_ORIGINS": os.environ.get("MAPSVC_BASEMAP_ORIGINS") or basemap_origins(),
    }


def basemap_settings(overrides=None) -> tuple[str, str | None]:
    """The map page's base map (MAPSVC_BASEMAP: none, tianditu or an XYZ URL template) and key.

    `overrides` (the app's config) wins over the environment. A URL must hold {z}, {x} and
    {y}; anything else falls back to none, the default: the page draws its own boundaries and
    roads, which is what an intranet without internet needs.
    """
    overrides = overrides or {}
    raw = str(overrides.get("MAPSVC_BASEMAP") or os.environ.get("MAPSVC_BASEMAP") or "none")
    key = overrides.get("MAPSVC_TIANDITU_KEY") or os.environ.get("MAPSVC_TIANDITU_KEY") or None
    choice = raw.strip()
    if choice.lower() in ("none", "tianditu"):
        return choice.lower(), key
    if choice.startswith(("http://", "https://", "/")) and all(
        part in choice for part in ("{z}", "{x}", "{y}")
    ):
        return choice, key
    import logging

    logging.getLogger(__name__).warning(
        "MAPSVC_BASEMAP=%r is neither none, tianditu nor an XYZ URL with {z}/{x}/{y}; using none",
        raw,
    )
    return "none", key


def basemap_origins(overrides=None) -> str:
    """The origins the configured base map loads tiles from (for the CSP), space-separated."""
    from urllib.parse import urlsplit

    choice, key = basemap_settings(overrides)
    if choice == "tianditu" and key:
        return " ".join(f"https://t{i}.tianditu.gov.cn" for i in range(8))
    if choice.startswith(("http://", "https://")):
        url = urlsplit(choice.replace("{s}", "*"))
        return f"{url.scheme}://{url.netloc}"
    return ""


def tile_cache_mb() -> int:
    """Memory for hot vector tiles per worker, MAPSVC_TILE_CACHE_MB (0 turns the cache off)."""
    return max(0, int(os.environ.get("MAPSVC_TILE_CACHE_MB", "64")))


# ---------------------------------------------------------------- import jobs
@dataclass(frozen=True)
class ImportSettings:
    """Limits and workers of file imports (MAPSVC_IMPORT_*)."""

    max_mb: float  # an upload's size
    max_rows: int  # data rows (or features) in one file
    report_per_code: int  # problems of each code a report lists; the rest are counted
    workers: int  # background import threads per process (0: jobs wait for another process)
    stale_s: float  # a running job whose heartbeat is older than this died with its process
    var_dir: Path  # uploads wait in var_dir/imports until their job ends

    @property
    def max_bytes(self) -> int:
        """max_mb in bytes."""
        return int(self.max_mb * 1024 * 1024)

    @property
    def upload_dir(self) -> Path:
        """Where uploads wait for their job."""
        return self.var_dir / "imports"


def import_settings(overrides=None) -> ImportSettings:
    """Import limits from the environment; `overrides` (the app's config) wins."""
    overrides = overrides or {}

    def get(name: str, default: str) -> str:
        if overrides.get(name) is not None:
            return str(overrides[name])
        return os.environ.get(name) or default

    return ImportSettings(
        max_mb=float(get("MAPSVC_IMPORT_MAX_MB", "50")),
        max_rows=int(get("MAPSVC_IMPORT_MAX_ROWS", "1000000")),
        report_per_code=int(get("MAPSVC_IMPORT_REPORT_PER_CODE", "100")),
        workers=int(get("MAPSVC_IMPORT_WORKERS", "1")),
        stale_s=float(get("MAPSVC_IMPORT_STALE_S", "60")),
        var_dir=Path(get("MAPSVC_VAR", str(PROJECT_ROOT / "var"))).resolve(),
    )
