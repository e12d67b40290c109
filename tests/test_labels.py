"""The labels a report prints are spelled as the seed of 74440 spells them.

The seed (tests/fixtures/seed) names its sections, its `Label: value` fields and its
modifier table's columns; the sample report's text, read back with PDFium, must show
each of those exactly so, and no other spelling of them. The sites of service are
"Typical site of service" as in the seed, and "Typical sites of service" only when a
report lists several.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import SAMPLE_SOURCES
from pdf_text import read_pages

from report.assemble import SITE_OF_SERVICE, SITES_OF_SERVICE, assemble
from report.release.changes import LABELS, Differ
from report.render.html import report_html
from report.sources import load_sources

SEED_TITLE = "CPT 74440: Imaging of Vas Deferens, Seminal Vesicles, or Epididymis"


@dataclass(frozen=True)
class SeedLabels:
    """The labels the seed prints: headings, field labels and the modifier table's head."""

    headings: tuple[str, ...]
    fields: tuple[str, ...]
    columns: tuple[str, ...]

    @property
    def all(self) -> tuple[str, ...]:
        """Return every label, headings first."""
        return (*self.headings, *self.fields, *self.columns)


def seed_labels(seed: str) -> SeedLabels:
    """Read the labels of the seed: lines without closing punctuation, `- Label:`, `| head |`."""
    headings: list[str] = []
    fields: list[str] = []
    columns: list[str] = []
    lines = [line.strip() for line in seed.splitlines() if line.strip()]
    for previous, line in zip(["", *lines], lines, strict=False):
        if previous == "-":  # a bullet: `Label: value`
            fields.append(line.partition(": ")[0])
        elif "|" in line:
            if not columns:
                columns = [cell.strip() for cell in line.strip("|").split("|")]
        elif line != "-" and not re.search(r"[.!?:]$", line):
            headings.append(line)
    return SeedLabels(tuple(headings), tuple(fields), tuple(columns))


def body_lines(pdf: Path) -> list[str]:
    """Return the lines of a PDF's body text as PDFium reads them, whitespace collapsed."""
    text = "\n".join(page.body for page in read_pages(pdf))
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


def as_line(label: str) -> re.Pattern[str]:
    """Return a pattern for a label that fills whole lines, however it wrapped."""
    return re.compile(r"(?:^|\n)" + r"\s+".join(map(re.escape, label.split())) + r"(?:\n|$)")


@pytest.fixture(scope="module")
def labels(seed_text: str) -> SeedLabels:
    """Return the seed's labels."""
    return seed_labels(seed_text)


class TestSeedLabels:
    """The sample 74440 report prints each label of the seed as the seed spells it."""

    def test_the_seed_has_these_labels(self, labels: SeedLabels) -> None:
        assert labels.headings == (
            "Summary & Overview",
            SEED_TITLE,
            "Billing Code Overview",
            "Clinical & Coding Specifications",
            "Clinical Context",
            "Coding Specifications",
        )
        assert labels.fields == ("Service type", "Typical site of service")
        assert labels.columns == ("Modifier", "Description", "When to Use")

    def test_headings_and_field_labels_are_whole_lines(
        self, sample_build: Path, labels: SeedLabels
    ) -> None:
        text = "\n".join(body_lines(sample_build / "74440.pdf"))
        missing = [
            label for label in (*labels.headings, *labels.fields) if not as_line(label).search(text)
        ]
        assert missing == []

    def test_modifier_table_head_reads_as_the_seeds(
        self, sample_build: Path, labels: SeedLabels
    ) -> None:
        assert " ".join(labels.columns) in body_lines(sample_build / "74440.pdf")

    @pytest.mark.parametrize("name", ["74440.pdf", "55300.pdf"])
    def test_no_label_is_spelled_otherwise(
        self, sample_build: Path, labels: SeedLabels, name: str
    ) -> None:
        """No line, or Data availability item, is a seed label in another case or number."""
        variants = {SITES_OF_SERVICE.casefold(): SITE_OF_SERVICE}
        variants |= {label.casefold(): label for label in labels.all}
        wrong = []
        for line in body_lines(sample_build / name):
            for printed in {line, line.partition(": ")[0]}:
                wanted = variants.get(printed.casefold())
                if wanted is not None and printed != wanted:
                    wrong.append(printed)
        assert wrong == []

    def test_one_site_is_labelled_in_the_singular(self, sample_build: Path) -> None:
        lines = body_lines(sample_build / "74440.pdf")
        assert lines.count(SITE_OF_SERVICE) == 1
        assert not any(SITES_OF_SERVICE in line for line in lines)


