"""The `mapsvc` command line: database, demo data and serving."""

from __future__ import annotations

import json
import sys
import time

import click

from mapsvc import cluster
from mapsvc.config import external_database_url
from mapsvc.db import database_url


@click.group()
def main() -> None:
    """党建电子地图服务 / party-building map service."""


# ------------------------------------------------------------------ database
@main.group()
def db() -> None:
    """The database: private cluster in var/pg, or DATABASE_URL when set."""


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(1)


@db.command("up")
def db_up() -> None:
    """Start the private PostgreSQL cluster (initialising it the first time)."""
    if external_database_url():
        cluster.ensure_database(database_url())
        click.echo("DATABASE_URL is set: using that server, no private cluster started")
        return
    try:
        click.echo(cluster.up())
    except cluster.ClusterError as exc:
        _fail(str(exc))


@db.command("down")
def db_down() -> None:
    """Stop the private cluster."""
    if external_database_url():
        _fail("DATABASE_URL is set: the external server is not managed by mapsvc")
    click.echo("stopped" if cluster.down() else "not running")


@db.command("status")
def db_status() -> None:
    """Show whether the database is reachable and which schema revision it has."""
    from mapsvc.health import database_health

    info = {"url": database_url(), "external": bool(external_database_url())}
    if not info["external"]:
        info["cluster"] = cluster.status()
    info.update(database_health(database_url()))
    click.echo(json.dumps(info, ensure_ascii=False, indent=2))
    if info.get("database") != "up":
        sys.exit(1)


@db.command("url")
def db_url() -> None:
    """Print the connection URL."""
    click.echo(database_url())


@db.command("migrate")
@click.option("--revision", default="head", show_default=True)
def db_migrate(revision: str) -> None:
    """Apply the Alembic migrations."""
    from mapsvc import migrate

    url = database_url()
    cluster.ensure_database(url)
    migrate.upgrade(url, revision)
    click.echo(f"schema at revision {migrate.current_revision(url)}")


# ------------------------------------------------------------------ demo data
@main.group()
def demo() -> None:
    """The generated demo city (榆阳区, synthetic people and geometry)."""


@demo.command("load")
@click.option(
    "--scale", type=click.Choice(["small", "city", "large"]), default="city", show_default=True
)
@click.option("--seed", type=int, default=2026, show_default=True)
@click.option("--if-empty", is_flag=True, help="Only load when the database holds no data.")
def demo_load(scale: str, seed: int, if_empty: bool) -> None:
    """Replace all data with a generated demo city."""
    from geodata.demo import loader

    url = database_url()
    if if_empty and not loader.is_empty(url):
        click.echo("demo: database already holds data, left as it is")
        return
    started = time.monotonic()
    counts = loader.load(url, scale=scale, seed=seed, progress=click.echo)
    summary = ", ".join(f"{k} {v:,}" for k, v in counts.items())
    click.echo(
        f"demo city ({scale}, seed {seed}) loaded in {time.monotonic() - started:.1f} s: {summary}"
    )


# ------------------------------------------------------------------ serving
@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=5000, show_default=True, envvar="PORT")
@click.option(
    "--workers", type=int, default=1, show_default=True, help="More than 1 runs under gunicorn."
)
def serve(host: str, port: int, workers: int) -> None:
    """Serve the map service over HTTP."""
    if workers < 1:
        _fail("--workers must be at least 1")
    if workers == 1:
        from mapsvc.app import create_app

        click.echo(f"serving on http://{host}:{port}")
        create_app().run(host=host, port=port, threaded=True)
        return
    import os

    os.execvp(
        sys.executable,
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            f"{host}:{port}",
            "--workers",
            str(workers),
            "--access-logfile",
            "-",
            "mapsvc.app:create_app()",
        ],
    )


# ------------------------------------------------------------------ files
_KIND_CHOICES = ["admin_areas", "grids", "orgs", "members", "service_points", "roads"]


@main.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--kind", type=click.Choice(_KIND_CHOICES), required=True, help="What the file holds."
)
@click.option(
    "--crs",
    default=None,
    help="Coordinates of the file: wgs84, cgcs2000, gcj02, bd09 or EPSG:NNNN "
    "(default: what the file says, else wgs84).",
)
@click.option("--dry-run", is_flag=True, help="Check everything, write nothing.")
@click.option("--partial", is_flag=True, help="Write the good rows, report the rest.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def import_cmd(
    file: str, kind: str, crs: str | None, dry_run: bool, partial: bool, as_json: bool
) -> None:
    """Import GeoJSON, GeoPackage, zipped Shapefile, CSV or XLSX; all or nothing by default.

    Existing codes are updated, new ones inserted (members: rows with an id update that
    member). Exit status 0 when written (or a dry run found nothing wrong), 1 when rejected.
    """
    from mapsvc import imports

    report = imports.import_file(
        database_url(), file, kind, crs=crs, dry_run=dry_run, partial=partial
    )
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        click.echo(imports.render_text(report))
    if report["status"] == "rejected":
        sys.exit(1)


@main.command("export")
@click.option("--kind", type=click.Choice(_KIND_CHOICES), required=True)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["geojson", "gpkg", "xlsx", "csv"]),
    default=None,
    help="Default: from the -o file's extension, else geojson.",
)
@click.option("-o", "--output", default=None, help="File to write (default: KIND.FORMAT here).")
@click.option(
    "--headers",
    type=click.Choice(["en", "zh"]),
    default="en",
    show_default=True,
    help="Column names: field names or Chinese labels (both import back).",
)
@click.option(
    "--unmasked-phones",
    is_flag=True,
    help="Write phone numbers in full (default: masked as the API shows them).",
)
def export_cmd(
    kind: str, fmt: str | None, output: str | None, headers: str, unmasked_phones: bool
) -> None:
    """Export every record of a kind as GeoJSON, GeoPackage, XLSX or CSV (WGS84)."""
    from mapsvc import exchange, imports

    if fmt is None:
        ext = (output or "").rsplit(".", 1)[-1].lower() if output and "." in output else ""
        fmt = {
            "json": "geojson",
            "geojson": "geojson",
            "gpkg": "gpkg",
            "xlsx": "xlsx",
            "csv": "csv",
        }.get(ext, "geojson")
    output = output or f"{kind}.{exchange.EXPORT_FORMATS[fmt][2]}"
    try:
        n = imports.export_kind(
            database_url(), kind, fmt, output, headers=headers, unmasked_phones=unmasked_phones
        )
    except exchange.ExportError as exc:
        _fail(f"{exc.message} / {exc.message_en}")
    click.echo(f"已导出 {n} 条记录到 {output} / exported {n} records to {output}")


if __name__ == "__main__":  # pragma: no cover
    main()
