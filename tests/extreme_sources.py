"""Valid sources in shapes the sample never takes: every field at its extremes.

Two sources folders. `one`: a publication with one key payer and only its required
fields, a code whose every list holds exactly one entry and whose every field is filled,
and a code as `import-pfs --create` makes it (indicators and benchmarks only). `many`: a
publication with thirty key payers and every optional field, a code whose every list
holds thirty entries (sites, personnel, settings, modifiers, related codes, diagnoses,
considerations, policies, benchmarks from thirty sources, references), Markdown nested as
deep as `check` allows, payer rows from empty to full and one taller than a page, and
again a sparse code, whose thirty payer rows are all empty.

Every sentence names its field and number, so that no two sentences are alike and a test
can look each one up in a PDF's text.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from ruamel.yaml import YAML

from report.markdown import MAX_NESTING

MANY = 30
FOLDERS = ("one", "many")
CODE = "74440"
# The code `import-pfs --create` makes in each folder from the sample fee-schedule file.
SPARSE = {"one": "G0279", "many": "99213"}
# Thirty two-character modifiers, as the format allows them.
MODIFIERS = ("26", "TC", *map(str, range(50, 64)), *(f"X{c}" for c in "ABCDEFGHIJKLMN"))
# The lists of a code source, and the keys of each entry that hold text (None: a string).
LISTS: dict[tuple[str, ...], tuple[str, ...] | None] = {
    ("overview", "sites_of_service"): None,
    ("clinical_context", "personnel"): None,
    ("clinical_context", "settings"): None,
    ("modifiers",): ("description", "when_to_use"),
    ("related_codes",): ("relationship",),
    ("diagnoses",): ("description",),
    ("coding_considerations",): None,
    ("payers", "aetna", "policies"): ("title",),
    ("benchmarks",): ("label", "source"),
    ("references",): ("title",),
}


def sentence(field: str, n: int, extra: str = "") -> str:
    """Return a sentence of its own for entry n of a field, with marks a layout must keep."""
    return (
        f"Entry {n} of {field} holds {extra}its own words—“quoted”, (parenthesised), "
        f"32-year-old & 100% sure."
    )


def run_on(field: str, clauses: int) -> str:
    """Return one sentence of many clauses, taller than a page in a narrow column."""
    listed = ", ".join(f"clause {n} of {field}" for n in range(1, clauses + 1))
    return f"The one sentence of {field} runs on through {listed} and ends here."


def paragraphs(field: str, count: int) -> str:
    """Return count Markdown paragraphs of two sentences, with emphasis, code and a link."""
    return "\n\n".join(
        f"{sentence(field, n, '*emphasis*, `code 74440` and ')} "
        f"See [the policy of {field} {n}](https://example.org/{n}) before radio\u00adgraphic work."
        for n in range(1, count + 1)
    )


def nested_lists(field: str) -> str:
    """Return bullet and numbered lists nested MAX_NESTING deep, and a quote in a list."""
    lines = []
    for level in range(MAX_NESTING):
        indent = "   " * level
        marker = "1." if level % 2 else "-"
        lines.append(f"{indent}{marker} {sentence(field + ' level', level + 1)}")
        lines.append(f"{indent}{marker} Second item at level {level + 1} of {field}.")
    quote = f"\n\n- A list item of {field} that quotes:\n\n  > {sentence(field + ' quote', 1)}"
    return "\n".join(lines) + quote


def markdown(field: str, count: int) -> str:
    """Return paragraphs, then nested lists, then a closing paragraph."""
    return f"{paragraphs(field, count)}\n\n{nested_lists(field)}\n\nLast words of {field}."


def benchmark(n: int, count: int) -> dict[str, Any]:
    """Return benchmark n of count: a third each of global, 26 and TC, a source each."""
    component = ("global", "26", "TC")[(n - 1) * 3 // count]
    labels = ("Work RVU", "Practice expense RVU", "Malpractice RVU", "Total RVU")
    label = labels[n % 4] if n % 5 else f"Conversion factor {n}"
    return {
        "label": f"{label} of entry {n}" if n > 4 else label,
        "value": round(0.37 * n, 2) if n % 5 else 34.6062,
        "unit": "RVU" if n % 5 else "USD",
        "component": component,
        "source": f"Source {n} of the benchmarks, a relative value file released in {2000 + n}",
        "as_of": dt.date(2000 + n, 1 + n % 12, 1),
    }


def payer_entries(count: int) -> dict[str, Any]:
    """Return payer entries from full to empty: thirty payers' rows of every kind.

    The first is taller than a page (a coverage of many paragraphs, a prior authorization
    of one sentence longer than a page's column, thirty policies); then full rows, rows
    with one field each, null entries, and payers left out.
    """
    if count == 1:
        return {"aetna": full_payer("aetna", 1, 1)}
    entries: dict[str, Any] = {"aetna": full_payer("aetna", 24, count)}
    entries["aetna"]["prior_authorization"] = run_on("authorization of aetna", 160)
    for n in range(2, count + 1):
        payer = payer_id(n)
        if n <= 10:
            entries[payer] = full_payer(payer, 1, 1)
        elif n <= 15:
            entries[payer] = {"coverage": sentence(f"coverage of {payer}", 1)}
        elif n <= 18:
            entries[payer] = {"prior_authorization": sentence(f"authorization of {payer}", 1)}
        elif n <= 21:
            entries[payer] = {"policies": [{"title": sentence(f"policy of {payer}", 1)}]}
        elif n <= 25:
            entries[payer] = None  # an entry without a value: an empty row
    return entries  # payers 26 to 30 have no entry: empty rows too


def full_payer(payer: str, paragraph_count: int, policy_count: int) -> dict[str, Any]:
    """Return a payer entry with every field: coverage, prior authorization, policies."""
    policies: list[dict[str, Any]] = []
    for n in range(1, policy_count + 1):
        policy: dict[str, Any] = {"title": sentence(f"policy of {payer}", n)}
        if n % 3 != 1:
            policy["id"] = f"POL-{payer.upper()}-{n:03d}"
        if n % 2:
            policy["url"] = f"https://example.org/{payer}/policy/{n}"
        policies.append(policy)
    coverage = paragraphs(f"coverage of {payer}", paragraph_count)
    if paragraph_count > 1:
        coverage += "\n\n" + nested_lists(f"coverage of {payer}")
    return {
        "coverage": coverage,
        "prior_authorization": sentence(f"authorization of {payer}", 1),
        "policies": policies,
    }


def payer_id(n: int) -> str:
    """Return the id of key payer n (the first is aetna)."""
    return "aetna" if n == 1 else f"payer-{n:02d}"


def publication(count: int) -> dict[str, Any]:
    """Return a publication with count key payers: with one, only its required fields."""
    data: dict[str, Any] = {
        "title": "Code Reports at the Extremes",
        "publisher": "Extremes Editorial",
        "edition": "2026.11",
        "effective_date": dt.date(2026, 11, 1),
        "payers": [{"id": payer_id(n), "name": f"Payer Number {n}"} for n in range(1, count + 1)],
        "notices": {
            "copyright": "CPT® codes and descriptions only are copyright 2025 American Medical "
            "Association. All rights reserved.",
            "disclaimer": paragraphs("the disclaimer", 1),
        },
    }
    data["payers"][0]["name"] = "Aetna"
    if count > 1:
        data |= {"subtitle": sentence("the subtitle", 1), "audience": "national"}
        data |= {"language": "en-US", "page_size": "letter"}
        data["notices"]["trademark"] = sentence("the trademark", 1)
        data["notices"]["disclaimer"] = markdown("the disclaimer", 2)
    else:
        data["page_size"] = "A4"
    return data


def entries(path: tuple[str, ...], count: int) -> list[Any]:
    """Return count entries of one list of the code source."""
    field = " ".join(path).replace("_", " ")
    items: list[Any] = []
    for n in range(1, count + 1):
        if path == ("modifiers",):
            item: Any = {"code": MODIFIERS[n - 1], "description": f"Modifier {n} description"}
            item["when_to_use"] = f"{sentence(field, n)} Use it in case {n} only."
        elif path == ("related_codes",):
            system = "HCPCS" if n % 4 == 0 else "CPT"
            code = f"G{n:04d}" if system == "HCPCS" else str(55300 + n)
            item = {"code": code, "system": system, "relationship": sentence(field, n)}
        elif path == ("diagnoses",):
            item = {"code": f"N{40 + n % 60}.{n % 10}{n % 7}", "description": sentence(field, n)}
        elif path == ("coding_considerations",):
            item = markdown(f"{field} {n}", 1) if n in (1, count) else paragraphs(f"{field} {n}", 1)
        elif path == ("benchmarks",):
            item = benchmark(n, count)
        elif path == ("references",):
            item = {"title": sentence(field, n)}
            if n % 2:
                item["url"] = f"https://example.org/reference/{n}"
            if n % 3:
                item["accessed"] = dt.date(2026, 1 + n % 12, 1 + n % 28)
        else:
            item = sentence(field, n)
        items.append(item)
    return items


def code_source(count: int) -> dict[str, Any]:
    """Return a code source with every field filled and every list count entries long."""
    data: dict[str, Any] = {
        "code": CODE,
        "system": "CPT",
        "title": f"Every field filled, {count} entr{'y' if count == 1 else 'ies'} in each list",
        "summary": markdown("the summary", 3) if count > 1 else paragraphs("the summary", 1),
        "overview": {
            "description": markdown("the description", 2) if count > 1 else "A description.",
            "service_type": sentence("the service type", 1),
            "sites_of_service": entries(("overview", "sites_of_service"), count),
        },
        "indicators": {"status": "A", "global_period": "090", "pc_tc": "1"},
        "clinical_context": {
            "vignette": markdown("the vignette", 8) if count > 1 else sentence("the vignette", 1),
            "personnel": entries(("clinical_context", "personnel"), count),
            "settings": entries(("clinical_context", "settings"), count),
        },
        "modifiers": entries(("modifiers",), count),
        "related_codes": entries(("related_codes",), count),
        "diagnoses": entries(("diagnoses",), count),
        "coding_considerations": entries(("coding_considerations",), count),
        "payers": payer_entries(count),
        "benchmarks": entries(("benchmarks",), count),
        "references": entries(("references",), count),
    }
    return data


def write_extreme_sources(base: Path) -> dict[str, Path]:
    """Write both sources folders under base (the sparse codes not yet); return them by name.

    Written as YAML 1.2, as the builder reads it: a string such as "090" stays quoted.
    """
    folders = {}
    dumper = YAML(typ="safe", pure=True)
    dumper.allow_unicode, dumper.width, dumper.default_flow_style = True, 100, False
    dumper.sort_base_mapping_type_on_output = False  # type: ignore[assignment]
    for name, count in zip(FOLDERS, (1, MANY), strict=True):
        folder = base / name
        (folder / "codes").mkdir(parents=True)
        dumper.dump(publication(count), folder / "publication.yaml")
        dumper.dump(code_source(count), folder / "codes" / f"{CODE}.yaml")
        folders[name] = folder
    return folders


class Ran(Protocol):
    """The outcome of one command-line run (conftest.Run)."""

    @property
    def code(self) -> int:
        """Return the exit status."""
        ...

    @property
    def stdout(self) -> str:
        """Return what it printed."""
        ...

    @property
    def stderr(self) -> str:
        """Return what it printed on standard error."""
        ...


VARIANTS = ("pdf/ua-1", "pdf/a-3b")


@dataclass(frozen=True)
class ExtremeBuild:
    """A folder of the extreme sources, what `check --format json` said, and its builds."""

    sources: Path
    check: Ran
    outs: dict[str, Path]  # by PDF variant


def build_extreme_sources(
    base: Path, run: Callable[..., Ran], pfs_file: Path
) -> dict[str, ExtremeBuild]:
    """Write each folder, add its sparse code with import-pfs, check it, build both variants."""
    built = {}
    for name, folder in write_extreme_sources(base).items():
        made = run("import-pfs", str(pfs_file), SPARSE[name], "--sources", str(folder), "--create")
        assert made.code == 0, made.stderr
        outs = {variant: base / f"{name}-{variant[4:]}" for variant in VARIANTS}
        for variant, out in outs.items():
            result = run(
                "build", "--sources", str(folder), "--out", str(out), "--pdf-variant", variant
            )
            assert result.code == 0, result.stderr
        check = run("check", "--sources", str(folder), "--format", "json")
        built[name] = ExtremeBuild(folder, check, outs)
    return built
