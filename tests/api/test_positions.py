"""Position reports: POST /api/v1/positions (all or nothing, resends harmless) and a member's
history, against the real test database. Every test uses report_ids of its own and compares
counts, so the demo's rows and other tests are left alone."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import uuid

import pytest

from geodata import crs

CENTRE = (109.7345, 38.2852)  # 榆阳区 urban core, WGS84
CST = dt.timezone(dt.timedelta(hours=8))


def _now() -> dt.datetime:
    return dt.datetime.now(CST).replace(microsecond=0)


def rid() -> str:
    return f"test-{uuid.uuid4().hex}"


def report(member: int, **kw) -> dict:
    """A valid report near the urban core, a minute old, with a fresh report_id."""
    base = {
        "report_id": rid(),
        "member_id": member,
        "lon": CENTRE[0],
        "lat": CENTRE[1],
        "crs": "wgs84",
        "reported_at": (_now() - dt.timedelta(minutes=1)).isoformat(),
        "accuracy_m": 12.5,
        "source": "gps",
    }
    base.update(kw)
    return {k: v for k, v in base.items() if v is not DROP}


DROP = object()


def post(client, reports_or_body, *, raw: bytes | None = None):
    if raw is not None:
        return client.post("/api/v1/positions", data=raw, content_type="application/json")
    body = reports_or_body if isinstance(reports_or_body, dict) else {"reports": reports_or_body}
    return client.post("/api/v1/positions", json=body)


def one(conn, sql, params=()):
    with conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchone()


def count_positions(conn) -> int:
    return one(conn, "SELECT count(*) FROM member_positions")[0]


def current(conn, member_id: int):
    return one(
        conn,
        "SELECT ST_X(current_geom), ST_Y(current_geom), current_at FROM members WHERE id = %s",
        (member_id,),
    )


@pytest.fixture(scope="module")
def member_ids(db_url) -> list[int]:
    """Some demo members, which these tests report positions for (a few of them each)."""
    import psycopg2

    with psycopg2.connect(db_url) as c, c.cursor() as cur:
        cur.execute("SELECT id FROM members ORDER BY id LIMIT 200")
        ids = [r[0] for r in cur.fetchall()]
    c.close()
    return ids


_next_member = itertools.count()


@pytest.fixture()
def member(member_ids) -> int:
    """A member of the test's own, so current positions set by other tests do not interfere
    (the last three are kept for the tests that pick theirs)."""
    return member_ids[next(_next_member) % (len(member_ids) - 3)]


# ------------------------------------------------------------------ good batches
def test_batch_is_stored_with_history_and_current_position(client, conn, member):
    before = count_positions(conn)
    t = _now()
    reports = [
        report(
            member,
            lon=CENTRE[0] + 0.001 * k,
            reported_at=(t - dt.timedelta(minutes=3 - k)).isoformat(),
        )
        for k in range(3)
    ]
    reports[1]["accuracy_m"] = None
    del reports[2]["source"]  # defaults to gps
    del reports[2]["crs"]  # defaults to wgs84
    res = post(client, reports)
    assert res.status_code == 200, res.json
    assert res.json == {"stored": 3, "duplicates": 0, "conflicts": [], "kept": True}
    assert count_positions(conn) == before + 3

    lon, lat, at = current(conn, member)
    assert lon == pytest.approx(CENTRE[0] + 0.002, abs=1e-12)
    assert lat == pytest.approx(CENTRE[1], abs=1e-12)
    assert at == t - dt.timedelta(minutes=1)

    row = one(
        conn,
        "SELECT member_id, source, input_crs, accuracy_m, received_at > now() - interval '1 minute' "
        "FROM member_positions WHERE report_id = %s",
        (reports[2]["report_id"],),
    )
    assert row == (member, "gps", "wgs84", pytest.approx(12.5), True)

    hist = client.get(f"/api/v1/members/{member}/positions?limit=3")
    assert hist.status_code == 200
    body = hist.json
    assert body["member_id"] == member
    assert [i["report_id"] for i in body["items"]] == [r["report_id"] for r in reversed(reports)]
    first = body["items"][0]
    assert set(first) == {
        "report_id",
        "lon",
        "lat",
        "reported_at",
        "received_at",
        "source",
        "accuracy_m",
        "input_crs",
    }
    assert first["lon"] == pytest.approx(CENTRE[0] + 0.002, abs=1e-7)
    assert dt.datetime.fromisoformat(first["reported_at"]) == t - dt.timedelta(minutes=1)
    assert (
        first["accuracy_m"] == 12.5 and first["source"] == "gps" and first["input_crs"] == "wgs84"
    )
    assert body["items"][1]["accuracy_m"] is None
    assert body["total"] >= 3


def test_resending_a_batch_stores_nothing_twice(client, conn, member):
    reports = [report(member, lat=CENTRE[1] + 0.0001 * k) for k in range(5)]
    assert post(client, reports).json["stored"] == 5
    after_first = count_positions(conn)
    res = post(client, reports)
    assert res.status_code == 200
    assert res.json == {"stored": 0, "duplicates": 5, "conflicts": [], "kept": True}
    assert count_positions(conn) == after_first
    # a batch mixing new and resent reports stores only the new ones
    res = post(client, [*reports[:2], report(member)])
    assert res.json == {"stored": 1, "duplicates": 2, "conflicts": [], "kept": True}
    assert count_positions(conn) == after_first + 1


def test_same_report_twice_in_one_batch_is_stored_once(client, conn, member):
    r = report(member)
    before = count_positions(conn)
    res = post(client, [r, dict(r)])
    assert res.json == {"stored": 1, "duplicates": 1, "conflicts": [], "kept": True}
    assert count_positions(conn) == before + 1


def test_report_id_resent_with_other_content_is_a_conflict_not_a_write(client, conn, member):
    r = report(member)
    assert post(client, [r]).json["stored"] == 1
    before = count_positions(conn)
    changed = {**r, "lon": CENTRE[0] + 0.01, "source": "network"}
    res = post(client, [report(member), changed])
    assert res.status_code == 200
    assert res.json["stored"] == 1 and res.json["duplicates"] == 1
    assert res.json["conflicts"] == [
        {"index": 1, "report_id": r["report_id"], "fields": ["lon", "source"]}
    ]
    assert count_positions(conn) == before + 1
    stored = one(
        conn,
        "SELECT ST_X(geom), source FROM member_positions WHERE report_id = %s",
        (r["report_id"],),
    )
    assert stored == (pytest.approx(CENTRE[0], abs=1e-12), "gps")  # the first one stays


def test_out_of_order_reports_keep_the_latest_as_current(client, conn, member):
    t = _now()
    late = report(
        member, lon=CENTRE[0] + 0.003, reported_at=(t - dt.timedelta(seconds=10)).isoformat()
    )
    early = report(
        member, lon=CENTRE[0] - 0.003, reported_at=(t - dt.timedelta(minutes=30)).isoformat()
    )
    assert post(client, [late]).json["stored"] == 1
    assert post(client, [early]).json["stored"] == 1  # arrives after, happened before
    lon, _, at = current(conn, member)
    assert lon == pytest.approx(CENTRE[0] + 0.003, abs=1e-12)
    assert at == t - dt.timedelta(seconds=10)
    # history holds both, newest first
    items = client.get(f"/api/v1/members/{member}/positions?limit=2").json["items"]
    assert [i["report_id"] for i in items] == [late["report_id"], early["report_id"]]


def test_one_batch_moves_each_member_to_their_latest_report(client, conn, member_ids):
    a, b = member_ids[-1], member_ids[-2]
    t = _now() + dt.timedelta(minutes=2)  # later than anything other tests sent
    reports = [
        report(a, lon=109.70, reported_at=(t - dt.timedelta(seconds=30)).isoformat()),
        report(b, lon=109.71, reported_at=(t - dt.timedelta(seconds=5)).isoformat()),
        report(a, lon=109.72, reported_at=(t - dt.timedelta(seconds=1)).isoformat()),
        report(b, lon=109.73, reported_at=(t - dt.timedelta(seconds=50)).isoformat()),
    ]
    assert post(client, reports).json["stored"] == 4
    assert current(conn, a)[0] == pytest.approx(109.72, abs=1e-12)
    assert current(conn, a)[2] == t - dt.timedelta(seconds=1)
    assert current(conn, b)[0] == pytest.approx(109.71, abs=1e-12)


def test_gcj02_and_bd09_input_is_stored_as_wgs84(client, conn, member):
    wgs = (109.7512345, 38.2712345)
    gcj = crs.from_wgs84(*wgs, "gcj02")
    bd = crs.from_wgs84(*wgs, "bd09")
    assert abs(gcj[0] - wgs[0]) > 1e-3  # the offset is real (hundreds of metres)
    r1 = report(member, lon=gcj[0], lat=gcj[1], crs="gcj02")
    r2 = report(member, lon=bd[0], lat=bd[1], crs="BD-09")
    r3 = report(member, lon=wgs[0], lat=wgs[1], crs="EPSG:4490")
    assert post(client, [r1, r2, r3]).json["stored"] == 3
    for r, name in ((r1, "gcj02"), (r2, "bd09"), (r3, "cgcs2000")):
        x, y, input_crs = one(
            conn,
            "SELECT ST_X(geom), ST_Y(geom), input_crs FROM member_positions WHERE report_id = %s",
            (r["report_id"],),
        )
        expected = crs.to_wgs84(r["lon"], r["lat"], name)
        assert (x, y) == (
            pytest.approx(expected[0], abs=1e-9),
            pytest.approx(expected[1], abs=1e-9),
        )
        assert (x, y) == (pytest.approx(wgs[0], abs=1e-8), pytest.approx(wgs[1], abs=1e-8))
        assert input_crs == name
    # and read back in GCJ-02 for a Gaode map
    items = client.get(f"/api/v1/members/{member}/positions?out_crs=gcj02&limit=50").json["items"]
    back = next(i for i in items if i["report_id"] == r1["report_id"])
    assert (back["lon"], back["lat"]) == (
        pytest.approx(gcj[0], abs=2e-7),
        pytest.approx(gcj[1], abs=2e-7),
    )


def test_projected_input_is_accepted(client, conn, member):
    gk = crs.gauss_kruger_crs(CENTRE[0])
    x, y = crs.from_wgs84(*CENTRE, gk)
    r = report(member, lon=x, lat=y, crs=gk.name)
    assert post(client, [r]).json["stored"] == 1
    got = one(
        conn,
        "SELECT ST_X(geom), ST_Y(geom) FROM member_positions WHERE report_id = %s",
        (r["report_id"],),
    )
    assert got == (pytest.approx(CENTRE[0], abs=1e-7), pytest.approx(CENTRE[1], abs=1e-7))


# ------------------------------------------------------------------ bad batches
BAD_CASES = {
    "swapped lon/lat": ({"lon": CENTRE[1], "lat": CENTRE[0]}, "lon,lat", "swapped_lonlat"),
    "outside China": ({"lon": 2.35, "lat": 48.85}, "lon,lat", "outside_china"),
    "out of range": ({"lon": 200.0, "lat": 38.0}, "lon,lat", "out_of_range"),
    "swapped gcj02": (
        {"lon": CENTRE[1], "lat": CENTRE[0], "crs": "gcj02"},
        "lon,lat",
        "swapped_lonlat",
    ),
    "naive time": ({"reported_at": "2025-06-01T08:30:00"}, "reported_at", "naive_time"),
    "date only": ({"reported_at": "2025-06-01"}, "reported_at", "naive_time"),
    "not a time": ({"reported_at": "yesterday"}, "reported_at", "invalid_time"),
    "time as number": ({"reported_at": 1717200000}, "reported_at", "invalid_time"),
    "future time": (
        {"reported_at": (dt.datetime.now(CST) + dt.timedelta(hours=1)).isoformat()},
        "reported_at",
        "future_time",
    ),
    "unknown member": ({"member_id": 987_654_321}, "member_id", "unknown_member"),
    "member id zero": ({"member_id": 0}, "member_id", "invalid_member_id"),
    "member id string": ({"member_id": "12"}, "member_id", "invalid_member_id"),
    "member id too big": ({"member_id": 2**70}, "member_id", "invalid_member_id"),
    "missing lat": ({"lat": DROP}, "lat", "missing_field"),
    "missing report_id": ({"report_id": DROP}, "report_id", "missing_field"),
    "missing reported_at": ({"reported_at": DROP}, "reported_at", "missing_field"),
    "non-numeric lon": ({"lon": "109.73"}, "lon", "not_a_number"),
    "boolean lat": ({"lat": True}, "lat", "not_a_number"),
    "huge integer lon": ({"lon": 10**400}, "lon", "not_a_number"),
    "bad crs": ({"crs": "gaode"}, "crs", "unknown_crs"),
    "unknown epsg": ({"crs": "EPSG:999999"}, "crs", "unknown_epsg"),
    "bad source": ({"source": "GPS"}, "source", "unknown_source"),
    "source as object": ({"source": {}}, "source", "unknown_source"),  # was a 500 (fuzz)
    "source as list": ({"source": ["gps"]}, "source", "unknown_source"),
    "negative accuracy": ({"accuracy_m": -1}, "accuracy_m", "out_of_range"),
    "huge accuracy": ({"accuracy_m": 100000}, "accuracy_m", "out_of_range"),
    "long report_id": ({"report_id": "x" * 129}, "report_id", "invalid_report_id"),
    "empty report_id": ({"report_id": ""}, "report_id", "invalid_report_id"),
    "control char in report_id": ({"report_id": "a\x00b"}, "report_id", "invalid_report_id"),
    "numeric report_id": ({"report_id": 17}, "report_id", "invalid_report_id"),
}


@pytest.mark.parametrize("change,field,code", BAD_CASES.values(), ids=BAD_CASES.keys())
def test_a_bad_report_refuses_the_whole_batch(client, conn, member, change, field, code):
    before_count, before_current = count_positions(conn), current(conn, member)
    bad = report(member, **change)
    good = [report(member, reported_at=_now().isoformat()) for _ in range(2)]
    res = post(client, [good[0], bad, good[1]])
    assert res.status_code == 400, res.json
    body = res.json
    assert body["code"] == "invalid_reports"
    assert body["kept"] is False
    assert body["error_count"] == 1 and body["report_count"] == 3
    (err,) = body["errors"]
    shown = bad.get("report_id") if isinstance(bad.get("report_id"), str) else None
    assert err["index"] == 1
    assert err["report_id"] == (shown[:128] if shown is not None else None)
    assert (err["field"], err["code"]) == (field, code)
    assert err["message"].startswith("第 2 条位置报告") and err["message_en"].startswith(
        "reports[1]"
    )
    assert "第 2 条" in body["message"] and "本批次未保存任何记录" in body["message"]
    assert "nothing in this batch was stored" in body["message_en"]
    # nothing written: neither the good reports nor the member's current position
    assert count_positions(conn) == before_count
    assert current(conn, member) == before_current
    for g in good:
        assert (
            one(
                conn,
                "SELECT count(*) FROM member_positions WHERE report_id = %s",
                (g["report_id"],),
            )[0]
            == 0
        )


def test_swapped_message_says_swapped(client, member):
    res = post(client, [report(member, lon=38.2852, lat=109.7345)])
    err = res.json["errors"][0]
    assert "颠倒" in err["message"] and "swapped" in err["message_en"]
    assert "lon=109.7345, lat=38.2852" in err["message_en"]  # the suggested fix


def test_every_problem_is_named(client, conn, member):
    before = count_positions(conn)
    batch = [
        report(member),
        report(member, lat=DROP, source="satellite"),
        "not a report",
        report(member, member_id=987_654_321, reported_at="2025-01-01T00:00:00"),
    ]
    res = post(client, batch)
    assert res.status_code == 400
    got = [(e["index"], e["field"], e["code"]) for e in res.json["errors"]]
    assert got == [
        (1, "lat", "missing_field"),
        (1, "source", "unknown_source"),
        (2, None, "not_an_object"),
        (3, "member_id", "unknown_member"),
        (3, "reported_at", "naive_time"),
    ]
    assert res.json["error_count"] == 5
    assert "共 5 处错误" in res.json["message"]
    assert count_positions(conn) == before


BODY_CASES = {
    "empty list": ({"reports": []}, None, "no_reports"),
    "too many": ("too_many", None, "too_many_reports"),
    "not json": (None, b"{reports: oops", "invalid_json"),
    "not utf-8": (None, b'{"reports": "\xc3\x28"}', "invalid_json"),
    "empty body": (None, b"", "invalid_json"),
    "a list": ([], None, "invalid_body"),
    "no reports key": ({"report": []}, None, "invalid_body"),
    "reports not a list": ({"reports": {"a": 1}}, None, "invalid_body"),
}


@pytest.mark.parametrize("body,raw,code", BODY_CASES.values(), ids=BODY_CASES.keys())
def test_a_bad_body_is_refused(client, conn, member, body, raw, code):
    before = count_positions(conn)
    if body == "too_many":
        body = {"reports": [report(member) for _ in range(1001)]}
    if isinstance(body, list):
        res = client.post(
            "/api/v1/positions", data=json.dumps(body), content_type="application/json"
        )
    else:
        res = post(client, body, raw=raw)
    assert res.status_code == 400, res.json
    assert res.json["code"] == code
    assert res.json["kept"] is False
    assert res.json["message"] and res.json["message_en"]
    assert count_positions(conn) == before


def test_a_full_batch_of_1000_is_accepted(client, conn, member):
    before = count_positions(conn)
    res = post(client, [report(member) for _ in range(1000)])
    assert res.json == {"stored": 1000, "duplicates": 0, "conflicts": [], "kept": True}
    assert count_positions(conn) == before + 1000


def test_json_without_content_type_is_read(client, member):
    res = client.post("/api/v1/positions", data=json.dumps({"reports": [report(member)]}))
    assert res.status_code == 200 and res.json["stored"] == 1


# ------------------------------------------------------------------ reading history
def test_history_pages_and_filters(client, member_ids):
    m = member_ids[-3]
    t = _now() - dt.timedelta(hours=2)
    reports = [report(m, reported_at=(t + dt.timedelta(minutes=k)).isoformat()) for k in range(6)]
    assert post(client, reports).json["stored"] == 6
    newest_first = [r["report_id"] for r in reversed(reports)]

    base = f"/api/v1/members/{m}/positions"
    page = client.get(f"{base}?limit=2&offset=1").json
    assert [i["report_id"] for i in page["items"]] == newest_first[1:3]
    assert page["limit"] == 2 and page["offset"] == 1

    since = (t + dt.timedelta(minutes=2)).isoformat()
    until = (t + dt.timedelta(minutes=5)).isoformat()
    got = client.get(base, query_string={"since": since, "until": until}).json
    assert [i["report_id"] for i in got["items"]] == newest_first[1:4]  # until is exclusive
    assert got["total"] == 3
    # a "+" in a hand-written query string arrives as a space: understood anyway
    got = client.get(f"{base}?since={since}&until={until.replace('+', '%2B')}").json
    assert got["total"] == 3
    # past the end: no items, but the total is still told
    got = client.get(base, query_string={"since": since, "until": until, "offset": 10}).json
    assert got["items"] == [] and got["total"] == 3


def test_history_of_unknown_member_is_404(client):
    res = client.get("/api/v1/members/987654321/positions")
    assert res.status_code == 404
    assert res.json["code"] == "unknown_member"
    assert res.json["message"] and res.json["message_en"]


@pytest.mark.parametrize(
    "path,code",
    [
        ("/api/v1/members/abc/positions", "not_an_integer"),
        ("/api/v1/members/0/positions", "out_of_range"),
        ("/api/v1/members/{m}/positions?limit=0", "out_of_range"),
        ("/api/v1/members/{m}/positions?limit=1001", "out_of_range"),
        ("/api/v1/members/{m}/positions?offset=-1", "out_of_range"),
        ("/api/v1/members/{m}/positions?since=2025-01-01T00:00:00", "naive_time"),
        ("/api/v1/members/{m}/positions?until=soon", "invalid_time"),
        (
            "/api/v1/members/{m}/positions?since=2025-02-01T00:00:00Z&until=2025-01-01T00:00:00Z",
            "empty_range",
        ),
        ("/api/v1/members/{m}/positions?out_crs=gaode", "unknown_crs"),
    ],
)
def test_history_refuses_bad_parameters(client, member, path, code):
    res = client.get(path.format(m=member))
    assert res.status_code == 400, res.json
    assert res.json["code"] == code
    assert res.json["message"] and res.json["message_en"]
