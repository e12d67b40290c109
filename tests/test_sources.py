"""Source validation: the invalid corpus, the valid variants and the located YAML loader."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from conftest import FIXTURES, SAMPLE_SOURCES

from report.cli import main
from report.errors import SourceError
from report.sources import load_sources
from report.sources.yaml import MAX_DEPTH, MAX_FILE_BYTES, MAX_NODES, parse_yaml

INVALID = FIXTURES / "invalid"
VALID = FIXTURES / "valid"
INVALID_CASES = sorted(p.name for p in INVALID.iterdir() if p.is_dir())
VALID_CASES = sorted(p.name for p in VALID.iterdir() if p.is_dir())


def _cases() -> list:
    return [pytest.param(name, id=name) for name in INVALID_CASES]


def check(folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Result:
    """Copy folder to tmp_path/sources and run `check --sources sources` from tmp_path."""
    shutil.copytree(folder, tmp_path / "sources", ignore=shutil.ignore_patterns("expected.txt"))
    monkeypatch.chdir(tmp_path)
    return CliRunner().invoke(main, ["check", "--sources", "sources"])


def error_lines(stderr: str) -> list[str]:
    """Return the located error lines: no summary line, no notices."""
    return [
        line
        for line in stderr.splitlines()
        if line.startswith("sources") and ": notice: " not in line
    ]


def expected_lines(case: str) -> list[str]:
    """Return the error lines a case's expected.txt holds."""
    return (INVALID / case / "expected.txt").read_text(encoding="utf-8").splitlines()