def report_with_sites(folder: Path, sites: list[str] | None) -> str:
    """Return the HTML of a report whose source lists these sites of service (None: no key)."""
    shutil.copytree(SAMPLE_SOURCES, folder)
    for path in (folder / "codes").glob("*.yaml"):
        path.unlink()
    code: dict[str, Any] = {"code": "74440", "system": "CPT", "title": "Imaging"}
    if sites is not None:
        code["overview"] = {"sites_of_service": sites}
    (folder / "codes" / "74440.yaml").write_text(yaml.safe_dump(code), encoding="utf-8")
    loaded = load_sources(folder)
    assert loaded.errors == [] and loaded.publication is not None
    return report_html(assemble(loaded.codes[0], loaded.publication))


class TestSitesLabelFollowsTheCount:
    """The sites of service are labelled in the singular unless the source lists several."""

    @pytest.mark.parametrize(
        ("sites", "label"),
        [
            (None, SITE_OF_SERVICE),
            (["Office"], SITE_OF_SERVICE),
            (["Office", "Hospital"], SITES_OF_SERVICE),
            ([f"Site {n}" for n in range(1, 31)], SITES_OF_SERVICE),
        ],
        ids=["none", "one", "two", "thirty"],
    )
    def test_field_and_availability_item(
        self, tmp_path: Path, sites: list[str] | None, label: str
    ) -> None:
        html = report_with_sites(tmp_path / "sources", sites)
        other = SITES_OF_SERVICE if label == SITE_OF_SERVICE else SITE_OF_SERVICE
        assert f"<dt>{label}</dt>" in html
        # Data availability names the item only when it has no data.
        gap = re.search(rf"<li>Billing Code Overview: [^<]*\b{label}[,.][^<]*</li>", html)
        assert (gap is None) == bool(sites), html
        assert other not in html


class TestRevisionHistoryLabels:
    """The revision history names fields with the report's labels, in the seed's spelling."""

    @pytest.mark.parametrize(
        ("old", "new", "sentence"),
        [
            (
                {"overview": {"sites_of_service": ["A"]}},
                {"overview": {"sites_of_service": ["A", "B"]}},
                "CPT 1 › Billing Code Overview › Typical sites of service › item 2: added, “B”",
            ),
            (
                {"overview": {"sites_of_service": ["A"]}},
                {"overview": {"sites_of_service": ["C"]}},
                "CPT 1 › Billing Code Overview › Typical site of service › item 1: "
                "changed from “A” to “C”",
            ),
            (
                {"overview": {"service_type": "X"}},
                {"overview": {"service_type": "X", "sites_of_service": ["A"]}},
                "CPT 1 › Billing Code Overview › Typical site of service: added, “A”",
            ),
            (
                {"modifiers": [{"code": "26", "description": "d", "when_to_use": "a"}]},
                {"modifiers": [{"code": "26", "description": "d", "when_to_use": "b"}]},
                "CPT 1 › Modifiers › 26 › When to Use: changed from “a” to “b”",
            ),
            (
                {"modifiers": []},
                {"modifiers": [{"code": "TC", "description": "d", "when_to_use": "b"}]},
                "CPT 1 › Modifiers › TC: added, Description “d”; When to Use “b”",
            ),
        ],
        ids=["several-sites", "one-site", "sites-added", "when-to-use", "modifier-added"],
    )
    def test_change_sentence(self, old: Any, new: Any, sentence: str) -> None:
        changes = list(Differ(LABELS, {}).diff(old, new, "CPT 1"))
        assert [change.sentence for change in changes] == [sentence]
