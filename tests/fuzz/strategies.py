"""Hypothesis strategies for the classes of hostile input (issue 13), shared by the fuzz tests.

Each gives raw JSON text (str), since some classes cannot be written by json.dumps: NaN and
Infinity as bare tokens, lone surrogates as \\u escapes, nesting deeper than Python recurses.
"""

from __future__ import annotations

import json

from hypothesis import strategies as st

# a lone surrogate: half of a UTF-16 pair, which no UTF-8 database column can hold
lone_surrogates = st.integers(0xD800, 0xDFFF).map(lambda c: f'"a\\u{c:04x}b"')

# NaN and Infinity as Python's json writes (and reads) them: not JSON
nan_infinity = st.sampled_from(["NaN", "Infinity", "-Infinity", "1e309", "-1e309"])

# numbers past every column: bigint, double, Python's int-from-text limit
huge_numbers = st.sampled_from(
    [str(2**63), str(-(2**63) - 1), str(2**64), "1" + "0" * 400, "1e308", "9" * 5000]
)

# a number's place taken by text that only reads like one
strings_for_numbers = st.sampled_from(
    ["109.7", "38.29", "1e3", "0x10", " 12 ", "١٢", "１２", "", "12px", "true", "null"]
).map(json.dumps)

# codes that look ASCII: full-width digits and letters, Cyrillic and Greek look-alikes
confusable_codes = st.sampled_from(
    [
        "６１０８０２",
        "６１０８０２００１００１",
        "Т6108ОРГ",  # Cyrillic Т, О, Р, Г
        "61O8O2",  # Latin O for zero: ASCII, but not the pattern
        "ΑΒ61080",  # Greek Alpha, Beta
        "6108\u200b02",  # a zero-width space inside
        "６１０８ＡＢ",
    ]
).map(lambda s: json.dumps(s, ensure_ascii=False))


@st.composite
def deep_nesting(draw) -> str:
    """An array or object nested far past any body the API takes (and past recursion)."""
    depth = draw(st.sampled_from([40, 200, 5000]))
    if draw(st.booleans()):
        return "[" * depth + "1" + "]" * depth
    return '{"a":' * depth + "1" + "}" * depth


def value_for(name: str, kind: str):
    """Hostile values for a property by its JSON type and name: numbers get what is not a
    number, codes (…code) what only looks ASCII, other text lone surrogates (free text may
    hold any real character, ６ included)."""
    if kind in ("number", "integer"):
        return st.one_of(nan_infinity, huge_numbers, strings_for_numbers)
    if name == "code" or name.endswith("_code"):
        return st.one_of(lone_surrogates, confusable_codes)
    return lone_surrogates


# whole bodies broken as JSON values, whatever the route
whole_bodies = st.one_of(
    deep_nesting(),
    nan_infinity,
    lone_surrogates.map(lambda s: '{"name": ' + s + "}"),
    st.one_of(nan_infinity, huge_numbers).map(lambda s: '{"lon": ' + s + ', "lat": ' + s + "}"),
)