def parse_error(text: str | bytes) -> str:
    """Parse text that must fail and return its single error line."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    with pytest.raises(SourceError) as caught:
        parse_yaml(data, "f.yaml")
    (line,) = caught.value.lines()
    return line


class TestCorpus:
    """The invalid corpus is large enough and every case says what it expects."""

    def test_corpus_covers_at_least_25_cases(self) -> None:
        assert len(INVALID_CASES) >= 25

    @pytest.mark.parametrize("case", INVALID_CASES)
    def test_expected_lines_are_located_errors(self, case: str) -> None:
        lines = expected_lines(case)
        assert lines, f"{case}/expected.txt is empty"
        for line in lines:
            path, line_no, column, message = line.split(":", 3)
            assert path.startswith("sources/") and line_no.isdigit() and column.isdigit()
            assert message.startswith(" ") and len(message) > 10


class TestInvalidSources:
    """`check` on a source with one problem prints exactly its located error and exits 1."""

    @pytest.mark.parametrize("case", _cases())
    def test_check_prints_exact_errors(
        self, case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        result = check(INVALID / case, tmp_path, monkeypatch)
        assert "Traceback" not in result.output
        assert isinstance(result.exception, SystemExit), repr(result.exception)
        assert result.exit_code == 1
        assert error_lines(result.stderr) == expected_lines(case)
        assert result.stderr.splitlines()[-1].endswith(
            f"{len(expected_lines(case))} error{'s' * (len(expected_lines(case)) != 1)}"
        )


class TestValidSources:
    """Every valid variant and the sample sources load with no errors and every code file."""

    @pytest.mark.parametrize(
        "folder",
        [VALID / name for name in VALID_CASES] + [SAMPLE_SOURCES],
        ids=[*VALID_CASES, "sample"],
    )
    def test_loads_without_errors(self, folder: Path) -> None:
        sources = load_sources(folder, "sources")
        assert [str(error) for error in sources.errors] == []
        assert sources.publication is not None
        stems = sorted(p.stem for p in (folder / "codes").glob("*.yaml"))
        assert stems and [code.code for code in sources.codes] == stems

    def test_bom_crlf_and_anchors_load_as_plain_values(self) -> None:
        data = (VALID / "anchors-and-nulls" / "codes" / "74440.yaml").read_bytes()
        assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" in data  # the fixture is intact
        sources = load_sources(VALID / "anchors-and-nulls", "sources")
        by_code = {code.code: code.model for code in sources.codes}
        assert by_code["74440"].title == "Imaging of Vas Deferens"
        assert by_code["74440"].summary == "A short summary."  # no stray \r from CRLF
        first, second = by_code["0001F"].benchmarks
        assert first.source == second.source == "CMS"
        assert (first.component, second.component) == ("global", "TC")
        assert by_code["0001F"].summary is None and by_code["0001F"].overview is None


class TestAllErrorsAtOnce:
    """One `check` run reports the problems of every bad file, not just the first."""

    def test_errors_from_several_files_in_one_run(self, cli, tmp_path: Path) -> None:
        sources = tmp_path / "sources"
        (sources / "codes").mkdir(parents=True)
        parts = {
            "publication.yaml": "pub-language-invalid/publication.yaml",
            "codes/74440.yaml": "code-modifier-duplicate/codes/74440.yaml",
            "codes/W1234.yaml": "code-hcpcs-pattern/codes/W1234.yaml",
        }
        for target, source in parts.items():
            shutil.copyfile(INVALID / source, sources / target)
        shutil.copyfile(VALID / "full" / "codes" / "J1234.yaml", sources / "codes" / "J1234.yaml")
        expected = sorted(
            line
            for case in ("pub-language-invalid", "code-modifier-duplicate", "code-hcpcs-pattern")
            for line in expected_lines(case)
        )

        result = cli("check", "--sources", "sources", cwd=tmp_path)

        assert result.code == 1
        assert "Traceback" not in result.stderr
        assert sorted(error_lines(result.stderr)) == expected
        assert len(expected) == 3
        assert result.stderr.splitlines()[-1].startswith("1 valid code source; 3 errors")


class TestLocatedLoader:
    """parse_yaml keeps where every value starts and refuses unsafe or oversized input."""

    def test_nested_values_keep_line_and_column(self) -> None:
        root = parse_yaml(b"a: 1\nb:\n  c: [1, {d: x}]\n  e:\n    - f: true\n", "f.yaml")
        d = root.children["b"].children["c"].children[1].children["d"]
        assert (d.value, d.line, d.column, d.key_line, d.key_column) == ("x", 3, 14, 3, 11)
        f = root.children["b"].children["e"].children[0].children["f"]
        assert (f.value, f.line, f.column) == (True, 5, 10)
        assert root.plain() == {"a": 1, "b": {"c": [1, {"d": "x"}], "e": [{"f": True}]}}

    def test_find_returns_deepest_node_and_missing_step(self) -> None:
        root = parse_yaml(b"a:\n  b: [10, 20]\n", "f.yaml")
        node, missing = root.find(("a", "b", 1))
        assert (node.value, missing) == (20, None)
        node, missing = root.find(("a", "z", 0))
        assert (node.line, node.column, missing) == (2, 3, "z")

    def test_duplicate_key_names_both_lines(self) -> None:
        line = parse_error("top:\n  x: 1\n  y: 2\n  x: 3\n")
        assert line == 'f.yaml:4:3: duplicate key "x" (first given at line 2)'

    def test_duplicate_key_in_list_item(self) -> None:
        line = parse_error("- a: 1\n  a: 2\n")
        assert line == 'f.yaml:2:3: duplicate key "a" (first given at line 1)'

    @pytest.mark.parametrize(
        "tag", ["!!python/object:os.system", "!!binary", "!!set", "!!omap", "!custom"]
    )
    def test_non_standard_tags_are_refused(self, tag: str) -> None:
        value = (
            "{x: 1}"
            if tag in ("!!set", "!!python/object:os.system")
            else "[{x: 1}]"
            if tag == "!!omap"
            else "aGVsbG8="
        )
        line = parse_error(f"a: 1\nb: {tag} {value}\n")
        assert line == (
            f'f.yaml:2:4: the tag "{tag}" is not allowed; sources hold plain YAML values only'
        )

    def test_core_tags_are_accepted(self) -> None:
        root = parse_yaml(b'a: !!str 74440\nb: !!int "3"\n', "f.yaml")
        assert root.plain() == {"a": "74440", "b": 3}

    def test_small_aliases_are_expanded(self) -> None:
        root = parse_yaml(b"a: &x {b: 1}\nc: *x\n", "f.yaml")
        assert root.plain() == {"a": {"b": 1}, "c": {"b": 1}}

    def test_billion_laughs_is_stopped(self) -> None:
        lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
        for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
            lines.append(f"{name}: &{name} [{', '.join([f'*{prev}'] * 9)}]")
        # 9 ** 9 (387 million) values once expanded, from a 700-byte file.
        line = parse_error("\n".join(lines) + "\n")
        assert line.startswith("f.yaml:")
        assert line.endswith(
            f"the file holds more than {MAX_NODES:,} keys and values "
            "(aliases counted as expanded); a source may hold no more"
        )

    def test_nesting_limit(self) -> None:
        deep = MAX_DEPTH + 5
        line = parse_error("x: " + "[" * deep + "]" * deep + "\n")
        assert line.endswith(f"values are nested more than {MAX_DEPTH} levels deep")
        ok = MAX_DEPTH - 2
        assert parse_yaml(("x: " + "[" * ok + "]" * ok).encode(), "f.yaml").children["x"]

    def test_size_limit(self) -> None:
        body = b'a: "' + b"x" * (MAX_FILE_BYTES - 6) + b'"\n'
        assert len(body) == MAX_FILE_BYTES
        assert len(parse_yaml(body, "f.yaml").children["a"].value) == MAX_FILE_BYTES - 6
        line = parse_error(body + b"\n")
        assert line == (
            f"f.yaml:1:1: the file is {MAX_FILE_BYTES + 1:,} bytes; "
            f"a source may be at most {MAX_FILE_BYTES:,} bytes"
        )

    def test_invalid_utf8_is_located(self) -> None:
        assert (
            parse_error(b"a: 1\nbb: cafe \xff\n")
            == "f.yaml:2:10: the file is not valid UTF-8 (byte 0xff)"
        )

    def test_invalid_utf8_column_counts_characters(self) -> None:
        assert (
            parse_error(b"a: 1\nbb: caf\xc3\xa9 \xff\n")
            == "f.yaml:2:10: the file is not valid UTF-8 (byte 0xff)"
        )

    @pytest.mark.parametrize("text", ["", "   \n\n", "# only a comment\n"])
    def test_empty_documents(self, text: str) -> None:
        assert parse_error(text) == "f.yaml:1:1: the file is empty; expected a mapping of keys"

    def test_date_with_time_keeps_its_text(self) -> None:
        root = parse_yaml(b"a: 2026-11-01\nb: 2026-11-01 09:30:00\n", "f.yaml")
        assert str(root.children["a"].value) == "2026-11-01"
        assert root.children["b"].value == "2026-11-01 09:30:00"

    def test_syntax_error_is_located(self) -> None:
        assert (
            parse_error("a: [1, 2\nb: 3\n")
            == 'f.yaml:1:4: invalid YAML: a list opened with "[" is not closed with "]"'
        )
