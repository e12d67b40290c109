"""Valid sources at every field's extremes check clean, build, and read back as written.

The corpus is tests/extreme_sources.py: lists of one and of thirty entries, Markdown
nested as deep as `check` allows, payer rows from empty to taller than a page, codes as
sparse as `import-pfs --create` makes them. Each PDF, and each volume, is put to the
independent validator for the profile of its variant (tests/validation.py).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from extreme_sources import CODE, FOLDERS, LISTS, MANY, SPARSE, VARIANTS, ExtremeBuild
from pdf_text import read_pages
from validation import assert_conforms

from report.assemble import SITE_OF_SERVICE, SITES_OF_SERVICE
from report.sources import load_sources

NOT_AVAILABLE = "Data not available in the source."
NOT_IN_EDITION = "Not available in this edition."  # a payer's cell without data
COUNTS = {"one": 1, "many": MANY}
PDFS = [(name, f"{code}.pdf") for name in FOLDERS for code in (CODE, SPARSE[name], "volume")]


def body(pdf: Path) -> list[str]:
    """Return each page's body text as PDFium reads it, whitespace collapsed."""
    return [" ".join(page.body.split()) for page in read_pages(pdf)]


def at(data: Any, path: tuple[str, ...]) -> Any:
    """Return the value at a path of keys in plain data."""
    for key in path:
        data = data[key]
    return data


def sources(build: ExtremeBuild) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """Return the publication and each code of a folder as validated, without empty keys."""
    loaded = load_sources(build.sources)
    assert loaded.errors == [] and loaded.publication is not None
    codes = {c.code: c.model.model_dump(exclude_none=True) for c in loaded.codes}
    return loaded.publication.model.model_dump(exclude_none=True), codes


class TestTheCorpusIsValid:
    """Every folder checks clean, holds the shapes it claims, and builds every report."""

    @pytest.mark.parametrize("name", FOLDERS)
    def test_check_finds_no_error(self, extreme_builds: dict[str, ExtremeBuild], name: str):
        check = extreme_builds[name].check
        report = json.loads(check.stdout)
        assert check.code == 0, check.stderr
        assert (report["errors"], report["valid_codes"]) == (0, 2)
        assert {finding["severity"] for finding in report["findings"]} <= {"notice"}

    @pytest.mark.parametrize("name", FOLDERS)
    def test_every_list_holds_its_count(self, extreme_builds: dict[str, ExtremeBuild], name: str):
        publication, codes = sources(extreme_builds[name])
        count = COUNTS[name]
        assert len(publication["payers"]) == count
        lengths = {path: len(at(codes[CODE], path)) for path in LISTS}
        assert lengths == dict.fromkeys(LISTS, count)

    @pytest.mark.parametrize("name", FOLDERS)
    def test_sparse_code_has_only_what_import_pfs_writes(
        self, extreme_builds: dict[str, ExtremeBuild], name: str
    ):
        _, codes = sources(extreme_builds[name])
        assert set(codes[SPARSE[name]]) == {"code", "system", "title", "indicators", "benchmarks"}

    def test_payer_rows_run_from_empty_to_full(self, extreme_builds: dict[str, ExtremeBuild]):
        publication, codes = sources(extreme_builds["many"])
        entries = codes[CODE]["payers"]
        fields = [set(entries.get(p["id"]) or {}) for p in publication["payers"]]
        assert fields.count({"coverage", "prior_authorization", "policies"}) == 10
        assert fields.count(set()) == 9
        assert {"coverage"} in fields and {"prior_authorization"} in fields
        assert {"policies"} in fields

    @pytest.mark.parametrize(("name", "variant"), [(n, v) for n in FOLDERS for v in VARIANTS])
    def test_every_report_is_built(
        self, extreme_builds: dict[str, ExtremeBuild], name: str, variant: str
    ):
        manifest = json.loads((extreme_builds[name].outs[variant] / "manifest.json").read_text())
        reports = {f["code"]: f["pages"] for f in manifest["files"] if f["kind"] == "report"}
        assert set(reports) == {CODE, SPARSE[name]}
        assert reports[CODE] >= (20 if name == "many" else 2)


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize(("name", "file"), PDFS, ids=[f"{n}-{f}" for n, f in PDFS])
def test_conforms(extreme_builds: dict[str, ExtremeBuild], name: str, file: str, variant: str):
    """Every PDF of the corpus, the volumes too, passes the validator for its variant."""
    assert_conforms(extreme_builds[name].outs[variant] / file, variant)


