"""`new CODE`: a commented skeleton holding every key of the format, valid as written."""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args, get_origin

import pytest
from click.testing import CliRunner, Result
from conftest import PFS_SAMPLE, SAMPLE_SOURCES, Run, run_cli
from jsonschema import Draft202012Validator
from pydantic import BaseModel
from pypdf import PdfReader

import report.scaffold
from report.assemble import NOT_AVAILABLE, assemble
from report.cli import main
from report.scaffold import CHECKOUT, CODE_SCHEMA, PLACEHOLDER_TITLE, schema_reference, skeleton
from report.sources import code_from_bytes, load_sources
from report.sources.models import CodeSource, PayerEntry
from report.sources.yaml import Node, parse_yaml

NEXT_STEP = "edit it, then run: python build.py check"
EXAMPLE_LINE = re.compile(r"^#(?=  )", re.MULTILINE)  # "#" then two spaces: an example entry
KEY_LINE = re.compile(r"^ *([a-z_]+):")
MARK = "empty: not available"
# What an error of usage ends with: where the documentation explains the command.
POINTER = "see docs/reference/cli.md#new\n"


@dataclass(frozen=True)
class Scaffolded:
    """A copy of the sample sources after `new 99999` and `new G0101 --system HCPCS`."""

    sources: Path
    cpt: Run
    hcpcs: Run
    check: Run
    check_json: Run


@pytest.fixture(scope="module")
def scaffolded(tmp_path_factory: pytest.TempPathFactory) -> Scaffolded:
    """Write both skeletons with the default --sources, then check the folder twice."""
    base = tmp_path_factory.mktemp("new")
    shutil.copytree(SAMPLE_SOURCES, base / "sources")
    cpt = run_cli("new", "99999", cwd=base)
    hcpcs = run_cli("new", "G0101", "--system", "HCPCS", cwd=base)
    return Scaffolded(
        base / "sources",
        cpt,
        hcpcs,
        run_cli("check", cwd=base),
        run_cli("check", "--format", "json", cwd=base),
    )


@pytest.fixture(scope="module")
def skeleton_pdf(scaffolded: Scaffolded) -> Path:
    """Build the CPT skeleton's report once and return its PDF."""
    out = scaffolded.sources.parent / "dist"
    result = run_cli("build", "99999", "--sources", str(scaffolded.sources), "--out", str(out))
    assert result.code == 0, result.stderr
    return out / "99999.pdf"


def skeleton_text(scaffolded: Scaffolded, code: str = "99999") -> str:
    """Return a written skeleton's text."""
    return (scaffolded.sources / "codes" / f"{code}.yaml").read_text(encoding="utf-8")


def tree(text: str) -> Node:
    """Parse YAML text with the builder's own loader."""
    return parse_yaml(text.encode("utf-8"), "skeleton.yaml")


