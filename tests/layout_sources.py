"""Sources that push text off the page if the layout lets it.

Every text field of the format holds long unbreakable words, run-on code lists and long
addresses, or text at the limits `check` allows (length, nesting, the fonts' scripts).

Each long word is made of letters and digits drawn from a generator seeded by its field,
so no two words share a stretch, and a test can find each piece of a word the layout
broke over lines, columns and pages.
"""

from __future__ import annotations

import random
import string
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from hostile_sources import (
    ADDRESS,
    CODE_FIELDS,
    MARKDOWN,
    MODIFIER,
    PUBLICATION_FIELDS,
    Path_,
    code_skeleton,
    publication_skeleton,
    put_value,
)

from report.markdown import MAX_NESTING

CODES = ",".join(str(74400 + n) for n in range(40))  # 40 codes, no spaces
# What check allows in the fields a page margin prints (report/sources/printable.py).
LIMITED: dict[Path_, int] = {("title",): 150, ("edition",): 40, ("notices", "copyright"): 240}
CODE_TITLE = 500
LONG_FIELDS = {
    ("summary",),
    ("overview", "description"),
    ("clinical_context", "vignette"),
    ("modifiers", 0, "when_to_use"),
    ("diagnoses", 0, "code"),
    ("payers", "aetna", "coverage"),
    ("payers", "aetna", "prior_authorization"),
    ("references", 0, "title"),
    ("benchmarks", 0, "label"),
}


def word(seed: str, length: int) -> str:
    """Return a word of letters and digits that no other seed's word shares a stretch of."""
    rng = random.Random(seed)
    return "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(length))


def wide(length: int) -> str:
    """Return text of the widest letters, in words of nine, exactly length characters."""
    text = ("WMWMWMWMW " * (length // 10 + 1))[:length]
    return text[:-1] + "W" if text.endswith(" ") else text


def nested(depth: int, words: str) -> str:
    """Return Markdown lists and quotes nested depth levels deep, words at the deepest."""
    lines = []
    for level in range(depth):
        indent = "  " * level
        lines.append(f"{indent}- level {level + 1} of the list")
    lines.append("  " * depth + words)
    quotes = "> " * depth
    return "\n".join(lines) + f"\n\n{quotes}Quoted {depth} levels deep: {words}\n"


@dataclass(frozen=True)
class Variant:
    """A way to fill every field: a publication value, a code value, and the page size."""

    name: str
    page_size: str
    publication: Callable[[Path_, str], str]
    code: Callable[[Path_, str], str]


def _long_publication(path: Path_, kind: str) -> str:
    seed = "pub-" + "-".join(map(str, path))
    if kind == ADDRESS:
        return f"https://example.org/{word(seed, 2000)}"
    if path in LIMITED:
        return word(seed, LIMITED[path])
    if kind == MARKDOWN:
        return f"{word(seed, 3000)} {CODES}\n\n<https://example.org/{word(seed + 'a', 400)}>"
    return f"{word(seed, 200)} {CODES}"


def _long_code(path: Path_, kind: str) -> str:
    seed = "code-" + "-".join(map(str, path))
    if kind == MODIFIER:
        return "26"
    if kind == ADDRESS:
        return f"https://example.org/{word(seed, 2000)}"
    if path == ("title",):
        return word(seed, CODE_TITLE)
    if path == ("references", 0, "title"):
        return f"https://example.org/{word(seed, 3000)}"
    length = 3000 if path in LONG_FIELDS else 300
    text = f"{word(seed, length)} {CODES}"
    if kind == MARKDOWN:
        text += f"\n\n<https://example.org/{word(seed + 'a', 400)}>\n\n`{CODES}`"
    return text


def _limits_publication(path: Path_, kind: str) -> str:
    if kind == ADDRESS:
        return "https://example.org/lookup"
    if path in LIMITED:
        return wide(LIMITED[path])
    if kind == MARKDOWN:
        return nested(MAX_NESTING, "Ελληνικά, кириллица, Tiếng Việt, café")
    return f"{wide(60)} Ελληνικά кириллица"


def _limits_code(path: Path_, kind: str) -> str:
    if kind == MODIFIER:
        return "TC"
    if kind == ADDRESS:
        return "https://example.org/policy"
    if path == ("title",):
        return wide(CODE_TITLE)
    if kind == MARKDOWN:
        return nested(MAX_NESTING, f"authorization documentation {wide(40)} Ελληνικά кириллица")
    return f"{wide(40)} Ελληνικά кириллица e\u0301"


VARIANTS = {
    "long": Variant("long", "letter", _long_publication, _long_code),
    "limits": Variant("limits", "A4", _limits_publication, _limits_code),
}


def write_layout_sources(folder: Path, variant: Variant) -> None:
    """Write publication.yaml and codes/74440.yaml with every text field filled."""
    publication: dict[str, Any] = publication_skeleton()
    code: dict[str, Any] = code_skeleton()
    publication["page_size"] = variant.page_size
    for path, kind in PUBLICATION_FIELDS.items():
        put_value(publication, path, variant.publication(path, kind))
    for path, kind in CODE_FIELDS.items():
        put_value(code, path, variant.code(path, kind))
    # Figures as large as check allows, so that their column and the chart must make room.
    code["benchmarks"][0]["value"] = 999_999_999_999.99
    code["benchmarks"][1]["value"] = 987_654_321_098.765432
    (folder / "codes").mkdir(parents=True)
    dump = {"allow_unicode": True, "sort_keys": False, "width": 100_000}
    (folder / "publication.yaml").write_text(yaml.safe_dump(publication, **dump), "utf-8")
    (folder / "codes" / "74440.yaml").write_text(yaml.safe_dump(code, **dump), "utf-8")
