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
