"""Typed models of the source format, version 1: strict types, no coercion, no unknown keys."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

from report.errors import excerpt
from report.markdown import images, is_web_address
from report.sources.volumes import check_item, check_stem, check_title

# CPT: Category I codes are 5 digits; the others are 4 digits and a letter: A vaccine
# codes (0001A), F Category II, M administrative MAAA, T Category III, U proprietary
# laboratory analyses. HCPCS Level II: a letter of a section in use (A-E, G, H, J-M, P-V:
# no F, I, N or O section exists), then 4 digits.
CODE_PATTERNS = {
    "CPT": (
        re.compile(r"[0-9]{4}[0-9AFMTU]"),
        "5 digits, or 4 digits then A, F, M, T or U",
    ),
    "HCPCS": (
        re.compile(r"[A-EGHJ-MP-V][0-9]{4}"),
        "a letter A to V other than F, I, N and O, then 4 digits",
    ),
}


def system_of(code: str) -> str | None:
    """Return the code system whose pattern the code matches, or None when it matches none."""
    return next(
        (system for system, (pattern, _) in CODE_PATTERNS.items() if pattern.fullmatch(code)), None
    )


PAYER_ID = re.compile(r"[a-z][a-z0-9_-]*")
LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# Characters that would corrupt the PDF's text or change how the text around them shows.
NOT_IN_TEXT = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]|(?P<bidi>[\u202a-\u202e"
    "\u2066-\u2069])|(?P<other>[\ufeff\ufffe\uffff])"
)


def _to_date(value: object) -> object:
    """Accept a YAML date or a quoted YYYY-MM-DD string; leave anything else to fail."""
    if isinstance(value, str) and ISO_DATE.fullmatch(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError as exc:
            raise ValueError(f'"{excerpt(value)}" is not a calendar date') from exc
    return value


def _printable(value: str) -> str:
    if value.isascii() and value.isprintable():  # most text: nothing to look for
        return value
    bad = NOT_IN_TEXT.search(value)
    if bad is not None:
        kind = (
            "a bidirectional formatting character"
            if bad.group("bidi")
            else "not a printable character"
            if bad.group("other")
            else "a control character"
        )
        raise ValueError(
            f"the character U+{ord(bad.group()):04X} ({kind}) is not allowed in text; remove it"
        )
    return value


def _no_images(value: str) -> str:
    found = images(value)
    if found:
        raise PydanticCustomError(
            "markdown_image",
            'images are not allowed in Markdown: "{image}"; a report never '
            "loads files or addresses named in its sources",
            {"image": excerpt(found[0].markup), "alt": found[0].alt},
        )
    return value


# A benchmark figure must be smaller than this: a longer one would not fit its column or
# the chart (no fee or relative value comes near it).
MAX_FIGURE = 1e12


def _bounded(value: float) -> float:
    if abs(value) >= MAX_FIGURE:
        raise PydanticCustomError("figure_too_large", "the figure is too large to print")
    return value


def _web_address(value: str) -> str:
    if not is_web_address(value):
        raise ValueError(
            f'"{excerpt(value)}" is not a web address; write one that starts with '
            "https://, http:// or mailto:"
        )
    return value


def _payer_id(value: str) -> str:
    if not PAYER_ID.fullmatch(value):
        raise ValueError(
            f'payer id "{excerpt(value)}" must start with a lowercase letter and hold only '
            "lowercase letters, digits, - and _"
        )
    return value


def _language(value: str) -> str:
    if not LANGUAGE_TAG.fullmatch(value):
        raise ValueError(f'"{excerpt(value)}" is not a BCP 47 language tag such as en-US')
    return value


def _releases_folder(value: str) -> str:
    if value.startswith("/") or "\\" in value:
        raise ValueError(
            f'"{excerpt(value)}" must be a folder path relative to the sources\' parent folder, '
            "written with /, such as releases"
        )
    return value


def _modifier(value: str) -> str:
    if len(value) != 2:
        raise ValueError(f'modifier "{excerpt(value)}" must be 2 characters, such as "26" or "TC"')
    return _printable(value)


def _pc_tc(value: str) -> str:
    if not re.fullmatch(r"[0-9]", value):
        raise ValueError(f'PC/TC indicator "{excerpt(value)}" must be one digit, "0" to "9"')
    return value


Date = Annotated[dt.date, BeforeValidator(_to_date)]
Text = Annotated[str, Field(min_length=1), AfterValidator(_printable)]
Markdown = Annotated[Text, AfterValidator(_no_images)]
WebAddress = Annotated[Text, AfterValidator(_web_address)]
System = Literal["CPT", "HCPCS"]
GlobalPeriod = Literal["000", "010", "090", "XXX", "YYY", "ZZZ", "MMM"]
Component = Literal["global", "26", "TC"]
PageSize = Literal["letter", "A4"]


class Strict(BaseModel):
    """Base of every source model: strict types, unknown keys rejected, immutable."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class Lookup(Strict):
    """Where a reader checks a payer's current coverage: the lookup's name and address."""

    title: Text
    url: WebAddress


