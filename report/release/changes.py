"""What changed between two releases: field by field, each report's history, CHANGES.md.

Fields are named as a reader knows them ("Benchmarks › Global › Work RVU › Value"), and
list items by what they are, not where they stand: a benchmark by its component and
label, a modifier or diagnosis by its code, a reference or policy by its title. Lists of
text (personnel, considerations) are compared item by item in order.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Iterator, Sequence
from typing import Any

from report.assemble import COMPONENT_NAMES, sites_of_service_label
from report.release.recorded import Recorded
from report.release.snapshot import Normalised, Snapshot
from report.stamp import FieldChange, Revision

LABELS = {
    "summary": "Summary",
    "overview": "Billing Code Overview",
    "description": "Description",
    "service_type": "Service type",
    "indicators": "Fee schedule indicators",
    "global_period": "Global period",
    "pc_tc": "PC/TC indicator",
    "clinical_context": "Clinical Context",
    "vignette": "Clinical vignette",
    "coding_considerations": "Policy & Coding Considerations",
    "payers": "Payer Coverage",
    "related_codes": "Related codes",
    "prior_authorization": "Prior authorization",
    "as_of": "As of",
    "url": "URL",
    "id": "ID",
    "when_to_use": "When to Use",
    "effective_date": "Effective date",
    "page_size": "Page size",
    "system": "Code system",
}
PUBLICATION_LABELS = {**LABELS, "payers": "Key payers", "audience": "Audience"}
# List items are known by these fields; lists not named here are compared in order.
IDENTITY = {
    "benchmarks": ("component", "label"),
    "modifiers": ("code",),
    "diagnoses": ("code",),
    "related_codes": ("system", "code"),
    "references": ("title",),
    "policies": ("title",),
    "payers": ("id",),
}
COMPONENTS = {"global": "Global", "26": "Professional (26)", "TC": "Technical (TC)"}
assert set(COMPONENTS) == set(COMPONENT_NAMES)
SHORT_TEXT = 60  # longer text is shown as an excerpt around what changed
CONTEXT_WORDS = 4
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def clip(text: str, limit: int) -> str:
    """Cut text to at most limit characters at a word boundary, never mid-word, with …."""
    if len(text) <= limit:
        return text
    cut = text[: limit + 1].rsplit(" ", 1)[0] if " " in text[:limit] else text[:limit]
    return cut.rstrip(" ,;:") + "…"


def long_date(date: dt.date) -> str:
    """Format a release's date as reports print it, e.g. December 2, 2026."""
    return f"{date:%B} {date.day}, {date.year}"


def show(value: Any) -> str:
    """Format a value for a change line: figures as printed, text quoted."""
    if isinstance(value, int):  # booleans too
        return str(value)
    if isinstance(value, float):
        return f"{value:.2f}" if round(value, 2) == value else f"{value:f}".rstrip("0")
    if isinstance(value, str):
        text = " ".join(value.split())
        if ISO_DATE.fullmatch(text):
            return text
        return f"“{clip(text, SHORT_TEXT * 2)}”"
    if isinstance(value, list):
        return "; ".join(show(item) for item in value)
    if isinstance(value, dict):
        return "; ".join(f"{key} {show(item)}" for key, item in value.items())
    return "none"


def excerpt(old: str, new: str) -> tuple[str, str]:
    """Return the part of two long texts that differs, with a few words around it."""
    a, b = old.split(), new.split()
    ops = [
        op
        for op in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
        if op[0] != "equal"
    ]
    if not ops:  # only the spacing changed
        return show(old), show(new)
    start_a, start_b = ops[0][1], ops[0][3]
    end_a, end_b = ops[-1][2], ops[-1][4]

    def cut(words: list[str], start: int, end: int) -> str:
        first, last = max(0, start - CONTEXT_WORDS), min(len(words), end + CONTEXT_WORDS)
        text = " ".join(words[first:last])
        return f"“{'…' * (first > 0)}{text}{'…' * (last < len(words))}”"

    return cut(a, start_a, end_a), cut(b, start_b, end_b)


def _changed(path: str, old: Any, new: Any) -> FieldChange:
    if (
        isinstance(old, str)
        and isinstance(new, str)
        and max(len(old), len(new)) > SHORT_TEXT
        and not ISO_DATE.fullmatch(new)
    ):
        return FieldChange("changed", path, *excerpt(old, new))
    return FieldChange("changed", path, show(old), show(new))


