"""What a caller may see and change: scope as SQL predicates, and the checks on every write.

Personal data is filtered in SQL with `member_filter` (never after fetching); writes are
checked with `require_write` and `refused_writes`.
"""

from __future__ import annotations

import psycopg2
import shapely
from psycopg2 import sql

from mapsvc.access.principal import Principal, principal, role_label
from mapsvc.domain.errors import Forbidden

# who may change which kind of record (within their scope; admins everywhere)
WRITERS = {
    "admin_areas": {"admin"},
    "orgs": {"admin", "org_admin"},
    "members": {"admin", "org_admin", "secretary"},
    "grids": {"admin", "org_admin"},
    "service_points": {"admin", "org_admin"},
    "positions": {"admin", "org_admin", "secretary", "grid_worker"},
    "roads": {"admin"},
}


def member_filter(p: Principal, alias: str = "m") -> sql.Composable:
    """A predicate on `members` rows (aliased `alias`) whose personal data p may see.

    Scoped users see members of orgs in their subtree, mobile members who flowed into it, and
    (grid workers) members living in their grids.
    """
    if p.is_admin:
        return sql.SQL("TRUE")
    if not p.sees_personal:
        return sql.SQL("FALSE")
    a = sql.Identifier(alias)
    parts = []
    if p.scope_path:
        path = sql.Literal(p.scope_path)
        parts.append(
            sql.SQL(
                "EXISTS (SELECT 1 FROM party_orgs scope_o WHERE scope_o.id IN ({a}.org_id, "
                "{a}.inflow_org_id) AND scope_o.path OPERATOR(public.<@) {path}::ltree)"
            ).format(a=a, path=path)
        )
    if p.grid_codes:
        parts.append(
            sql.SQL(
                "EXISTS (SELECT 1 FROM grids scope_g WHERE scope_g.code = ANY({codes}) "
                "AND ST_Intersects(scope_g.geom, {a}.home_geom))"
            ).format(a=a, codes=sql.Literal(list(p.grid_codes)))
        )
    if not parts:
        return sql.SQL("FALSE")
    return sql.SQL("({})").format(sql.SQL(" OR ").join(parts))


def org_filter(p: Principal, alias: str = "o") -> sql.Composable:
    """A predicate on `party_orgs` rows (aliased `alias`) in p's subtree."""
    if p.is_admin:
        return sql.SQL("TRUE")
    if not p.sees_personal or not p.scope_path:
        return sql.SQL("FALSE")
    return sql.SQL("{}.path OPERATOR(public.<@) {}::ltree").format(
        sql.Identifier(alias), sql.Literal(p.scope_path)
    )


def area_prefix(code: str | None) -> str | None:
    """The part of a 12-digit division code that names the area (trailing zero groups cut)."""
    if not code:
        return None
    for cut in (9, 6, 4, 2):  # village/community, street/town, county, city
        if code[cut:] == "0" * (12 - cut):
            return code[:cut]
    return code


def require_write(kind: str, p: Principal | None = None) -> Principal:
    """p (the caller) may write records of kind somewhere in their scope, or 403."""
    p = p or principal()
    if p.role not in WRITERS.get(kind, ()):
        raise Forbidden("role_may_not_write", role_zh=role_label(p.role), role=p.role, kind=kind)
    return p


def out_of_scope(what_zh: str, what_en: str) -> Forbidden:
    """The refusal of a change to something outside the caller's scope."""
    return Forbidden("out_of_scope", what_zh=what_zh, what_en=what_en)


def members_outside(cur, p: Principal, member_ids) -> list[int]:
    """Those of member_ids that are members whose data p may not see (unknown ids are not
    listed: they are for the caller's validation to report)."""
    ids = sorted({int(i) for i in member_ids})
    if p.is_admin or not ids:
        return []
    cur.execute(
        sql.SQL("SELECT m.id FROM members m WHERE m.id = ANY(%s) AND NOT {} ORDER BY m.id").format(
            member_filter(p)
        ),
        (ids,),
    )
    return [r["id"] for r in cur.fetchall()]


def area_in_scope(p: Principal, code: str | None) -> bool:
    """Whether a division code lies in p's area (by code prefix)."""
    if p.is_admin:
        return True
    return bool(code and p.scope_area and code.startswith(p.scope_area))


def org_codes_in_scope(cur, p: Principal, codes) -> set[str]:
    """Those of the org codes that name orgs in p's subtree."""
    codes = sorted({c for c in codes if isinstance(c, str)})
    if not codes:
        return set()
    cur.execute(
        sql.SQL("SELECT code FROM party_orgs o WHERE code = ANY(%s) AND {}").format(
            org_filter(p, "o")
        ),
        (codes,),
    )
    return {r["code"] for r in cur.fetchall()}


Change = tuple[dict | None, dict | None]  # (record as it is, new values); None: new / deleted


