"""Who may see and change what: every role × every data endpoint × inside/outside its scope.

The database is this module's own (the small demo city), because the matrix writes. The
scope facts the expectations rest on are read with plain SQL here, independently of
mapsvc.access: a working committee S (a street), a branch B inside it, a member M_in of B,
a member M_out of a branch outside S who lives in none of the grid worker's grids, and a
member M_grid of a branch outside S who lives in grid G (the grid worker's).
"""

from __future__ import annotations

import datetime as dt
import io
import re
import subprocess
import sys
import uuid
from types import SimpleNamespace

import psycopg2
import pytest

from mapsvc.infra.db import engine_for, libpq_dsn
from tests.api.import_jobs import post_import
from tests.conftest import (
    _drop_database,
    _migrated_database,
    authorized,
    own_database,
    token_for,
)

ROLES = ("admin", "org_admin", "secretary", "grid_worker", "viewer", "kiosk", "anonymous")


# ------------------------------------------------------------------ fixtures
@pytest.fixture(scope="module")
def url(server_url):
    with own_database(server_url, "access") as u:
        yield u


def rows(url, query, args=()):
    with psycopg2.connect(libpq_dsn(url)) as c, c.cursor() as cur:
        cur.execute(query, args)
        out = cur.fetchall()
    c.close()
    return out


def scope_members(url, path) -> set[int]:
    """Members of orgs under path, or who flowed into one (plain SQL, not mapsvc.access)."""
    return {
        r[0]
        for r in rows(
            url,
            """SELECT m.id FROM members m WHERE EXISTS (SELECT 1 FROM party_orgs o
               WHERE o.id IN (m.org_id, m.inflow_org_id) AND o.path <@ %s::ltree)""",
            (path,),
        )
    }


@pytest.fixture(scope="module")
def world(url):
    """The orgs, members and grid the matrix is about (see the module docstring)."""
    ((s_code, s_path),) = rows(
        url,
        """SELECT s.code, s.path::text FROM party_orgs s
           WHERE s.level = 'working_committee' AND s.status = 'active'
           ORDER BY (SELECT count(*) FROM members m JOIN party_orgs o ON o.id = m.org_id
                     WHERE o.path <@ s.path) DESC, s.code LIMIT 1""",
    )
    ((b_code, b_parent, m_in, m_in_phone),) = rows(
        url,
        """SELECT o.code, p.code, m.id, m.phone FROM members m
           JOIN party_orgs o ON o.id = m.org_id JOIN party_orgs p ON p.id = o.parent_id
           WHERE o.path <@ %s::ltree AND NOT m.is_mobile AND m.phone IS NOT NULL
             AND m.home_geom IS NOT NULL
           ORDER BY m.id LIMIT 1""",
        (s_path,),
    )
    ((m_grid, g_code),) = rows(
        url,
        """SELECT m.id, g.code FROM members m JOIN party_orgs o ON o.id = m.org_id
           JOIN grids g ON ST_Intersects(g.geom, m.home_geom)
           WHERE NOT o.path <@ %s::ltree AND NOT m.is_mobile
           ORDER BY m.id LIMIT 1""",
        (s_path,),
    )
    ((m_out, out_code, out_parent),) = rows(
        url,
        """SELECT m.id, o.code, p.code FROM members m
           JOIN party_orgs o ON o.id = m.org_id JOIN party_orgs p ON p.id = o.parent_id
           WHERE NOT o.path <@ %s::ltree AND NOT m.is_mobile
             AND NOT EXISTS (SELECT 1 FROM grids g WHERE g.code = %s
                             AND ST_Intersects(g.geom, m.home_geom))
             AND o.category = 'community'
           ORDER BY m.id LIMIT 1""",
        (s_path, g_code),
    )
    in_scope = scope_members(url, s_path)
    assert m_in in in_scope and m_out not in in_scope and m_grid not in in_scope
    return SimpleNamespace(
        s=s_code,
        s_path=s_path,
        b=b_code,
        b_parent=b_parent,
        m_in=m_in,
        m_in_phone=m_in_phone,
        m_out=m_out,
        out=out_code,
        out_parent=out_parent,
        m_grid=m_grid,
        g=g_code,
    )


