"""`import-pfs`: the figures it derives, the entries it owns, and the sources it writes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import Result
from conftest import FIXTURES, PFS_SAMPLE, PFS_SOURCE, SAMPLE_SOURCES, pfs_lines
from in_process import hashes, run

from report.assemble import IndicatorRow, assemble
from report.errors import SourceError
from report.pfs.importer import plan_import
from report.pfs.plan import code_import, owned
from report.pfs.reader import parse_pfs, read_pfs
from report.pfs.writer import edit_source
from report.sources import code_from_bytes, load_sources

COMMENTED = FIXTURES / "pfs" / "commented"
COMPUTED = f"Computed from the {PFS_SOURCE}"


def import_pfs(sources: Path, *args: str, csv: Path = PFS_SAMPLE) -> Result:
    """Run `import-pfs CSV --sources SOURCES ARGS`."""
    return run("import-pfs", str(csv), "--sources", str(sources), *args)


def strip_imported(source: Path) -> None:
    """Remove a sample source's benchmarks and indicators, as before its first import."""
    text = source.read_text(encoding="utf-8")
    text = text[: text.index("\nbenchmarks:\n")]
    start = text.index("indicators:\n")
    end = text.index("\n\n", start) + 2
    source.write_text(text[:start] + text[end:], encoding="utf-8")


@pytest.fixture
def stripped(sources_copy: Path) -> Path:
    """Return a copy of the sample sources with no imported entries."""
    for code in ("74440", "55300"):
        strip_imported(sources_copy / "codes" / f"{code}.yaml")
    return sources_copy


@pytest.fixture(scope="module")
def pfs():
    """Return the sample relative value file, read."""
    return read_pfs(PFS_SAMPLE, "sample.csv")


def figures(pfs, code: str) -> list[tuple[str, str, str, str]]:
    """Return a code's imported figures as (component, label, value, unit)."""
    imported = code_import(pfs, code)
    assert imported is not None
    return [(f.component, f.label, str(f.value), f.unit) for f in imported.figures]


class TestFigures:
    """Each of the global, 26 and TC rows gives RVUs, totals and a computed payment."""

    def test_74440(self, pfs) -> None:
        payment = "National unadjusted {}payment (computed: {} total RVU × $34.6062)"
        assert figures(pfs, "74440") == [
            ("global", "Work RVU", "0.38", "RVU"),
            ("global", "Non-facility practice expense RVU", "2.56", "RVU"),
            ("global", "Malpractice RVU", "0.02", "RVU"),
            ("global", "Total non-facility RVU", "2.96", "RVU"),
            ("global", "Conversion factor", "34.6062", "USD"),
            ("global", payment.format("non-facility ", "2.96"), "102.43", "USD"),
            ("26", "Work RVU", "0.38", "RVU"),
            ("26", "Practice expense RVU", "0.13", "RVU"),
            ("26", "Malpractice RVU", "0.01", "RVU"),
            ("26", "Total RVU", "0.52", "RVU"),
            ("26", payment.format("", "0.52"), "18.00", "USD"),
            ("TC", "Work RVU", "0.00", "RVU"),
            ("TC", "Non-facility practice expense RVU", "2.43", "RVU"),
            ("TC", "Malpractice RVU", "0.01", "RVU"),
            ("TC", "Total non-facility RVU", "2.44", "RVU"),
            ("TC", payment.format("non-facility ", "2.44"), "84.44", "USD"),
        ]

    def test_source_and_as_of(self, pfs) -> None:
        imported = code_import(pfs, "74440")
        assert {(f.source, f.as_of.isoformat()) for f in imported.figures} == {
            (PFS_SOURCE, "2022-01-01"),
            (COMPUTED, "2022-01-01"),
        }
        assert all(f.source == COMPUTED for f in imported.figures if "computed" in f.label)

    def test_non_facility_na_is_left_out(self, pfs) -> None:
        labels = [label for _, label, _, _ in figures(pfs, "55300")]
        assert "Facility practice expense RVU" in labels and "Total facility RVU" in labels
        assert not [label for label in labels if "on-facility" in label]

    def test_two_settings_that_differ_are_both_given(self, pfs) -> None:
        given = {label: value for _, label, value, _ in figures(pfs, "99213")}
        assert given["Non-facility practice expense RVU"] == "1.26"
        assert given["Facility practice expense RVU"] == "0.55"
        assert (
            given["National unadjusted facility payment (computed: 1.95 total RVU × $34.6062)"]
            == "67.48"
        )  # 67.482090 rounded to the cent

    def test_indicators_come_from_the_global_row(self, pfs) -> None:
        assert code_import(pfs, "74440").indicators == {
            "status": "A",
            "global_period": "XXX",
            "pc_tc": "1",
            "status_26": "A",
            "status_tc": "A",
        }
        assert code_import(pfs, "55300").indicators == {
            "status": "A",
            "global_period": "000",
            "pc_tc": "0",
        }

    def test_rows_the_schedule_does_not_pay_give_no_figures(self, pfs) -> None:
        imported = code_import(pfs, "74445")
        assert {f.component for f in imported.figures} == {"26"}
        assert imported.indicators["status"] == "C"
        assert imported.skipped == (
            "global row (line 21): status C (carriers price the code); no relative values written",
            "TC row (line 22): status C (carriers price the code); no relative values written",
        )

    def test_a_code_the_file_lacks(self, pfs) -> None:
        assert code_import(pfs, "74441") is None

    @pytest.mark.parametrize(
        "source,mine",
        [
            (PFS_SOURCE, True),
            (COMPUTED, True),
            ("2019 National Physician Fee Schedule Relative Value File October Release", True),
            ("CMS PFS relative value file, January 2022 release (PPRRVU22_JAN)", False),
            ("Regional charge survey, 2021", False),
        ],
    )
    def test_entries_it_owns(self, source: str, mine: bool) -> None:
        assert owned(source) is mine