def _item_name(list_key: str, item: Any) -> str:
    if not isinstance(item, dict):
        return show(item)
    if list_key == "benchmarks":
        component = item.get("component", "")
        return f"{COMPONENTS.get(component, component)} › {item.get('label')}"
    return " ".join(str(item.get(key)) for key in IDENTITY[list_key])


def _keyed(list_key: str, items: list[Any]) -> dict[str, Any]:
    """Index list items by what they are; a repeated name gets (2), (3), ..."""
    indexed: dict[str, Any] = {}
    for item in items:
        name = unique = _item_name(list_key, item)
        count = 1
        while unique in indexed:
            count += 1
            unique = f"{name} ({count})"
        indexed[unique] = item
    return indexed


class Differ:
    """Compare two normalised sources, naming fields with labels and payers by name."""

    def __init__(self, labels: dict[str, str], payer_names: dict[str, str]) -> None:
        self.labels = labels
        self.payer_names = payer_names

    def label(self, key: str, value: Any = None) -> str:
        """Return the printed name of a source key, whose value may set its number."""
        if key == "sites_of_service":
            return sites_of_service_label(len(value) if isinstance(value, list) else 0)
        return self.labels.get(key, key.replace("_", " ").capitalize())

    def diff(
        self, old: Any, new: Any, path: str, key: str = "", item_of: str = ""
    ) -> Iterator[FieldChange]:
        """Yield every field added, removed or changed between two normalised values.

        key is the source key the values sit under; item_of names the list whose item
        they are (such an item is added or removed in one line, without its identity).
        """
        if old == new:
            return
        present = new if old is None else old
        if (
            (old is None or new is None)
            and not item_of
            and (isinstance(present, dict) or key in IDENTITY)
        ):
            empty: Any = {} if isinstance(present, dict) else []
            old, new = (empty if old is None else old), (empty if new is None else new)
            yield from self.diff(old, new, path, key)  # a section added or removed: each field
        elif old is None or new is None:
            value = (
                {k: v for k, v in present.items() if k not in IDENTITY[item_of]}
                if item_of and isinstance(present, dict)
                else present
            )
            what = self.show(value)
            yield (
                FieldChange("added", path, None, what)
                if old is None
                else FieldChange("removed", path, what, None)
            )
        elif isinstance(old, dict) and isinstance(new, dict):
            for child in [*new, *(k for k in old if k not in new)]:
                name = (
                    self.payer_names.get(child, child)
                    if key == "payers"
                    else self.label(child, new.get(child) or old.get(child))
                )
                yield from self.diff(old.get(child), new.get(child), f"{path} › {name}", child)
        elif isinstance(old, list) and isinstance(new, list) and key in IDENTITY:
            before, after = _keyed(key, old), _keyed(key, new)
            for item in [*after, *(k for k in before if k not in after)]:
                yield from self.diff(
                    before.get(item), after.get(item), f"{path} › {item}", item_of=key
                )
        elif isinstance(old, list) and isinstance(new, list):
            yield from self._sequence(old, new, path)
        else:
            yield _changed(path, old, new)

    def show(self, value: Any) -> str:
        """Format a value added or removed; a mapping as its labelled fields."""
        if isinstance(value, dict):
            return "; ".join(f"{self.label(k, v)} {show(v)}" for k, v in value.items())
        return show(value)

    def _sequence(self, old: list[Any], new: list[Any], path: str) -> Iterator[FieldChange]:
        """Compare two lists in order: items kept, replaced, inserted or deleted."""
        matcher = difflib.SequenceMatcher(
            None, [repr(x) for x in old], [repr(x) for x in new], autojunk=False
        )
        for op, a1, a2, b1, b2 in matcher.get_opcodes():
            if op == "equal":
                continue
            pairs = min(a2 - a1, b2 - b1) if op == "replace" else 0
            for offset in range(pairs):
                yield from self.diff(
                    old[a1 + offset], new[b1 + offset], f"{path} › item {b1 + offset + 1}"
                )
            for index in range(a1 + pairs, a2):
                yield FieldChange(
                    "removed", f"{path} › item {index + 1}", self.show(old[index]), None
                )
            for index in range(b1 + pairs, b2):
                yield FieldChange(
                    "added", f"{path} › item {index + 1}", None, self.show(new[index])
                )


def _heading(source: Normalised) -> str:
    return f"{source['system']} {source['code']}: {source['title']}"


def _payer_names(*publications: Normalised | None) -> dict[str, str]:
    names: dict[str, str] = {}
    for publication in publications:
        for payer in (publication or {}).get("payers", []):
            names.setdefault(payer["id"], payer["name"])
    return names


