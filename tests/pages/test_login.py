"""Logging in with a real browser: the redirect to /login, the session cookie, a write made
with the session (CSRF token from the page), logging out. Every non-loopback request is
blocked; screenshots go to tests/screenshots/login-*.png.
"""

from __future__ import annotations

import urllib.parse
from pathlib import Path

import pytest

from mapsvc.access import accounts
from mapsvc.infra.db import cursor

SHOTS = Path(__file__).parents[1] / "screenshots"  # tests/screenshots/
LOCAL_HOSTS = {"127.0.0.1", "localhost"}


@pytest.fixture()
def desk(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    seen = {"external": [], "errors": []}

    def guard(route):
        host = urllib.parse.urlsplit(route.request.url).hostname
        if host in LOCAL_HOSTS:
            route.continue_()
        else:
            seen["external"].append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.on("console", lambda m: seen["errors"].append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: seen["errors"].append(str(exc)))
    page.on(
        "response",
        lambda r: seen["errors"].append(f"{r.status} {r.url}") if r.status >= 400 else None,
    )
    try:
        yield page, seen, context
    finally:
        context.close()


@pytest.fixture()
def planner(db_url):
    """A street's org department account with a password."""
    password = accounts.generate_password()
    with cursor(db_url) as cur:
        cur.execute("SELECT code FROM party_orgs WHERE level = 'working_committee' LIMIT 1")
        scope = cur.fetchone()["code"]
        name = f"planner-{accounts.secrets.token_hex(3)}"
        accounts.add_user(cur, name, "org_admin", scope, password, "规划科")
    return name, password


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"login-{name}.png"))


def test_login_work_with_the_session_and_logout(desk, base_url, planner):
    page, seen, context = desk
    name, password = planner
    page.goto(base_url + "/plan")
    assert page.url.startswith(base_url + "/login") and page.url.endswith("next=/plan")
    assert page.locator("h1").inner_text() == "党建电子地图"
    page.fill("#name", name)
    page.fill("#password", "wrong-password-123")
    page.click("button[type=submit]")
    assert page.locator(".error").inner_text() == "用户名或密码不正确"
    shot(page, "refused")
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url(base_url + "/plan")
    cookie = next(c for c in context.cookies() if c["name"] == "mapsvc_session")
    assert cookie["httpOnly"] and cookie["secure"] and cookie["sameSite"] == "Lax"
    page.wait_for_function("() => document.querySelector('#map').dataset.state === 'ready'")
    # a write made with the session: the plan request carries the page's CSRF token
    page.locator("#k").fill("2")
    page.locator("#plan-btn").click()
    page.wait_for_function("() => document.querySelector('#map').dataset.planState === 'ready'")
    assert page.locator("#sites tbody tr").count() > 0
    shot(page, "planning")
    page.goto(base_url + "/")
    assert name in page.locator(".whoami").inner_text()
    assert "组织部门管理员" in page.locator(".whoami").inner_text()
    assert page.locator("a[href='/audit']").count() == 0  # admins only
    page.click(".whoami button")
    page.wait_for_url(base_url + "/login")
    page.goto(base_url + "/plan")
    assert page.url.startswith(base_url + "/login")
    # the refused password is answered 401, which the browser logs; nothing else failed
    refused = [f"401 {base_url}/login", "status of 401 (UNAUTHORIZED)"]
    assert seen["external"] == []
    assert [e for e in seen["errors"] if not any(r in e for r in refused)] == []


def test_login_page_in_english(desk, base_url):
    page, seen, _ = desk
    page.goto(base_url + "/login?lang=en")
    assert page.locator("button[type=submit]").inner_text() == "Log in"
    page.click("text=中文")
    assert page.locator("button[type=submit]").inner_text() == "登录"
    shot(page, "page")
    assert seen["external"] == [] and seen["errors"] == []