class TestSampleSources:
    """The sample sources' indicators and benchmarks are exactly what the importer writes."""

    def test_importing_the_sample_changes_nothing(self, sources_copy: Path) -> None:
        before = hashes(sources_copy)
        result = import_pfs(sources_copy)
        assert result.exit_code == 0, result.output
        assert result.stdout.splitlines() == ["55300: up to date", "74440: up to date"]
        assert hashes(sources_copy) == before

    def test_stripped_sources_are_rebuilt_byte_for_byte(self, stripped: Path) -> None:
        assert import_pfs(stripped).exit_code == 0
        for code in ("74440", "55300"):
            path = f"codes/{code}.yaml"
            assert (stripped / path).read_bytes() == (SAMPLE_SOURCES / path).read_bytes(), path


class TestRepeatable:
    """A second import of the same file changes no byte."""

    def test_twice_is_byte_identical(self, stripped: Path) -> None:
        first = import_pfs(stripped)
        assert "74440: " in first.stdout and "updated" in first.stdout
        after_first = hashes(stripped)
        second = import_pfs(stripped)
        assert second.exit_code == 0
        assert hashes(stripped) == after_first
        assert second.stdout.splitlines() == ["55300: up to date", "74440: up to date"]

    def test_written_files_load_back_to_the_same_text(self, pfs) -> None:
        data = (COMMENTED / "sources" / "codes" / "74440.yaml").read_bytes()
        written = edit_source(data, "74440.yaml", code_import(pfs, "74440"))
        assert written is not None
        assert edit_source(written, "74440.yaml", code_import(pfs, "74440")) is None