@pytest.fixture(scope="module")
def clients(url, world):
    """A test client per role: scoped roles to S (secretary and grid worker to branch B)."""
    from mapsvc.app import create_app

    app = create_app({"DATABASE_URL": url, "TESTING": True})
    who = {
        "admin": {},
        "org_admin": {"scope": world.s},
        "secretary": {"scope": world.b},
        "grid_worker": {"scope": world.b, "grids": (world.g,)},
        "viewer": {"scope": world.s},
        "kiosk": {},
    }
    out = {"anonymous": app.test_client()}
    for role, kw in who.items():
        out[role] = authorized(app.test_client(), token_for(url, role, **kw))
    out["app"] = app
    return out


# ------------------------------------------------------------------ the matrix
# status for (inside, outside) the role's scope; one column per role in ROLES order
# admin, org_admin, secretary, grid_worker, viewer, kiosk, anonymous
MATRIX = {
    "read member": [
        (200, 200),
        (200, 404),
        (200, 404),
        (200, 404),
        (200, 404),
        (403, 403),
        (401, 401),
    ],
    "member history": [
        (200, 200),
        (200, 404),
        (200, 404),
        (200, 404),
        (200, 404),
        (403, 403),
        (401, 401),
    ],
    "member positions": [
        (200, 200),
        (200, 404),
        (200, 404),
        (200, 404),
        (200, 404),
        (403, 403),
        (401, 401),
    ],
    "change member": [
        (200, 200),
        (200, 404),
        (200, 404),
        (403, 404),
        (403, 404),
        (403, 403),
        (401, 401),
    ],
    "add member": [
        (201, 201),
        (201, 403),
        (201, 403),
        (403, 403),
        (403, 403),
        (403, 403),
        (401, 401),
    ],
    "add org": [(201, 201), (201, 403), (403, 403), (403, 403), (403, 403), (403, 403), (401, 401)],
    "report position": [
        (200, 200),
        (200, 403),
        (200, 403),
        (200, 403),
        (403, 403),
        (403, 403),
        (401, 401),
    ],
    "import members": [
        (200, 200),
        (200, 422),
        (200, 422),
        (403, 403),
        (403, 403),
        (403, 403),
        (401, 401),
    ],
    # no personal data, but nothing without a login; kiosks only aggregates
    "nearest": [(200, 200), (200, 200), (200, 200), (200, 200), (200, 200), (403, 403), (401, 401)],
    "orgs list": [
        (200, 200),
        (200, 200),
        (200, 200),
        (200, 200),
        (200, 200),
        (403, 403),
        (401, 401),
    ],
    "coverage": [
        (200, 200),
        (200, 200),
        (200, 200),
        (200, 200),
        (200, 200),
        (403, 403),
        (401, 401),
    ],
    "audit log": [
        (200, 200),
        (403, 403),
        (403, 403),
        (403, 403),
        (403, 403),
        (403, 403),
        (401, 401),
    ],
    "who am I": [
        (200, 200),
        (200, 200),
        (200, 200),
        (200, 200),
        (200, 200),
        (200, 200),
        (401, 401),
    ],
}


def _version(c, member_id):
    res = c["admin"].get(f"/api/v1/members/{member_id}")
    return res.get_json()["version"]


# the read cases: a GET of the path ({member}: the inside or outside member)
READS = {
    "read member": "/api/v1/members/{member}",
    "member history": "/api/v1/members/{member}/history",
    "member positions": "/api/v1/members/{member}/positions",
    "nearest": "/api/v1/nearest?lon=109.7345&lat=38.2852&k=2",
    "orgs list": "/api/v1/orgs?limit=5",
    "coverage": "/api/v1/coverage?by=street",
    "audit log": "/api/v1/audit?since=1h",
    "who am I": "/api/v1/me",
}


def _change_member(c, client, w, inside: bool):
    member = w.m_in if inside else w.m_out
    return client.patch(
        f"/api/v1/members/{member}",
        json={"phone": f"139{uuid.uuid4().int % 10**8:08d}"},
        headers={"If-Match": str(_version(c, member))},
    )


