"""Strict JSON for request bodies: what PostgreSQL and the validators can hold, or a 400.

Python's json accepts NaN and Infinity, lone surrogates ("\\ud800", which no UTF-8 database
can store) and nesting as deep as the interpreter's stack; each of those reached a 500 once.
The app's JSON provider reads every body through `loads`, which refuses them with a BadInput
naming the fault (raised past Flask's `silent` parsing on purpose: "not JSON" would mislead).
"""

from __future__ import annotations

import json
from typing import Any

from flask.json.provider import DefaultJSONProvider

from mapsvc.domain.errors import BadInput

MAX_DEPTH = 32  # the deepest body the API takes is a GeoJSON multipolygon (depth 6)


def _refuse_constant(name: str):
    raise BadInput("json_not_finite", value=name)


def loads(text: str | bytes, **kwargs) -> Any:
    """json.loads, refusing NaN/Infinity, lone surrogates and nesting beyond MAX_DEPTH."""
    kwargs.setdefault("parse_constant", _refuse_constant)
    try:
        value = json.loads(text, **kwargs)
    except RecursionError:
        raise BadInput("json_too_deep", max=MAX_DEPTH) from None
    check(value)
    return value


def check(value: Any) -> None:
    """Raise BadInput when value nests deeper than MAX_DEPTH or holds a lone surrogate."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise BadInput("json_too_deep", max=MAX_DEPTH)
        if isinstance(item, str):
            _check_text(item)
        elif isinstance(item, dict):
            for k, v in item.items():
                _check_text(k)
                stack.append((v, depth + 1))
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)


def _check_text(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise BadInput("json_lone_surrogate") from None


class StrictJSONProvider(DefaultJSONProvider):
    """The app's JSON provider: answers as Flask does, reads bodies with `loads`."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        """Parse a request body strictly (see the module's docstring)."""
        return loads(s, **kwargs)
