"""Read plain YAML scalars the way ruamel.yaml's YAML 1.2 core schema reads them.

Only the types a source may hold: null, booleans, integers, floats and dates. A
timestamp with a time of day, or a date that is not in the calendar, stays text so that
the model's message can quote it as written.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TypeAlias

# A plain scalar's value: text wherever it holds no other.
Scalar: TypeAlias = str | int | float | bool | dt.date | None

CORE = "tag:yaml.org,2002:"
STR, NULL, BOOL, INT, FLOAT, TIMESTAMP = (
    f"{CORE}{name}" for name in ("str", "null", "bool", "int", "float", "timestamp")
)

_RESOLVERS = (
    (BOOL, re.compile(r"true|True|TRUE|false|False|FALSE")),
    (
        FLOAT,
        re.compile(
            r"""[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
                          |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
                          |[-+]?\.[0-9_]+(?:[eE][-+][0-9]+)?
                          |[-+]?\.(?:inf|Inf|INF)
                          |\.(?:nan|NaN|NAN)""",
            re.VERBOSE,
        ),
    ),
    (INT, re.compile(r"[-+]?0b[0-1_]+|[-+]?0o?[0-7_]+|[-+]?[0-9_]+|[-+]?0x[0-9a-fA-F_]+")),
    (NULL, re.compile(r"~|null|Null|NULL|")),
    (
        TIMESTAMP,
        re.compile(
            r"""[0-9]{4}-[0-9]{2}-[0-9]{2}
                              |[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt]|[ \t]+)[0-9]{1,2}
                               :[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?
                               (?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?""",
            re.VERBOSE,
        ),
    ),
)
_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")


_FIRST = frozenset("-+0123456789.tTfFnN~")  # what a non-text scalar can start with


def resolve(text: str) -> str:
    """Return the core-schema tag of a plain (unquoted, untagged) scalar."""
    if text and text[0] not in _FIRST:
        return STR
    for tag, pattern in _RESOLVERS:
        if pattern.fullmatch(text):
            return tag
    return STR


def _integer(text: str) -> int:
    digits = text.replace("_", "")
    sign = -1 if digits[0] == "-" else 1
    digits = digits.lstrip("+-")
    for prefix, base in (("0b", 2), ("0x", 16), ("0o", 8)):
        if digits.startswith(prefix):
            return sign * int(digits[2:], base)
    return sign * int(digits)


def _float(text: str) -> float:
    digits = text.replace("_", "").lower()
    if digits.lstrip("+-") in (".inf", ".nan"):
        return float(digits.replace(".", ""))
    return float(digits)


def construct(tag: str, text: str) -> Scalar:
    """Return the value of a scalar with a core-schema tag; text where it holds no value."""
    try:
        if tag == NULL:
            return None
        if tag == BOOL:
            return text.lower() == "true"
        if tag == INT:
            return _integer(text)
        if tag == FLOAT:
            return _float(text)
        if tag == TIMESTAMP:
            match = _DATE.fullmatch(text)
            return dt.date(*map(int, match.groups())) if match else text
    except ValueError:  # 2022-13-01, "_", or an integer too long to convert
        return text
    return text