def inner_model(annotation: Any) -> type[BaseModel] | None:
    """Return the model an annotation holds (inside lists, mappings and unions), if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return next(filter(None, map(inner_model, get_args(annotation))), None)


def holds(annotation: Any, origin: type) -> bool:
    """Return whether an annotation is (or is a union with) a list or dict."""
    return get_origin(annotation) is origin or any(holds(a, origin) for a in get_args(annotation))


def missing_keys(model: type[BaseModel], value: Any, where: str = "") -> list[str]:
    """List every field of model, and of the models below it, absent from value."""
    if not isinstance(value, dict):
        return [f"{where or 'the file'} (not a mapping)"]
    missing = []
    for name, field in model.model_fields.items():
        path = f"{where}{name}"
        if name not in value:
            missing.append(path)
            continue
        inner, child = inner_model(field.annotation), value[name]
        if inner is None:
            continue
        if holds(field.annotation, dict):
            entries = list((child or {}).items())
        elif holds(field.annotation, list):
            entries = [(i, entry) for i, entry in enumerate(child or [])] or [(0, None)]
        else:
            entries = [("", child)]
        for key, entry in entries:
            missing += missing_keys(inner, entry, f"{path}.{key}." if key != "" else f"{path}.")
    return missing


class TestNewThenCheck:
    """`new` writes a source that `check` passes, for either code system."""

    def test_prints_what_it_wrote_and_the_next_step(self, scaffolded: Scaffolded) -> None:
        assert (scaffolded.cpt.code, scaffolded.cpt.stderr) == (0, "")
        assert scaffolded.cpt.stdout == f"wrote sources/codes/99999.yaml; {NEXT_STEP}\n"
        assert scaffolded.hcpcs.stdout == f"wrote sources/codes/G0101.yaml; {NEXT_STEP}\n"

    def test_check_passes_with_notices(self, scaffolded: Scaffolded) -> None:
        assert scaffolded.check.code == 0, scaffolded.check.stderr
        summary = scaffolded.check.stderr.splitlines()[-1]
        assert re.fullmatch(r"4 valid code sources; 0 errors, \d+ notices", summary), summary

    def test_json_parses_with_no_errors_and_notices_on_key_lines(
        self, scaffolded: Scaffolded
    ) -> None:
        assert scaffolded.check_json.code == 0
        report = json.loads(scaffolded.check_json.stdout)
        assert (report["errors"], report["valid_codes"]) == (0, 4)
        lines = skeleton_text(scaffolded).splitlines()
        mine = [f for f in report["findings"] if f["path"] == "sources/codes/99999.yaml"]
        assert {f["severity"] for f in mine} == {"notice"} and len(mine) == 20
        title = next(f for f in mine if f["message"].startswith("title:"))
        assert title["message"] == 'title: still "Title to be written", as new wrote it'
        assert lines[title["line"] - 1].startswith("title:")
        summary = next(f for f in mine if f["message"].startswith("Summary & Overview:"))
        assert lines[summary["line"] - 1] == "summary:" and summary["column"] == 1
        benchmarks = next(f for f in mine if f["message"].startswith("Benchmarks:"))
        assert lines[benchmarks["line"] - 1] == "benchmarks:"

    def test_both_systems_load_as_valid_sources(self, scaffolded: Scaffolded) -> None:
        loaded = load_sources(scaffolded.sources)
        assert loaded.errors == []
        systems = {c.code: c.model.system for c in loaded.codes}
        assert (systems["99999"], systems["G0101"]) == ("CPT", "HCPCS")
        second = skeleton_text(scaffolded, "G0101").splitlines()[1]
        assert second.startswith("# HCPCS G0101: a new code source")

    def test_strict_check_counts_every_empty_item(self, scaffolded: Scaffolded) -> None:
        report = json.loads(scaffolded.check_json.stdout)
        result = run_cli("check", "--strict", cwd=scaffolded.sources.parent)
        assert result.code == 1
        assert result.stderr.splitlines()[-1] == f"4 valid code sources; {report['notices']} errors"


class TestEveryKey:
    """The skeleton holds every key of the models, empty, each commented."""

    def test_top_level_keys_are_the_model_fields_in_order(self, scaffolded: Scaffolded) -> None:
        assert list(tree(skeleton_text(scaffolded)).plain()) == list(CodeSource.model_fields)

    def test_nested_keys_and_every_key_payer(self, scaffolded: Scaffolded) -> None:
        value = tree(skeleton_text(scaffolded)).plain()
        for name, field in CodeSource.model_fields.items():
            inner = inner_model(field.annotation)
            if (
                inner is not None
                and not holds(field.annotation, list)
                and not holds(field.annotation, dict)
            ):
                assert list(value[name]) == list(inner.model_fields), name
        assert list(value["payers"]) == ["aetna", "bcbs", "cigna", "unitedhealthcare", "medicare"]
        assert all(
            list(entry) == list(PayerEntry.model_fields) for entry in value["payers"].values()
        )

    def test_examples_hold_every_key_of_list_entries(self, scaffolded: Scaffolded) -> None:
        value = tree(EXAMPLE_LINE.sub("", skeleton_text(scaffolded))).plain()
        first = next(iter(value["payers"]))  # the first payer carries the policy example
        value["payers"] = {first: value["payers"][first]}
        assert missing_keys(CodeSource, value) == []

    def test_an_unfinished_example_is_an_error(self, scaffolded: Scaffolded) -> None:
        uncommented = EXAMPLE_LINE.sub("", skeleton_text(scaffolded)).encode("utf-8")
        valid, findings = code_from_bytes(uncommented, "99999.yaml", "99999", None)
        assert valid is None
        assert all(f.message.endswith("not empty (null)") for f in findings), findings
        named = {re.match(r'"([a-z_.]+)\[1\]', f.message).group(1) for f in findings}
        assert named == {
            "overview.sites_of_service",
            "clinical_context.personnel",
            "clinical_context.settings",
            "modifiers",
            "related_codes",
            "diagnoses",
            "coding_considerations",
            "payers.aetna.policies",
            "benchmarks",
            "references",
        }

    def test_holds_no_value_but_its_identity(self, scaffolded: Scaffolded) -> None:
        def leaves(value: Any) -> list[Any]:
            if isinstance(value, dict):
                return [leaf for child in value.values() for leaf in leaves(child)]
            return [value]

        value = tree(skeleton_text(scaffolded)).plain()
        assert (value.pop("code"), value.pop("system"), value.pop("title")) == (
            "99999",
            "CPT",
            PLACEHOLDER_TITLE,
        )
        assert set(leaves(value)) == {None}

    def test_comments_say_which_keys_show_not_available(self, scaffolded: Scaffolded) -> None:
        text = skeleton_text(scaffolded)
        lines, root = text.splitlines(), tree(text)
        marked = set()
        for number, line in enumerate(lines, 1):
            if KEY_LINE.match(line):
                above = []
                for earlier in reversed(lines[: number - 1]):
                    if not earlier.startswith("# "):
                        break
                    above.append(earlier)
                if MARK in line or any(MARK in comment for comment in above):
                    marked.add(number)
        loaded = load_sources(scaffolded.sources)
        code = next(c for c in loaded.codes if c.code == "99999")
        missing = assemble(code, loaded.publication).missing
        assert marked == {root.find(item.path)[0].key_line for item in missing}


class TestRender:
    """The skeleton renders to a report that names the code and marks every gap."""

    def test_title_and_not_available_notes(self, skeleton_pdf: Path) -> None:
        reader = PdfReader(skeleton_pdf)
        text = "\n".join(page.extract_text() for page in reader.pages)
        heading = f"CPT 99999: {PLACEHOLDER_TITLE}"
        assert reader.metadata.title == heading and heading in text.splitlines()
        # The 14 items without data outside Payer Coverage, each with its note; Payer
        # Coverage once for its 5 payers; and the Data availability sentence.
        assert " ".join(text.split()).count(NOT_AVAILABLE) == 16
        assert "Summary & Overview\nData not available in the source." in text


class TestImportIntoSkeleton:
    """`import-pfs` fills a new skeleton's indicators and benchmarks, keeping its comments."""

    def test_new_then_import(self, sources_copy: Path) -> None:
        cwd = sources_copy.parent
        assert run_cli("new", "71045", cwd=cwd).code == 0
        result = run_cli("import-pfs", str(PFS_SAMPLE), "71045", cwd=cwd)
        assert result.code == 0, result.stderr
        text = (sources_copy / "codes" / "71045.yaml").read_text(encoding="utf-8")
        assert '  status: "A"           # the PFS status indicator, e.g. "A"' in text
        assert 'benchmarks:\n  - label: "Work RVU"\n    value: 0.18\n' in text
        assert "#  - label:             # required" in text
        assert run_cli("check", cwd=cwd).code == 0


