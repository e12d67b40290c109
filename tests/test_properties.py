"""Property-based tests: whatever the input, a located error or a valid result, nothing else.

Hypothesis generates YAML documents and mutates the sample sources (bytes, lines and
values). The loader and the validator must answer each with values or with errors of the
form path:line:column: message; a few builds of generated sources must give PDFs that
open and pass the independent validator (tests/validation.py), or located errors. The
profile in conftest.py keeps the runs deterministic and bounded; HYPOTHESIS_PROFILE=explore
runs many more examples.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pypdf
import yaml
from conftest import SAMPLE_SOURCES
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st
from qpdf import qpdf_check
from ruamel.yaml import YAML
from ruamel.yaml.nodes import ScalarNode
from validation import assert_conforms

from report.build import BuildOptions, build
from report.errors import Finding, SourceError
from report.sources import code_from_bytes, load_sources, scalars
from report.sources.models import CodeSource, Publication
from report.sources.validate import validate_model
from report.sources.yaml import parse_yaml


def scaled(count: int) -> int:
    """Return count examples under the default profile, ten times more under explore."""
    return count * settings().max_examples // 100


LOCATED = re.compile(r"(?P<path>[^:]+):(?P<line>[1-9]\d*):(?P<column>[1-9]\d*): \S.*")
CODE_TEXT = (SAMPLE_SOURCES / "codes" / "74440.yaml").read_bytes()
PUBLICATION_TEXT = (SAMPLE_SOURCES / "publication.yaml").read_bytes()
# Characters that mean something to YAML or Markdown, and some that are hard on text.
SPECIAL = [
    *":-?[]{},&*!|>'\"%@`#\t\n\r ~<\\=",
    "\ufeff",
    "\u00e9",
    "\u202e",
    "\x00",
    "\x85",
    "\u2028",
    "😀",
    "\u0301",
]


def assert_located(lines: list[str], paths: set[str], texts: dict[str, bytes]) -> None:
    """Check that each line is path:line:column: message, within the file it names."""
    assert lines
    for line in lines:
        match = LOCATED.fullmatch(line)
        assert match, f"not located: {line!r}"
        assert match["path"] in paths, line
        text = texts.get(match["path"])
        if text is not None:
            assert int(match["line"]) <= text.count(b"\n") + text.count(b"\r") + 2, line


def parse(data: bytes) -> tuple[Any, list[str]]:
    """Parse YAML bytes; return plain data and no errors, or None and the error lines."""
    try:
        return parse_yaml(data, "f.yaml").plain(), []
    except SourceError as exc:
        return None, exc.lines()


# --- plain scalars read as ruamel.yaml's YAML 1.2 core schema reads them -------------

_RUAMEL = YAML(typ="safe", pure=True)


def ruamel_value(text: str) -> Any:
    """Return what ruamel.yaml makes of a plain scalar, the way the loader used to ask it."""
    tag = _RUAMEL.resolver.resolve(ScalarNode, text, (True, False))
    tag = str(getattr(tag, "value", tag))
    if tag == scalars.STR:
        return text
    try:
        value = _RUAMEL.constructor.construct_object(ScalarNode(tag, text), deep=True)
    except Exception:
        return text
    return text if isinstance(value, dt.datetime) else value


def same(a: Any, b: Any) -> bool:
    """Compare two scalar values, types included (nan equal to nan)."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return type(a) is type(b) and a == b


NUMBERISH = st.one_of(
    st.from_regex(r"\A[-+]?(0b[01_]{1,6}|0o[0-7_]{1,6}|0x[0-9a-fA-F_]{1,6}|[0-9_]{1,8})\Z"),
    st.from_regex(r"\A[-+]?([0-9_]{0,4}\.[0-9_]{0,4}([eE][-+]?[0-9]{1,3})?|\.(inf|Inf|INF|nan))\Z"),
    st.from_regex(r"\A[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt ][0-9]{1,2}:[0-9]{2}:[0-9]{2})?\Z"),
    st.sampled_from(
        [
            "true",
            "True",
            "TRUE",
            "false",
            "yes",
            "No",
            "on",
            "null",
            "Null",
            "~",
            "NULL",
            "nULL",
            "tRUE",
            ".",
            "_",
            "-",
            "+",
            "1e3",
            "1.",
            "2022-13-45",
        ]
    ),
    st.text(alphabet="0123456789._-+:eEoxbTtZ ", min_size=1, max_size=12),
)


class TestScalars:
    """report/sources/scalars.py reads every plain scalar exactly as ruamel.yaml does."""

    @given(NUMBERISH)
    @settings(max_examples=scaled(400))
    def test_same_value_as_ruamel(self, text: str) -> None:
        text = text.strip()
        mine = scalars.construct(scalars.resolve(text), text)
        assert same(mine, ruamel_value(text)), (text, mine, ruamel_value(text))


# --- generated documents --------------------------------------------------------------

