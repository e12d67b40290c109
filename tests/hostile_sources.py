"""Sources whose every text field carries markup, template syntax, CSS and local addresses.

Each field gets its own number n in its payload, so that a test can find exactly where
each one ended up. A field whose length check limits (a page margin prints it) gets the
pieces that fit. Addresses point at a local recording server: a build must never
reach it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from report.sources.printable import LIMITS

Path_ = tuple[str | int, ...]

# The kinds of field a source has, and where each text field of the format is.
PLAIN, MARKDOWN, ADDRESS, MODIFIER = "plain", "markdown", "address", "modifier"
PUBLICATION_FIELDS: dict[Path_, str] = {
    ("title",): PLAIN,
    ("subtitle",): PLAIN,
    ("publisher",): PLAIN,
    ("edition",): PLAIN,
    ("audience",): PLAIN,
    ("notices", "copyright"): PLAIN,
    ("notices", "trademark"): PLAIN,
    ("notices", "disclaimer"): MARKDOWN,
    ("payers", 0, "name"): PLAIN,
    ("payers", 1, "name"): PLAIN,
    ("payers", 0, "lookup", "title"): PLAIN,
    ("payers", 0, "lookup", "url"): ADDRESS,
}
CODE_FIELDS: dict[Path_, str] = {
    ("title",): PLAIN,
    ("summary",): MARKDOWN,
    ("overview", "description"): MARKDOWN,
    ("overview", "service_type"): PLAIN,
    ("overview", "sites_of_service", 0): PLAIN,
    ("indicators", "status"): PLAIN,
    ("indicators", "status_26"): PLAIN,
    ("indicators", "status_tc"): PLAIN,
    ("clinical_context", "vignette"): MARKDOWN,
    ("clinical_context", "personnel", 0): PLAIN,
    ("clinical_context", "settings", 0): PLAIN,
    ("modifiers", 0, "code"): MODIFIER,
    ("modifiers", 0, "description"): PLAIN,
    ("modifiers", 0, "when_to_use"): PLAIN,
    ("related_codes", 0, "relationship"): PLAIN,
    ("diagnoses", 0, "code"): PLAIN,
    ("diagnoses", 0, "description"): PLAIN,
    ("coding_considerations", 0): MARKDOWN,
    ("payers", "aetna", "coverage"): MARKDOWN,
    ("payers", "aetna", "prior_authorization"): PLAIN,
    ("payers", "aetna", "policies", 0, "title"): PLAIN,
    ("payers", "aetna", "policies", 0, "id"): PLAIN,
    ("payers", "aetna", "policies", 0, "url"): ADDRESS,
    ("benchmarks", 0, "label"): PLAIN,
    ("benchmarks", 0, "source"): PLAIN,
    ("benchmarks", 1, "label"): PLAIN,
    ("benchmarks", 2, "unit"): PLAIN,
    ("references", 0, "title"): PLAIN,
    ("references", 0, "url"): ADDRESS,
}
NOT_PRINTED = {("audience",)}  # in the format, but no report or volume shows it


def limit(source: str, path: Path_) -> int | None:
    """Return the most characters check allows in a field ("publication" or "code")."""
    return LIMITS[source].get(path, (None, ""))[0]


def shown_text(n: int, most: int | None = None) -> list[str]:
    """Return the pieces of field n's payload that must appear as text, verbatim.

    Those are the pieces that fit, after "Fn", in a field of at most `most` characters.
    """
    pieces = [
        f"<b>B{n}</b>",
        f"<script>S{n}</script>",
        f"{{{{7+{n}}}}}",
        f"{{%if 1%}}J{n}{{%endif%}}",
        "<style>p{color:red}</style>",
        f"</td></tr>T{n}",
    ]
    if most is None:
        return pieces
    kept, used = [], len(f"F{n}")
    for piece in pieces:
        if used + 1 + len(piece) <= most:
            kept.append(piece)
            used += 1 + len(piece)
    return kept


def payload(n: int, kind: str, server: str, most: int | None = None) -> str:
    """Return field n's hostile text for a field of this kind (of at most `most` characters)."""
    if kind == MODIFIER:
        return "<b"
    if most is not None:
        return " ".join([f"F{n}", *shown_text(n, most)])
    if kind == ADDRESS:
        return f'{server}/address{n}?a=1&b="><script>S{n}</script>'
    text = f"F{n} " + " ".join(shown_text(n)) + f' <img src="{server}/img{n}"> url({server}/css{n})'
    if kind == MARKDOWN:
        text += (
            f"\n\n[link{n}]({server}/md{n}) [js{n}](javascript:alert({n}))"
            f" [file{n}](file:///etc/passwd) [rel{n}](page{n}.html) [ftp{n}](ftp://x/{n})"
            f" <{server}/auto{n}> <mailto:a{n}@example.org>"
            f'\n\n<div style="background:url({server}/div{n})">D{n}</div>\n'
        )
    return text


