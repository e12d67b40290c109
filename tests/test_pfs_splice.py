"""A new release's entries edited as text: the round-trip edit's bytes, or left to that edit."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import FIXTURES, PFS_SAMPLE, SAMPLE_SOURCES, pfs_lines

from report.errors import SourceError
from report.pfs.plan import CodeImport, code_import
from report.pfs.reader import parse_pfs, read_pfs
from report.pfs.splice import splice
from report.pfs.writer import edit_source
from report.sources import code_from_bytes

OCTOBER_2026 = FIXTURES / "pfs" / "2026" / "PPRRVU2026_Oct_QPP.csv"
COMMENTED = FIXTURES / "pfs" / "commented" / "sources" / "codes" / "74440.yaml"


def imported(code: str, csv: Path = OCTOBER_2026) -> CodeImport:
    """Return what a file says of code."""
    found = code_import(read_pfs(csv, csv.name), code)
    assert found is not None
    return found


def status_c_for_74440() -> CodeImport:
    """Return 74440 of the sample with its global row set to status C: indicators change."""
    lines = pfs_lines()
    lines[17] = lines[17].replace(b"tract,A,", b"tract,C,", 1)
    found = code_import(parse_pfs(b"\r\n".join(lines), "f.csv"), "74440")
    assert found is not None
    return found


def both(data: bytes, code: str, new: CodeImport) -> tuple[bytes | None, bytes | None]:
    """Return the source edited as text (or None) and by the round-trip edit."""
    source, findings = code_from_bytes(data, f"{code}.yaml", code, None)
    assert source is not None, findings
    return splice(data, source.root, source.model, new), edit_source(data, "x.yaml", new)


def sample(code: str) -> bytes:
    """Return a sample source's bytes."""
    return (SAMPLE_SOURCES / "codes" / f"{code}.yaml").read_bytes()


def list_at_column_0(text: str) -> str:
    """Keep 55300's indicators and benchmarks, its list's dashes at column 0 (offset 0)."""
    head, _, tail = text.partition("\nbenchmarks:\n")
    head = head[: head.index("\nrelated_codes:")]
    return head + "\n\nbenchmarks:\n" + tail.replace("\n  ", "\n").removeprefix("  ")


class TestSameAsTheEdit:
    """Where the text edit applies, its bytes are the round-trip edit's."""

    @pytest.mark.parametrize(
        ("code", "data", "new"),
        [
            ("74440", sample("74440"), imported("74440")),
            ("55300", sample("55300"), imported("55300")),
            ("74440", sample("74440"), status_c_for_74440()),
            ("55300", list_at_column_0(sample("55300").decode()).encode(), imported("55300")),
        ],
        ids=["74440", "55300", "indicator changed", "offset 0"],
    )
    def test_applies_and_matches(self, code: str, data: bytes, new: CodeImport) -> None:
        fast, slow = both(data, code, new)
        assert fast is not None
        assert fast == slow

    def test_every_code_of_the_sample_created_then_updated(self, sources_copy: Path) -> None:
        from report.pfs.importer import new_source

        january = read_pfs(PFS_SAMPLE, "sample.csv")
        for code in january.rows:
            first = code_import(january, code)
            assert first is not None
            data = new_source(code, "HCPCS" if code[0].isalpha() else "CPT", first, january, "x")
            fast, slow = both(data, code, imported(code))
            assert fast is None or fast == slow, code
            assert slow is None or fast is not None, code  # every change is made as text


ELSEWHERE: dict[str, Callable[[str], str]] = {
    "comment between entries": lambda t: t.replace(
        '  - label: "Malpractice RVU"', '  # note\n  - label: "Malpractice RVU"', 1
    ),
    "indicator with a comment after it": lambda t: t.replace(
        'status: "A"', 'status: "A"  # paid', 1
    ),
    "as_of quoted": lambda t: t.replace("as_of: 2022-01-01", 'as_of: "2022-01-01"', 1),
    "keys in another order": lambda t: t.replace(
        '  - label: "Work RVU"\n    value: 3.50\n', '  - value: 3.50\n    label: "Work RVU"\n', 1
    ),
    "label escaped": lambda t: t.replace('"Work RVU"', '"Work\\x20RVU"', 1),
    "CRLF": lambda t: t.replace("\n", "\r\n"),
    "byte-order mark": lambda t: "\ufeff" + t,
}


class TestLeftToTheEdit:
    """Entries not as the importer writes them, or an indicator with a comment: the edit does it."""

    @pytest.mark.parametrize("change", ELSEWHERE)
    def test_declines(self, change: str) -> None:
        data = ELSEWHERE[change](sample("55300").decode()).encode()
        new = imported("55300")
        if change == "indicator with a comment after it":
            new = CodeImport(
                new.code, new.description, new.figures, {**new.indicators, "status": "C"}, ()
            )
        source, _ = code_from_bytes(data, "55300.yaml", "55300", None)
        assert source is not None
        assert splice(data, source.root, source.model, new) is None
        try:
            edited = edit_source(data, "x.yaml", new)
        except SourceError as exc:  # as before: a file it cannot write back is refused
            assert change == "label escaped", exc
        else:
            assert edited is not None and change != "label escaped"

    def test_the_commented_fixture(self) -> None:
        fast, slow = both(COMMENTED.read_bytes(), "74440", imported("74440", PFS_SAMPLE))
        assert fast is None or fast == slow
        assert slow is not None