class TestKeepsWhatItDoesNotOwn:
    """Comments, hand-written benchmarks, key order and layout survive an import."""

    @pytest.fixture
    def imported(self, tmp_path: Path) -> Path:
        shutil.copytree(COMMENTED / "sources", tmp_path / "sources")
        result = import_pfs(tmp_path / "sources")
        assert result.exit_code == 0, result.output
        return tmp_path / "sources" / "codes" / "74440.yaml"

    def test_output_is_the_expected_file(self, imported: Path) -> None:
        assert imported.read_text(encoding="utf-8") == (
            COMMENTED / "expected-74440.yaml"
        ).read_text(encoding="utf-8")

    def test_every_comment_is_kept(self, imported: Path) -> None:
        original = (COMMENTED / "sources" / "codes" / "74440.yaml").read_text(encoding="utf-8")
        text = imported.read_text(encoding="utf-8")
        comments = [line[line.index("#") :] for line in original.splitlines() if "#" in line]
        assert len(comments) == 11
        assert [c for c in comments if c not in text] == []

    def test_hand_written_benchmarks_are_kept(self, imported: Path) -> None:
        (code,) = load_sources(imported.parents[1]).codes
        hand = [(b.label, b.value, b.source) for b in code.model.benchmarks if not owned(b.source)]
        assert hand == [
            ("Median billed charge", 180.0, "Regional charge survey, 2021"),
            ("Films per study", 3.0, "Department log"),
        ]
        assert not [b for b in code.model.benchmarks if b.source.startswith("2021")]

    def test_key_order_is_kept(self, imported: Path) -> None:
        keys = [
            line.split(":")[0]
            for line in imported.read_text(encoding="utf-8").splitlines()
            if line[:1].isalpha()
        ]
        assert keys == [
            "code",
            "system",
            "title",
            "overview",
            "indicators",
            "modifiers",
            "benchmarks",
            "references",
        ]

    def test_a_file_ruamel_cannot_write_back_is_refused(self, pfs, tmp_path: Path) -> None:
        data = b'code: "74440"\nsystem: CPT\ntitle: "X"\nsummary: null\n'
        with pytest.raises(SourceError) as caught:
            edit_source(data, "74440.yaml", code_import(pfs, "74440"))
        assert caught.value.lines() == [
            "74440.yaml:4:1: the importer cannot keep this file's formatting: it would write "
            'this line as "summary:"; write it that way (or import other codes only), then '
            "import again"
        ]


def unpaid_55300() -> bytes:
    """Return the sample with 55300's only row set to status C: the file then gives no RVUs."""
    lines = pfs_lines()
    lines[13] = lines[13].replace(b"x-ray,A,", b"x-ray,C,")
    return b"\r\n".join(lines)


OLD_SOURCE = (
    "2021 National Physician Fee Schedule Relative Value File October Release, released 09/30/2021"
)
OLD_WORK_RVU = f"""  - label: "Work RVU"
    value: 3.50
    unit: RVU
    source: "{OLD_SOURCE}"
    as_of: 2021-10-01
"""
HAND = """  - label: "Hand count"
    value: 1.00
    unit: films
    source: "Log"
    as_of: 2021-10-01
"""
HEAD = 'code: "55300"\nsystem: CPT\ntitle: "V"\n\n'
INDICATORS_C = 'indicators:\n  status: "C"\n  global_period: "000"\n  pc_tc: "0"\n\n'


class TestGaps:
    """Blank and comment lines next to removed or inserted entries stay in their gap."""

    def edit(self, text: str) -> str:
        imported = code_import(parse_pfs(unpaid_55300(), "f.csv"), "55300")
        result = edit_source(text.encode("utf-8"), "55300.yaml", imported)
        assert result is not None
        assert edit_source(result, "55300.yaml", imported) is None
        return result.decode("utf-8")

    def test_emptied_list_is_dropped_and_the_next_comment_kept(self) -> None:
        text = HEAD + "benchmarks:\n" + OLD_WORK_RVU + "\n# closing\nreferences:\n  - title: R\n"
        assert self.edit(text) == HEAD + INDICATORS_C + "# closing\nreferences:\n  - title: R\n"

    def test_emptied_list_at_the_end(self) -> None:
        assert self.edit(HEAD + "benchmarks:\n" + OLD_WORK_RVU) == HEAD + INDICATORS_C.removesuffix(
            "\n"
        )

    def test_comment_after_a_removed_first_entry_opens_the_list(self) -> None:
        text = HEAD + "benchmarks:\n  # opening\n" + OLD_WORK_RVU + "  # ours\n" + HAND
        assert (
            self.edit(text) == HEAD + INDICATORS_C + "benchmarks:\n  # opening\n  # ours\n" + HAND
        )

    def test_bom_and_crlf_are_kept(self, pfs) -> None:
        data = '\ufeffcode: "55300"\r\nsystem: CPT\r\ntitle: "V"  # short\r\n'.encode()
        written = edit_source(data, "55300.yaml", code_import(pfs, "55300"))
        assert written.startswith(
            '\ufeffcode: "55300"\r\nsystem: CPT\r\ntitle: "V"  # short\r\nindicators:\r\n'.encode()
        )
        assert written.count(b"\n") == written.count(b"\r\n")


