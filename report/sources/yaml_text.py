"""YAML text before it is parsed: decoded as the format allows, and its syntax errors told.

Each refusal is located at its line and column and says what an author should do.
"""

from __future__ import annotations

import re

import yaml as libyaml

from report.errors import SourceError

MAX_DEPTH = 64  # levels of nesting a source may hold

# Characters YAML 1.2 allows in a stream (a byte-order mark only at the start), less the
# ones libyaml takes for line breaks where an editor shows none (NEL, LS, PS).
_NOT_PRINTABLE = re.compile(
    "[^\t\n\r\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
)
_UTF16_32_BOMS = (
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\xfe\xff", "UTF-16"),
    (b"\xff\xfe", "UTF-16"),
)


# Errors whose context mark (the construct being read) is a better place than the point
# where the parser gave up: the key missing its colon, the unclosed quote or bracket.
_CONTEXT_FIRST = (
    "while scanning a simple key",
    "while scanning a quoted scalar",
    "while parsing a flow sequence",
    "while parsing a flow mapping",
)
# libyaml's words for common mistakes, and what an author should do about them.
_PROBLEMS = {
    "could not find expected ':'": 'a key without ":"; write "key: value"',
    "did not find expected ',' or ']'": 'a list opened with "[" is not closed with "]"',
    "did not find expected ',' or '}'": 'a mapping opened with "{" is not closed with "}"',
    "did not find expected key": "a key was expected here; check the indentation, "
    "and quotes left open above",
    "mapping values are not allowed in this context": 'a ": " inside a plain value; '
    "quote the value",
    "found unexpected end of stream": "the file ends inside a quoted value; close the quote",
}


def syntax_error(path: str, text: str, exc: libyaml.MarkedYAMLError) -> SourceError:
    """Return libyaml's error as a located one, in words an author acts on."""
    use_context = exc.context in _CONTEXT_FIRST and exc.context_mark is not None
    mark = exc.context_mark if use_context else (exc.problem_mark or exc.context_mark)
    line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    problem = " ".join(str(exc.problem or exc.context or "invalid YAML").split())
    at = exc.problem_mark.index if exc.problem_mark else -1
    if problem == "found character that cannot start any token" and 0 <= at < len(text):
        problem = (
            f'the character "{text[at]}" cannot start a value here; quote the value'
            if text[at] != "\t"
            else "\t"
        )
    if "maximum nesting depth" in problem:
        problem = f"values are nested more than {MAX_DEPTH} levels deep"
    if "\t" in problem or problem.startswith("found a tab"):
        problem = "a tab character where YAML allows none; use spaces to indent"
    if problem.startswith("values are nested"):
        return SourceError.at(path, line, column, problem)
    return SourceError.at(path, line, column, f"invalid YAML: {_PROBLEMS.get(problem, problem)}")


def offset_location(text: str, offset: int) -> tuple[int, int]:
    """Return the 1-based line and column of a character offset in text."""
    line_start = text.rfind("\n", 0, offset) + 1
    return text.count("\n", 0, offset) + 1, offset - line_start + 1


def decode(data: bytes, path: str) -> str:
    """Decode UTF-8 (with or without a byte-order mark), refusing what YAML does not allow."""
    for bom, encoding in _UTF16_32_BOMS:
        if data.startswith(bom):
            raise SourceError.at(
                path,
                1,
                1,
                f"the file is {encoding} (it starts with a "
                f"{encoding} byte-order mark); save it as UTF-8",
            )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        line_start = before[before.rfind(b"\n") + 1 :]
        column = len(line_start.decode("utf-8", errors="replace")) + 1
        raise SourceError.at(
            path, line, column, f"the file is not valid UTF-8 (byte 0x{data[exc.start]:02x})"
        ) from exc
    bad = _NOT_PRINTABLE.search(text)
    if bad is not None:
        char = bad.group()
        if char == "\ufeff":
            message = (
                "a byte-order mark (U+FEFF) after the start of the file is not allowed "
                "in YAML; remove it"
            )
        elif char in "\u2028\u2029":
            message = f"the separator U+{ord(char):04X} is not allowed in YAML; use a line break"
        else:
            message = f"the control character U+{ord(char):04X} is not allowed in YAML; remove it"
        raise SourceError.at(path, *offset_location(text, bad.start()), message)
    return text
