"""Settings read from the environment, in one place."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


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


def external_database_url() -> str | None:
    """DATABASE_URL when the operator points the service at an existing PostGIS."""
    return os.environ.get("DATABASE_URL") or None


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