class TestSchemaLine:
    """The skeleton's first line points an editor's YAML language server at the schema."""

    def test_outside_the_checkout_by_file_uri(self, scaffolded: Scaffolded) -> None:
        first = skeleton_text(scaffolded).splitlines()[0]
        assert first == f"# yaml-language-server: $schema={CODE_SCHEMA.as_uri()}"

    @pytest.mark.parametrize(
        ("target", "reference"),
        [
            ("sources/codes/99999.yaml", "../../docs/schema/code.schema.json"),
            ("drafts/cardiology/codes/99999.yaml", "../../../docs/schema/code.schema.json"),
        ],
    )
    def test_inside_the_checkout_relative_to_the_source(self, target: str, reference: str) -> None:
        assert schema_reference(CHECKOUT / target) == reference
        assert (CHECKOUT / target).parent.joinpath(reference).resolve() == CODE_SCHEMA

    def test_none_without_a_schema_file(self, tmp_path: Path) -> None:
        """A builder installed from a wheel has no checkout: the skeleton names no schema."""
        missing = tmp_path / "docs" / "schema" / "code.schema.json"
        assert schema_reference(tmp_path / "sources/codes/1.yaml", missing) is None
        publication = load_sources(SAMPLE_SOURCES).publication
        assert publication is not None
        text = skeleton("99999", "CPT", publication.model).decode("utf-8")
        assert text.startswith("# CPT 99999: a new code source")

    def test_the_schema_passes_the_written_skeleton(self, scaffolded: Scaffolded) -> None:
        schema = json.loads(CODE_SCHEMA.read_text(encoding="utf-8"))
        for code in ("99999", "G0101"):
            value = tree(skeleton_text(scaffolded, code)).plain()
            assert list(Draft202012Validator(schema).iter_errors(value)) == []