KEYS = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=12
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=30),
    st.dates(dt.date(1900, 1, 1), dt.date(2100, 12, 31)),
)
DOCUMENTS = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=5), st.dictionaries(KEYS, inner, max_size=5)),
    max_leaves=30,
)


class QuotingDumper(yaml.SafeDumper):
    """PyYAML's dumper with every string double-quoted: YAML 1.1 and 1.2 then read the same."""


QuotingDumper.add_representer(
    str, lambda dumper, text: dumper.represent_scalar("tag:yaml.org,2002:str", text, style='"')
)


class TestGeneratedDocuments:
    """Generated YAML loads to the data it was made from; any text gives data or a located error."""

    @given(st.dictionaries(KEYS, DOCUMENTS, min_size=1, max_size=6), st.booleans())
    @settings(max_examples=scaled(150), deadline=None)
    def test_dumped_data_loads_back(self, data: dict[str, Any], flow: bool) -> None:
        text = yaml.dump(
            data, Dumper=QuotingDumper, allow_unicode=True, default_flow_style=flow, width=60
        )
        loaded, errors = parse(text.encode("utf-8"))
        # The dumper writes some characters raw (NEL, LS, PS, BOM) that sources may not hold.
        assume(not any("is not allowed in YAML" in error for error in errors))
        assert errors == []
        assert loaded == data

    @given(st.text(alphabet=st.sampled_from(SPECIAL + list("abc123\n  ")), max_size=80))
    @settings(max_examples=scaled(400), deadline=None)
    def test_any_text_gives_data_or_a_located_error(self, text: str) -> None:
        data = text.encode("utf-8")
        loaded, errors = parse(data)
        if errors:
            assert_located(errors, {"f.yaml"}, {"f.yaml": data})
            assert len(errors) == 1 and loaded is None

    @given(st.binary(max_size=60))
    @settings(max_examples=scaled(200), deadline=None)
    def test_any_bytes_give_data_or_a_located_error(self, data: bytes) -> None:
        _, errors = parse(data)
        if errors:
            assert_located(errors, {"f.yaml"}, {"f.yaml": data})

    @given(
        st.dictionaries(
            st.sampled_from([*sorted(CodeSource.model_fields), "titel", "x"]), DOCUMENTS, max_size=8
        )
    )
    @settings(max_examples=scaled(150), deadline=None)
    def test_any_data_validates_or_gives_located_errors(self, data: dict[str, Any]) -> None:
        text = yaml.safe_dump(data, allow_unicode=True).encode("utf-8")
        for model in (CodeSource, Publication):
            try:
                root = parse_yaml(text, "f.yaml")
            except SourceError as exc:
                assert_located(exc.lines(), {"f.yaml"}, {"f.yaml": text})
                continue
            instance, findings = validate_model("f.yaml", root, model)
            assert (instance is None) == bool(findings)
            assert_located([str(f) for f in findings], {"f.yaml"}, {"f.yaml": text})


# --- mutations of the sample sources -------------------------------------------------------


