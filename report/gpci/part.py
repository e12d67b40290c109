"""The Benchmarks section's "Medicare payment by locality" part: rows, notes, or what is missing.

For each component with RVU parts: the payment in each setting for the localities
publication.yaml names, then the lowest, median and highest of all localities, each row
with the three indices it is computed from. One note per component gives its relative
values, the conversion factor, the formula, one row worked out and the sources; the
addendum's footnotes of the rows shown and how the median is taken are said once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from report.figures import COMPONENT_NAMES, SourceNote
from report.gpci.payments import (
    SETTINGS,
    Payment,
    RvuParts,
    index_text,
    money,
    payment,
    rvu_parts,
    rvu_text,
)
from report.sources.indices import Indices, Locality, matching
from report.sources.models import Benchmark, Publication

NOT_PRICED = "NA"  # a setting the fee schedule does not price, as its file marks it
NONE = "\u2014"  # a cell the row has no figure for: a median's indices, another setting's
KINDS = ("lowest", "median", "highest")


@dataclass(frozen=True)
class Cell:
    """One payment of the table: rounded, NA where the setting is not priced, or none."""

    amount: Decimal | None
    blank: bool = False  # the row is of the other setting only: "—"

    @property
    def text(self) -> str:
        """Return the figure as printed."""
        if self.blank:
            return NONE
        return NOT_PRICED if self.amount is None else money(self.amount)


@dataclass(frozen=True)
class LocalityRow:
    """One row: a locality (or a statistic of all), the indices it used, its two payments."""

    label: str
    detail: str  # the locality's state and number, or which localities the figure is of
    indices: tuple[str, str, str]  # work, PE and MP GPCI as printed; "—" for a mean
    cells: tuple[Cell, Cell]  # non-facility, facility
    statistic: bool = False  # the lowest, median or highest of all localities
    marker: str = ""  # a named locality's footnote marker in the addendum ("*")


@dataclass(frozen=True)
class LocalityGroup:
    """The rows of one component (global, 26 or TC) and the number of its note."""

    component: str
    name: str
    rows: tuple[LocalityRow, ...]
    note: int


@dataclass(frozen=True)
class LocalityNote:
    """A numbered note: one component's relative values, arithmetic and sources."""

    number: int
    text: str


@dataclass(frozen=True)
class LocalityPart:
    """The part as a report prints it: its year, groups and notes, or why it has no figures.

    remarks: said once for the part, below the table: the addendum's footnote of each
    marker a row shows, then how the median is taken.
    """

    year: int | None
    groups: tuple[LocalityGroup, ...]
    notes: tuple[LocalityNote, ...]
    count: int  # the localities of the indices
    missing: str | None = None  # what the sources lack for the figures
    remarks: tuple[str, ...] = ()


def _amount_text(value: Decimal) -> str:
    """Return an exact amount with every digit it has (at least cents), e.g. $92.45738454."""
    text = format(value.normalize(), "f")
    whole, _, fraction = text.partition(".")
    return f"${int(whole):,}.{fraction.ljust(2, '0')}"


def ordinal(number: int) -> str:
    """Return 1st, 2nd, 3rd, 4th, 11th, 56th, 112th..."""
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10)
    return f"{number}{suffix or 'th'}"


def _place(locality: Locality) -> str:
    return f"{locality.name} ({locality.state}, locality {locality.number})"


def _indices(locality: Locality) -> tuple[str, str, str]:
    return (index_text(locality.work), index_text(locality.pe), index_text(locality.mp))


def _worked(found: Payment) -> str:
    return f"{found.formula} = {_amount_text(found.amount)}, rounded to {money(found.amount)}"


def _by_setting(said: list[str | None]) -> str:
    """Say each priced setting's text, once for both when they are the same."""
    if said[0] is not None and said[0] == said[1]:
        return f"both settings: {said[0]}"
    return "; ".join(f"{s}: {text}" for s, text in zip(SETTINGS, said, strict=True) if text)