def next_snapshot(
    previous: Snapshot | None,
    version: str,
    publication: Normalised,
    codes: dict[str, Normalised],
    date: dt.date | None = None,
) -> Snapshot:
    """Return this release's snapshot: its sources, and the history with its changes on top.

    A report's entry lists its own fields that changed, then the publication's (which
    every report prints); a report that neither touched has no entry for this release.
    """
    history = dict(previous.history) if previous else {}
    names = _payer_names(publication, previous.publication if previous else None)
    code_differ = Differ(LABELS, names)
    pub_changes: tuple[FieldChange, ...] = ()
    pub_history = previous.publication_history if previous else ()
    if previous is None:
        pub_history = (Revision(version, "added", publication["title"], (), date),)
    else:
        pub_changes = tuple(
            Differ(PUBLICATION_LABELS, {}).diff(previous.publication, publication, "Publication")
        )
        if pub_changes:
            pub_history = (
                Revision(version, "changed", publication["title"], pub_changes, date),
                *pub_history,
            )
    old_codes = previous.codes if previous else {}
    for code in sorted(set(codes) | set(old_codes)):
        old, new = old_codes.get(code), codes.get(code)
        if new is None:
            assert old is not None
            revision = Revision(version, "removed", _heading(old), (), date)
        elif old is None:
            revision = Revision(version, "added", _heading(new), (), date)
        else:
            own = tuple(code_differ.diff(old, new, ""))
            if not own and not pub_changes:
                continue
            fields = tuple(
                FieldChange(c.kind, c.field.removeprefix(" › "), c.old, c.new) for c in own
            )
            revision = Revision(version, "changed", _heading(new), fields + pub_changes, date)
        history[code] = (revision, *history.get(code, ()))
    return Snapshot(
        version,
        previous.version if previous else None,
        publication,
        codes,
        history,
        pub_history,
        date,
    )


def changes_markdown(snapshot: Snapshot, warnings: Sequence[Recorded] = ()) -> str:
    """Return CHANGES.md: the codes this release added, removed and changed, field by field.

    Then the warnings the release was made with, if any.
    """
    version, previous = snapshot.version, snapshot.previous
    current = {
        code: revisions[0]
        for code, revisions in snapshot.history.items()
        if revisions and revisions[0].version == version
    }
    pub = next((r for r in snapshot.publication_history if r.version == version), None)
    lines = [f"# Changes in release {version}", ""]
    released = f"Released {long_date(snapshot.date)}. " if snapshot.date else ""
    if previous is None:
        lines += [
            f"{released}First release in this folder of releases: no earlier release "
            "was found there; the history starts here.",
            "",
        ]
    else:
        lines += [f"{released}Compared with release {previous}.", ""]
        lines += ["## Publication", ""]
        if pub is not None and pub.changes:
            lines += [f"- {c.sentence}" for c in pub.changes]
            lines += [
                "",
                "Every report prints the publication, so each lists these changes "
                "in its revision history too.",
            ]
        else:
            lines.append("No changes.")
        lines.append("")
    pub_fields = set(pub.changes) if pub is not None else set()
    for kind, title in (
        ("added", "Added codes"),
        ("removed", "Removed codes"),
        ("changed", "Changed codes"),
    ):
        entries = sorted((code, r) for code, r in current.items() if r.kind == kind)
        lines += [f"## {title}", ""]
        if not entries:
            lines += ["None.", ""]
        for _, revision in entries:
            if kind != "changed":
                lines.append(f"- {revision.title}")
                continue
            own = [c for c in revision.changes if c not in pub_fields]
            lines += [f"### {revision.title}", ""]
            lines += [f"- {c.sentence}" for c in own] or ["- Publication changes only."]
            lines.append("")
        if entries and kind != "changed":
            lines.append("")
    if previous is not None:
        unchanged = [code for code in sorted(snapshot.codes) if code not in current]
        lines += ["## Unchanged codes", ""]
        lines += [
            f"- {snapshot.heading(code)}: no changes since {previous}" for code in unchanged
        ] or ["None."]
        lines.append("")
    if warnings:
        count = len(warnings)
        lines += ["## Warnings", ""]
        lines += [
            f"Released with {count} warning{'s' * (count != 1)} (`release --strict` refuses them):",
            "",
        ]
        lines += [f"- {warning}" for warning in warnings]
    return "\n".join(lines).rstrip("\n") + "\n"
