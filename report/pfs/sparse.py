"""The importer's text: its benchmark entries, and whole sparse sources written without a parser.

A source `--create` makes is written from a template, byte for byte what ruamel.yaml's
round-trip mode writes when the entries are put into the skeleton (report/pfs/writer.py
does that for sources that exist), so that a later import edits it like any other file.
A text ruamel.yaml would escape (a quote, a backslash, a control or line-separator
character) is left to that path instead. Whether an existing source already holds what
the file says is read from its validated model, without loading it again.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import textwrap
from collections.abc import Callable
from decimal import Decimal
from functools import lru_cache

from report.pfs.plan import CodeImport, Figure, figure_text, owned
from report.pfs.reader import PfsFile
from report.sources.models import Benchmark, CodeSource
from report.sources.yaml import Node

# What ruamel.yaml writes between double quotes as it is (allow_unicode): printable ASCII
# but the quote and the backslash, and the printable rest of the Basic Multilingual Plane
# but the line and paragraph separators and the byte order mark.
AS_WRITTEN = re.compile("[ !#-\\[\\]-~\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd]*")
LONGEST_LINE = 4000  # ruamel.yaml folds a line past its width (4096) at a space


def quoted(text: str) -> str:
    """Return text as a double-quoted YAML scalar."""
    return json.dumps(text, ensure_ascii=False)


def entry_text(
    label: str, value: str, unit: str, component: str, source: str, as_of: str
) -> list[str]:
    """Return the lines of one benchmark entry from its values as written (a list at column 0)."""
    return [
        f"- label: {label}",
        f"  value: {value}",
        f"  unit: {unit}",
        f"  component: {component}",
        f"  source: {source}",
        f"  as_of: {as_of}",
    ]


def entry_lines(figures: tuple[Figure, ...]) -> list[str]:
    """Return the lines of benchmark entries, as the importer writes them (a list at column 0)."""
    lines = []
    for f in figures:
        lines += entry_text(
            quoted(f.label),
            figure_text(f.value),
            f.unit,
            quoted(f.component) if f.component.isdigit() else f.component,
            quoted(f.source),
            f.as_of.isoformat(),
        )
    return lines


def skeleton(
    code: str,
    system: str,
    imported: CodeImport,
    pfs: PfsFile,
    quote: Callable[[str], str] = quoted,
) -> str:
    """Return a sparse source's identity: where it came from, code, system and title.

    quote writes the title as a double-quoted scalar.
    """
    title = imported.description or f"{system} {code}"
    comment = _comment(system, len(code), pfs.source).replace(PLACE, code, 1)
    return f'{comment}code: "{code}"\nsystem: {system}\ntitle: {quote(title)}\n'


PLACE = "\0"  # where the code goes in the comment


@lru_cache(maxsize=16)
def _comment(system: str, length: int, source: str) -> str:
    """Return the comment opening a new source, wrapped once for codes of this length."""
    note = (
        f"{system} {PLACE * length}: created by `report import-pfs` from the {source}. "
        "The title is the file's short description: write a plain-language title."
    )
    lines = "".join(f"# {line}\n" for line in textwrap.wrap(note, 86))
    return lines.replace(PLACE * length, PLACE, 1)


def sparse_source(code: str, system: str, imported: CodeImport, pfs: PfsFile) -> bytes | None:
    """Return a new source with its indicators and benchmarks; None if a text needs escapes."""
    texts = [imported.description, pfs.source, *imported.indicators.values()]
    texts += [text for f in imported.figures for text in (f.label, f.unit, f.source)]
    if not all(AS_WRITTEN.fullmatch(text) and len(text) < LONGEST_LINE for text in texts):
        return None
    text = skeleton(code, system, imported, pfs)
    if imported.indicators:
        text += "\nindicators:\n" + "".join(
            f'  {key}: "{value}"\n' for key, value in imported.indicators.items()
        )
    if imported.figures:
        text += "\nbenchmarks:\n" + "".join(f"  {line}\n" for line in entry_lines(imported.figures))
    return text.encode("utf-8")


def _same(benchmark: Benchmark, figure: Figure) -> bool:
    """Return whether an entry holds a figure as a loaded file compares them."""
    return (
        benchmark.label == figure.label
        and benchmark.value == float(Decimal(figure_text(figure.value)))
        and (benchmark.unit, benchmark.component) == (figure.unit, figure.component)
        and (benchmark.source, benchmark.as_of) == (figure.source, figure.as_of)
    )


def up_to_date(model: CodeSource, root: Node, imported: CodeImport) -> bool:
    """Return whether importing would change nothing in a source with this model and tree.

    True only where the edit would give back the same values: the indicators the file
    gives are those of the source, and the source's own entries are exactly the figures,
    in order, next to each other (an import would otherwise move them), each as_of a
    date as written (a quoted one would be written again unquoted).
    """
    indicators = model.indicators
    if any(getattr(indicators, key, None) != value for key, value in imported.indicators.items()):
        return False
    benchmarks = model.benchmarks
    if benchmarks is None:
        return not imported.figures
    places = [i for i, b in enumerate(benchmarks) if owned(b.source)]
    if not places:
        return bool(benchmarks) and not imported.figures
    together = places == list(range(places[0], places[0] + len(places)))
    mine = [benchmarks[i] for i in places]
    return (
        together
        and len(mine) == len(imported.figures)
        and all(_same(b, f) for b, f in zip(mine, imported.figures, strict=True))
        and all(isinstance(root.find(("benchmarks", i, "as_of"))[0].value, dt.date) for i in places)
    )