@dataclass(frozen=True)
class Statistic:
    """A statistic of one setting's payments over all localities.

    Either one locality's payment (and how many others pay the same), or the mean of the
    two middle payments, which is no one locality's.
    """

    amount: Decimal
    locality: Locality | None  # None: the mean of middle
    ties: int = 0
    middle: tuple[Payment, Payment] | None = None

    @property
    def key(self) -> tuple[str, ...]:
        """Return what the row of this statistic shows besides the amount."""
        if self.middle:
            return tuple(p.locality.name for p in self.middle)
        assert self.locality is not None
        return (_place(self.locality), str(self.ties))


def statistic(kind: str, found: list[Payment]) -> Statistic | None:
    """Return a statistic (lowest, median or highest) of one setting's payments."""
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
        return Statistic((low.amount + high.amount) / 2, None, middle=(low, high))
    chosen = {"lowest": ranked[0], "median": ranked[middle]}.get(kind, ranked[-1])
    ties = sum(1 for p in found if p.amount == chosen.amount) - 1
    return Statistic(chosen.amount, chosen.locality, ties)


def _mean(stat: Statistic | None) -> str | None:
    """Return the working of a median that is the mean of the two middle payments."""
    if stat is None or stat.middle is None:
        return None
    low, high = stat.middle
    return (
        f"({low.locality.name} {_amount_text(low.amount)} + {high.locality.name} "
        f"{_amount_text(high.amount)}) ÷ 2 = {_amount_text(stat.amount)}, rounded to "
        f"{money(stat.amount)}"
    )


def _statistic_rows(kind: str, stats: list[Statistic | None], count: int) -> list[LocalityRow]:
    """Return a statistic's row, or one row per setting where the settings' differ."""
    label = f"{kind.capitalize()} of {count}"
    shown = [stat for stat in stats if stat is not None]
    if len({stat.key for stat in shown}) == 1:
        cells = (
            Cell(stats[0].amount if stats[0] else None),
            Cell(stats[1].amount if stats[1] else None),
        )
        return [_statistic_row(label, shown[0], cells)]
    rows = []
    for i, (setting, stat) in enumerate(zip(SETTINGS, stats, strict=True)):
        if stat is not None:
            cells = (Cell(stat.amount, blank=i != 0), Cell(stat.amount, blank=i != 1))
            rows.append(_statistic_row(f"{label}, {setting}", stat, cells))
    return rows


def _statistic_row(label: str, stat: Statistic, cells: tuple[Cell, Cell]) -> LocalityRow:
    if stat.middle is not None:
        low, high = stat.middle
        detail = f"mean of {low.locality.name} and {high.locality.name}"
        return LocalityRow(label, detail, (NONE, NONE, NONE), cells, statistic=True)
    where = stat.locality
    assert where is not None
    more = f" and {stat.ties} more paying the same" if stat.ties else ""
    detail = f"{where.name}{where.footnote or ''} ({where.state}, locality {where.number}){more}"
    return LocalityRow(label, detail, _indices(where), cells, statistic=True)


def formula(parts: RvuParts) -> str:
    """Return the formula with a component's relative values and conversion factor in it."""
    pe = [parts.pe[s] for s in SETTINGS]
    said = [rvu_text(value) if value is not None else NOT_PRICED for value in pe]
    if said[0] != said[1]:
        said[0] = "(" + ", ".join(f"{v} {s}" for v, s in zip(said, SETTINGS, strict=True)) + ")"
    factor = parts.factor_label[0].lower() + parts.factor_label[1:]
    return (
        f"payment = (work RVU {rvu_text(parts.work)} × work GPCI + PE RVU {said[0]} × PE GPCI "
        f"+ MP RVU {rvu_text(parts.mp)} × MP GPCI) × {factor} ${parts.factor}, rounded to "
        "the cent"
    )


def _note(
    parts: RvuParts, number: int, worked: Locality, medians: list[Statistic | None], sources: str
) -> LocalityNote:
    """Return a component's note: its figures in the formula, one row worked, the sources."""
    found = [payment(parts, setting, worked) for setting in SETTINGS]
    row = _by_setting([_worked(p) if p is not None else None for p in found])
    means = [_mean(stat) for stat in medians]
    median = f" Median, {_by_setting(means)}." if any(means) else ""
    return LocalityNote(
        number,
        f"{COMPONENT_NAMES[parts.component]}: {formula(parts)}. {worked.name}, {row}."
        f"{median} Sources: {sources}.",
    )