class TestCodes:
    """Codes the file lacks are listed and left alone; named codes limit the import."""

    def test_codes_the_file_lacks_are_listed(self, stripped: Path) -> None:
        extra = stripped / "codes" / "74441.yaml"
        extra.write_text('code: "74441"\nsystem: CPT\ntitle: "Not in the file"\n', encoding="utf-8")
        before = extra.read_bytes()
        result = import_pfs(stripped)
        assert result.exit_code == 0
        assert "74441: not in pprrvu22-sample.csv; left untouched" in result.stdout.splitlines()
        assert extra.read_bytes() == before
        assert "1 not in the file" in result.stderr

    def test_named_codes_only(self, stripped: Path) -> None:
        before = (stripped / "codes" / "55300.yaml").read_bytes()
        result = import_pfs(stripped, "74440")
        assert result.stdout.splitlines()[0] == f"74440: {stripped}/codes/74440.yaml updated"
        assert "55300" not in result.stdout
        assert (stripped / "codes" / "55300.yaml").read_bytes() == before

    def test_rows_without_a_source_are_ignored(self, sources_copy: Path) -> None:
        result = import_pfs(sources_copy)
        assert "71045" not in result.output
        assert not (sources_copy / "codes" / "71045.yaml").exists()

    def test_a_named_code_without_a_source_says_how_to_create_it(self, sources_copy: Path) -> None:
        result = import_pfs(sources_copy, "71045")
        assert result.stdout.splitlines() == [
            "71045: in pprrvu22-sample.csv but has no source; --create makes one"
        ]
        assert not (sources_copy / "codes" / "71045.yaml").exists()


class TestNamedCodesNotInTheFile:
    """A named code the file lacks refuses the whole run: every such code said, nothing written."""

    @pytest.mark.parametrize(
        ("args", "source", "expected"),
        [
            (
                ("74441",),
                False,
                [
                    "74441: neither in pprrvu22-sample.csv nor in the sources",
                    "{file}: nothing written: 1 named code not in the file",
                ],
            ),
            (
                ("74440", "74441"),
                True,
                [
                    "74441: not in pprrvu22-sample.csv; left untouched",
                    "{file}: nothing written: 1 named code not in the file",
                ],
            ),
            (
                ("74441", "74440", "99999", "--dry-run"),
                True,
                [
                    "74441: not in pprrvu22-sample.csv; left untouched",
                    "99999: neither in pprrvu22-sample.csv nor in the sources",
                    "{file}: nothing written: 2 named codes not in the file",
                ],
            ),
            (
                ("99999", "55300", "--create"),
                False,
                [
                    "99999: neither in pprrvu22-sample.csv nor in the sources",
                    "{file}: nothing written: 1 named code not in the file",
                ],
            ),
        ],
    )
    def test_refused(self, stripped: Path, pfs, args, source, expected) -> None:
        if source:
            (stripped / "codes" / "74441.yaml").write_text(
                'code: "74441"\nsystem: CPT\ntitle: "Not in the file"\n', encoding="utf-8"
            )
        before = hashes(stripped)
        result = import_pfs(stripped, *args)
        assert result.exit_code == 1
        assert result.stdout == ""
        assert result.stderr.splitlines() == [line.format(file=pfs.described) for line in expected]
        assert hashes(stripped) == before

    def test_every_named_code_in_the_file_still_writes(self, stripped: Path) -> None:
        result = import_pfs(stripped, "74440", "55300")
        assert result.exit_code == 0, result.output
        assert "not in the file" not in result.stdout


