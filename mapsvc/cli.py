"""The `mapsvc` command line: database, demo data and serving."""

from __future__ import annotations

import json
import sys
import time

import click

from mapsvc.dev import cluster
from mapsvc.http import params
from mapsvc.infra.config import external_database_url
from mapsvc.infra.db import database_url


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
    from mapsvc.infra.config import app_database_url

    info = {
        "url": database_url(),
        "service_url": app_database_url(database_url()),
        "external": bool(external_database_url()),
    }
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
    from mapsvc.infra import migrate, roles
    from mapsvc.infra.config import app_database_url

    url = database_url()
    cluster.ensure_database(url)
    migrate.upgrade(url, revision)
    # the service's role: its password (MAPSVC_APP_DB_PASSWORD) is set here, by the owner
    roles.ensure_app_role(url, app_database_url(url))
    click.echo(f"schema at revision {migrate.current_revision(url)}")


def _say(key: str, **values) -> str:
    """A message of the table as one line: 中文 / English."""
    from mapsvc.domain.messages import words

    _, zh, en = words(key, **values)
    return f"{zh} / {en}"


@db.command("backup")
@click.argument("file", type=click.Path(dir_okay=False))
def db_backup(file: str) -> None:
    """Dump the database to FILE (pg_dump custom format; restore with `mapsvc db restore`)."""
    from sqlalchemy.engine import make_url

    from mapsvc.domain.errors import DomainError
    from mapsvc.infra import backup

    url = database_url()
    try:
        size = backup.backup(url, file)
    except DomainError as exc:
        _fail(f"{exc.message} / {exc.message_en}")
    click.echo(_say("backup_written", db=make_url(url).database, file=file, size=f"{size:,}"))


@db.command("restore")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--yes", is_flag=True, help="Replace a database that holds data.")
def db_restore(file: str, yes: bool) -> None:
    """Replace the database with the dump in FILE (refused over data without --yes).

    The dump is restored into a new database first; the old one is dropped only once that
    succeeded. Stop the service first: its connections to the old database are ended.
    """
    from pathlib import Path

    from sqlalchemy.engine import make_url

    from mapsvc.domain.errors import DomainError, Rejected
    from mapsvc.infra import backup, migrate, roles
    from mapsvc.infra.config import app_database_url
    from mapsvc.infra.db import engine_for

    url = database_url()
    try:
        if not Path(file).is_file():
            raise Rejected("restore_no_file", file=file)
        revision = backup.dump_revision(file)
        if revision is None:
            raise Rejected("restore_no_revision", file=file)
        if not backup.is_known_revision(revision):
            raise Rejected("restore_unknown_revision", revision=revision)
        engine_for(url).dispose()
        roles.ensure_app_role(url, app_database_url(url))  # the dump grants it the rows
        backup.restore(url, file, replace=yes)
    except DomainError as exc:
        _fail(f"{exc.message} / {exc.message_en}")
    found = migrate.current_revision(url)
    engine_for(url).dispose()
    if found != revision:
        _fail(_say("restore_revision_changed", found=found, revision=revision))
    click.echo(_say("restore_done", db=make_url(url).database, file=file, revision=found))
    if found != migrate.head_revision():
        click.echo(_say("restore_behind", revision=found, head=migrate.head_revision()))


# ------------------------------------------------------------------ demo data
@main.group()
def demo() -> None:
    """The demo territory: 榆林市 (or 陕西省) on real boundaries, synthetic people and places."""


@demo.command("load")
@click.option(
    "--scale",
    type=click.Choice(["small", "city", "province"]),
    default="city",
    show_default=True,
    help="small: 3 counties (tests); city: 榆林市; province: 陕西省, ~3 million members.",
)
@click.option("--seed", type=int, default=2026, show_default=True)
@click.option("--if-empty", is_flag=True, help="Only load when the database holds no data.")
def demo_load(scale: str, seed: int, if_empty: bool) -> None:
    """Replace all data with a generated demo territory."""
    from geodata.demo import loader

    url = database_url()
    if if_empty and not loader.is_empty(url):
        click.echo("demo: database already holds data, left as it is")
    else:
        started = time.monotonic()
        counts = loader.load(url, scale=scale, seed=seed, progress=click.echo)
        summary = ", ".join(f"{k} {v:,}" for k, v in counts.items())
        click.echo(
            f"demo territory ({scale}, seed {seed}) loaded in {time.monotonic() - started:.1f} s: "
            f"{summary}"
        )
    _first_admin(url)