def _add_member(c, client, w, inside: bool):
    return client.post(
        "/api/v1/members",
        json={
            "org_code": w.b if inside else w.out,
            "name": "测试党员",
            "gender": "F",
            "birth_year": 1990,
            "joined_on": "2015-07-01",
            "status": "full",
        },
    )


def _add_org(c, client, w, inside: bool):
    return client.post(
        "/api/v1/orgs",
        json={
            "code": "T" + uuid.uuid4().hex[:10].upper(),
            "name": "测试支部",
            "level": "branch",
            "category": "community",
            "parent_code": w.b_parent if inside else w.out_parent,
        },
    )


def _report_position(c, client, w, inside: bool):
    now = dt.datetime.now(dt.UTC)
    return client.post(
        "/api/v1/positions",
        json={
            "reports": [
                {
                    "report_id": f"acc-{uuid.uuid4().hex}",
                    "member_id": w.m_in if inside else w.m_out,
                    "lon": 109.7345,
                    "lat": 38.2852,
                    "reported_at": now.isoformat(),
                }
            ]
        },
    )


def _import_members(c, client, w, inside: bool):
    text = (
        "org_code,name,gender,birth_year,joined_on,status\n"
        f"{w.b if inside else w.out},导入测试,M,1988,2012-07-01,full\n"
    )
    got = post_import(
        client,
        {"kind": "members", "dry_run": "true", "file": (io.BytesIO(text.encode()), "m.csv")},
    )
    if isinstance(got, dict):  # a job that ran: its outcome as the status it used to answer
        return SimpleNamespace(status_code={"succeeded": 200, "rejected": 422}[got["status"]])
    return got


WRITES = {
    "change member": _change_member,
    "add member": _add_member,
    "add org": _add_org,
    "report position": _report_position,
    "import members": _import_members,
}


def call(c, role: str, case: str, w, inside: bool):
    """Make the request of `case` as role about the inside or outside record."""
    client = c[role]
    if case in READS:
        return client.get(READS[case].format(member=w.m_in if inside else w.m_out))
    if case in WRITES:
        return WRITES[case](c, client, w, inside)
    raise AssertionError(case)


@pytest.mark.parametrize("case", list(MATRIX))
@pytest.mark.parametrize("role", ROLES)
def test_matrix(clients, world, role, case):
    expected = MATRIX[case][ROLES.index(role)]
    got = (
        call(clients, role, case, world, True).status_code,
        call(clients, role, case, world, False).status_code,
    )
    assert got == expected, f"{role} / {case}: got {got}, expected {expected}"


def test_refusals_are_bilingual_json(clients, world):
    for role, path in (("anonymous", "/api/v1/members"), ("kiosk", "/api/v1/members")):
        body = clients[role].get(path).get_json()
        assert body["code"] in ("unauthorized", "forbidden")
        assert re.search(r"[\u4e00-\u9fff]", body["message"]) and body["message_en"]


# ------------------------------------------------------------------ what lists hold
@pytest.mark.parametrize("role", ["org_admin", "viewer"])
def test_member_lists_and_exports_hold_exactly_the_scope(clients, world, url, role):
    in_scope = scope_members(url, world.s_path)
    items = clients[role].get("/api/v1/members?limit=1000").get_json()
    assert items["total"] == len(in_scope) < rows(url, "SELECT count(*) FROM members")[0][0]
    assert {m["id"] for m in items["items"]} == in_scope
    csv_text = clients[role].get("/api/v1/members?f=csv").get_data(as_text=True)
    assert len(csv_text.strip().splitlines()) - 1 == len(in_scope)
    # a name search never reaches past the scope
    for m in clients["admin"].get("/api/v1/members?limit=30").get_json()["items"]:
        found = clients[role].get(f"/api/v1/members?q={m['name']}&limit=1000").get_json()
        assert {x["id"] for x in found["items"]} <= in_scope


