"""The Benchmarks section's "Medicare payment by locality" part: rows, notes, or what is missing.

For each component with RVU parts: the payment in each setting for the localities
publication.yaml names, then the lowest, median and highest of all localities. Every row
has a note with each figure's arithmetic; the part names its sources and year once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from report.figures import COMPONENT_NAMES
from report.gpci.payments import SETTINGS, Payment, RvuParts, money, payment, rvu_parts
from report.sources.indices import Indices, Locality, matching
from report.sources.models import Benchmark, Publication

NOT_PRICED = "NA"  # a setting the fee schedule does not price, as its file marks it


@dataclass(frozen=True)
class Cell:
    """One figure of the table: the rounded payment, or None where the setting is NA."""

    amount: Decimal | None

    @property
    def text(self) -> str:
        """Return the figure as printed."""
        return NOT_PRICED if self.amount is None else money(self.amount)


@dataclass(frozen=True)
class LocalityRow:
    """One row: a locality (or a statistic of all), its two figures and its note's number."""

    label: str
    detail: str  # the locality's state and number, or which localities the figure is of
    cells: tuple[Cell, Cell]  # non-facility, facility
    note: int
    statistic: bool = False  # the lowest, median or highest of all localities


@dataclass(frozen=True)
class LocalityGroup:
    """The rows of one component (global, 26 or TC)."""

    component: str
    name: str
    rows: tuple[LocalityRow, ...]


@dataclass(frozen=True)
class LocalityNote:
    """A numbered note: a source, or a row's arithmetic."""

    number: int
    text: str


@dataclass(frozen=True)
class LocalityPart:
    """The part as a report prints it: its year, groups and notes, or why it has no figures."""

    year: int | None
    groups: tuple[LocalityGroup, ...]
    notes: tuple[LocalityNote, ...]
    count: int  # the localities of the indices
    missing: str | None = None  # what the sources lack for the figures


def _amount_text(value: Decimal) -> str:
    """Return an exact amount with every digit it has (at least cents), e.g. $92.45738454."""
    text = format(value.normalize(), "f")
    whole, _, fraction = text.partition(".")
    return f"${int(whole):,}.{fraction.ljust(2, '0')}"


def _place(locality: Locality) -> str:
    return f"{locality.name} ({locality.state}, locality {locality.number})"


def _worked(found: Payment) -> str:
    return f"{found.formula} = {_amount_text(found.amount)}, rounded to {money(found.amount)}"


def _footnote(locality: Locality, indices: Indices) -> str:
    """Return what the addendum's footnote says of a locality's indices, if it has one."""
    marker = locality.footnote
    said = (indices.model.footnotes or {}).get(marker or "")
    return f" The addendum's footnote {marker}: {said}" if marker and said else ""


@dataclass(frozen=True)
class Statistic:
    """A statistic of one setting's payments over all localities: amount, whence, working."""

    amount: Decimal
    where: str  # the locality (or localities) it is the payment of
    working: str


def _statistic(kind: str, found: list[Payment], count: int) -> Statistic | None:
    """Return a statistic of one setting's payments over all localities, with its working."""
    if not found:
        return None
    ranked = sorted(found, key=lambda p: p.amount)  # stable: the addendum's order on ties
    middle = len(ranked) // 2
    if (
        kind == "median"
        and len(ranked) % 2 == 0
        and ranked[middle - 1].amount != ranked[middle].amount
    ):
        low, high = ranked[middle - 1], ranked[middle]
        amount = (low.amount + high.amount) / 2
        return Statistic(
            amount,
            f"between {low.locality.name} and {high.locality.name}",
            f"the mean of the {middle}th and {middle + 1}th of {count}, {_place(low.locality)} "
            f"{_amount_text(low.amount)} and {_place(high.locality)} "
            f"{_amount_text(high.amount)}: {_amount_text(amount)}, rounded to {money(amount)}",
        )
    chosen = {"lowest": ranked[0], "median": ranked[middle]}.get(kind, ranked[-1])
    ties = sum(1 for p in found if p.amount == chosen.amount) - 1
    also = f" (the same in {ties} other localit{'y' if ties == 1 else 'ies'})" if ties else ""
    which = ""
    if kind == "median":
        which = (
            f"the {middle}th and {middle + 1}th of {count} pay the same, "
            if len(ranked) % 2 == 0
            else f"the middle of {count}, "
        )
    return Statistic(
        chosen.amount,
        chosen.locality.name + (f" and {ties} more" if ties else ""),
        f"{which}{_place(chosen.locality)}{also}: {_worked(chosen)}",
    )


def _by_setting(said: list[str]) -> str:
    """Say each setting's figure, once for both when they are the same."""
    if said[0] == said[1]:
        return f"non-facility and facility: {said[0]}"
    return "; ".join(f"{s}: {text}" for s, text in zip(SETTINGS, said, strict=True))