def _first_admin(url: str) -> None:
    """With no admin account yet, make `admin` with a generated password, shown this once
    (there are no default passwords)."""
    from mapsvc.access import accounts
    from mapsvc.infra.db import cursor

    with cursor(url) as cur:
        cur.execute("SELECT 1 FROM users WHERE role = 'admin' AND active LIMIT 1")
        if cur.fetchone():
            return
        name = "admin"
        cur.execute("SELECT 1 FROM users WHERE name = %s", (name,))
        if cur.fetchone():
            name = f"admin-{int(time.time())}"
        password = accounts.generate_password()
        accounts.add_user(cur, name, "admin", None, password, "系统管理员")
        accounts.record_audit(
            cur, None, "add_user", f"user:{name}", {"role": "admin", "first_admin": True}
        )
    click.echo(
        f"已创建管理员账号 {name}，密码只显示这一次（忘记后用 mapsvc users password {name} 重设）/ "
        f"created the admin account {name}; its password is shown only this once "
        f"(reset it with mapsvc users password {name}):"
    )
    click.echo(f"    {name}  {password}")


# ------------------------------------------------------------------ serving
@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=5000, show_default=True, envvar="PORT")
@click.option(
    "--workers",
    type=int,
    default=None,
    envvar="WORKERS",
    help="gunicorn worker processes [default: min(2 × cores + 1, 8)].",
)
@click.option(
    "--threads",
    type=int,
    default=4,
    show_default=True,
    envvar="THREADS",
    help="Threads per worker: a map asks for dozens of tiles at once.",
)
@click.option(
    "--timeout",
    type=int,
    default=30,
    show_default=True,
    help="Seconds a silent worker lives before it is replaced.",
)
@click.option(
    "--graceful-timeout",
    type=int,
    default=30,
    show_default=True,
    help="Seconds workers get to finish their requests on reload (SIGHUP) or stop (SIGTERM).",
)
@click.option("--dev", is_flag=True, help="Flask's development server (one process), not gunicorn.")
def serve(
    host: str,
    port: int,
    workers: int | None,
    threads: int,
    timeout: int,
    graceful_timeout: int,
    dev: bool,
) -> None:
    """Serve the map service over HTTP: gunicorn (SIGHUP reloads, SIGTERM stops gracefully)."""
    from mapsvc.infra import serving

    workers = serving.default_workers() if workers is None else workers
    if workers < 1:
        _fail("--workers must be at least 1")
    if not 1 <= threads <= 64:
        _fail("--threads must be between 1 and 64")
    if timeout < 1 or graceful_timeout < 1:
        _fail("--timeout and --graceful-timeout must be at least 1 second")
    if dev:
        from mapsvc.app import create_app

        click.echo(f"development server on http://{host}:{port}")
        create_app().run(host=host, port=port, threaded=True)
        return
    import os

    argv = serving.gunicorn_argv(host, port, workers, threads, timeout, graceful_timeout)
    sys.stdout.flush()
    os.execv(argv[0], argv)  # gunicorn becomes this process: signals reach its master


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
    member). Runs the API's import job in this process, progress on stderr; the report lists
    the first MAPSVC_IMPORT_REPORT_PER_CODE problems of each kind and counts the rest.
    Exit status 0 when written (or a dry run found nothing wrong), 1 when rejected.
    """
    from mapsvc.exchange import imports, jobs

    report = jobs.execute(
        database_url(),
        file,
        kind,
        {"crs": crs, "dry_run": dry_run, "partial": partial},
        limits=imports.Limits.from_settings(),
        progress=_import_progress(),
    )
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        click.echo(imports.render_text(report))
    if report["status"] == "rejected":
        sys.exit(1)


def _import_progress():
    """A progress callback printing to stderr at most once a second."""
    last = [0.0]

    def show(state: dict) -> None:
        now = time.monotonic()
        if now - last[0] < 1.0:
            return
        last[0] = now
        total = state.get("total")
        of = f" / {total}" if total else ""
        click.echo(
            f"{state['phase']}: 读取 read {state['read']}{of}, 检查 checked {state['checked']}, "
            f"写入 written {state['written']}",
            err=True,
        )

    return show


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
    from mapsvc.exchange import formats as exchange
    from mapsvc.exchange import imports

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


# ------------------------------------------------------------------ accounts and audit
_ROLES = ["admin", "org_admin", "secretary", "grid_worker", "viewer", "kiosk"]


def _duration_seconds(text: str, option: str) -> int:
    """Seconds in 30m, 1h, 2d …; a bilingual error (exit 2) otherwise."""
    seconds = params.parse_duration(text)
    if seconds is None:
        click.echo(
            f"error: {option} 须为正整数加单位 m/h/d（如 30m、1h、2d），收到 {text!r} / "
            f"{option} must be a positive number with a unit m/h/d (30m, 1h, 2d), got {text!r}",
            err=True,
        )
        sys.exit(2)
    return seconds


def _fail_invalid(exc) -> None:
    for p in exc.problems:
        click.echo(f"error: {p.message} / {p.message_en}", err=True)
    sys.exit(1)


def _cli_actor() -> dict:
    """Who ran a command line write, for the audit row's detail."""
    import getpass

    try:
        os_user = getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name in a bare container
        os_user = None
    return {"via": "cli", "os_user": os_user}