def test_grid_worker_sees_the_residents_of_their_grids(clients, world, url):
    residents = {
        r[0]
        for r in rows(
            url,
            "SELECT m.id FROM members m JOIN grids g ON ST_Intersects(g.geom, m.home_geom)"
            " WHERE g.code = %s",
            (world.g,),
        )
    }
    in_branch = {
        r[0]
        for r in rows(
            url,
            "SELECT m.id FROM members m JOIN party_orgs o ON o.id IN (m.org_id, m.inflow_org_id)"
            " WHERE o.path <@ (SELECT path FROM party_orgs WHERE code = %s)",
            (world.b,),
        )
    }
    listed = clients["grid_worker"].get("/api/v1/members?limit=1000").get_json()
    assert {m["id"] for m in listed["items"]} == residents | in_branch
    assert clients["grid_worker"].get(f"/api/v1/members/{world.m_grid}").status_code == 200
    assert clients["secretary"].get(f"/api/v1/members/{world.m_grid}").status_code == 404


def test_viewers_see_phones_masked_others_in_full(clients, world, url):
    ((phone,),) = rows(url, "SELECT phone FROM members WHERE id = %s", (world.m_in,))
    assert clients["secretary"].get(f"/api/v1/members/{world.m_in}").get_json()["phone"] == phone
    masked = clients["viewer"].get(f"/api/v1/members/{world.m_in}").get_json()["phone"]
    assert masked == phone[:3] + "****" + phone[-4:]
    csv_text = clients["viewer"].get("/api/v1/members?f=csv").get_data(as_text=True)
    assert not re.search(r"1[3-9]\d{9}", csv_text)  # no full phone anywhere in the export


def test_a_refused_import_writes_nothing(clients, world, url):
    before = rows(url, "SELECT count(*) FROM members")[0][0]
    text = (
        "org_code,name,gender,birth_year,joined_on,status\n"
        f"{world.b},范围内,M,1988,2012-07-01,full\n{world.out},范围外,F,1990,2014-07-01,full\n"
    )
    job = post_import(
        clients["org_admin"],
        {"kind": "members", "file": (io.BytesIO(text.encode()), "m.csv")},
    )
    body = job["report"]
    assert job["status"] == "rejected" and body["status"] == "rejected"
    assert [p["code"] for p in body["problems"]] == ["out_of_scope"]
    assert body["problems"][0]["row"] == 3
    assert rows(url, "SELECT count(*) FROM members")[0][0] == before


def test_positions_batch_with_one_member_outside_is_refused_whole(clients, world, url):
    now = dt.datetime.now(dt.UTC).isoformat()
    ids = [f"batch-{uuid.uuid4().hex}" for _ in range(2)]
    res = clients["secretary"].post(
        "/api/v1/positions",
        json={
            "reports": [
                {
                    "report_id": ids[0],
                    "member_id": world.m_in,
                    "lon": 109.73,
                    "lat": 38.28,
                    "reported_at": now,
                },
                {
                    "report_id": ids[1],
                    "member_id": world.m_out,
                    "lon": 109.73,
                    "lat": 38.28,
                    "reported_at": now,
                },
            ]
        },
    )
    assert res.status_code == 403 and res.get_json()["kept"] is False
    assert (
        rows(url, "SELECT count(*) FROM member_positions WHERE report_id = ANY(%s)", (ids,))[0][0]
        == 0
    )


# ------------------------------------------------------------------ audit
def test_reads_and_writes_are_audited_with_who_what_and_where(clients, world, url):
    mark = rows(url, "SELECT coalesce(max(id), 0) FROM audit_log")[0][0]
    clients["org_admin"].get(f"/api/v1/members/{world.m_in}")
    clients["org_admin"].get("/api/v1/members?f=csv")
    clients["org_admin"].get(f"/api/v1/members/{world.m_in}/positions")
    version = _version(clients, world.m_in)
    res = clients["org_admin"].patch(
        f"/api/v1/members/{world.m_in}",
        json={"phone": "13900001971"},
        headers={"If-Match": str(version)},
    )
    assert res.status_code == 200
    got = rows(
        url,
        "SELECT u.role, a.action, a.target, a.remote_addr, a.detail FROM audit_log a"
        " JOIN users u ON u.name = a.user_name WHERE a.id > %s ORDER BY a.id",
        (mark,),
    )
    actions = [(r[0], r[1], r[2]) for r in got]
    assert ("org_admin", "read_member", "members") in actions
    assert ("org_admin", "export_members", "members") in actions
    assert ("org_admin", "read_positions", f"members:{world.m_in}") in actions
    assert ("org_admin", "update_members", f"members:{world.m_in}") in actions
    assert all(r[3] == "127.0.0.1" for r in got)
    update = next(r for r in got if r[1] == "update_members")
    assert update[4]["fields"] == ["phone"] and "13900001971" not in str(
        update[4]
    )  # which fields, never the values