def refused_writes(cur, p: Principal, kind: str, changes: list[Change]) -> list[int]:
    """Indexes of the changes p may not make, each (record as it is, new values): None for
    a new record, or for a deletion.

    The one place where a write's place is checked: an existing record must be in p's scope,
    and what it becomes must stay there — its org (members), its parent (orgs; new orgs count
    by their parent, which may itself be new: imports list parents anywhere), its community
    (grids), and for orgs and service points its area code, its location (inside p's area) and
    its operating org, all of them.
    """
    if p.is_admin:
        return []
    if p.role not in WRITERS.get(kind, ()):
        return list(range(len(changes)))
    check = _CHECKS.get(kind)
    if check is None:
        return list(range(len(changes)))  # admin areas, roads: admins only
    refused = set(check(cur, p, changes))
    if kind in ("orgs", "service_points"):
        refused |= _placed_outside(cur, p, changes)
    return sorted(refused)


def _after(cur_rec: dict | None, new: dict | None) -> dict:
    """The record as the change leaves it."""
    return {**(cur_rec or {}), **(new or {})}


def _members_refused(cur, p: Principal, changes: list[Change]) -> list[int]:
    scoped = org_codes_in_scope(cur, p, [d.get("org_code") for pair in changes for d in pair if d])
    return [
        i
        for i, (cur_rec, new) in enumerate(changes)
        if (cur_rec is not None and cur_rec.get("org_code") not in scoped)
        or (new is not None and _after(cur_rec, new).get("org_code") not in scoped)
    ]


def _grids_refused(cur, p: Principal, changes: list[Change]) -> list[int]:
    return [
        i
        for i, (cur_rec, new) in enumerate(changes)
        if (cur_rec is not None and not area_in_scope(p, cur_rec.get("community_code")))
        or (new is not None and not area_in_scope(p, _after(cur_rec, new).get("community_code")))
    ]


def _service_points_refused(cur, p: Principal, changes: list[Change]) -> list[int]:
    scoped = org_codes_in_scope(
        cur, p, [d.get("operating_org_code") for pair in changes for d in pair if d]
    )

    def in_scope(d: dict) -> bool:
        operator = d.get("operating_org_code")
        return area_in_scope(p, d.get("admin_area_code")) and (
            operator is None or operator in scoped
        )

    return [
        i
        for i, (cur_rec, new) in enumerate(changes)
        if (cur_rec is not None and not in_scope(cur_rec))
        or (new is not None and not in_scope(_after(cur_rec, new)))
    ]


def _orgs_refused(cur, p: Principal, changes: list[Change]) -> list[int]:
    scoped = org_codes_in_scope(
        cur,
        p,
        [d.get(f) for pair in changes for d in pair if d for f in ("code", "parent_code")],
    )
    new_orgs = {
        new["code"]: new.get("parent_code")
        for cur_rec, new in changes
        if cur_rec is None and new and new.get("code")
    }
    grew = True
    while grew:  # new orgs under orgs in scope (or under new ones that are) are in scope
        grew = False
        for code, parent in new_orgs.items():
            if code not in scoped and parent in scoped:
                scoped.add(code)
                grew = True

    def area_ok(cur_rec, new) -> bool:
        code = _after(cur_rec, new).get("admin_area_code")
        return code is None or area_in_scope(p, code)

    return [
        i
        for i, (cur_rec, new) in enumerate(changes)
        if (cur_rec is not None and cur_rec.get("code") not in scoped)
        or (cur_rec is None and new is not None and new.get("code") not in scoped)
        or (
            new is not None
            and "parent_code" in new
            and cur_rec is not None
            and new["parent_code"] not in scoped
        )
        or (new is not None and not area_ok(cur_rec, new))
    ]


_CHECKS = {
    "members": _members_refused,
    "grids": _grids_refused,
    "service_points": _service_points_refused,
    "orgs": _orgs_refused,
}


def _placed_outside(cur, p: Principal, changes: list[Change]) -> set[int]:
    """Changes that put a record's location outside p's area (the scope org's area polygon)."""
    placed = [
        (i, shapely.to_wkb(new["geometry"]))
        for i, (_cur_rec, new) in enumerate(changes)
        if new is not None and isinstance(new.get("geometry"), shapely.Geometry)
    ]
    if not placed:
        return set()
    if not p.scope_area:
        return {i for i, _ in placed}
    cur.execute(
        "SELECT g.i FROM unnest(%s::int[], %s::bytea[]) AS g(i, wkb) "
        "WHERE NOT EXISTS (SELECT 1 FROM admin_areas a WHERE a.code = %s "
        "AND ST_Covers(a.geom, ST_GeomFromWKB(g.wkb, 4326)))",
        (
            [i for i, _ in placed],
            [psycopg2.Binary(w) for _, w in placed],
            p.scope_area.ljust(12, "0"),
        ),
    )
    return {r["i"] for r in cur.fetchall()}


def require_in_scope(
    cur, kind: str, current: dict | None, new: dict | None, label_zh: str, label_en: str
) -> None:
    """403 unless the caller may make this one change (see refused_writes)."""
    p = require_write(kind)
    if refused_writes(cur, p, kind, [(current, new)]):
        raise out_of_scope(label_zh, label_en)