class Payer(Strict):
    """A key payer of the publication: the id sources use, its name and where to check it."""

    id: Annotated[str, AfterValidator(_payer_id)]
    name: Text
    lookup: Lookup | None = None


class Notices(Strict):
    """The notices every report and the volume print: copyright, disclaimer, trademark."""

    copyright: Text
    disclaimer: Markdown
    trademark: Text | None = None


class Volume(Strict):
    """One volume of the publication: its title, file name stem and codes (or ranges)."""

    title: Annotated[Text, AfterValidator(check_title)]
    file: Annotated[str, AfterValidator(check_stem)] | None = None
    codes: Annotated[list[Annotated[str, AfterValidator(check_item)]], Field(min_length=1)]


class Publication(Strict):
    """publication.yaml: the publication every report belongs to."""

    title: Text
    subtitle: Text | None = None
    publisher: Text
    edition: Text
    effective_date: Date
    audience: Text | None = None
    language: Annotated[str, AfterValidator(_language)] = "en-US"
    page_size: PageSize = "letter"
    payers: Annotated[list[Payer], Field(min_length=1)]
    notices: Notices
    volumes: list[Volume] | None = None
    # Where releases are written and the previous one is found, relative to the sources'
    # parent folder; None: releases.
    releases: Annotated[Text, AfterValidator(_releases_folder)] | None = None
    # The payment localities whose Medicare payments every report gives (gpci/YEAR.yaml):
    # a state ("AK"), a state and locality number ("CA 18") or a locality's name.
    localities: Annotated[list[Text], Field(min_length=1)] | None = None


class Overview(Strict):
    """A code's Billing Code Overview: description, type of service, sites of service."""

    description: Markdown | None = None
    service_type: Text | None = None
    sites_of_service: list[Text] | None = None


class Indicators(Strict):
    """The fee schedule's indicators of a code: statuses, global period, PC/TC.

    status is the global row's; status_26 and status_tc those of the 26 and TC rows.
    """

    status: Text | None = None
    global_period: GlobalPeriod | None = None
    pc_tc: Annotated[str, AfterValidator(_pc_tc)] | None = None
    status_26: Text | None = None
    status_tc: Text | None = None


class ClinicalContext(Strict):
    """A code's clinical context: a vignette, the personnel and the settings."""

    vignette: Markdown | None = None
    personnel: list[Text] | None = None
    settings: list[Text] | None = None


class Modifier(Strict):
    """A modifier used with a code, and when to use it."""

    code: Annotated[str, AfterValidator(_modifier)]
    description: Text
    when_to_use: Text


class RelatedCode(Strict):
    """A code of either system related to this one, and how."""

    code: Text
    system: System
    relationship: Text


class Diagnosis(Strict):
    """A diagnosis code that supports the service."""

    code: Text
    description: Text


class Policy(Strict):
    """A payer's policy on the code: its title, id and address."""

    title: Text
    id: Text | None = None
    url: WebAddress | None = None


class PayerEntry(Strict):
    """What one key payer says of a code: coverage, prior authorization, policies, review."""

    coverage: Markdown | None = None
    prior_authorization: Text | None = None
    policies: list[Policy] | None = None
    last_reviewed: Date | None = None


class Benchmark(Strict):
    """One figure of the Benchmarks section, with its unit, component and source."""

    label: Text
    value: Annotated[float, Field(allow_inf_nan=False), AfterValidator(_bounded)]
    unit: Text
    component: Component = "global"
    source: Text
    as_of: Date


class Reference(Strict):
    """A reference the report cites."""

    title: Text
    url: WebAddress | None = None
    accessed: Date | None = None


class CodeSource(Strict):
    """codes/CODE.yaml: everything one report says of its code."""

    code: Text
    system: System
    title: Text
    summary: Markdown | None = None
    overview: Overview | None = None
    indicators: Indicators | None = None
    clinical_context: ClinicalContext | None = None
    modifiers: list[Modifier] | None = None
    related_codes: list[RelatedCode] | None = None
    diagnoses: list[Diagnosis] | None = None
    coding_considerations: list[Markdown] | None = None
    payers: dict[str, PayerEntry | None] | None = None
    benchmarks: list[Benchmark] | None = None
    references: list[Reference] | None = None