def test_audit_page_for_admins_only(clients, world):
    page = clients["admin"].get("/audit?since=1h")
    assert page.status_code == 200 and "审计日志" in page.get_data(as_text=True)
    assert "update_members" in page.get_data(as_text=True) or "read_member" in page.get_data(
        as_text=True
    )
    assert clients["org_admin"].get("/audit").status_code == 403
    assert clients["anonymous"].get("/audit").status_code == 302


# ------------------------------------------------------------------ kiosk, headers
def test_kiosk_open_configuration_opens_aggregates_only(url):
    from mapsvc.app import create_app

    c = create_app({"DATABASE_URL": url, "TESTING": True, "KIOSK_OPEN": True}).test_client()
    assert c.get("/api/v1/me").status_code == 200
    assert c.get("/api/v1/members").status_code == 401
    assert c.get("/api/v1/nearest?lon=109.73&lat=38.28").status_code == 401


def test_kiosk_link_sets_a_session_and_drops_the_token(clients, url):
    token = token_for(url, "kiosk")
    c = clients["app"].test_client()
    res = c.get(f"/api/v1/me?kiosk={token}")
    assert res.status_code == 302 and "kiosk=" not in res.headers["Location"]
    assert c.get("/api/v1/me").get_json()["role"] == "kiosk"
    assert c.get("/api/v1/members").status_code == 403
    admin_token = token_for(url, "admin")
    assert c.get(f"/api/v1/me?kiosk={admin_token}").status_code == 401  # kiosk tokens only


def test_security_headers(clients):
    res = clients["admin"].get("/plan")
    csp = res.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp and "unsafe-eval" not in csp
    assert res.headers["X-Content-Type-Options"] == "nosniff"
    assert res.headers["X-Frame-Options"] == "DENY"
    api = clients["admin"].get("/api/v1/members?limit=1")
    assert "no-store" in api.headers["Cache-Control"]


def test_errors_carry_no_traceback(clients):
    res = clients["admin"].get("/api/v1/members?limit=abc")
    text = res.get_data(as_text=True)
    assert res.status_code == 400 and "Traceback" not in text and 'File "' not in text


# ------------------------------------------------------------------ sessions
def _login(c, name, password, next_="/"):
    page = c.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    return c.post(
        "/login", data={"name": name, "password": password, "csrf_token": csrf, "next": next_}
    )


def _add_user(url, role, scope=None):
    from mapsvc.access import accounts
    from mapsvc.infra.db import cursor

    name = f"u-{uuid.uuid4().hex[:8]}"
    password = accounts.generate_password()
    with cursor(url) as cur:
        accounts.add_user(cur, name, role, scope, password)
    return name, password


def test_login_session_csrf_and_logout(clients, world, url):
    name, password = _add_user(url, "org_admin", world.s)
    c = clients["app"].test_client()
    res = _login(c, name, password, "/plan")
    assert res.status_code == 302 and res.headers["Location"] == "/plan"
    cookie = res.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=Lax" in cookie
    assert c.get(f"/api/v1/members/{world.m_in}").status_code == 200
    # a write with the session cookie but without the CSRF token is refused
    version = _version(clients, world.m_in)
    res = c.patch(
        f"/api/v1/members/{world.m_in}",
        json={"phone": "13900001972"},
        headers={"If-Match": str(version)},
    )
    assert res.status_code == 403 and "CSRF" in res.get_json()["message_en"]
    csrf = c.get("/api/v1/me").get_json()["csrf_token"]
    res = c.patch(
        f"/api/v1/members/{world.m_in}",
        json={"phone": "13900001972"},
        headers={"If-Match": str(version), "X-CSRF-Token": csrf},
    )
    assert res.status_code == 200
    # from another site, even with the token
    res = c.patch(
        f"/api/v1/members/{world.m_in}",
        json={"phone": "13900001973"},
        headers={
            "If-Match": str(version + 1),
            "X-CSRF-Token": csrf,
            "Origin": "http://evil.example",
        },
    )
    assert res.status_code == 403
    assert c.post("/logout", data={"csrf_token": csrf}).status_code == 302
    assert c.get(f"/api/v1/members/{world.m_in}").status_code == 401