@st.composite
def mutated(draw: st.DrawFn, original: bytes) -> bytes:
    """Return original with one to three random edits: bytes, lines or indentation."""
    data = bytearray(original)
    for _ in range(draw(st.integers(1, 3))):
        lines = data.split(b"\n")
        kind = draw(st.sampled_from(["delete", "insert", "replace", "line", "indent", "swap"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if kind == "delete":
            del data[at : at + draw(st.integers(1, 40))]
        elif kind in ("insert", "replace"):
            piece = draw(
                st.text(alphabet=st.sampled_from(SPECIAL + list("ab1 ")), min_size=1, max_size=6)
            ).encode("utf-8")
            if draw(st.booleans()):
                piece = draw(st.binary(min_size=1, max_size=3))
            data[at : at + (len(piece) if kind == "replace" else 0)] = piece
        else:
            i = draw(st.integers(0, len(lines) - 1))
            j = draw(st.integers(0, len(lines) - 1))
            if kind == "line":
                lines.insert(j, lines[i])
            elif kind == "indent":
                lines[i] = b" " * draw(st.integers(0, 6)) + lines[i].lstrip(b" ")
            else:
                lines[i], lines[j] = lines[j], lines[i]
            data = bytearray(b"\n".join(lines))
    return bytes(data)


def load_folder(code: bytes, publication: bytes) -> tuple[list[str], dict[str, bytes]]:
    """Write a sources folder with the given files, load it; return the error lines."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "codes").mkdir()
        (root / "publication.yaml").write_bytes(publication)
        (root / "codes" / "74440.yaml").write_bytes(code)
        shutil.copyfile(SAMPLE_SOURCES / "codes" / "55300.yaml", root / "codes" / "55300.yaml")
        sources = load_sources(root, "sources")
        texts = {"sources/publication.yaml": publication, "sources/codes/74440.yaml": code}
        return [str(error) for error in sources.errors], texts


class TestMutatedSamples:
    """Mutated sample sources load, or every error is located in the file it names."""

    @given(mutated(CODE_TEXT))
    @settings(max_examples=scaled(300), deadline=None)
    def test_mutated_code_file(self, code: bytes) -> None:
        errors, texts = load_folder(code, PUBLICATION_TEXT)
        if errors:
            assert_located(errors, {"sources/codes/74440.yaml"}, texts)

    @given(mutated(PUBLICATION_TEXT))
    @settings(max_examples=scaled(200), deadline=None)
    def test_mutated_publication(self, publication: bytes) -> None:
        errors, texts = load_folder(CODE_TEXT, publication)
        if errors:
            assert_located(errors, set(texts) | {"sources/codes/55300.yaml"}, texts)


# --- a few builds of generated values --------------------------------------------------------

PRINTABLE = st.characters(
    codec="utf-8",
    exclude_categories=("Cs", "Cc", "Co"),
    exclude_characters="\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff\ufffe\uffff",
)
TEXTS = st.text(alphabet=PRINTABLE, min_size=1, max_size=60).filter(str.strip) | st.sampled_from(
    [
        "# heading",
        "* item\n* item",
        "1. one",
        "> quote",
        "`code`",
        "**b** _i_",
        "---",
        "[x](http://127.0.0.1:1/)",
        "a" * 300,
        "\u05e9\u05dc\u05d5\u05dd",
        "😀" * 40,
        "e\u0301" * 30,
        "<!-- -->",
        "&amp; &#0; &#x110000;",
        "\\",
        "[x]: http://127.0.0.1:1/",
        "    indented",
        "x\ty",
        "line\nbreak",
        "\u00a0",
        "\u200b" * 5,
    ]
)
NUMBERS = (
    st.floats(-1e9, 1e9, allow_nan=False)
    | st.integers(-(10**6), 10**6)
    | st.sampled_from([0, 0.0, -0.0, 1e-300, 1e12, 5e-324])
)
OPTIONAL = sorted(set(CodeSource.model_fields) - {"code", "system", "title"})


@st.composite
def varied_code(draw: st.DrawFn) -> dict[str, Any]:
    """Return the sample 74440 source with some text and figures replaced by generated ones."""
    data = yaml.safe_load(CODE_TEXT)
    data["title"] = draw(TEXTS)
    data["summary"] = draw(TEXTS)
    data["clinical_context"]["personnel"] = draw(st.lists(TEXTS, max_size=3))
    data["modifiers"][0]["description"] = draw(TEXTS)
    for benchmark in data["benchmarks"][:4]:
        benchmark["value"] = draw(NUMBERS)
        benchmark["label"] = draw(
            st.sampled_from([benchmark["label"], "Work RVU", "Total RVU", draw(TEXTS)])
        )
    data["coding_considerations"] = draw(st.lists(TEXTS, max_size=3))
    for key in draw(st.lists(st.sampled_from(OPTIONAL), max_size=3)):
        data.pop(key, None)
    if "benchmarks" in data and draw(st.integers(0, 4)) == 0:  # now and then, a bad figure
        data["benchmarks"][0]["value"] = draw(st.sampled_from([math.inf, math.nan, "12"]))
    return data


class TestBuildsOfGeneratedSources:
    """A build of generated values gives whole PDFs, or located errors and no PDF for that code."""

    @given(varied_code())
    @settings(
        max_examples=scaled(6),
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    def test_build_or_located_errors(self, code: dict[str, Any]) -> None:
        with tempfile.TemporaryDirectory() as folder:
            root = Path(folder)
            (root / "sources" / "codes").mkdir(parents=True)
            shutil.copyfile(
                SAMPLE_SOURCES / "publication.yaml", root / "sources" / "publication.yaml"
            )
            text = yaml.safe_dump(code, allow_unicode=True).encode("utf-8")
            (root / "sources" / "codes" / "74440.yaml").write_bytes(text)
            result = build(
                root / "sources",
                root / "out",
                BuildOptions(jobs=1),
                shown_path="sources",
                log=lambda _line: None,
            )
            pdf = root / "out" / "74440.pdf"
            # Valid: the model takes it, and so do the rules that span fields and what
            # a page can print (characters of the bundled fonts, nesting, lengths).
            publication = load_sources(SAMPLE_SOURCES, "sources").publication
            assert publication is not None
            _, findings = code_from_bytes(
                text, "sources/codes/74440.yaml", "74440", publication.model
            )
            valid = not findings
            event("built" if valid else "refused")
            if result.errors:
                assert not valid
                assert_located(
                    [str(f) for f in result.errors],
                    {"sources/codes/74440.yaml"},
                    {"sources/codes/74440.yaml": text},
                )
                assert all(isinstance(f, Finding) for f in result.errors)
                assert not pdf.exists()
            else:
                assert valid
                qpdf_check(root / "out" / "volume.pdf")
                for path in (pdf, root / "out" / "volume.pdf"):
                    reader = pypdf.PdfReader(io.BytesIO(path.read_bytes()), strict=True)
                    assert len(reader.pages) >= 1
                    # Whatever the values, the PDFs conform (tests/validation.py).
                    assert_conforms(path)
