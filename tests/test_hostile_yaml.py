"""Hostile and broken YAML: each file gets one located message, in bounded CPU time and memory."""

from __future__ import annotations

import time
import tracemalloc
from pathlib import Path

import pytest

from report.errors import SourceError
from report.sources.yaml import MAX_DEPTH, MAX_FILE_BYTES, MAX_NODES, load_yaml, parse_yaml


def _laughs(flow: bool) -> bytes:
    """Return a billion-laughs file: nine levels of nine aliases of the level below."""
    if flow:
        lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
        lines += [
            f"{name}: &{name} [{', '.join([f'*{prev}'] * 9)}]"
            for prev, name in zip("abcdefgh", "bcdefghi", strict=True)
        ]
    else:
        lines = ["a: &a {" + ", ".join(f"k{i}: lol" for i in range(9)) + "}"]
        lines += [
            f"{name}: &{name}\n" + "".join(f"  k{i}: *{prev}\n" for i in range(9)).rstrip()
            for prev, name in zip("abcdefgh", "bcdefghi", strict=True)
        ]
    return ("\n".join(lines) + "\n").encode()


def _fill(head: bytes, unit: bytes, tail: bytes) -> bytes:
    """Return head, as many units as fit in the size limit, then tail."""
    return head + unit * ((MAX_FILE_BYTES - len(head) - len(tail)) // len(unit)) + tail


# Seconds of CPU: a bound against a blow-up (an alias bomb expanded, a quadratic parse),
# never a measure; each file takes well under 0.1 s.
CPU_BUDGET = 10.0
LIMIT = (
    f"the file holds more than {MAX_NODES:,} keys and values (aliases counted as "
    "expanded); a source may hold no more"
)
DEEP = f"values are nested more than {MAX_DEPTH} levels deep"

# name: (file, its exact message or None when it loads)
HOSTILE: dict[str, tuple[bytes, str | None]] = {
    "alias bomb of lists": (_laughs(flow=True), f"f.yaml:5:12: {LIMIT}"),
    "alias bomb of mappings": (_laughs(flow=False), f"f.yaml:33:7: {LIMIT}"),
    "a megabyte of one-digit values in a flow list": (
        _fill(b"a: [", b"1,", b"1]\n"),
        f"f.yaml:1:39999: {LIMIT}",
    ),
    "a megabyte of list items": (_fill(b"a:\n", b"- 1\n", b""), f"f.yaml:19999:3: {LIMIT}"),
    "a megabyte of keys": (
        b"".join(b"k%06d: 1\n" % i for i in range(MAX_FILE_BYTES // 11)),
        f"f.yaml:10000:10: {LIMIT}",
    ),
    "a megabyte of empty mappings": (_fill(b"a: [", b"{},", b"{}]\n"), f"f.yaml:1:59996: {LIMIT}"),
    "flow nesting 100,000 deep": (b"x: " + b"[" * 100_000, f"f.yaml:1:1003: {DEEP}"),
    "flow mappings nested 500 deep": (
        b"x: " + b"{a: " * 500 + b"1" + b"}" * 500,
        f"f.yaml:1:256: {DEEP}",
    ),
    "block nesting 1,000 deep": (
        b"".join(b" " * i + b"k:\n" for i in range(1000)),
        f"f.yaml:65:65: {DEEP}",
    ),
    "a megabyte-long quoted value": (_fill(b'a: "', b"x", b'"\n'), None),
    "a megabyte-long plain value": (_fill(b"a: ", b"x", b"\n"), None),
    "a megabyte of anchors and aliases": (
        _fill(b"a: &x 1\nb: [", b"*x,", b"*x]\n"),
        f"f.yaml:2:59990: {LIMIT}",
    ),
    "a megabyte of comments": (_fill(b"a: 1\n", b"#" * 79 + b"\n", b""), None),
    "an integer of a megabyte of digits": (_fill(b"a: ", b"7", b"\n"), None),
}


def _parse(data: bytes) -> str | None:
    try:
        parse_yaml(data, "f.yaml")
    except SourceError as exc:
        (line,) = exc.lines()
        return line
    return None


class TestHostileYaml:
    """Each hostile file is answered with its exact located message, without blowing up."""

    @pytest.mark.parametrize("name", list(HOSTILE))
    def test_answered_within_a_budget(self, name: str) -> None:
        data, expected = HOSTILE[name]
        assert len(data) <= MAX_FILE_BYTES
        # This thread's CPU time: neither other processes on the machine nor other threads
        # of this one (a session's Dask cluster, a preview server) count.
        start = time.thread_time()
        line = _parse(data)
        seconds = time.thread_time() - start
        assert line == expected
        assert seconds < CPU_BUDGET, f"{name} took {seconds:.2f} s of CPU"

    @pytest.mark.parametrize(
        "name",
        [
            "alias bomb of lists",
            "alias bomb of mappings",
            "a megabyte of one-digit values in a flow list",
            "a megabyte of keys",
            "flow nesting 100,000 deep",
            "a megabyte-long plain value",
        ],
    )
    def test_memory_stays_bounded(self, name: str) -> None:
        data, expected = HOSTILE[name]
        tracemalloc.start()
        try:
            assert _parse(data) == expected
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert peak < 16 * 1024 * 1024, f"{name} peaked at {peak / 2**20:.1f} MiB"

    def test_huge_file_is_not_read_whole(self, tmp_path: Path) -> None:
        path = tmp_path / "huge.yaml"
        with path.open("wb") as handle:
            handle.truncate(2**31)  # a sparse 2 GiB file
        tracemalloc.start()
        try:
            with pytest.raises(SourceError) as caught:
                load_yaml(path, "huge.yaml")
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert caught.value.lines() == [
            f"huge.yaml:1:1: the file is 2,147,483,648 bytes; "
            f"a source may be at most {MAX_FILE_BYTES:,} bytes"
        ]
        assert peak < 4 * MAX_FILE_BYTES


class TestEncoding:
    """Byte-order marks, invalid UTF-8 and characters YAML forbids are named where they are."""

    def test_utf8_bom_is_skipped_and_columns_stay_right(self) -> None:
        assert (
            _parse(b"\xef\xbb\xbfa: [1, 2\n")
            == 'f.yaml:1:4: invalid YAML: a list opened with "[" is not closed with "]"'
        )
        assert parse_yaml(b"\xef\xbb\xbfa: 1\n", "f.yaml").plain() == {"a": 1}

    @pytest.mark.parametrize(
        ("encoding", "name"),
        [
            ("utf-16-le", "UTF-16"),
            ("utf-16-be", "UTF-16"),
            ("utf-32-le", "UTF-32"),
            ("utf-32-be", "UTF-32"),
        ],
    )
    def test_utf16_and_utf32_are_named(self, encoding: str, name: str) -> None:
        data = "\ufeffa: 1\n".encode(encoding)
        assert _parse(data) == (
            f"f.yaml:1:1: the file is {name} (it starts with a {name} "
            "byte-order mark); save it as UTF-8"
        )

    def test_bom_inside_the_file(self) -> None:
        assert _parse("a: 1\nb: x\ufeffy\n".encode()) == (
            "f.yaml:2:5: a byte-order mark (U+FEFF) after the start of the file is not "
            "allowed in YAML; remove it"
        )

    @pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b", "\x7f", "\x85", "\x9f"])
    def test_control_characters(self, char: str) -> None:
        assert _parse(f"a: 1\nbé: x{char}\n".encode()) == (
            f"f.yaml:2:6: the control character U+{ord(char):04X} is not allowed in YAML; remove it"
        )

    @pytest.mark.parametrize("char", ["\u2028", "\u2029"])
    def test_unicode_line_separators(self, char: str) -> None:
        assert _parse(f"a: 1\nb: x{char}y\nc: 3\n".encode()) == (
            f"f.yaml:2:5: the separator U+{ord(char):04X} is not allowed in YAML; use a line break"
        )

    def test_tab_and_line_breaks_are_allowed(self) -> None:
        root = parse_yaml(b'a: "x\ty"\r\nb: 2\r\n', "f.yaml")
        assert root.plain() == {"a": "x\ty", "b": 2}

    def test_truncated_utf8_sequence(self) -> None:
        assert _parse(b"a: caf\xc3") == "f.yaml:1:7: the file is not valid UTF-8 (byte 0xc3)"


class TestStructure:
    """Streams, aliases and keys YAML allows but a source must not use."""

    def test_second_document(self) -> None:
        assert (
            _parse(b"a: 1\n---\nb: 2\n")
            == "f.yaml:2:1: a second YAML document starts here; a source holds one document only"
        )

    def test_explicit_single_document_loads(self) -> None:
        assert parse_yaml(b"%YAML 1.2\n---\na: 1\n...\n", "f.yaml").plain() == {"a": 1}

    def test_undefined_alias(self) -> None:
        assert (
            _parse(b"a: *nowhere\n")
            == 'f.yaml:1:4: the alias "*nowhere" names no anchor defined before it'
        )

    def test_alias_to_its_own_anchor(self) -> None:
        assert (
            _parse(b"a: &x [1, *x]\n")
            == 'f.yaml:1:11: the alias "*x" names no anchor defined before it'
        )

    def test_alias_keeps_its_place_and_the_anchor_value(self) -> None:
        root = parse_yaml(b"a: &x {b: 1}\nc:\n  d: *x\n", "f.yaml")
        d = root.children["c"].children["d"]
        assert (d.line, d.column, d.key_line, d.plain()) == (3, 6, 3, {"b": 1})
        assert root.children["a"].key_line == 1

    @pytest.mark.parametrize("text", ["? [a, b]\n: 1\n", "? {a: 1}\n: 1\n"])
    def test_collection_as_key(self, text: str) -> None:
        assert (
            _parse(text.encode()) == "f.yaml:1:3: a key must be a plain word, not a list or mapping"
        )

    def test_quoted_merge_key_is_a_plain_key(self) -> None:
        assert parse_yaml(b'"<<": 1\n', "f.yaml").plain() == {"<<": 1}

    @pytest.mark.parametrize(
        "tag",
        [
            "!!python/name:os.system",
            "!ruby/object:Gem::Installer",
            "!!java.util.Date",
            "!<tag:example.com,2000:x>",
            "!!binary",
            "!!timestamp",
        ],
    )
    def test_language_and_custom_tags_on_keys(self, tag: str) -> None:
        shown = tag.replace("!<", "").rstrip(">") if tag.startswith("!<") else tag
        line = _parse(f"{tag} k: 1\n".encode())
        if tag == "!!timestamp":  # a core tag: allowed, the key is its text
            assert line is None
        else:
            assert line == (
                f'f.yaml:1:1: the tag "{shown}" is not allowed; sources hold plain YAML values only'
            )

    def test_non_specific_tag_reads_text(self) -> None:
        assert parse_yaml(b"a: ! 12\n", "f.yaml").plain() == {"a": "12"}
