"""The sources' JSON Schema: as the models make it, passing valid sources, refusing invalid ones."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import FIXTURES, ROOT, SAMPLE_SOURCES
from jsonschema import Draft202012Validator, FormatChecker, ValidationError

from report.cli import main
from report.errors import SourceError
from report.sources.models import CodeSource, Publication
from report.sources.schema import DESCRIPTIONS, SCHEMA_FILES, schema_text, schemas
from report.sources.yaml import parse_yaml

SCHEMA_FOLDER = ROOT / "docs" / "schema"
REFERENCE = ROOT / "docs" / "reference" / "source-format.md"
INVALID = FIXTURES / "invalid"
VALID = [SAMPLE_SOURCES, *sorted(p for p in (FIXTURES / "valid").iterdir() if p.is_dir())]

# The invalid sources of tests/fixtures/invalid/ that `check` refuses and the schema
# passes, each with why: what a schema cannot say. docs/reference/source-format.md
# lists each reason, word for word.
NOT_IN_SCHEMA = {
    "code-stem-mismatch": "that `code` is the file's name",
    "code-undeclared-payer": "that each payer id under `payers` is declared in publication.yaml",
    "code-modifier-duplicate": "that a modifier is listed once",
    "pub-payer-id-duplicate": "that a payer id is declared once",
    "code-benchmark-nan": "that a figure is not `.nan` (JSON has no such number)",
    "markdown-image": "that Markdown holds no image",
    "markdown-image-in-publication": "that Markdown holds no image",
    "markdown-image-reference": "that Markdown holds no image",
    "markdown-nesting-too-deep": "that Markdown lists and quotes are nested at most 6 deep",
    "text-no-font-cjk": "that a bundled font has every character",
    "text-no-font-escaped": "that a bundled font has every character",
    "text-no-font-many": "that a bundled font has every character",
    "text-no-font-unassigned": "that a bundled font has every character",
    "no-codes-folder": "the layout of the sources folder",
    "codes-folder-empty": "the layout of the sources folder",
    "no-publication-file": "the layout of the sources folder",
    "pub-locality-unknown": "that each of `localities` names a locality of the indices",
    "gpci-footnote-undefined": "the indices files of `gpci/`",
    "gpci-index-out-of-range": "the indices files of `gpci/`",
    "gpci-index-quoted": "the indices files of `gpci/`",
    "gpci-locality-twice": "the indices files of `gpci/`",
    "gpci-year-not-file-name": "the indices files of `gpci/`",
}


def as_json(value: Any) -> Any:
    """Return loaded YAML as an editor's language server sees it: dates as their text."""
    if isinstance(value, dict):
        return {key: as_json(child) for key, child in value.items()}
    if isinstance(value, list):
        return [as_json(child) for child in value]
    return value.isoformat() if isinstance(value, dt.date) else value


def validator(kind: str) -> Draft202012Validator:
    """Return a validator of the committed schema of kind (publication or code)."""
    schema = json.loads((SCHEMA_FOLDER / SCHEMA_FILES[kind]).read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=FormatChecker())


def schema_errors(path: Path) -> list[str] | None:
    """Return the schema's errors for a source file; None when it is not YAML a loader reads."""
    kind = "publication" if path.name == "publication.yaml" else "code"
    try:
        value = as_json(parse_yaml(path.read_bytes(), path.name).plain())
    except SourceError:
        return None
    return [error.message for error in validator(kind).iter_errors(value)]


def every_error(errors: list[ValidationError]) -> list[ValidationError]:
    """Return errors and, depth first, those of their contexts (a union's alternatives)."""
    return [found for e in errors for found in [e, *every_error(list(e.context or []))]]


def source_files(folder: Path) -> list[Path]:
    """Return a sources folder's publication.yaml and code sources that exist."""
    codes = sorted((folder / "codes").glob("*.yaml")) if (folder / "codes").is_dir() else []
    return [p for p in [folder / "publication.yaml", *codes] if p.is_file()]


def refused_by_check(case: Path) -> set[str]:
    """Return the files of an invalid case that `check` reports, from its expected.txt."""
    lines = (case / "expected.txt").read_text(encoding="utf-8").splitlines()
    return {m[1] for line in lines if (m := re.match(r"sources/([^:]+\.yaml):", line))}


class TestNoDrift:
    """The committed schema files are what the models make, and what `schema` writes."""

    @pytest.mark.parametrize("name", sorted(SCHEMA_FILES.values()))
    def test_committed_files_are_current(self, name: str) -> None:
        committed = (SCHEMA_FOLDER / name).read_text(encoding="utf-8")
        assert committed == schema_text(schemas()[name]), (
            f"docs/schema/{name} is out of date: run python build.py schema"
        )

    def test_the_command_writes_them(self, tmp_path: Path) -> None:
        result = CliRunner().invoke(main, ["schema", "--out", str(tmp_path / "s")])
        assert result.exit_code == 0, result.output
        assert result.stdout == (
            f"wrote {tmp_path}/s/publication.schema.json and {tmp_path}/s/code.schema.json\n"
        )
        for name in SCHEMA_FILES.values():
            assert (tmp_path / "s" / name).read_bytes() == (SCHEMA_FOLDER / name).read_bytes()

    def test_every_key_is_described(self) -> None:
        for name in SCHEMA_FILES.values():
            schema = json.loads((SCHEMA_FOLDER / name).read_text(encoding="utf-8"))
            for definition in [schema, *schema["$defs"].values()]:
                for key, value in definition["properties"].items():
                    assert value.get("description", "").endswith((".", '"')), (name, key)

    def test_no_description_without_its_key(self) -> None:
        keys: dict[str, set[str]] = {}
        for model in (Publication, CodeSource):
            schema = model.model_json_schema()
            for definition in [schema, *schema.get("$defs", {}).values()]:
                keys[definition["title"]] = set(definition["properties"])
        stale = {
            name: set(keys_of) - keys.get(name, set()) for name, keys_of in DESCRIPTIONS.items()
        }
        assert stale == {name: set() for name in DESCRIPTIONS}