def _group(
    parts: RvuParts, named: list[Locality], indices: Indices, number: int, sources: str
) -> tuple[LocalityGroup, LocalityNote, list[Locality]]:
    """Return one component's rows, its note numbered number, and the localities it shows."""
    every = indices.model.localities
    rows: list[LocalityRow] = []
    shown = list(named)
    for locality in named:
        found = [payment(parts, setting, locality) for setting in SETTINGS]
        detail = f"{locality.state}, locality {locality.number}"
        cells = (
            Cell(found[0].amount if found[0] else None),
            Cell(found[1].amount if found[1] else None),
        )
        rows.append(
            LocalityRow(
                locality.name, detail, _indices(locality), cells, marker=locality.footnote or ""
            )
        )
    everywhere = [
        [paid for loc in every if (paid := payment(parts, setting, loc)) is not None]
        for setting in SETTINGS
    ]
    medians: list[Statistic | None] = []
    for kind in KINDS:
        stats = [statistic(kind, paid) for paid in everywhere]
        medians = stats if kind == "median" else medians
        rows += _statistic_rows(kind, stats, len(every))
        shown += [stat.locality for stat in stats if stat is not None and stat.locality]
    worked = shown[0]  # the first named locality, else the lowest's
    note = _note(parts, number, worked, medians, sources)
    group = LocalityGroup(parts.component, COMPONENT_NAMES[parts.component], tuple(rows), number)
    return group, note, shown


def remarks(shown: list[Locality], groups: list[LocalityGroup], indices: Indices) -> list[str]:
    """Return the addendum's footnote of each marker a shown row has, and the median's rule."""
    said: list[str] = []
    footnotes = indices.model.footnotes or {}
    markers = dict.fromkeys(loc.footnote for loc in shown if loc.footnote in footnotes)
    for marker in markers:
        assert marker is not None
        names = list(dict.fromkeys(loc.name for loc in shown if loc.footnote == marker))
        which = ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else names[0]
        said.append(f"{marker} The addendum's footnote to {which}: {footnotes[marker]}")
    count = len(indices.model.localities)
    low, high = ordinal(count // 2), ordinal(count // 2 + 1)
    if count % 2:
        said.append(f"Median of {count}: the {high} payment from the lowest.")
        return said
    medians = [
        row.indices[0] == NONE
        for group in groups
        for row in group.rows
        if row.statistic and row.label.startswith("Median")
    ]
    mean = f"; as no one locality's, its indices print “{NONE}”" if any(medians) else ""
    same = (
        "; where the two are equal, one of the localities that pay it" if not all(medians) else ""
    )
    said.append(
        f"Median of {count}: the mean of the {low} and {high} payments from the lowest, "
        f"rounded to the cent{mean}{same}."
    )
    return said


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


def _sources(parts: RvuParts, cited: Sequence[SourceNote], indices_note: int) -> str:
    """Say where a component's figures come from: its benchmarks' note, the indices' note."""
    note = next((n for n in cited if n.source == parts.source), None)
    rvus = f"[{note.number}]" if note else parts.source
    return f"{rvus}, [{indices_note}]"


def locality_part(
    benchmarks: list[Benchmark],
    publication: Publication,
    indices: dict[int, Indices],
    first_note: int,
    cited: Sequence[SourceNote],
) -> LocalityPart | None:
    """Return the locality part of a report whose figures have RVU parts, else None.

    Notes are numbered from first_note; cited are the benchmarks' source notes, which the
    part's notes refer to.
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
    named = named_localities(publication, held)
    groups: list[LocalityGroup] = []
    notes = [LocalityNote(first_note, f"{held.model.source}; the indices of {year}.")]
    shown: list[Locality] = []
    for number, parts in enumerate(of_year, start=first_note + 1):
        group, note, more = _group(parts, named, held, number, _sources(parts, cited, first_note))
        groups.append(group)
        notes.append(note)
        shown += more
    said = remarks(shown, groups, held)
    count = len(held.model.localities)
    return LocalityPart(year, tuple(groups), tuple(notes), count, None, tuple(said))