class TestCreate:
    """--create writes a sparse, valid source for each code of the file that has none."""

    def test_create_named(self, sources_copy: Path) -> None:
        result = import_pfs(sources_copy, "71045", "--create")
        assert result.exit_code == 0, result.output
        text = (sources_copy / "codes" / "71045.yaml").read_text(encoding="utf-8")
        assert text.startswith(
            "# CPT 71045: created by `report import-pfs` from the 2022 National Physician Fee\n"
        )
        assert (
            'code: "71045"\nsystem: CPT\ntitle: "X-ray exam chest 1 view"\n\nindicators:\n'
            '  status: "A"\n  global_period: "XXX"\n  pc_tc: "1"\n  status_26: "A"\n'
            '  status_tc: "A"\n\nbenchmarks:\n' in text
        )
        assert run("check", "--sources", str(sources_copy)).exit_code == 0

    def test_create_all_then_nothing_left_to_do(self, sources_copy: Path) -> None:
        assert import_pfs(sources_copy, "--create").exit_code == 0
        assert sorted(p.stem for p in (sources_copy / "codes").glob("*.yaml")) == [
            "55300",
            "71045",
            "74440",
            "74445",
            "74450",
            "74455",
            "76870",
            "76872",
            "77065",
            "99213",
            "G0279",
        ]
        assert "HCPCS" in (sources_copy / "codes" / "G0279.yaml").read_text(encoding="utf-8")
        before = hashes(sources_copy)
        again = import_pfs(sources_copy, "--create")
        assert hashes(sources_copy) == before
        assert "11 up to date" in again.stderr


class TestNothingWrittenOnFailure:
    """A malformed file or a bad source stops the import before any source is written."""

    @pytest.mark.parametrize(
        "line,old,new,error",
        [
            (
                1,
                b"Relative Value File",
                b"Value File",
                "1: the first line must be the file's title, such as \"2022 National Physician Fee "
                'Schedule Relative Value File January Release"; found "2022 National Physician Fee '
                'Schedule Value File January Release"',
            ),
            (
                9,
                b",WORK,",
                b",LABOR,",
                '10: the column header has no "WORK RVU" column; is this a CMS PPRRVU file?',
            ),
            (39, b",1.26,", b",1.2.6,", '39: NON-FAC PE RVU is "1.2.6", not a number'),
            (
                39,
                b",0.55,,0.10,2.66,1.95,0,XXX,0.00,0.00,0.00,0,0,0,0,0,,34.6062,09,0,99,0.00,"
                b"0.00,0.00",
                b"",
                "39: the row has 8 fields; the column header has 31 (is the row cut short?)",
            ),
        ],
        ids=["title", "header", "number", "truncated"],
    )
    def test_malformed_file(
        self, stripped: Path, pfs_file, line: int, old: bytes, new: bytes, error: str
    ) -> None:
        def edit(lines: list[bytes]) -> None:
            assert old in lines[line - 1]
            lines[line - 1] = lines[line - 1].replace(old, new, 1)

        broken = pfs_file(edit)
        before = hashes(stripped)
        result = import_pfs(stripped, csv=broken)
        assert result.exit_code == 1
        assert result.stderr.splitlines() == [f"{broken}:{error}"]
        assert result.stdout == ""
        assert hashes(stripped) == before

    def test_bad_source_among_the_codes(self, stripped: Path) -> None:
        bad = stripped / "codes" / "55300.yaml"
        bad.write_text(
            bad.read_text(encoding="utf-8").replace("title:", "titel:"), encoding="utf-8"
        )
        before = hashes(stripped)
        result = import_pfs(stripped)
        assert result.exit_code == 1
        assert result.stderr.splitlines()[0].startswith(
            f'{stripped}/codes/55300.yaml:6:1: unknown key "titel"; did you mean "title"?'
        )
        assert hashes(stripped) == before

    def test_every_file_it_cannot_write_back_at_once(self, stripped: Path) -> None:
        for code in ("74440", "55300"):
            source = stripped / "codes" / f"{code}.yaml"
            text = source.read_text(encoding="utf-8")
            source.write_text(text.replace("\ntitle:", "\ndiagnoses: null\ntitle:", 1), "utf-8")
        before = hashes(stripped)
        result = import_pfs(stripped)
        assert result.exit_code == 1
        lines = result.stderr.splitlines()
        assert [line.split(":")[0].rsplit("/", 1)[1] for line in lines] == [
            "55300.yaml",
            "74440.yaml",
        ]
        cannot = "the importer cannot keep this file's formatting: it would write this line as"
        assert all(f'{cannot} "diagnoses:"' in line for line in lines)
        assert hashes(stripped) == before

    def test_plan_raises_before_writing(self, stripped: Path, pfs) -> None:
        bad = stripped / "publication.yaml"
        bad.write_text("title: 1\n", encoding="utf-8")
        with pytest.raises(SourceError):
            plan_import(pfs, stripped, str(stripped))


