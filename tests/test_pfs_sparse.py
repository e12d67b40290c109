"""The importer's fast paths give what its ruamel.yaml edit gives: new and unchanged sources."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import FIXTURES, PFS_SAMPLE, SAMPLE_SOURCES, pfs_lines

from report.pfs.importer import new_source
from report.pfs.plan import code_import
from report.pfs.reader import PfsFile, parse_pfs, read_pfs
from report.pfs.sparse import skeleton, sparse_source, up_to_date
from report.pfs.writer import double_quoted, edit_source
from report.sources import code_from_bytes
from report.sources.models import system_of

RELEASE_2026 = FIXTURES / "pfs" / "2026" / "PPRRVU2026_Oct_QPP.csv"
FILES = {"2022": PFS_SAMPLE, "2026 QPP": RELEASE_2026}


def through_ruamel(pfs: PfsFile, code: str) -> bytes:
    """Return the new source of code as the round-trip edit of its skeleton writes it."""
    imported = code_import(pfs, code)
    assert imported is not None
    system = system_of(code)
    assert system is not None
    empty = skeleton(code, system, imported, pfs, double_quoted).encode()
    return edit_source(empty, f"{code}.yaml", imported, blank_lines=True) or empty


class TestNewSources:
    """A new source from the template is byte for byte the one the round-trip edit writes."""

    @pytest.mark.parametrize("file", FILES)
    def test_every_code_of_the_file(self, file: str) -> None:
        pfs = read_pfs(FILES[file], FILES[file].name)
        for code in pfs.rows:
            imported = code_import(pfs, code)
            assert imported is not None
            fast = sparse_source(code, str(system_of(code)), imported, pfs)
            assert fast == through_ruamel(pfs, code), code

    def test_a_code_with_neither_indicators_nor_figures(self) -> None:
        lines = pfs_lines()  # 71045 given only with modifier 53: no global, 26 or TC row
        lines[14:17] = [lines[14].replace(b"71045,,", b"71045,53,", 1)]
        pfs = parse_pfs(b"\r\n".join(lines), "f.csv")
        imported = code_import(pfs, "71045")
        assert imported is not None and not imported.indicators and not imported.figures
        data = new_source("71045", "CPT", imported, pfs, "71045.yaml")
        assert data == skeleton("71045", "CPT", imported, pfs).encode()
        assert code_from_bytes(data, "71045.yaml", "71045", None)[1] == []

    @pytest.mark.parametrize(
        "description",
        ['X-ray "chest", 1 view', "Back\\slash", "Line\u2028separator", "BOM\ufeffinside"],
    )
    def test_text_to_escape_goes_through_the_edit(self, description: str) -> None:
        lines = pfs_lines()
        lines[14] = lines[14].replace(
            b"X-ray exam chest 1 view", f'"{description.replace(chr(34), 2 * chr(34))}"'.encode()
        )
        pfs = parse_pfs(b"\r\n".join(lines), "f.csv")
        imported = code_import(pfs, "71045")
        assert imported is not None and imported.description == description
        assert sparse_source("71045", "CPT", imported, pfs) is None
        data = new_source("71045", "CPT", imported, pfs, "71045.yaml")
        assert data == through_ruamel(pfs, "71045")
        code, _ = code_from_bytes(data, "71045.yaml", "71045", None)
        assert code is None or code.model.title == description


def sample(code: str) -> str:
    """Return a sample source's text."""
    return (SAMPLE_SOURCES / "codes" / f"{code}.yaml").read_text(encoding="utf-8")


def entries_apart(text: str) -> str:
    """Move 55300's first entry after a hand-written one: its entries are no longer together."""
    start = text.index('  - label: "Work RVU"')
    end = text.index('  - label: "Facility practice expense RVU"')
    hand = '  - label: "Hand count"\n    value: 1.00\n    unit: films\n    source: "Log"\n'
    return text[:start] + text[end:] + hand + "    as_of: 2022-01-01\n" + text[start:end]


VARIANTS: dict[str, Callable[[str], str]] = {
    "as imported": lambda t: t,
    "value changed": lambda t: t.replace("value: 3.50", "value: 3.51"),
    "value written shorter": lambda t: t.replace("value: 3.50", "value: 3.5"),
    "indicator changed": lambda t: t.replace('status: "A"', 'status: "C"'),
    "indicator unquoted": lambda t: t.replace('status: "A"', "status: A"),
    "indicator missing": lambda t: t.replace('  pc_tc: "0"\n', ""),
    "no indicators": lambda t: t.replace(
        'indicators:\n  status: "A"\n  global_period: "000"\n  pc_tc: "0"\n\n', ""
    ),
    "as_of quoted": lambda t: t.replace("as_of: 2022-01-01", 'as_of: "2022-01-01"', 1),
    "entry dropped": lambda t: t[: t.rindex("  - label:")],
    "entries apart": entries_apart,
    "label changed": lambda t: t.replace('"Work RVU"', '"Work RVUs"'),
    "source of another year": lambda t: t.replace("2022 National", "2021 National", 1),
    "no benchmarks": lambda t: t[: t.index("\nbenchmarks:")] + "\n",
    "empty benchmarks": lambda t: t[: t.index("\nbenchmarks:")] + "\nbenchmarks: []\n",
}


class TestUpToDate:
    """A source is up to date, without an edit, exactly when the edit would change nothing."""

    @pytest.mark.parametrize("variant", VARIANTS)
    def test_agrees_with_the_edit(self, variant: str) -> None:
        pfs = read_pfs(PFS_SAMPLE, "sample.csv")
        imported = code_import(pfs, "55300")
        assert imported is not None
        data = VARIANTS[variant](sample("55300")).encode()
        code, findings = code_from_bytes(data, "55300.yaml", "55300", None)
        assert code is not None, findings
        fast = up_to_date(code.model, code.root, imported)
        assert fast is (edit_source(data, "55300.yaml", imported) is None), variant
        assert fast is (variant in ("as imported", "value written shorter", "indicator unquoted"))

    def test_the_sample_sources_are_up_to_date(self, tmp_path: Path) -> None:
        pfs = read_pfs(PFS_SAMPLE, "sample.csv")
        for code in ("74440", "55300"):
            imported = code_import(pfs, code)
            assert imported is not None
            source, _ = code_from_bytes(sample(code).encode(), "x.yaml", code, None)
            assert source is not None and up_to_date(source.model, source.root, imported)
