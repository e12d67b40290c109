"""`new CODE`: write a commented skeleton of a code source, every key present, valid as written."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import get_args

import jinja2

from report.assemble import NOT_AVAILABLE
from report.errors import SourceError, UsageError, WriteError, excerpt
from report.outputs import atomic_write
from report.sources import code_from_bytes, load_publication
from report.sources.models import (
    CODE_PATTERNS,
    Component,
    GlobalPeriod,
    Publication,
    System,
    system_of,
)
from report.sources.scalars import STR, resolve

TEMPLATE = "code.yaml.j2"
# Printed until the author writes the real one; `check` gives a notice for it.
PLACEHOLDER_TITLE = "Title to be written"
COMMENT_COLUMN = 24  # where the inline comments of the skeleton start
# The JSON Schema of a code source in the checkout the builder runs from (written by
# `python build.py schema`), which the skeleton's first line points editors at.
CHECKOUT = Path(__file__).resolve().parents[1]
CODE_SCHEMA = CHECKOUT / "docs" / "schema" / "code.schema.json"


@dataclass(frozen=True)
class PayerKey:
    """One key payer as the skeleton lists it: its id as a YAML key, its name for a comment."""

    key: str
    name: str
    pad: str


@dataclass(frozen=True)
class Skeleton:
    """What the skeleton template fills in: the code and the values the format allows."""

    code: str
    system: str
    title: str
    payers: tuple[PayerKey, ...]
    code_rules: tuple[str, ...]
    systems: str
    global_periods: str
    components: str
    not_available: str
    schema: str | None


def _choices(literal: object, quote_all: bool = False) -> str:
    """List a Literal's values as YAML wants them written: in quotes where needed (or all)."""
    values = [json.dumps(v) if quote_all or resolve(v) != STR else v for v in get_args(literal)]
    return ", ".join(values[:-1]) + " or " + values[-1]


def _payer_key(payer_id: str, name: str) -> PayerKey:
    """Quote an id that YAML would read as something other than text (null, true...)."""
    key = payer_id if resolve(payer_id) == STR else json.dumps(payer_id)
    one_line = " ".join(excerpt(name, 60).splitlines())  # a comment ends at any line break
    return PayerKey(key, one_line, " " * max(1, COMMENT_COLUMN - len(key) - 3))


def code_system(code: str, system: str | None) -> str:
    """Return the system of a new code: the one asked for, else the one its shape says."""
    shaped = system_of(code)
    chosen = system or shaped or ("HCPCS" if code[:1].isalpha() else "CPT")
    if shaped is not None and shaped != chosen:
        raise UsageError(
            f'"{excerpt(code)}" is a {shaped} code, not {chosen}: leave out '
            f"--system, or write --system {shaped}"
        )
    if shaped is None:
        hint = f'; did you mean "{code.upper()}"?' if system_of(code.upper()) == chosen else ""
        raise UsageError(
            f'"{excerpt(code)}" is not a valid {chosen} code ({CODE_PATTERNS[chosen][1]}){hint}'
        )
    return chosen


@cache
def _environment() -> jinja2.Environment:
    """Return a Jinja2 environment for YAML: no escaping, strict undefined."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("report", "templates"),
        autoescape=False,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def schema_reference(target: Path, schema: Path = CODE_SCHEMA) -> str | None:
    """Return where a source written to target finds the schema; None if there is none.

    A source inside the checkout names it relative to its own folder, as the YAML
    language server reads it, so the reference holds in every clone; one elsewhere by
    its file URI. A builder installed from a wheel has no checkout, and names none.
    """
    if not schema.is_file():
        return None
    folder = target.parent.resolve()
    if folder.is_relative_to(schema.parents[2]):
        return Path(os.path.relpath(schema, folder)).as_posix()
    return schema.as_uri()


def skeleton(code: str, system: str, publication: Publication, schema: str | None = None) -> bytes:
    """Return the skeleton source of a code: every key of the format, empty and commented.

    schema: where the first line points an editor's YAML language server (none: no line).
    """
    context = Skeleton(
        code=code,
        system=system,
        title=json.dumps(PLACEHOLDER_TITLE),
        payers=tuple(_payer_key(p.id, p.name) for p in publication.payers),
        code_rules=tuple(f"{name}: {rule}." for name, (_, rule) in CODE_PATTERNS.items()),
        systems=_choices(System),
        global_periods=_choices(GlobalPeriod, quote_all=True),
        components=_choices(Component),
        not_available=NOT_AVAILABLE,
        schema=schema,
    )
    return _environment().get_template(TEMPLATE).render(s=context).encode("utf-8")


def _exists(path: str) -> str:
    return f"{path} already exists; new never overwrites a source"


def new_code(folder: Path, shown_path: str, code: str, system: str | None = None) -> str:
    """Write folder/codes/CODE.yaml, a skeleton valid as written; return its path as shown.

    Refuses a malformed code, a code of another system, a folder without a
    publication.yaml (its payers are listed in the skeleton) and an existing file.
    """
    system = code_system(code, system)
    if not folder.is_dir():
        raise UsageError(f"{shown_path}: the sources folder does not exist")
    publication_path = os.path.join(shown_path, "publication.yaml")
    if not os.path.lexists(folder / "publication.yaml"):
        raise UsageError(
            f"{publication_path}: not found; new adds a code to a sources "
            "folder that has its publication.yaml"
        )
    target = folder / "codes" / f"{code}.yaml"
    path = os.path.join(shown_path, "codes", f"{code}.yaml")
    if os.path.lexists(target):
        raise UsageError(_exists(path))
    publication, findings = load_publication(folder, shown_path)
    if publication is None:
        raise SourceError(findings)
    data = skeleton(code, system, publication.model, schema_reference(target))
    valid, findings = code_from_bytes(data, path, code, publication.model)
    if valid is None:  # the template and the models disagree: a bug, not the author's doing
        raise RuntimeError(
            "the skeleton is not a valid source:\n" + "\n".join(str(f) for f in findings)
        )
    try:
        atomic_write(target, data, replace=False)
    except FileExistsError as exc:  # written since the check above
        raise UsageError(_exists(path)) from exc
    except WriteError as exc:  # a full disk, a read-only or vanished folder
        raise WriteError(path, exc.reason) from exc
    return path
