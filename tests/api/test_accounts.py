"""Accounts, API tokens, the append-only audit log and the position purge (foundations only).

Runs on the shared demo database, which has no accounts of its own: every test uses unique
names and deletes the users and tokens it made. Audit rows cannot be deleted (by design), so
tests find theirs by those unique names.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid

import psycopg2
import pytest

from mapsvc.access import accounts
from mapsvc.infra.db import libpq_dsn
from mapsvc.records.validation import Invalid

MAPSVC = [sys.executable, "-m", "mapsvc.cli"]


def run(args, db_url, stdin: str | None = None, env: dict | None = None):
    full_env = {**os.environ, "DATABASE_URL": db_url}
    full_env.pop("MAPSVC_POSITION_RETENTION_DAYS", None)
    full_env.update(env or {})
    return subprocess.run(
        [*MAPSVC, *args],
        env=full_env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture()
def dsn(db_url):
    return libpq_dsn(db_url)


@pytest.fixture()
def names(dsn):
    """Unique user names for this test; their users and tokens are deleted afterwards."""
    made: list[str] = []

    def new(prefix: str = "t") -> str:
        name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        made.append(name)
        return name

    yield new
    with psycopg2.connect(dsn) as c, c.cursor() as cur:
        cur.execute(
            "DELETE FROM api_tokens WHERE user_id IN (SELECT id FROM users WHERE name = ANY(%s))",
            (made,),
        )
        cur.execute("DELETE FROM users WHERE name = ANY(%s)", (made,))
    c.close()


def q(dsn, sql, params=()):
    with psycopg2.connect(dsn) as c, c.cursor() as cur:
        cur.execute(sql, params)
        rows = cur.fetchall() if cur.description else None
    c.close()
    return rows


@pytest.fixture(scope="module")
def org_code(db_url):
    rows = q(
        libpq_dsn(db_url),
        "SELECT code FROM party_orgs WHERE status = 'active' ORDER BY nlevel(path), code LIMIT 1",
    )
    return rows[0][0]


def user_count(dsn, name):
    return q(dsn, "SELECT count(*) FROM users WHERE name = %s", (name,))[0][0]


def audit_rows(dsn, name):
    return q(
        dsn,
        "SELECT action, user_name, detail FROM audit_log WHERE target = %s ORDER BY id",
        (f"user:{name}",),
    )


# ------------------------------------------------------------------ users add
def test_users_add_prints_a_generated_password_once(db_url, dsn, names, org_code):
    name = names("sec")
    res = run(["users", "add", name, "--role", "secretary", "--scope", org_code], db_url)
    assert res.returncode == 0, res.stderr
    password = res.stdout.strip().splitlines()[-1]
    assert len(password) >= 20
    assert res.stdout.count(password) == 1
    with psycopg2.connect(dsn) as c, c.cursor() as cur:
        user = accounts.verify_password(cur, name, password)
        assert user is not None
        assert user["role"] == "secretary" and user["scope_code"] == org_code
        assert "password_hash" not in user
        assert accounts.verify_password(cur, name, password + "x") is None
        assert accounts.verify_password(cur, name, "") is None
        assert accounts.verify_password(cur, "nobody_" + name, password) is None
        cur.execute("SELECT password_hash FROM users WHERE name = %s", (name,))
        stored = cur.fetchone()[0]
    c.close()
    assert stored.startswith("$argon2id$") and password not in stored
    (row,) = audit_rows(dsn, name)
    assert row[0] == "add_user"
    assert row[2]["role"] == "secretary" and row[2]["password"] == "generated"
    assert password not in json.dumps(row[2])


def test_two_generated_passwords_differ(db_url, names):
    a, b = names(), names()
    out = [run(["users", "add", n, "--role", "admin"], db_url) for n in (a, b)]
    assert all(r.returncode == 0 for r in out), [r.stderr for r in out]
    assert out[0].stdout.splitlines()[-1] != out[1].stdout.splitlines()[-1]


def test_admin_without_scope_and_password_from_stdin(db_url, dsn, names):
    name = names("adm")
    res = run(
        ["users", "add", name, "--role", "admin", "--password-stdin"],
        db_url,
        stdin="correct horse battery\n",
    )
    assert res.returncode == 0, res.stderr
    assert "correct horse" not in res.stdout
    with psycopg2.connect(dsn) as c, c.cursor() as cur:
        user = accounts.verify_password(cur, name, "correct horse battery")
        assert user and user["role"] == "admin" and user["scope_org_id"] is None
    c.close()
    listed = run(["users", "list"], db_url)
    assert listed.returncode == 0 and name in listed.stdout
    assert "correct horse" not in listed.stdout


@pytest.mark.parametrize(
    "extra, stdin, needle",
    [
        (["--role", "secretary"], None, "scope"),
        (["--role", "viewer", "--scope", "NOSUCHORG9"], None, "NOSUCHORG9"),
        (["--role", "admin", "--password-stdin"], "short123\n", "10"),
        (["--role", "wizard"], None, "wizard"),
    ],
    ids=["secretary_without_scope", "unknown_scope", "short_password", "unknown_role"],
)
def test_bad_users_add_is_refused_and_writes_nothing(db_url, dsn, names, extra, stdin, needle):
    name = names("bad")
    res = run(["users", "add", name, *extra], db_url, stdin=stdin)
    assert res.returncode in (1, 2)
    assert needle in res.stderr
    assert user_count(dsn, name) == 0
    assert audit_rows(dsn, name) == []


def test_refusals_are_bilingual(db_url, names):
    res = run(["users", "add", names(), "--role", "secretary"], db_url)
    assert res.returncode == 1
    assert "须指定" in res.stderr and "needs a scope" in res.stderr


def test_service_checks(dsn, names, org_code):
    name = names()
    with psycopg2.connect(dsn) as c, c.cursor() as cur:
        with pytest.raises(Invalid) as exc:
            accounts.add_user(cur, name, "admin", org_code, None)
        assert exc.value.problems[0].code == "admin_scope"
        with pytest.raises(Invalid) as exc:
            accounts.add_user(cur, "bad name!", "viewer", org_code, "long enough pw")
        assert exc.value.problems[0].code == "bad_name"
        accounts.add_user(cur, name, "viewer", org_code, None)  # token-only
        with pytest.raises(Invalid) as exc:
            accounts.add_user(cur, name, "viewer", org_code, None)
        assert exc.value.problems[0].code == "name_taken"
        assert accounts.verify_password(cur, name, "") is None  # no password at all
        # the database refuses a scoped admin or an unscoped secretary by itself
        with pytest.raises(psycopg2.errors.CheckViolation):
            cur.execute("INSERT INTO users (name, role) VALUES (%s, 'secretary')", (names(),))
    c.close()


# ------------------------------------------------------------------ tokens
def test_token_is_printed_last_works_and_is_stored_only_hashed(db_url, dsn, names, org_code):
    name = names("kiosk")
    assert (
        run(
            ["users", "add", name, "--role", "viewer", "--scope", org_code, "--token-only"], db_url
        ).returncode
        == 0
    )
    res = run(["tokens", "issue", name, "--expires", "30", "--label", "kiosk 3"], db_url)
    assert res.returncode == 0, res.stderr
    token = res.stdout.rstrip("\n").splitlines()[-1]
    assert len(token) >= 43 and " " not in token
    with psycopg2.connect(dsn) as c, c.cursor() as cur:
        user = accounts.user_for_token(cur, token)
        assert user and user["name"] == name and user["scope_code"] == org_code
        assert accounts.user_for_token(cur, token + "x") is None
        cur.execute(
            "SELECT t.last_used_at IS NOT NULL, t.expires_at > now() + interval '29 days', "
            "t.token_hash = %s FROM api_tokens t JOIN users u ON u.id = t.user_id "
            "WHERE u.name = %s",
            (accounts.hash_token(token), name),
        )
        assert cur.fetchone() == (True, True, True)
        # the token's text is nowhere in the database's tables of accounts and audit
        for table in ("api_tokens", "users", "audit_log"):
            cur.execute(f"SELECT count(*) FROM {table} x WHERE x::text LIKE %s", (f"%{token}%",))
            assert cur.fetchone()[0] == 0, table
    c.close()
    actions = [r[0] for r in audit_rows(dsn, name)]
    assert actions == ["add_user", "issue_token"]


def test_expired_and_revoked_tokens_are_refused(dsn, names, org_code):
    name = names()
    with psycopg2.connect(dsn) as c, c.cursor() as cur:
        accounts.add_user(cur, name, "grid_worker", org_code, None)
        expired = accounts.issue_token(cur, name, 1)
        revoked = accounts.issue_token(cur, name)
        good = accounts.issue_token(cur, name)
        cur.execute(
            "UPDATE api_tokens SET expires_at = now() - interval '1 second' WHERE token_hash = %s",
            (accounts.hash_token(expired),),
        )
        assert accounts.user_for_token(cur, expired) is None
        assert accounts.revoke_token(cur, accounts.token_info(cur, revoked)["id"])
        assert accounts.user_for_token(cur, revoked) is None
        assert accounts.user_for_token(cur, good)["name"] == name
        cur.execute("UPDATE users SET active = false WHERE name = %s", (name,))
        assert accounts.user_for_token(cur, good) is None  # a disabled account's tokens too
        with pytest.raises(Invalid):
            accounts.issue_token(cur, name)
        assert accounts.user_for_token(cur, "") is None
    c.close()


def test_bad_token_issue_is_refused(db_url, names):
    res = run(["tokens", "issue", names("ghost")], db_url)
    assert res.returncode == 1 and "no active user" in res.stderr
    assert "没有启用的用户" in res.stderr


# ------------------------------------------------------------------ audit
def test_audit_log_refuses_update_delete_and_truncate(dsn):
    with psycopg2.connect(dsn) as c, c.cursor() as cur:
        rid = accounts.record_audit(cur, "someone", "test_entry", "x", {"a": 1}, "127.0.0.1")
    c.close()
    for sql in (
        "UPDATE audit_log SET action = 'forged' WHERE id = %s",
        "DELETE FROM audit_log WHERE id = %s",
        "TRUNCATE audit_log",
    ):
        with psycopg2.connect(dsn) as c, c.cursor() as cur:
            with pytest.raises(psycopg2.errors.CheckViolation) as exc:
                cur.execute(sql, (rid,) if "%s" in sql else None)
            assert "审计日志只能追加" in str(exc.value)
            assert "append-only" in str(exc.value)
        c.close()
    assert q(dsn, "SELECT action FROM audit_log WHERE id = %s", (rid,)) == [("test_entry",)]


@pytest.mark.slow  # several CLI processes, each importing the whole service
def test_audit_command_lists_a_users_entries(db_url, names):
    name, other = names("aud"), names("aud")
    for n in (name, other):
        assert run(["users", "add", n, "--role", "admin"], db_url).returncode == 0
    assert run(["tokens", "issue", name], db_url).returncode == 0
    res = run(["audit", "--since", "1h", "--user", name], db_url)
    assert res.returncode == 0, res.stderr
    lines = res.stdout.strip().splitlines()
    assert [line.split("\t")[2] for line in lines] == ["add_user", "issue_token"]
    assert other not in res.stdout
    as_json = run(["audit", "--since", "30m", "--user", name, "--json"], db_url)
    assert [json.loads(x)["action"] for x in as_json.stdout.splitlines()] == [
        "add_user",
        "issue_token",
    ]
    bad = run(["audit", "--since", "yesterday"], db_url)
    assert bad.returncode == 2 and "m/h/d" in bad.stderr


# ------------------------------------------------------------------ position purge
def test_positions_purge_deletes_only_older_reports_and_is_audited(db_url, dsn):
    member_id, oldest_days = q(
        dsn,
        "SELECT (SELECT min(id) FROM members), "
        "coalesce(ceil(extract(epoch FROM now() - min(reported_at)) / 86400), 0)::int "
        "FROM member_positions",
    )[0]
    keep_days = oldest_days + 3  # older than every demo report, but inside the period
    period = oldest_days + 5
    tag = uuid.uuid4().hex[:10]
    with psycopg2.connect(dsn) as c, c.cursor() as cur:
        for i, days in enumerate((period + 10, period + 1, keep_days)):
            cur.execute(
                "INSERT INTO member_positions (report_id, member_id, geom, reported_at, source,"
                " input_crs) VALUES (%s, %s, ST_SetSRID(ST_MakePoint(109.73, 38.28), 4326),"
                " now() - make_interval(days => %s), 'test', 'wgs84')",
                (f"purge-{tag}-{i}", member_id, days),
            )
    c.close()
    before = q(dsn, "SELECT count(*) FROM member_positions")[0][0]
    last_audit = q(dsn, "SELECT coalesce(max(id), 0) FROM audit_log")[0][0]
    res = run(["positions", "purge", "--older-than", f"{period}d"], db_url)
    assert res.returncode == 0, res.stderr
    assert "deleted 2 " in res.stdout
    left = q(
        dsn, "SELECT report_id FROM member_positions WHERE report_id LIKE %s", (f"purge-{tag}%",)
    )
    assert left == [(f"purge-{tag}-2",)]
    assert q(dsn, "SELECT count(*) FROM member_positions")[0][0] == before - 2
    (entry,) = q(
        dsn,
        "SELECT detail FROM audit_log WHERE id > %s AND action = 'purge_positions'",
        (last_audit,),
    )
    assert entry[0]["count"] == 2 and entry[0]["older_than"] == f"{period}d"
    assert entry[0]["cutoff"]
    q(dsn, "DELETE FROM member_positions WHERE report_id LIKE %s", (f"purge-{tag}%",))


def test_positions_purge_period_from_the_environment(db_url, dsn):
    oldest_days = q(
        dsn,
        "SELECT coalesce(ceil(extract(epoch FROM now() - min(reported_at)) / 86400), 0)::int"
        " FROM member_positions",
    )[0][0]
    days = oldest_days + 400  # deletes nothing of the demo's
    before = q(dsn, "SELECT count(*) FROM member_positions")[0][0]
    last_audit = q(dsn, "SELECT coalesce(max(id), 0) FROM audit_log")[0][0]
    res = run(["positions", "purge"], db_url, env={"MAPSVC_POSITION_RETENTION_DAYS": str(days)})
    assert res.returncode == 0, res.stderr
    (entry,) = q(
        dsn,
        "SELECT detail FROM audit_log WHERE id > %s AND action = 'purge_positions'",
        (last_audit,),
    )
    assert entry[0]["older_than"] == f"{days}d" and entry[0]["count"] == 0
    assert entry[0]["from"] == "env"
    assert q(dsn, "SELECT count(*) FROM member_positions")[0][0] == before


@pytest.mark.parametrize(
    "args, env",
    [
        (["--older-than", "2h"], None),
        (["--older-than", "soon"], None),
        ([], {"MAPSVC_POSITION_RETENTION_DAYS": "ten"}),
    ],
    ids=["under_a_day", "unparsable", "bad_env"],
)
def test_positions_purge_refuses_bad_periods(db_url, dsn, args, env):
    before = q(dsn, "SELECT count(*) FROM member_positions")[0][0]
    last_audit = q(dsn, "SELECT coalesce(max(id), 0) FROM audit_log")[0][0]
    res = run(["positions", "purge", *args], db_url, env=env)
    assert res.returncode == 2
    assert "error:" in res.stderr
    assert q(dsn, "SELECT count(*) FROM member_positions")[0][0] == before
    assert q(dsn, "SELECT count(*) FROM audit_log WHERE id > %s", (last_audit,))[0][0] == 0


def test_reloading_the_demo_city_keeps_accounts_and_their_scope(db_url, dsn, names, org_code):
    # accounts are not demo data: a reload replaces orgs and members, never the people who log in
    from geodata.demo import loader
    from tests.conftest import DEMO_SEED

    name = names("keep")
    with psycopg2.connect(dsn) as c, c.cursor() as cur:
        accounts.add_user(cur, name, "secretary", org_code, "a-long-enough-password")
    c.close()
    loader.load(db_url, scale="small", seed=DEMO_SEED, progress=lambda _m: None)
    with psycopg2.connect(dsn) as c, c.cursor() as cur:
        user = accounts.get_user(cur, name)
    c.close()
    assert user and user["scope_code"] == org_code and user["scope_org_id"] is not None