@main.group()
def users() -> None:
    """Accounts (用户): roles scoped to the org tree."""


@users.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(_ROLES), required=True)
@click.option("--scope", "scope_code", default=None, help="Code of the org the role covers.")
@click.option(
    "--grid", "grid_codes", multiple=True, help="A grid worker's grid code (repeat for several)."
)
@click.option("--display-name", default=None)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--token-only", is_flag=True, help="No password: the account uses tokens only.")
def users_add(
    name: str,
    role: str,
    scope_code: str | None,
    grid_codes: tuple[str, ...],
    display_name: str | None,
    password_stdin: bool,
    token_only: bool,
) -> None:
    """Add an account. Without --password-stdin a random password is made and shown once."""
    from mapsvc.access import accounts
    from mapsvc.infra.db import cursor
    from mapsvc.records.validation import Invalid

    if password_stdin and token_only:
        _fail(
            "--password-stdin 与 --token-only 不能同时使用 / "
            "--password-stdin and --token-only exclude each other"
        )
    if role == "kiosk" and not token_only:
        token_only = True  # a screen has no password: it is given a token
    generated = not password_stdin and not token_only
    if password_stdin:
        password = sys.stdin.read()
        password = password[:-1] if password.endswith("\n") else password
        password = password[:-1] if password.endswith("\r") else password
    elif token_only:
        password = None
    else:
        password = accounts.generate_password()
    try:
        with cursor(database_url()) as cur:
            user = accounts.add_user(
                cur, name, role, scope_code, password, display_name, grid_codes=grid_codes
            )
            accounts.record_audit(
                cur,
                None,
                "add_user",
                f"user:{name}",
                {
                    "role": role,
                    "scope": user["scope_code"],
                    "grids": list(grid_codes),
                    "password": "generated" if generated else "none" if token_only else "given",
                    **_cli_actor(),
                },
            )
    except Invalid as exc:
        _fail_invalid(exc)
    scope = f", 范围 scope {user['scope_code']}" if user["scope_code"] else ""
    click.echo(f"已添加用户 / added user {user['name']} ({user['role']}{scope})")
    if generated:
        click.echo("初始密码只显示这一次，请妥善转交 / the password is shown only this once:")
        click.echo(password)


def _ended(ended: dict) -> str:
    """How many sessions and tokens a change ended, for the operator."""
    return (
        f"结束会话 {ended['sessions']} 个、令牌 {ended.get('tokens', 0)} 个 / "
        f"{ended['sessions']} sessions and {ended.get('tokens', 0)} tokens ended"
    )


def _set_active(name: str, active: bool) -> None:
    from mapsvc.access import accounts
    from mapsvc.infra.db import cursor

    with cursor(database_url()) as cur:
        ended = accounts.set_active(cur, name, active)
        if ended is None:
            _fail(f"没有用户 {name} / no user named {name}")
        action = "enable_user" if active else "disable_user"
        accounts.record_audit(cur, None, action, f"user:{name}", {**ended, **_cli_actor()})
    state = (
        "已启用，原有令牌不会恢复 / enabled, with no session or token (issue new tokens)"
        if active
        else "已停用 / disabled"
    )
    click.echo(f"{name}: {state}; {_ended(ended)}")


