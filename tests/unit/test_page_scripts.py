"""The page scripts share one helper module, web/static/js/common.js, loaded by every page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mapsvc.webmap.page import EXPORT_JS, PAGE_JS

WEB = Path(__file__).parents[2] / "web"
JS = WEB / "static" / "js"
# the helpers that live in common.js only; the pages used to carry copies of them
SHARED = ("h", "getJSON", "request", "errorText", "clear", "download", "distance")


def scripts_of(template: str) -> list[str]:
    """The js/*.js files a template loads, in order."""
    text = (WEB / "templates" / template).read_text(encoding="utf-8")
    return re.findall(r"filename='js/([\w.-]+\.js)'", text)


@pytest.mark.parametrize(
    "scripts, page",
    [
        (scripts_of("nearest.html"), "nearest.js"),
        (scripts_of("plan.html"), "plan.js"),
        (scripts_of("screen.html"), "screen.js"),
        ([p.removeprefix("js/") for _, p in PAGE_JS if p.startswith("js/")], "map.js"),
        ([p.removeprefix("js/") for _, p in EXPORT_JS if p.startswith("js/")], "map-export.js"),
    ],
    ids=["nearest", "plan", "screen", "map", "map-export"],
)
def test_pages_load_i18n_then_common_then_their_own_script(scripts, page):
    """Every page loads i18n.js, then common.js once, then its own script."""
    assert scripts.index("i18n.js") < scripts.index("common.js") < scripts.index(page)
    assert scripts.count("common.js") == 1


@pytest.mark.parametrize("script", sorted(p.name for p in JS.glob("*.js") if p.name != "common.js"))
def test_no_page_script_keeps_its_own_copy_of_a_shared_helper(script):
    """No page script defines a helper that common.js provides."""
    text = (JS / script).read_text(encoding="utf-8")
    for name in SHARED:
        assert not re.search(rf"\bfunction {name}\s*\(|\bvar {name}\s*=\s*function", text), name


def test_common_exports_every_shared_helper():
    """common.js defines and exports every shared helper on MapsvcCommon."""
    text = (JS / "common.js").read_text(encoding="utf-8")
    exported = re.search(r"global\.MapsvcCommon = \{(.*?)\};", text, re.S).group(1)
    for name in SHARED:
        assert re.search(rf"\b{name}: {name}\b", exported), name
        assert re.search(rf"\bfunction {name}\s*\(", text), name