def publication_skeleton() -> dict[str, Any]:
    return {
        "title": "",
        "subtitle": "",
        "publisher": "",
        "edition": "",
        "effective_date": dt.date(2026, 11, 1),
        "audience": "",
        "language": "en-US",
        "payers": [
            {"id": "aetna", "name": "", "lookup": {"title": "", "url": ""}},
            {"id": "medicare", "name": ""},
        ],
        "notices": {"copyright": "", "trademark": "", "disclaimer": ""},
    }


def code_skeleton() -> dict[str, Any]:
    rvu = {
        "value": 0.38,
        "unit": "RVU",
        "component": "global",
        "source": "CMS",
        "as_of": dt.date(2022, 1, 1),
    }
    return {
        "code": "74440",
        "system": "CPT",
        "title": "",
        "summary": "",
        "overview": {"description": "", "service_type": "", "sites_of_service": [""]},
        "indicators": {
            "status": "",
            "global_period": "XXX",
            "pc_tc": "1",
            "status_26": "",
            "status_tc": "",
        },
        "clinical_context": {"vignette": "", "personnel": [""], "settings": [""]},
        "modifiers": [{"code": "", "description": "", "when_to_use": ""}],
        "related_codes": [{"code": "55300", "system": "CPT", "relationship": ""}],
        "diagnoses": [{"code": "", "description": ""}],
        "coding_considerations": [""],
        "payers": {
            "aetna": {
                "coverage": "",
                "prior_authorization": "",
                "policies": [{"title": "", "id": "", "url": ""}],
            }
        },
        "benchmarks": [
            {**rvu, "label": ""},
            {**rvu, "label": "", "value": 2.56},
            {**rvu, "label": "Conversion factor", "unit": "", "value": 34.6},
        ],
        "references": [{"title": "", "url": "", "accessed": dt.date(2026, 1, 5)}],
    }


def put_value(data: Any, path: Path_, value: str) -> None:
    for step in path[:-1]:
        data = data[step]
    data[path[-1]] = value


@dataclass(frozen=True)
class HostileSources:
    """A written sources folder and the number each field's payload carries."""

    folder: Path
    publication: dict[Path_, int]
    code: dict[Path_, int]
    server: str


def write_hostile_sources(folder: Path, server: str) -> HostileSources:
    """Write publication.yaml and codes/74440.yaml with a payload in every text field."""
    publication, code = publication_skeleton(), code_skeleton()
    numbers: list[dict[Path_, int]] = [{}, {}]
    n = 0
    for data, fields, found, source in (
        (publication, PUBLICATION_FIELDS, numbers[0], "publication"),
        (code, CODE_FIELDS, numbers[1], "code"),
    ):
        for path, kind in fields.items():
            n += 1
            put_value(data, path, payload(n, kind, server, limit(source, path)))
            found[path] = n
    (folder / "codes").mkdir(parents=True)
    dump = {"allow_unicode": True, "sort_keys": False, "width": 1000}
    (folder / "publication.yaml").write_text(yaml.safe_dump(publication, **dump), "utf-8")
    (folder / "codes" / "74440.yaml").write_text(yaml.safe_dump(code, **dump), "utf-8")
    return HostileSources(folder, numbers[0], numbers[1], server)