def new(*args: str) -> Result:
    """Run `new ARGS` in this process, in the current folder."""
    return CliRunner().invoke(main, ["new", *args])


class TestRefusals:
    """A malformed code, a system mismatch or an existing file: exit 2, nothing written."""

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (
                ("7444B",),
                '"7444B" is not a valid CPT code (5 digits, or 4 digits then A, F, M, T or U)',
            ),
            (
                ("W0101",),
                '"W0101" is not a valid HCPCS code (a letter A to V other than F, I, N and O, '
                "then 4 digits)",
            ),
            (
                ("g0101",),
                '"g0101" is not a valid HCPCS code (a letter A to V other than F, I, N and O, '
                'then 4 digits); did you mean "G0101"?',
            ),
            (
                ("../x",),
                '"../x" is not a valid CPT code (5 digits, or 4 digits then A, F, M, T or U)',
            ),
            (
                ("G0101", "--system", "CPT"),
                '"G0101" is a HCPCS code, not CPT: leave out --system, or write --system HCPCS',
            ),
            (
                ("99999", "--system", "hcpcs"),
                '"99999" is a CPT code, not HCPCS: leave out --system, or write --system CPT',
            ),
        ],
    )
    def test_bad_code(
        self,
        sources_copy: Path,
        monkeypatch: pytest.MonkeyPatch,
        args: tuple[str, ...],
        message: str,
    ) -> None:
        monkeypatch.chdir(sources_copy.parent)
        before = sorted(sources_copy.rglob("*"))
        result = new(*args)
        assert (result.exit_code, result.stdout, result.stderr) == (2, "", message + "\n" + POINTER)
        assert sorted(sources_copy.rglob("*")) == before

    def test_existing_file_is_left_alone(
        self, sources_copy: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.chdir(sources_copy.parent)
        target = sources_copy / "codes" / "74440.yaml"
        before = target.read_bytes()
        result = new("74440")
        assert (result.exit_code, result.stdout) == (2, "")
        assert result.stderr == (
            "sources/codes/74440.yaml already exists; new never overwrites a source\n" + POINTER
        )
        assert target.read_bytes() == before

    def test_file_written_meanwhile_is_left_alone(
        self, sources_copy: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A file that appears between the check and the write is kept, and new says so."""
        monkeypatch.chdir(sources_copy.parent)
        target = sources_copy / "codes" / "99999.yaml"
        real = report.scaffold.skeleton

        def racing(*args: Any) -> bytes:
            target.write_bytes(b"# written by someone else\n")
            return real(*args)

        monkeypatch.setattr(report.scaffold, "skeleton", racing)
        result = new("99999")
        assert (result.exit_code, result.stderr) == (
            2,
            "sources/codes/99999.yaml already exists; new never overwrites a source\n" + POINTER,
        )
        assert target.read_bytes() == b"# written by someone else\n"
        assert [p.name for p in target.parent.iterdir() if p.name.startswith(".")] == []

    def test_folder_without_publication(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        (tmp_path / "drafts").mkdir()
        monkeypatch.chdir(tmp_path)
        result = new("99999", "--sources", "drafts")
        assert (result.exit_code, result.stderr) == (
            2,
            "drafts/publication.yaml: not found; new adds a code to a sources folder "
            "that has its publication.yaml\n" + POINTER,
        )
        assert list((tmp_path / "drafts").iterdir()) == []

    def test_missing_folder(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.chdir(tmp_path)
        result = new("99999", "--sources", "nowhere")
        assert (result.exit_code, result.stderr) == (
            2,
            "nowhere: the sources folder does not exist\n" + POINTER,
        )
        assert not (tmp_path / "nowhere").exists()


class TestFolders:
    """`new` makes codes/ when missing and names a non-default folder in the next step."""

    def test_creates_codes_folder(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        folder = tmp_path / "my sources"
        folder.mkdir()
        shutil.copy(SAMPLE_SOURCES / "publication.yaml", folder)
        monkeypatch.chdir(tmp_path)
        result = new("0001U", "--sources", "my sources")
        assert result.exit_code == 0, result.output
        assert result.stdout == (
            "wrote my sources/codes/0001U.yaml; edit it, then run: "
            "python build.py check --sources 'my sources'\n"
        )
        assert sorted(p.name for p in folder.iterdir()) == ["codes", "publication.yaml"]
        assert load_sources(folder).errors == []