@users.command("disable")
@click.argument("name")
def users_disable(name: str) -> None:
    """Disable an account: every session and token of it ends at once."""
    _set_active(name, False)


@users.command("enable")
@click.argument("name")
def users_enable(name: str) -> None:
    """Enable a disabled account again; it starts with no session and no token."""
    _set_active(name, True)


@users.command("password")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def users_password(name: str, password_stdin: bool) -> None:
    """Set a new password (printed once when generated); every session and token ends."""
    from mapsvc.access import accounts
    from mapsvc.infra.db import cursor
    from mapsvc.records.validation import Invalid

    password = sys.stdin.read().rstrip("\r\n") if password_stdin else accounts.generate_password()
    try:
        with cursor(database_url()) as cur:
            ended = accounts.set_password(cur, name, password)
            accounts.record_audit(
                cur, None, "set_password", f"user:{name}", {**ended, **_cli_actor()}
            )
    except Invalid as exc:
        _fail_invalid(exc)
    click.echo(f"已为 {name} 设置新密码 / new password set for {name}; {_ended(ended)}")
    if not password_stdin:
        click.echo(password)


@users.command("role")
@click.argument("name")
@click.argument("role", type=click.Choice(_ROLES))
@click.option("--scope", "scope_code", default=None, help="Code of the org the role covers.")
@click.option(
    "--grid", "grid_codes", multiple=True, help="A grid worker's grid code (repeat for several)."
)
def users_role(name: str, role: str, scope_code: str | None, grid_codes: tuple[str, ...]) -> None:
    """Give an account a new role, scope or grids; every session and token of it ends."""
    from mapsvc.access import accounts
    from mapsvc.infra.db import cursor
    from mapsvc.records.validation import Invalid

    try:
        with cursor(database_url()) as cur:
            change = accounts.set_role(cur, name, role, scope_code, grid_codes)
            if change["changed"]:
                accounts.record_audit(
                    cur, None, "set_role", f"user:{name}", {**change, **_cli_actor()}
                )
    except Invalid as exc:
        _fail_invalid(exc)
    if not change["changed"]:
        click.echo(f"{name}: 角色与范围未变 / role and scope unchanged")
        return
    scope = f", 范围 scope {change['after']['scope']}" if change["after"]["scope"] else ""
    click.echo(f"{name}: {role}{scope}; {_ended(change)}")


@users.command("list")
def users_list() -> None:
    """List the accounts (never their passwords or tokens)."""
    from mapsvc.access import accounts
    from mapsvc.infra.db import cursor

    with cursor(database_url()) as cur:
        rows = accounts.list_users(cur)
    if not rows:
        click.echo("没有用户 / no users")
        return
    click.echo("name\trole\tscope\tactive\tpassword\ttokens\tcreated_at")
    for r in rows:
        click.echo(
            f"{r['name']}\t{r['role']}\t{r['scope_code'] or '-'}\t"
            f"{'yes' if r['active'] else 'no'}\t{'yes' if r['has_password'] else 'no'}\t"
            f"{r['tokens']}\t{r['created_at']:%Y-%m-%d %H:%M}"
        )


@main.group()
def tokens() -> None:
    """API tokens (shown once; only their SHA-256 is stored)."""


@tokens.command("issue")
@click.argument("name")
@click.option("--expires", "expires_days", type=int, default=None, help="Days until it expires.")
@click.option("--label", default=None, help="What the token is for (kiosk 3, import script …).")
def tokens_issue(name: str, expires_days: int | None, label: str | None) -> None:
    """Issue a token for an account; the token is printed once, on the last line."""
    from mapsvc.access import accounts
    from mapsvc.infra.db import cursor
    from mapsvc.records.validation import Invalid

    try:
        with cursor(database_url()) as cur:
            token = accounts.issue_token(cur, name, expires_days, label)
            tok = accounts.token_info(cur, token)
            accounts.record_audit(
                cur,
                None,
                "issue_token",
                f"user:{name}",
                {
                    "token_id": tok["id"],
                    "expires_at": tok["expires_at"],
                    "label": label,
                    **_cli_actor(),
                },
            )
    except Invalid as exc:
        _fail_invalid(exc)
    until = f"{tok['expires_at']:%Y-%m-%d %H:%M %Z}" if tok["expires_at"] else "不过期 / never"
    click.echo(
        f"已为 {name} 签发令牌（有效至 {until}），只显示这一次 / "
        f"token for {name} (expires: {until}), shown only this once:"
    )
    click.echo(token)


