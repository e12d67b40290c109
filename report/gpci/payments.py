"""Medicare's payment for a code in one locality, in exact decimal arithmetic.

payment = (work RVU × work GPCI + PE RVU × PE GPCI + MP RVU × MP GPCI) × conversion factor,
rounded to the cent once, at the end (half a cent up), as CMS does. The relative values
and the conversion factor are a code's fee-schedule benchmarks (import-pfs writes them);
the indices are gpci/YEAR.yaml's. Both must be of the same year.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from report.figures import FEE_SCHEDULE_YEAR
from report.sources.indices import Locality
from report.sources.models import Benchmark

CENT = Decimal("0.01")
SETTINGS = ("non-facility", "facility")
# The fee-schedule figures a payment is made of, by the labels import-pfs gives them.
WORK = "Work RVU"
MALPRACTICE = "Malpractice RVU"
PRACTICE_EXPENSE = {
    "non-facility": ("Non-facility practice expense RVU", "Practice expense RVU"),
    "facility": ("Facility practice expense RVU", "Practice expense RVU"),
}
FACTOR = "Conversion factor"


def exact(value: float) -> Decimal:
    """Return a source's figure as the decimal it is written as (its shortest text)."""
    return Decimal(repr(value))


def cents(value: Decimal) -> Decimal:
    """Round an amount to the cent, half a cent up, as CMS rounds payments."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def money(value: Decimal) -> str:
    """Return a rounded amount as the report prints it: $1,234.56."""
    return f"${cents(value):,.2f}"


def rvu_text(value: Decimal) -> str:
    """Return a relative value with at least two decimals, as the fee schedule prints it."""
    exponent = value.as_tuple().exponent
    return f"{value:.2f}" if isinstance(exponent, int) and exponent > -2 else f"{value}"


def index_text(value: Decimal) -> str:
    """Return an index as the addendum prints it."""
    return format(value, "f")


@dataclass(frozen=True)
class RvuParts:
    """One component's relative values and conversion factor, all of one year.

    A practice expense is None in a setting the fee schedule does not price (NA).
    """

    component: str
    year: int
    work: Decimal
    pe: dict[str, Decimal | None]  # by setting
    mp: Decimal
    factor: Decimal
    factor_label: str  # "Conversion factor", or "Conversion factor (non-QPP)"
    source: str  # the relative value file the figures come from


@dataclass(frozen=True)
class Payment:
    """One setting's payment in one locality: the exact amount and the arithmetic."""

    setting: str
    parts: RvuParts
    locality: Locality
    amount: Decimal  # exact, not yet rounded

    @property
    def rounded(self) -> Decimal:
        """Return the payment rounded to the cent."""
        return cents(self.amount)

    @property
    def formula(self) -> str:
        """Return the arithmetic with every input, e.g. (0.38 × 1 + …) × $34.6062."""
        parts, where = self.parts, self.locality
        pe = parts.pe[self.setting]
        assert pe is not None
        return (
            f"({rvu_text(parts.work)} × {index_text(where.work)} + {rvu_text(pe)} × "
            f"{index_text(where.pe)} + {rvu_text(parts.mp)} × {index_text(where.mp)}) × "
            f"${parts.factor}"
        )


def payment(parts: RvuParts, setting: str, locality: Locality) -> Payment | None:
    """Return a component's payment in one setting and locality; None where it is NA."""
    pe = parts.pe[setting]
    if pe is None:
        return None
    weighted = parts.work * locality.work + pe * locality.pe + parts.mp * locality.mp
    return Payment(setting, parts, locality, weighted * parts.factor)


def _year(figure: Benchmark) -> int | None:
    match = FEE_SCHEDULE_YEAR.match(figure.source)
    return int(match.group(1)) if match else None


def _one(figures: list[Benchmark], labels: tuple[str, ...]) -> Benchmark | None:
    return next((f for label in labels for f in figures if f.label == label), None)


def conversion_factor(benchmarks: list[Benchmark], year: int) -> Benchmark | None:
    """Return the conversion factor of the fee schedule of year among the figures, if any."""
    return next(
        (b for b in benchmarks if b.label.startswith(FACTOR) and _year(b) == year and b.value > 0),
        None,
    )


def rvu_parts(benchmarks: list[Benchmark]) -> tuple[list[int], list[RvuParts]]:
    """Return the years of the components that have RVU parts, and the parts of those priced.

    A component has RVU parts when its fee-schedule figures hold a work and a malpractice
    RVU and a practice expense in at least one setting, all of the work RVU's year; they
    are priced when a conversion factor of that year is among the figures too.
    """
    years: set[int] = set()
    found: list[RvuParts] = []
    for component in ("global", "26", "TC"):
        scheduled = [b for b in benchmarks if b.component == component and _year(b) is not None]
        work = _one(scheduled, (WORK,))
        year = _year(work) if work is not None else None
        if work is None or year is None:  # no work RVU from the fee schedule
            continue
        figures = [b for b in benchmarks if b.component == component and _year(b) == year]
        mp = _one(figures, (MALPRACTICE,))
        pe = {setting: _one(figures, labels) for setting, labels in PRACTICE_EXPENSE.items()}
        if mp is None or not any(pe.values()):
            continue
        years.add(year)
        factor = conversion_factor(benchmarks, year)
        if factor is not None:
            found.append(
                RvuParts(
                    component,
                    year,
                    exact(work.value),
                    {s: exact(f.value) if f is not None else None for s, f in pe.items()},
                    exact(mp.value),
                    exact(factor.value),
                    factor.label,
                    work.source,
                )
            )
    return sorted(years), found
