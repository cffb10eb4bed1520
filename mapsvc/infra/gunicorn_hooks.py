"""gunicorn's hooks for `mapsvc serve` (read by the master as its config module).

Imports nothing of mapsvc: what the master holds, every worker inherits across a reload,
and our own code must be loaded afresh by each new worker.
"""

from __future__ import annotations

import importlib

# The libraries the app loads (about 3 s of CPU): imported once in the master, so a worker
# forked on start or on SIGHUP only loads our own code and is ready in a fraction of that,
# while the old workers are already finishing. Upgrading these needs a restart, not a HUP.
PREIMPORT = (
    "argon2",
    "flask",
    "folium",
    "geoalchemy2",
    "jinja2",
    "numpy",
    "pandas",
    "psycopg2",
    "psycopg2.extras",
    "pypinyin",
    "pyproj",
    "shapely",
    "sqlalchemy",
    "werkzeug",
)


def on_starting(server) -> None:
    """Load the third-party libraries in the master, before any worker is forked."""
    for name in PREIMPORT:
        try:
            importlib.import_module(name)
        except ImportError:  # an optional one missing only costs the workers time
            server.log.warning("could not preimport %s", name)
