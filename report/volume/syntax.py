"""PDF syntax: just enough to read and rewrite the structural objects of a part."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import NamedTuple, TypeAlias


class Ref(NamedTuple):
    """An indirect reference of an input PDF, by object number (generation 0)."""

    num: int


class Out(NamedTuple):
    """An indirect reference that already carries its object number in the volume."""

    num: int


class Unsupported(ValueError):
    """A PDF the byte-level reader does not handle; pikepdf rewrites it first."""


DELIMITER = rb"\s\0/\[\]<>(){}%"
TOKEN = re.compile(
    rb"[\s\0]*(?:(\d+)[\s\0]+(\d+)[\s\0]+R(?![^" + DELIMITER + rb"])"
    rb"|(<<|>>|\[|\]|/[^" + DELIMITER + rb"]*|\((?:[^\\()]|\\.)*\)|<[0-9A-Fa-f\s]*>"
    rb"|[^" + DELIMITER + rb"]+))",
    re.DOTALL,
)
_OPENING = re.compile(rb"[\s\0]*\(")
_ESCAPE = re.compile(rb"\\([0-7]{1,3}|\r\n|.)", re.DOTALL)
_ESCAPES = {
    b"n": b"\n",
    b"r": b"\r",
    b"t": b"\t",
    b"b": b"\b",
    b"f": b"\f",
    b"\n": b"",
    b"\r": b"",
    b"\r\n": b"",
}

# A parsed object: a dictionary, an array, a reference, or any other token as written.
Value: TypeAlias = "dict[bytes, Value] | list[Value] | Ref | Out | bytes"


def parse(data: bytes, pos: int = 0) -> tuple[Value, int]:
    """Parse one PDF object at pos; return it and the position after it."""
    match = TOKEN.match(data, pos)
    if match is None and (opening := _OPENING.match(data, pos)) is not None:
        end = string_end(data, opening.end() - 1)  # a string with nested parentheses
        return data[opening.end() - 1 : end], end
    if match is None:
        raise Unsupported(f"unreadable PDF syntax at byte {pos}: {data[pos : pos + 20]!r}")
    if match[1] is not None:
        if match[2] != b"0":
            raise Unsupported("an object generation other than 0")
        return Ref(int(match[1])), match.end()
    token = match[3]
    if token == b"<<":
        dictionary: dict[bytes, Value] = {}
        pos = match.end()
        while True:
            key = TOKEN.match(data, pos)
            if key is None or key[3] is None:
                raise Unsupported(f"unreadable dictionary at byte {pos}")
            if key[3] == b">>":
                return dictionary, key.end()
            if not key[3].startswith(b"/"):
                raise Unsupported(f"a dictionary key that is not a name at byte {pos}")
            dictionary[key[3]], pos = parse(data, key.end())
    if token == b"[":
        items: list[Value] = []
        pos = match.end()
        while True:
            closing = TOKEN.match(data, pos)
            if closing is not None and closing[3] == b"]":
                return items, closing.end()
            item, pos = parse(data, pos)
            items.append(item)
    if token in (b">>", b"]"):
        raise Unsupported(f"unbalanced {token.decode()} at byte {pos}")
    return token, match.end()


def dump(value: Value, remap: Callable[[int], int | None]) -> bytes:
    """Write a parsed object back, input references through remap (None: null)."""
    if isinstance(value, Out):
        return b"%d 0 R" % value.num
    if isinstance(value, Ref):
        new = remap(value.num)
        return b"null" if new is None else b"%d 0 R" % new
    if isinstance(value, dict):
        return (
            b"<< "
            + b" ".join(key + b" " + dump(item, remap) for key, item in value.items())
            + b" >>"
        )
    if isinstance(value, list):
        return b"[ " + b" ".join(dump(item, remap) for item in value) + b" ]"
    assert isinstance(value, bytes), value
    return value


def same(num: int) -> int:
    """Return num: the remap of a value dumped with its references as they are."""
    return num


def text_of(token: Value) -> bytes:
    """Return the bytes of a string token, literal `(...)` or hex `<...>`."""
    if not isinstance(token, bytes) or token[:1] not in (b"(", b"<"):
        raise Unsupported(f"not a string: {token!r}")
    if token.startswith(b"<"):
        digits = re.sub(rb"\s", b"", token[1:-1])
        return bytes.fromhex((digits + b"0" * (len(digits) % 2)).decode("ascii"))

    def unescape(match: re.Match[bytes]) -> bytes:
        code = match[1]
        if code[:1].isdigit():
            return bytes([int(code, 8) & 0xFF])
        return _ESCAPES.get(code, code)

    return _ESCAPE.sub(unescape, token[1:-1])


def pdf_string(text: bytes) -> bytes:
    """Return text as a literal string token."""
    for raw, escaped in (
        (b"\\", b"\\\\"),
        (b"(", b"\\("),
        (b")", b"\\)"),
        (b"\r", b"\\r"),
        (b"\n", b"\\n"),
        (b"\0", b"\\000"),
    ):
        text = text.replace(raw, escaped)
    return b"(" + text + b")"


def to_int(token: Value | None) -> int:
    """Return the integer a token writes."""
    if not isinstance(token, bytes):
        raise Unsupported(f"not an integer: {token!r}")
    return int(token)


def as_dict(value: Value | None, what: str) -> dict[bytes, Value]:
    """Return a parsed dictionary; raise Unsupported, naming what it is, for anything else."""
    if not isinstance(value, dict):
        raise Unsupported(f"{what} that is not a dictionary")
    return value


def as_list(value: Value | None, what: str) -> list[Value]:
    """Return a parsed array; raise Unsupported, naming what it is, for anything else."""
    if not isinstance(value, list):
        raise Unsupported(f"{what} that is not an array")
    return value


def as_ref(value: Value | None, what: str) -> Ref:
    """Return a reference; raise Unsupported, naming what it is, for anything else."""
    if not isinstance(value, Ref):
        raise Unsupported(f"{what} that is not an indirect object")
    return value


# ---------------------------------------------------------------------------------------
# Renumbering: every `N 0 R` of a part's objects becomes `N + base 0 R`


_STRING_MARK = re.compile(rb"[()\\]")
# A literal string without an unescaped parenthesis inside: nearly every string of a report.
_FLAT_STRING = re.compile(rb"\((?:[^()\\]|\\.)*\)", re.DOTALL)


def string_spans(data: bytes) -> list[tuple[int, int]]:
    r"""Return (start, end) of each literal string of data, nested parentheses included.

    A literal string may hold balanced parentheses unescaped (`(a (b) c)` is one
    string) and escaped ones (`\(`); an unterminated string runs to the end of data.
    When every parenthesis of data is in a string without nested ones, those strings are
    found by one regular expression; otherwise data is read mark by mark.
    """
    outside = _FLAT_STRING.sub(b"", data)
    if b"(" in outside or b")" in outside:
        return nested_string_spans(data)
    return [match.span() for match in _FLAT_STRING.finditer(data)]


def nested_string_spans(data: bytes) -> list[tuple[int, int]]:
    """Return what string_spans does, reading data mark by mark."""
    spans: list[tuple[int, int]] = []
    depth = start = 0
    escaped = -1  # the position of a character a backslash escapes
    for match in _STRING_MARK.finditer(data):
        pos = match.start()
        if pos == escaped:
            continue
        char = data[pos]
        if char == 0x5C:  # backslash: only inside a string does it escape
            escaped = pos + 1 if depth else -1
        elif char == 0x28:  # (
            if depth == 0:
                start = pos
            depth += 1
        elif depth:  # )
            depth -= 1
            if depth == 0:
                spans.append((start, pos + 1))
    if depth:
        spans.append((start, len(data)))
    return spans


def string_end(data: bytes, start: int) -> int:
    """Return the position after the literal string that opens at start (its `(`)."""
    depth, pos = 0, start
    while (match := _STRING_MARK.search(data, pos)) is not None:
        pos = match.end()
        if match[0] == b"\\":
            pos += 1
        elif match[0] == b"(":
            depth += 1
        else:
            depth -= 1
            if depth == 0:
                return pos
    return len(data)


def outside_strings(data: bytes, rewrite: Callable[[bytes], bytes], marker: bytes) -> bytes:
    """Apply rewrite to data, leaving its literal strings as they are.

    When no string holds marker (what rewrite looks for), rewrite takes data whole.
    """
    spans = string_spans(data) if b"(" in data else []
    if not any(marker in data[start:end] for start, end in spans):
        return rewrite(data)
    out: list[bytes] = []
    last = 0
    for start, end in spans:
        out += (rewrite(data[last:start]), data[start:end])
        last = end
    out.append(rewrite(data[last:]))
    return b"".join(out)


# What may come before a reference's number: whitespace, a delimiter, or the start.
_BEFORE_REF = frozenset(
    (b"", b" ", b"\n", b"\r", b"\t", b"\f", b"\0", b"[", b"]", b"(", b")", b"<", b">")
)


def renumber(data: bytes, table: dict[bytes, bytes]) -> bytes:
    """Rewrite each reference `N 0 R` of data as table[b"N"] (`M 0 R`, or null).

    References are written with generation 0 (qpdf and WeasyPrint both), so the text
    splits at ` 0 R` and the digits before each piece's end are a reference when a space
    or a delimiter comes before them (qpdf writes `[ 5 0 R ]`, WeasyPrint `[5 0 R]`).
    Literal strings are left as they are, nested parentheses and all: `(see 12 0 R)` is
    text. A number missing from table, a reference to an object that is not there,
    becomes null.
    """
    if b" 0 R" not in data:
        return data
    return outside_strings(data, lambda text: _renumber_text(text, table), b" 0 R")


def _renumber_text(data: bytes, table: dict[bytes, bytes]) -> bytes:
    """Renumber the references of data, which holds no literal string."""
    pieces = data.split(b" 0 R")
    if len(pieces) == 1:
        return data
    out: list[bytes] = []
    extend = out.extend
    get = table.get
    for piece in pieces[:-1]:
        head = piece.rstrip(b"0123456789")
        number = piece[len(head) :]
        is_ref = bool(number) and head[-1:] in _BEFORE_REF
        new = get(number) if is_ref else None
        if new is None:
            new = b"null" if is_ref else number + b" 0 R"
        extend((head, new))
    out.append(pieces[-1])
    return b"".join(out)


STRUCT_PARENT = re.compile(rb"/StructParents?[\s\0]+(\d+)")


def shift_keys(data: bytes, offset: int, keys: list[int]) -> bytes:
    """Add offset to every /StructParent and /StructParents of data; collect the old keys."""
    if b"/StructParent" not in data:
        return data

    def shift(match: re.Match[bytes]) -> bytes:
        keys.append(int(match[1]))
        return match[0][: match.start(1) - match.start()] + b"%d" % (keys[-1] + offset)

    return outside_strings(data, lambda text: STRUCT_PARENT.sub(shift, text), b"/StructParent")


_ID = re.compile(rb"/ID[\s\0]*(\((?:[^\\()]|\\.)*\)|<[0-9A-Fa-f\s]*>)", re.DOTALL)
_ANY_ID = re.compile(rb"/ID[\s\0]*[(<]")
_HEADERS = re.compile(rb"/Headers[\s\0]*\[[^\]]*\]", re.DOTALL)


def prefix_ids(data: bytes, prefix: bytes) -> bytes:
    """Prefix structure element IDs and the /Headers naming them, to keep them unique.

    WeasyPrint numbers IDs per document, so two reports hold the same IDs. WeasyPrint
    (pydyf) and qpdf write `/ID (...)`, and a `(` inside a string escaped, so the common
    case is a replace; a literal string that itself holds `/ID` or `/Headers` (text) sends
    data through the tokenizer, which prefixes only the strings that are IDs.
    """
    if not prefix or b"/ID" not in data:
        return data
    spans = string_spans(data) if b"(" in data else []
    if any(b"/ID" in data[a:b] or b"/Headers" in data[a:b] for a, b in spans):
        return _prefix_tokens(data, prefix)
    literal = pdf_string(prefix)[:-1]  # `(prefix`, to open each string with
    if data.count(b"/ID (") == len(_ANY_ID.findall(data)):
        data = data.replace(b"/ID (", b"/ID " + literal)
    else:
        data = _ID.sub(lambda m: b"/ID " + pdf_string(prefix + text_of(m[1])), data)
    if b"/Headers" in data:
        data = _HEADERS.sub(
            lambda m: (
                m[0].replace(b"(", literal)
                if b"<" not in m[0][8:]
                else b"/Headers [ "
                + b" ".join(
                    pdf_string(prefix + text_of(t[3]))
                    for t in TOKEN.finditer(m[0], 8)
                    if t[3] and t[3] not in (b"[", b"]")
                )
                + b" ]"
            ),
            data,
        )
    return data


_PLAIN_TOKEN = re.compile(
    rb"[\s\0]*(<<|>>|\[|\]|\(|/[^" + DELIMITER + rb"]*|<[0-9A-Fa-f\s]*>|[^" + DELIMITER + rb"]+)"
)


def _prefix_tokens(data: bytes, prefix: bytes) -> bytes:
    """Prefix the strings that are the value of /ID or inside a /Headers array, token by token."""
    out: list[bytes] = []
    pos, previous, headers = 0, b"", False
    while (match := _PLAIN_TOKEN.match(data, pos)) is not None and match[1]:
        start, end = match.start(1), match.end(1)
        token = match[1]
        if token == b"(":
            end = string_end(data, start)
            token = data[start:end]
        is_string = token[:1] == b"(" or (token[:1] == b"<" and token != b"<<")
        if is_string and (headers or previous == b"/ID"):
            token = pdf_string(prefix + text_of(token))
        headers = (headers and token != b"]") or (previous == b"/Headers" and token == b"[")
        out += (data[pos:start], token)
        previous, pos = token, end
    out.append(data[pos:])
    return b"".join(out)