class TestThePagesShowTheShapes:
    """The PDFs show every entry: long tables go on over pages, empty rows say so."""

    @pytest.fixture
    def many(self, extreme_builds: dict[str, ExtremeBuild]) -> list[str]:
        """Return the body text of each page of the report with thirty entries a list."""
        return body(extreme_builds["many"].outs["pdf/ua-1"] / f"{CODE}.pdf")

    @pytest.mark.parametrize(
        "head",
        [
            "Modifier Description When to Use",
            "ICD-10-CM Description",
            "Payer Coverage considerations Prior authorization Policies",
            "Benchmark Value Unit Source",
        ],
    )
    def test_long_tables_repeat_their_head_on_each_page(self, many: list[str], head: str):
        assert sum(head in page for page in many) >= 2

    def test_every_payer_has_a_row(self, many: list[str]):
        """A payer with data has its row; the payers without any are named in one line."""
        text = " ".join(many)
        rows = [n for n in range(2, MANY + 1) if f"Payer Number {n} Entry 1 of" in text]
        rows += [n for n in range(2, MANY + 1) if f"Payer Number {n} {NOT_IN_EDITION}" in text]
        none = re.search(r"No coverage information in this edition for: (.*?)\. Where", text)
        assert none is not None
        named = [int(n) for n in re.findall(r"Payer Number (\d+)", none[1])]
        assert sorted(rows) + named == list(range(2, MANY + 1))
        empty = re.findall(rf"Payer Number (\d+) {re.escape(NOT_IN_EDITION)}", text)
        assert [int(n) for n in empty] == list(range(16, named[0]))  # no coverage from 16 on

    def test_the_tallest_row_runs_over_pages(self, many: list[str]):
        first = next(i for i, page in enumerate(many) if "Entry 1 of coverage of aetna" in page)
        last = next(i for i, page in enumerate(many) if "Entry 24 of coverage of aetna" in page)
        assert last > first

    def test_a_sentence_runs_over_pages_in_its_cell(self, many: list[str]):
        start = "The one sentence of authorization of aetna"
        first = next(i for i, page in enumerate(many) if start in page)
        assert "clause 160 of authorization of aetna and ends here." not in many[first]
        assert any("and ends here." in page for page in many[first + 1 :])

    @pytest.mark.parametrize(
        ("name", "code", "label"),
        [
            ("one", CODE, SITE_OF_SERVICE),
            ("many", CODE, SITES_OF_SERVICE),
            ("one", SPARSE["one"], SITE_OF_SERVICE),
            ("many", SPARSE["many"], SITE_OF_SERVICE),
        ],
    )
    def test_sites_label_follows_the_count(
        self, extreme_builds: dict[str, ExtremeBuild], name: str, code: str, label: str
    ):
        text = " ".join(body(extreme_builds[name].outs["pdf/ua-1"] / f"{code}.pdf"))
        other = SITES_OF_SERVICE if label == SITE_OF_SERVICE else SITE_OF_SERVICE
        assert label in text and other not in text  # the field's, or Data availability's

    @pytest.mark.parametrize("name", FOLDERS)
    def test_sparse_report_says_what_it_lacks(
        self, extreme_builds: dict[str, ExtremeBuild], name: str
    ):
        text = " ".join(body(extreme_builds[name].outs["pdf/ua-1"] / f"{SPARSE[name]}.pdf"))
        assert f"Summary & Overview {NOT_AVAILABLE}" in text
        assert "Benchmark Value Unit Source" in text
        last_payer = "Aetna" if name == "one" else f"Payer Number {MANY}"
        assert f"Payer Coverage {NOT_AVAILABLE}" in text
        assert re.search(rf"No coverage information in this edition for: [^.]*{last_payer}\.", text)
