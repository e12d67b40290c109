"""Every CPT and HCPCS code form, and only those, in each place that checks a code's form."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import pfs_lines

from report.cli import main
from report.errors import UsageError
from report.release.model import is_source_path, source_path
from report.scaffold import code_system
from report.sources import code_from_bytes, load_sources
from report.sources.models import system_of

# One code of every form: CPT Category I, vaccine (A), Category II (F), administrative
# MAAA (M), Category III (T), proprietary laboratory analyses (U); HCPCS Level II, one
# code of each section letter in use.
CPT = ["74440", "00100", "99213", "0001A", "0031A", "1000F", "0001M", "0042T", "0001U"]
HCPCS = [
    f"{letter}{digits}"
    for letter, digits in zip(
        "ABCDEGHJKLMPQRSTUV",
        [
            "0021",
            "4034",
            "1713",
            "0120",
            "0100",
            "0279",
            "0001",
            "0120",
            "0001",
            "0112",
            "0075",
            "2028",
            "0035",
            "0070",
            "0012",
            "1000",
            "0001",
            "2020",
        ],
        strict=True,
    )
]
ACCEPTED = [(code, "CPT") for code in CPT] + [(code, "HCPCS") for code in HCPCS]

CPT_RULE = "5 digits, or 4 digits then A, F, M, T or U"
HCPCS_RULE = "a letter A to V other than F, I, N and O, then 4 digits"
# Shapes no code system has: another letter after 4 digits, lowercase, a length other
# than 5, digits of another script, a letter that no HCPCS section uses.
REFUSED_CPT = ["7444B", "0001a", "0001Z", "744400", "7444", "\u0667\u0664\u0664\u0664\u0660"]
REFUSED_HCPCS = ["F0001", "I0001", "N0001", "O0001", "W0001", "Z9999", "G279", "G02790"]
REFUSED = REFUSED_CPT + REFUSED_HCPCS


def source(code: str, system: str) -> bytes:
    """Return a minimal code source for code in system."""
    return f'code: "{code}"\nsystem: {system}\ntitle: "T"\n'.encode()


class TestSystemOf:
    """Each form names its system; a shape of neither system names none."""

    @pytest.mark.parametrize(("code", "system"), ACCEPTED)
    def test_accepted(self, code: str, system: str) -> None:
        assert system_of(code) == system

    @pytest.mark.parametrize("code", REFUSED)
    def test_refused(self, code: str) -> None:
        assert system_of(code) is None


class TestValidator:
    """`check` accepts a source of every form and refuses another shape with its rule."""

    @pytest.mark.parametrize(("code", "system"), ACCEPTED)
    def test_accepted(self, code: str, system: str) -> None:
        valid, findings = code_from_bytes(source(code, system), f"{code}.yaml", code, None)
        assert (valid is not None, findings) == (True, [])

    @pytest.mark.parametrize(
        ("code", "system", "rule"),
        [(code, "CPT", CPT_RULE) for code in REFUSED_CPT]
        + [(code, "HCPCS", HCPCS_RULE) for code in REFUSED_HCPCS],
    )
    def test_refused(self, code: str, system: str, rule: str) -> None:
        _, findings = code_from_bytes(source(code, system), "x.yaml", code, None)
        # (digits of another script are also refused as characters no bundled font has)
        assert [str(f) for f in findings][:1] == [
            f'x.yaml:1:7: "{code}" is not a valid {system} code ({rule})'
        ]

    def test_file_named_by_a_letter_form_loads(self, sources_copy: Path) -> None:
        (sources_copy / "codes" / "0001A.yaml").write_bytes(source("0001A", "CPT"))
        loaded = load_sources(sources_copy, "sources")
        assert loaded.errors == []
        assert "0001A" in [code.code for code in loaded.codes]


class TestNew:
    """`new` infers the system of every form and refuses another shape with its rule."""

    @pytest.mark.parametrize(("code", "system"), ACCEPTED)
    def test_system_inferred(self, code: str, system: str) -> None:
        assert code_system(code, None) == system

    @pytest.mark.parametrize(
        ("code", "message"),
        [
            ("7444B", f'"7444B" is not a valid CPT code ({CPT_RULE})'),
            ("0001a", f'"0001a" is not a valid CPT code ({CPT_RULE}); did you mean "0001A"?'),
            ("F0001", f'"F0001" is not a valid HCPCS code ({HCPCS_RULE})'),
            ("o0001", f'"o0001" is not a valid HCPCS code ({HCPCS_RULE})'),
        ],
    )
    def test_refused(self, code: str, message: str) -> None:
        with pytest.raises(UsageError) as caught:
            code_system(code, None)
        assert str(caught.value) == message

    @pytest.mark.parametrize("code", ["0001A", "0002A", "0011A", "1000F", "0001M", "U0001"])
    def test_writes_a_valid_skeleton(self, sources_copy: Path, code: str) -> None:
        cwd = os.getcwd()
        os.chdir(sources_copy.parent)
        try:
            result = CliRunner().invoke(main, ["new", code])
        finally:
            os.chdir(cwd)
        assert result.exit_code == 0, result.output
        assert load_sources(sources_copy).errors == []


def pfs_with_codes(tmp_path: Path, codes: list[str]) -> Path:
    """Return the sample file with one row (a copy of 99213's) for each code."""
    lines = pfs_lines()
    template = next(line for line in lines if line.startswith(b"99213,"))
    rows = [template.replace(b"99213,", f"{code},".encode(), 1) for code in codes]
    path = tmp_path / "PPRRVU22_JAN.csv"
    end = lines.index(b"") if b"" in lines else len(lines)
    path.write_bytes(b"\r\n".join(lines[:end] + rows) + b"\r\n")
    return path


class TestImporterCreate:
    """`import-pfs --create` makes a source for every form and names any other shape."""

    def test_every_form_created_and_others_named(self, sources_copy: Path, tmp_path) -> None:
        codes = [code for code, _ in ACCEPTED if code not in ("74440", "99213", "G0279")]
        odd = ["F0001", "N0001", "0001Z"]
        csv = pfs_with_codes(tmp_path, codes + odd)
        result = CliRunner().invoke(
            main, ["import-pfs", str(csv), *codes, *odd, "--sources", str(sources_copy), "--create"]
        )
        assert result.exit_code == 0, result.output
        created = [
            line.split(":")[0] for line in result.stdout.splitlines() if ".yaml created" in line
        ]
        assert created == codes
        assert [line for line in result.stdout.splitlines() if "no source" in line] == [
            f"{code}: not a CPT or HCPCS code; no source created" for code in odd
        ]
        loaded = load_sources(sources_copy)
        assert loaded.errors == []
        systems = {c.code: c.model.system for c in loaded.codes}
        assert {code: systems[code] for code in codes} == {
            code: system for code, system in ACCEPTED if code in codes
        }

    def test_the_vaccine_codes_of_the_file(self, sources_copy: Path, tmp_path) -> None:
        vaccines = ["0001A", "0002A", "0003A", "0011A", "0012A", "0013A", "0031A"]
        csv = pfs_with_codes(tmp_path, vaccines)
        result = CliRunner().invoke(
            main, ["import-pfs", str(csv), "--sources", str(sources_copy), "--create"]
        )
        assert result.exit_code == 0, result.output
        assert "not a CPT or HCPCS code" not in result.stdout
        for code in vaccines:
            text = (sources_copy / "codes" / f"{code}.yaml").read_text(encoding="utf-8")
            assert f'code: "{code}"\nsystem: CPT\n' in text


class TestReleaseNames:
    """A release embeds and lists CODE.yaml for a code of every form, and no other name."""

    @pytest.mark.parametrize(("code", "system"), ACCEPTED)
    def test_accepted(self, code: str, system: str) -> None:
        assert source_path(f"{code}.yaml") == f"codes/{code}.yaml"
        assert is_source_path(f"codes/{code}.yaml")

    @pytest.mark.parametrize("code", REFUSED)
    def test_refused(self, code: str) -> None:
        assert source_path(f"{code}.yaml") is None
        assert not is_source_path(f"codes/{code}.yaml")