def test_wrong_passwords_are_rate_limited_per_account(clients, url):
    name, password = _add_user(url, "admin")
    c = clients["app"].test_client()
    for _ in range(5):
        assert _login(c, name, "not-the-password").status_code == 401
    res = _login(c, name, password)  # even the right password waits now
    assert res.status_code == 429 and int(res.headers["Retry-After"]) > 0
    assert "15" in res.get_data(as_text=True)
    other, other_pw = _add_user(url, "admin")
    assert _login(c, other, other_pw).status_code == 302  # other accounts are not locked


def test_login_page_is_chinese_with_english(clients):
    c = clients["app"].test_client()
    zh = c.get("/login").get_data(as_text=True)
    en = c.get("/login?lang=en").get_data(as_text=True)
    assert "登录" in zh and "用户名" in zh and "Log in" in en and "User name" in en
    assert c.get("/login?next=//evil.example/x").status_code == 200
    assert 'value="//evil' not in c.get("/login?next=//evil.example/x").get_data(as_text=True)


def test_disabling_an_account_ends_its_sessions_and_tokens(clients, world, url):
    from mapsvc.access import accounts
    from mapsvc.infra.db import cursor

    name, password = _add_user(url, "org_admin", world.s)
    c = clients["app"].test_client()
    assert _login(c, name, password).status_code == 302
    with cursor(url) as cur:
        token = accounts.issue_token(cur, name)
    t = authorized(clients["app"].test_client(), token)
    assert c.get("/api/v1/me").status_code == 200 and t.get("/api/v1/me").status_code == 200
    env = {"DATABASE_URL": url, "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [sys.executable, "-m", "mapsvc.cli", "users", "disable", name],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert c.get("/api/v1/me").status_code == 401 and t.get("/api/v1/me").status_code == 401
    assert _login(c, name, password).status_code == 401


def test_kiosk_accounts_never_log_in_with_a_password(url, clients):
    name, password = _add_user(url, "kiosk")
    c = clients["app"].test_client()
    assert _login(c, name, password).status_code == 401
    assert c.get("/api/v1/me").status_code == 401


def test_secretary_marks_own_members_mobile_only(clients, world, url):
    c = clients["secretary"]
    body = {"destination": "西安市", "since": "2026-10-01"}
    res = c.post(f"/api/v1/members/{world.m_out}/mobile", json={**body, "version": 1})
    assert res.status_code == 404  # outside the scope: as if not there
    version = _version(clients, world.m_in)
    res = c.post(f"/api/v1/members/{world.m_in}/mobile", json={**body, "version": version})
    assert res.status_code == 200, res.get_json()
    assert res.get_json()["is_mobile"] is True
    res = c.post(f"/api/v1/members/{world.m_in}/return", json={"version": version + 1})
    assert res.status_code == 200, res.get_json()


def test_demo_makes_the_first_admin_with_a_password_shown_once(server_url):
    from mapsvc.app import create_app

    name, u = _migrated_database(server_url, "firstadmin")
    try:
        env = {"DATABASE_URL": u, "PATH": "/usr/bin:/bin"}
        cmd = [sys.executable, "-m", "mapsvc.cli", "demo", "load", "--scale", "small"]
        first = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True)
        admin, password = first.stdout.strip().splitlines()[-1].split()
        assert admin == "admin" and len(password) >= 20
        again = subprocess.run(
            [*cmd, "--if-empty"], capture_output=True, text=True, env=env, check=True
        )
        assert password not in again.stdout and "admin" not in again.stdout
        c = create_app({"DATABASE_URL": u, "TESTING": True}).test_client()
        assert _login(c, "admin", password).status_code == 302
        assert c.get("/api/v1/me").get_json()["role"] == "admin"
    finally:
        engine_for(u).dispose()
        _drop_database(server_url, name)
