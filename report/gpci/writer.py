"""Write a checked addendum as the indices file of a sources folder: gpci/YEAR.yaml."""

from __future__ import annotations

import json
import os
from decimal import Decimal

from report.errors import SourceError
from report.gpci.reader import GpciAddendum, GpciRow
from report.sources.indices import INDICES_FOLDER, IndicesFile, check_indices
from report.sources.validate import validate_model
from report.sources.yaml import parse_yaml


def _text(value: str) -> str:
    """Return text as a YAML double-quoted scalar (JSON's string syntax is one)."""
    return json.dumps(value, ensure_ascii=False)


def _number(value: Decimal) -> str:
    """Return an index as the addendum writes it, never in exponent form."""
    return format(value, "f")


def _locality(row: GpciRow) -> str:
    footnote = f", footnote: {_text(row.footnote)}" if row.footnote else ""
    return (
        f"  - {{mac: {_text(row.mac)}, state: {_text(row.state)}, number: {_text(row.number)}, "
        f"name: {_text(row.name)}{footnote}, work: {_number(row.work)}, pe: {_number(row.pe)}, "
        f"mp: {_number(row.mp)}}}"
    )


def indices_yaml(addendum: GpciAddendum, file_name: str) -> bytes:
    """Return the indices file of an addendum read from file_name: every locality, in order."""
    lines = [
        f"# Geographic practice cost indices (GPCIs) of {addendum.year}, written by",
        f"# `python build.py import-gpci {file_name}` from the addendum as CMS publishes it.",
        "# Every report's Medicare payments by locality are computed from this file: review a",
        "# change to it as you would a source's, and commit it with the sources.",
        f"year: {addendum.year}",
        f"source: {_text(addendum.title)}",
    ]
    if addendum.footnotes:
        lines.append("footnotes:")
        lines += [f"  {_text(k)}: {_text(v)}" for k, v in addendum.footnotes.items()]
    if addendum.notes:
        lines.append("notes:")
        lines += [f"  - {_text(note)}" for note in addendum.notes]
    lines += [
        "localities:",
        "  # contractor (MAC), state, locality number, name, footnote marker, and the work,",
        "  # practice expense (pe) and malpractice (mp) indices as the addendum prints them",
        *(_locality(row) for row in addendum.rows),
    ]
    return ("\n".join(lines) + "\n").encode("utf-8")


def indices_path(shown_sources: str, year: int) -> str:
    """Return the path of a year's indices file in a sources folder, as messages show it."""
    return os.path.join(shown_sources, INDICES_FOLDER, f"{year}.yaml")


def checked_yaml(addendum: GpciAddendum, file_name: str, shown_path: str) -> bytes:
    """Return the indices file's bytes, read back and validated as a build reads them."""
    data = indices_yaml(addendum, file_name)
    root = parse_yaml(data, shown_path)
    model, findings = validate_model(shown_path, root, IndicesFile)
    if model is not None:
        findings = check_indices(shown_path, str(addendum.year), root, model)
    if findings:
        raise SourceError(findings)
    return data