class TestDryRun:
    """--dry-run prints per code what would change, and writes nothing."""

    def test_dry_run(self, stripped: Path) -> None:
        before = hashes(stripped)
        result = import_pfs(stripped, "--dry-run")
        assert result.exit_code == 0
        assert hashes(stripped) == before
        lines = result.stdout.splitlines()
        assert lines[:4] == [
            f"55300: {stripped}/codes/55300.yaml would be updated",
            '  indicators.status: "A"',
            '  indicators.global_period: "000"',
            '  indicators.pc_tc: "0"',
        ]
        assert "  + 26: Total RVU 0.52 RVU" in lines
        assert "  + TC: Total non-facility RVU 2.44 RVU" in lines
        assert result.stderr.strip().endswith("; dry run, nothing written")

    def test_changed_value_is_shown_old_and_new(self, sources_copy: Path) -> None:
        source = sources_copy / "codes" / "74440.yaml"
        text = source.read_text(encoding="utf-8")
        source.write_text(text.replace("value: 2.44", "value: 2.45"), encoding="utf-8")
        result = import_pfs(sources_copy, "74440", "--dry-run")
        assert result.stdout.splitlines()[1:] == [
            "  ~ TC: Total non-facility RVU 2.45 RVU -> 2.44 RVU"
        ]


# Every status code of the fee schedule and what the report prints beside it.
STATUSES = [
    ("A", "active code, paid separately under the physician fee schedule"),
    ("B", "payment always bundled into another service"),
    ("C", "carriers price the code"),
    ("D", "deleted code"),
    ("E", "excluded from the physician fee schedule by regulation"),
    ("F", "deleted code, no grace period"),
    ("G", "not valid for Medicare; another code is used"),
    ("H", "deleted modifier"),
    ("I", "not valid for Medicare purposes; another code is used, with no grace period"),
    ("J", "anesthesia service"),
    ("L", "local code; the Medicare contractor sets its relative values"),
    ("M", "measurement code, for reporting only"),
    ("N", "non-covered service"),
    ("P", "bundled or excluded code"),
    ("Q", "therapy functional information code, for required reporting only"),
    ("R", "restricted coverage"),
    ("T", "injection, paid only when no other service is paid"),
    ("X", "statutory exclusion"),
]


class TestStatusCodes:
    """Every status code is read; the report prints its meaning, and the listing too if unpaid."""

    @pytest.mark.parametrize(("status", "meaning"), STATUSES)
    def test_read_and_explained(self, status: str, meaning: str) -> None:
        lines = pfs_lines()
        lines[17] = lines[17].replace(b"tract,A,", f"tract,{status},".encode(), 1)
        imported = code_import(parse_pfs(b"\r\n".join(lines), "f.csv"), "74440")
        assert imported.indicators["status"] == status
        paid = status in ("A", "R", "T")
        assert ("global" in {f.component for f in imported.figures}) is paid
        note = f"global row (line 18): status {status} ({meaning}); no relative values written"
        assert (note in imported.skipped) is not paid

    @pytest.mark.parametrize(("status", "meaning"), STATUSES)
    def test_report_prints_the_meaning(self, status: str, meaning: str) -> None:
        data = f'code: "74440"\nsystem: CPT\ntitle: "T"\nindicators:\n  status: "{status}"\n'
        code, findings = code_from_bytes(data.encode(), "74440.yaml", "74440", None)
        assert code is not None, findings
        (publication,) = [load_sources(SAMPLE_SOURCES).publication]
        assert publication is not None
        assert assemble(code, publication).indicators == (IndicatorRow("Status", status, meaning),)


class TestPublishedFile:
    """The sample as the full files end, with the DOS end-of-file mark, imports whole."""

    def test_create_from_the_file_with_its_mark(self, sources_copy: Path, pfs_file) -> None:
        def end(lines: list[bytes]) -> None:
            lines[-1:] = [b"\x1a" + b"," * 30, b""]

        csv = pfs_file(end)
        assert csv.read_bytes().endswith(b"0.00\r\n\x1a" + b"," * 30 + b"\r\n")
        result = import_pfs(sources_copy, "--create", csv=csv)
        assert result.exit_code == 0, result.output
        assert result.stderr.endswith(": 0 updated, 9 created, 2 up to date, 0 not in the file\n")
        assert run("check", "--sources", str(sources_copy)).exit_code == 0