def key_paths(schema: dict[str, Any], node: dict[str, Any], prefix: str = "") -> list[str]:
    """Return every key a schema allows, as the reference writes them: payers[].id, payers.ID."""
    if "$ref" in node:
        node = schema["$defs"][node["$ref"].rsplit("/", 1)[1]]
    if "anyOf" in node:
        return [p for part in node["anyOf"] for p in key_paths(schema, part, prefix)]
    if node.get("type") == "array":
        return key_paths(schema, node["items"], prefix + "[]")
    if isinstance(node.get("additionalProperties"), dict):
        each = node["additionalProperties"]
        return [f"{prefix}.ID\tnull", *key_paths(schema, each, prefix + ".ID")]
    paths = []
    for key, value in node.get("properties", {}).items():
        path = f"{prefix}.{key}" if prefix else key
        paths += [f"{path}\t{json.dumps(value.get('default'))}", *key_paths(schema, value, path)]
    return paths


class TestTheReferenceIsComplete:
    """docs/reference/source-format.md has a row for every key of the schema, with its default."""

    @pytest.mark.parametrize("kind", sorted(SCHEMA_FILES))
    def test_every_key_has_its_row(self, kind: str) -> None:
        text = REFERENCE.read_text(encoding="utf-8")
        table = text.split(f"<!-- keys: {kind} -->\n", 1)[1].split("\n\n", 1)[0]
        rows = {
            m[1]: m[2]
            for m in re.finditer(r"^\| `([^`]+)` \|[^|]*\|([^|]*)\|", table, re.MULTILINE)
        }
        schema = json.loads((SCHEMA_FOLDER / SCHEMA_FILES[kind]).read_text(encoding="utf-8"))
        expected = {}
        for found in key_paths(schema, schema):
            path, default = found.split("\t")
            expected[path] = json.loads(default)
        assert sorted(rows) == sorted(expected)
        for path, default in expected.items():
            if default is not None:
                assert f"default `{default}`" in rows[path], path


class TestValidSources:
    """Every valid source of the tests, the sample's included, passes the schema."""

    @pytest.mark.parametrize("folder", VALID, ids=lambda folder: folder.name)
    def test_passes(self, folder: Path) -> None:
        files = source_files(folder)
        assert files
        assert {path.name: schema_errors(path) for path in files} == {
            path.name: [] for path in files
        }


class TestAgreesWithCheck:
    """On the invalid sources of the tests, the schema refuses what `check` refuses.

    Cases the builder's YAML loader refuses (syntax, tags, limits) are not the schema's;
    the others it refuses file for file, but for those of NOT_IN_SCHEMA.
    """

    @pytest.mark.parametrize(
        "case", sorted(p for p in INVALID.iterdir() if p.is_dir()), ids=lambda p: p.name
    )
    def test_case(self, case: Path) -> None:
        verdicts = {str(p.relative_to(case)): schema_errors(p) for p in source_files(case)}
        if None in verdicts.values():
            assert case.name.startswith("yaml-"), verdicts  # the loader's own refusals
            return
        refused = {name for name, errors in verdicts.items() if errors}
        if case.name in NOT_IN_SCHEMA:
            assert refused == set(), verdicts
        else:
            assert refused == refused_by_check(case), verdicts

    def test_the_reference_lists_what_the_schema_cannot_say(self) -> None:
        text = " ".join(REFERENCE.read_text(encoding="utf-8").split())
        missing = {why for why in NOT_IN_SCHEMA.values() if why not in text}
        assert missing == set()

    @pytest.mark.parametrize(
        ("kind", "value", "message"),
        [
            ("code", {"code": "7444B", "system": "CPT", "title": "t"}, "A CPT code"),
            ("code", {"code": "74440", "system": "HCPCS", "title": "t"}, "A HCPCS code"),
            ("code", {"code": "74440", "system": "CPT", "title": "a\u202eb"}, "Control"),
            (
                "code",
                {
                    "code": "74440",
                    "system": "CPT",
                    "title": "t",
                    "references": [{"title": "r", "url": "file:/x"}],
                },
                "Write a web address",
            ),
        ],
    )
    def test_says_why_in_an_editor(self, kind: str, value: Any, message: str) -> None:
        """A pattern's error carries the words an editor shows (patternErrorMessage)."""
        errors = list(validator(kind).iter_errors(value))
        assert errors
        said = [e.schema.get("patternErrorMessage", "") for e in every_error(errors)]
        assert any(text.startswith(message) for text in said), said