@tokens.command("revoke")
@click.argument("token_id", type=int)
def tokens_revoke(token_id: int) -> None:
    """Revoke a token by its id (`mapsvc users list` counts them; the audit log names ids)."""
    from mapsvc.access import accounts
    from mapsvc.infra.db import cursor

    with cursor(database_url()) as cur:
        ended = accounts.revoke_token(cur, token_id)
        if ended is None:
            _fail(f"没有未吊销的令牌 {token_id} / no unrevoked token {token_id}")
        accounts.record_audit(
            cur, None, "revoke_token", f"token:{token_id}", {**ended, **_cli_actor()}
        )
    click.echo(
        f"令牌 {token_id} 已吊销，结束其打开的会话 {ended['sessions']} 个 / token {token_id} "
        f"revoked, {ended['sessions']} sessions it opened ended"
    )


@main.command("audit")
@click.option("--since", default=None, help="Only newer entries: 30m, 1h, 2d …")
@click.option("--user", "user_name", default=None, help="Entries by or about this account.")
@click.option("--limit", type=click.IntRange(1, 100000), default=1000, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def audit_cmd(since: str | None, user_name: str | None, limit: int, as_json: bool) -> None:
    """Print the audit log (审计日志), oldest first."""
    from mapsvc.access import accounts
    from mapsvc.infra.db import cursor

    seconds = _duration_seconds(since, "--since") if since is not None else None
    with cursor(database_url()) as cur:
        rows = accounts.audit_entries(cur, seconds, user_name, limit)
    for r in rows:
        if as_json:
            click.echo(json.dumps(r, ensure_ascii=False, default=str))
        else:
            click.echo(
                f"{r['at']:%Y-%m-%d %H:%M:%S%z}\t{r['user_name'] or '-'}\t{r['action']}\t"
                f"{r['target'] or '-'}\t{r['remote_addr'] or '-'}\t"
                f"{json.dumps(r['detail'], ensure_ascii=False, default=str)}"
            )
    if not rows and not as_json:
        click.echo("没有审计记录 / no audit entries")


@main.group()
def positions() -> None:
    """Members' position reports (位置上报): personal data kept only for a while."""


@positions.command("purge")
@click.option(
    "--older-than",
    default=None,
    help="Delete reports older than this (e.g. 180d); default MAPSVC_POSITION_RETENTION_DAYS "
    "days, else 180 days. At least 1 day.",
)
def positions_purge(older_than: str | None) -> None:
    """Delete old position reports in one transaction and record it in the audit log."""
    import os

    from mapsvc.access import accounts
    from mapsvc.infra.db import cursor

    if older_than is None:
        env = os.environ.get("MAPSVC_POSITION_RETENTION_DAYS", "").strip()
        if env and not (env.isdigit() and int(env) >= 1):
            click.echo(
                f"error: MAPSVC_POSITION_RETENTION_DAYS 须为正整数，收到 {env!r} / "
                f"MAPSVC_POSITION_RETENTION_DAYS must be a positive integer, got {env!r}",
                err=True,
            )
            sys.exit(2)
        older_than = f"{int(env) if env else 180}d"
        source = "env" if env else "default"
    else:
        source = "option"
    seconds = _duration_seconds(older_than, "--older-than")
    if seconds < 86400:
        click.echo(
            f"error: --older-than 至少 1 天，收到 {older_than} / "
            f"--older-than must be at least 1 day, got {older_than}",
            err=True,
        )
        sys.exit(2)
    with cursor(database_url()) as cur:
        info = accounts.purge_positions(
            cur, seconds, detail={"older_than": older_than, "from": source, **_cli_actor()}
        )
    click.echo(
        f"已删除 {info['count']} 条早于 {info['cutoff']} 的位置上报 / "
        f"deleted {info['count']} position reports older than {info['cutoff']}"
    )


if __name__ == "__main__":  # pragma: no cover
    main()
