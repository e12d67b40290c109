"""The geographic practice cost indices (GPCIs) of a sources folder: gpci/YEAR.yaml.

Each file holds one year of CMS's indices, as import-gpci writes it from the Physician
Fee Schedule final rule's addendum: the year, the source, the addendum's footnotes and
notes, and one entry per Medicare payment locality. Indices are exact decimals, read
as written: a YAML number is read back as the decimal its text says.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field

from report.errors import Finding, SourceError, excerpt
from report.sources.models import Publication, Strict, Text
from report.sources.validate import describe, locate, validate_model
from report.sources.yaml import Node, load_yaml

INDICES_FOLDER = "gpci"
STATE = re.compile(r"[A-Z]{2}")
# "NY 1": a state and the number of one of its localities.
STATE_AND_NUMBER = re.compile(r"(?P<state>[A-Za-z]{2}) +(?P<number>[0-9]{1,3})")
DIGITS = re.compile(r"[0-9]{1,6}")
MAX_INDEX = Decimal(10)  # indices are near 1; the largest ever published are below 3
FIRST_YEAR = 1992  # the fee schedule's first year


def _index(value: object) -> Decimal:
    """Read a YAML number as the exact decimal it is written as; refuse anything else."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"an index must be a number, not {describe(value)}")
    try:
        return Decimal(str(value))  # the shortest text of a float is the one written
    except InvalidOperation as exc:
        raise ValueError(f"an index must be a finite number, not {value}") from exc


def _in_range(value: Decimal) -> Decimal:
    if not value.is_finite() or not Decimal(0) < value < MAX_INDEX:
        raise ValueError(f"an index must be above 0 and below {MAX_INDEX}, not {value}")
    return value


def _digits(value: str) -> str:
    if not DIGITS.fullmatch(value):
        raise ValueError(f'"{excerpt(value)}" must be digits only, as the addendum prints it')
    return value


def _state(value: str) -> str:
    if not STATE.fullmatch(value):
        raise ValueError(f'state "{excerpt(value)}" must be two capital letters, such as "AK"')
    return value


def _year(value: int) -> int:
    if not FIRST_YEAR <= value <= 9999:
        raise ValueError(f"year {value} must be {FIRST_YEAR} (the fee schedule's first) or later")
    return value


Index = Annotated[Decimal, BeforeValidator(_index), AfterValidator(_in_range)]
Digits = Annotated[str, AfterValidator(_digits)]


class Locality(Strict):
    """One Medicare payment locality: its contractor, state, number, name and indices."""

    mac: Digits  # the Medicare Administrative Contractor
    state: Annotated[str, AfterValidator(_state)]
    number: Digits  # the locality number, unique within its contractor
    name: Text
    footnote: Annotated[str, Field(pattern=r"^\*{1,3}$")] | None = None
    work: Index  # the physician work GPCI (with any floor the law sets)
    pe: Index  # the practice expense GPCI
    mp: Index  # the malpractice GPCI


class IndicesFile(Strict):
    """gpci/YEAR.yaml: one year's indices of every locality, with their source."""

    year: Annotated[int, AfterValidator(_year)]
    source: Text
    footnotes: dict[str, Text] | None = None  # "*" -> what the addendum says of it
    notes: list[Text] | None = None
    localities: Annotated[list[Locality], Field(min_length=1)]


@dataclass(frozen=True)
class Indices:
    """One validated indices file: its path as shown, its model and its bytes."""

    path: str
    model: IndicesFile
    data: bytes

    @property
    def year(self) -> int:
        """Return the year the indices hold for."""
        return self.model.year


def indices_files(folder: Path) -> list[Path]:
    """Return the indices files of a sources folder, sorted: gpci/*.yaml."""
    found = folder / INDICES_FOLDER
    return sorted(found.glob("*.yaml")) if found.is_dir() else []


def check_indices(path: str, stem: str, root: Node, model: IndicesFile) -> list[Finding]:
    """Apply the rules that span entries: the file's name, unique localities, footnotes."""
    findings: list[Finding] = []
    if stem != str(model.year):
        findings.append(
            Finding(
                locate(path, root, ("year",)),
                f'year {model.year} does not match the file name "{stem}.yaml"; '
                f"name it {model.year}.yaml",
            )
        )
    seen: dict[tuple[str, str], int] = {}
    for index, locality in enumerate(model.localities):
        key = (locality.mac, locality.number)
        if key in seen:
            findings.append(
                Finding(
                    locate(path, root, ("localities", index, "number")),
                    f"locality {locality.number} of contractor {locality.mac} is listed twice "
                    f"(first as localities[{seen[key] + 1}])",
                )
            )
        seen.setdefault(key, index)
        if locality.footnote is not None and locality.footnote not in (model.footnotes or {}):
            findings.append(
                Finding(
                    locate(path, root, ("localities", index, "footnote")),
                    f'footnote "{locality.footnote}" is not among the file\'s footnotes',
                )
            )
    return findings


def load_indices(folder: Path, shown_path: str) -> tuple[dict[int, Indices], list[Finding]]:
    """Load and validate every indices file of a sources folder; return them by year."""
    found: dict[int, Indices] = {}
    errors: list[Finding] = []
    for file in indices_files(folder):
        path = os.path.join(shown_path, INDICES_FOLDER, file.name)
        try:
            data, root = load_yaml(file, path)
        except SourceError as exc:
            errors += exc.findings
            continue
        model, findings = validate_model(path, root, IndicesFile)
        if model is not None:
            findings = check_indices(path, file.stem, root, model)
        errors += findings
        if model is not None and not findings:
            found[model.year] = Indices(path, model, data)
    return found, errors


def matching(entry: str, localities: list[Locality]) -> list[Locality]:
    """Return the localities a publication's entry names, in the file's order.

    An entry is a state ("AK": all its localities), a state and a locality number
    ("CA 18"), or a locality's name as the addendum prints it, in any case ("Manhattan").
    """
    text = " ".join(entry.split())
    if STATE.fullmatch(text):
        return [loc for loc in localities if loc.state == text]
    if (both := STATE_AND_NUMBER.fullmatch(text)) is not None:
        state, number = both["state"].upper(), int(both["number"])
        return [loc for loc in localities if loc.state == state and int(loc.number) == number]
    return [loc for loc in localities if loc.name.casefold() == text.casefold()]


def check_localities(
    path: str, root: Node, publication: Publication, indices: dict[int, Indices]
) -> list[Finding]:
    """Refuse each `localities` entry of the publication that some indices file lacks."""
    findings: list[Finding] = []
    for position, entry in enumerate(publication.localities or []):
        lacking = [
            item.path
            for _, item in sorted(indices.items())
            if not matching(entry, item.model.localities)
        ]
        if lacking:
            findings.append(
                Finding(
                    locate(path, root, ("localities", position)),
                    f'"{excerpt(entry)}" names no locality of {", ".join(lacking)}: write a '
                    'state ("AK"), a state and locality number ("CA 18") or a locality name '
                    'as the addendum prints it ("MANHATTAN")',
                )
            )
    return findings