def _group(
    parts: RvuParts, named: list[Locality], indices: Indices, first_note: int, sources: str
) -> tuple[LocalityGroup, list[LocalityNote]]:
    """Return one component's rows and their notes, numbered from first_note."""
    name = COMPONENT_NAMES[parts.component]
    rows: list[LocalityRow] = []
    notes: list[LocalityNote] = []
    every = indices.model.localities
    for locality in named:
        found = [payment(parts, setting, locality) for setting in SETTINGS]
        said = _by_setting(
            [_worked(p) if p is not None else f"{NOT_PRICED}, not priced" for p in found]
        )
        number = first_note + len(notes)
        notes.append(
            LocalityNote(
                number,
                f"{name}, {_place(locality)}: {said}.{_footnote(locality, indices)} "
                f"Sources: {sources}.",
            )
        )
        cells = tuple(Cell(p.amount if p else None) for p in found)
        detail = f"{locality.state}, locality {locality.number}"
        rows.append(LocalityRow(locality.name, detail, (cells[0], cells[1]), number))
    everywhere = [
        [paid for loc in every if (paid := payment(parts, setting, loc)) is not None]
        for setting in SETTINGS
    ]
    for kind in ("lowest", "median", "highest"):
        stats = [_statistic(kind, paid, len(every)) for paid in everywhere]
        said = _by_setting(
            [stat.working if stat else f"{NOT_PRICED}, not priced" for stat in stats]
        )
        number = first_note + len(notes)
        label = f"{kind.capitalize()} of {len(every)} localities"
        notes.append(LocalityNote(number, f"{name}, {label.lower()}: {said}. Sources: {sources}."))
        cells = tuple(Cell(stat.amount if stat else None) for stat in stats)
        where = {stat.where for stat in stats if stat is not None}
        detail = where.pop() if len(where) == 1 else ""
        rows.append(LocalityRow(label, detail, (cells[0], cells[1]), number, statistic=True))
    return LocalityGroup(parts.component, name, tuple(rows)), notes


def named_localities(publication: Publication, indices: Indices) -> list[Locality]:
    """Return the localities publication.yaml names, in its order, each once."""
    chosen: list[Locality] = []
    for entry in publication.localities or []:
        chosen += [loc for loc in matching(entry, indices.model.localities) if loc not in chosen]
    return chosen


def missing_inputs(year: int, factor: bool, indices: dict[int, Indices]) -> str | None:
    """Name what the sources lack to compute payments of year's RVUs, or None if nothing.

    factor: whether the figures hold a conversion factor of that year.
    """
    lacking = [] if factor else [f"a conversion factor of {year} among the benchmarks"]
    if year not in indices:
        held = ", ".join(str(other) for other in sorted(indices))
        lacking.append(
            f"the geographic practice cost indices of {year} (gpci/{year}.yaml, which "
            f"import-gpci writes; {'they hold those of ' + held if held else 'they hold none'})"
        )
    return " and ".join(lacking) or None


def locality_notice(benchmarks: list[Benchmark], indices: dict[int, Indices]) -> str | None:
    """Say what a code's payments by locality lack, for `check`; None if nothing or no RVUs."""
    years, priced = rvu_parts(benchmarks)
    if not years:
        return None
    year = years[-1]
    return missing_inputs(year, any(p.year == year for p in priced), indices)


def locality_part(
    benchmarks: list[Benchmark],
    publication: Publication,
    indices: dict[int, Indices],
    first_note: int,
    as_of: dict[str, dt.date],
) -> LocalityPart | None:
    """Return the locality part of a report whose figures have RVU parts, else None.

    Notes are numbered from first_note; as_of gives the date of each figure's source.
    """
    years, priced = rvu_parts(benchmarks)
    if not years:
        return None
    year = years[-1]
    of_year = [parts for parts in priced if parts.year == year]
    held = indices.get(year)
    if held is None or not of_year:
        lacking = missing_inputs(year, bool(of_year), indices)
        missing = (
            "No payments by locality: they need the relative values, conversion factor and "
            f"indices of one year, and the sources lack {lacking}."
        )
        return LocalityPart(year, (), (), 0, missing)
    source = of_year[0].source
    dated = as_of.get(source)
    when = f", as of {dated:%B} {dated.day}, {dated.year}" if dated else ""
    notes = [
        LocalityNote(
            first_note,
            f"Relative values and conversion factor: {source}{when}; geographic practice cost "
            f"indices: {held.model.source}, {year}. Each payment is (work RVU × work GPCI + PE "
            "RVU × PE GPCI + MP RVU × MP GPCI) × conversion factor, rounded to the cent at the "
            "end.",
        )
    ]
    sources = f"[{first_note}]"
    named = named_localities(publication, held)
    groups = []
    for parts in of_year:
        group, more = _group(parts, named, held, first_note + len(notes), sources)
        groups.append(group)
        notes += more
    return LocalityPart(year, tuple(groups), tuple(notes), len(held.model.localities))
