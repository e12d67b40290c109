"""Check located YAML against the typed models and the cross-file rules of the format."""

from __future__ import annotations

import datetime as dt
import difflib
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from report.errors import Finding, Location, excerpt
from report.sources.models import CODE_PATTERNS, CodeSource, Publication
from report.sources.volumes import slug_stem
from report.sources.yaml import Node
from report.sources.yaml_text import offset_location

M = TypeVar("M", bound=BaseModel)

_EXPECTED = {
    "string_type": "text",
    "float_type": "a number",
    "int_type": "a whole number",
    "bool_type": "true or false",
    "date_type": "a date written YYYY-MM-DD",
    "list_type": "a list",
    "model_type": "a mapping of keys",
    "model_attributes_type": "a mapping of keys",
    "dict_type": "a mapping of keys",
}


def describe(value: Any) -> str:
    """Name the kind of a loaded YAML value the way an author thinks of it."""
    if value is None:
        return "empty (null)"
    if isinstance(value, bool):
        return f"{'true' if value else 'false'} (a boolean)"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, dt.date):
        return f"the date {value.isoformat()}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f'the text "{excerpt(value)}"'


def _name(loc: tuple[str | int, ...]) -> str:
    parts: list[str] = []
    for step in loc:
        if isinstance(step, int):
            parts[-1:] = [f"{parts[-1] if parts else ''}[{step + 1}]"]
        else:
            parts.append(step)
    return excerpt(".".join(parts), 80) if parts else "the file"


def _quote_hint(error: dict[str, Any], text: str | None) -> str:
    """Suggest quoting a value YAML read as a number, boolean or date, as it was written."""
    value = error["input"]
    scalar = isinstance(value, (bool, int, float, dt.date))
    if text is None or not scalar:
        return ""
    if error["type"] == "string_type" or (
        error["type"] == "literal_error" and not isinstance(value, (bool, dt.date))
    ):
        return f'; quote it: "{excerpt(text)}"'
    return ""


def _message(error: dict[str, Any], model: type[BaseModel], text: str | None) -> str:
    kind, loc, value = error["type"], tuple(error["loc"]), error["input"]
    name = _name(loc)
    if kind == "missing":
        where = f' in "{_name(loc[:-1])}"' if len(loc) > 1 else ""
        return f'missing required key "{excerpt(loc[-1])}"{where}'
    if kind == "extra_forbidden":
        return f'unknown key "{excerpt(loc[-1])}"{_suggest(str(loc[-1]), loc, model)}'
    if not loc and kind in _EXPECTED:
        return f"the file must be {_EXPECTED[kind]}, not {describe(value)}"
    if kind == "literal_error":
        return (
            f'"{name}" must be one of {error["ctx"]["expected"]}, not {describe(value)}'
            f"{_quote_hint(error, text)}"
        )
    if kind == "string_too_short":
        return f'"{name}" is empty; write a value or leave the key out'
    if kind == "too_short":
        return f'"{name}" must hold at least one entry'
    if kind == "value_error":
        return str(error["ctx"]["error"])
    if kind == "markdown_image":
        return str(error["msg"])
    if kind == "figure_too_large":
        return f'"{name}" must be less than 1,000,000,000,000 in size, not {excerpt(text or value)}'
    if kind == "finite_number":
        return f'"{name}" must be a finite number, not {excerpt(text or value)}'
    if kind in _EXPECTED:
        return (
            f'"{name}" must be {_EXPECTED[kind]}, not {describe(value)}{_quote_hint(error, text)}'
        )
    return f'"{name}": {error["msg"]}'


def _close_key(key: str, loc: tuple[str | int, ...], model: type[BaseModel]) -> str | None:
    close = difflib.get_close_matches(key, _fields_at(model, loc[:-1]), n=1, cutoff=0.6)
    return close[0] if close else None


def _suggest(key: str, loc: tuple[str | int, ...], model: type[BaseModel]) -> str:
    close = _close_key(key, loc, model)
    return f'; did you mean "{close}"?' if close else ""


def _fields_at(model: type[BaseModel], loc: tuple[str | int, ...]) -> list[str]:
    annotation: Any = model
    free_key = False
    for step in loc:
        if isinstance(step, int) or free_key:
            free_key = False
            continue  # a list index, or a free key such as a payer id
        field = annotation.model_fields.get(step) if _is_model(annotation) else None
        if field is None:
            return []
        annotation = _inner_model(field.annotation)
        free_key = _is_mapping(field.annotation)
    return list(annotation.model_fields) if _is_model(annotation) else []


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _is_mapping(annotation: Any) -> bool:
    if getattr(annotation, "__origin__", None) is dict:
        return True
    return any(_is_mapping(arg) for arg in getattr(annotation, "__args__", ()))


def _inner_model(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def locate(path: str, root: Node, loc: tuple[str | int, ...], at_key: bool = False) -> Location:
    """Return the location of the node at loc, or of its nearest present ancestor."""
    node, missing = root.find(loc)
    empty = node.children is None and node.value is None and not (node.text or "").strip()
    if node.key_line and (missing is not None or at_key or empty):
        return Location(path, node.key_line, node.key_column)
    if missing is not None and node is root:
        return Location(path)
    return Location(path, node.line, node.column)


def locate_markup(path: str, root: Node, loc: tuple[str | int, ...], markup: str) -> Location:
    """Return where markup starts inside the text value at loc, or where the value starts."""
    node, missing = root.find(loc)
    if missing is None and root.source is not None and node.children is None:
        start, end = node.span
        raw = root.source[start:end]
        at = raw.find(markup)
        if at >= 0:
            return Location(path, *offset_location(root.source, start + at))
    return locate(path, root, loc)


def validate_model(path: str, root: Node, model: type[M]) -> tuple[M | None, list[Finding]]:
    """Validate a located tree against model; return the instance or located findings."""
    try:
        return model.model_validate(root.plain()), []
    except ValidationError as exc:
        errors: list[dict[str, Any]] = [dict(error) for error in exc.errors()]
    # A misspelt key also leaves its field missing: report the misspelling alone.
    suggested = {
        (tuple(e["loc"][:-1]), _close_key(str(e["loc"][-1]), tuple(e["loc"]), model))
        for e in errors
        if e["type"] == "extra_forbidden"
    }
    findings = []
    for error in errors:
        loc = tuple(error["loc"])
        if error["type"] == "missing" and (loc[:-1], loc[-1]) in suggested:
            continue
        node, missing = root.find(loc)
        text = node.text if missing is None else None
        at_key = error["type"] == "extra_forbidden"
        where = (
            locate_markup(path, root, loc, "![" + error["ctx"]["alt"])
            if error["type"] == "markdown_image"
            else locate(path, root, loc, at_key)
        )
        findings.append(Finding(where, _message(error, model, text)))
    return None, findings


def check_code(
    path: str, stem: str, root: Node, code: CodeSource, publication: Publication | None
) -> list[Finding]:
    """Apply the rules that span fields or files to one valid code source."""
    findings: list[Finding] = []

    def add(loc: tuple[str | int, ...], message: str, at_key: bool = False) -> None:
        findings.append(Finding(locate(path, root, loc, at_key), message))

    if code.code != stem:
        add(("code",), f'code "{excerpt(code.code)}" does not match the file name "{stem}.yaml"')
    pattern, rule = CODE_PATTERNS[code.system]
    if not pattern.fullmatch(code.code):
        add(("code",), f'"{excerpt(code.code)}" is not a valid {code.system} code ({rule})')
    for index, related in enumerate(code.related_codes or []):
        pattern, rule = CODE_PATTERNS[related.system]
        if not pattern.fullmatch(related.code):
            add(
                ("related_codes", index, "code"),
                f'"{excerpt(related.code)}" is not a valid {related.system} code ({rule})',
            )
    seen: set[str] = set()
    for index, modifier in enumerate(code.modifiers or []):
        if modifier.code in seen:
            add(
                ("modifiers", index, "code"), f'modifier "{excerpt(modifier.code)}" is listed twice'
            )
        seen.add(modifier.code)
    if publication is not None:
        declared = [payer.id for payer in publication.payers]
        for payer_id in code.payers or {}:
            if payer_id not in declared:
                add(
                    ("payers", payer_id),
                    f'payer "{excerpt(payer_id)}" is not declared in '
                    f"publication.yaml (declared: {', '.join(declared)})",
                    at_key=True,
                )
    return findings


def check_publication(path: str, root: Node, publication: Publication) -> list[Finding]:
    """Apply the rules that span fields to a valid publication."""
    findings: list[Finding] = []
    seen: set[str] = set()
    for index, payer in enumerate(publication.payers):
        if payer.id in seen:
            findings.append(
                Finding(
                    locate(path, root, ("payers", index, "id")),
                    f'payer id "{excerpt(payer.id)}" is declared twice',
                )
            )
        seen.add(payer.id)
    return findings + check_volumes(path, root, publication)


def check_volumes(path: str, root: Node, publication: Publication) -> list[Finding]:
    """Give every volume a file name of its own: its file, or one its title gives."""
    findings: list[Finding] = []
    taken: dict[str, int] = {}
    for index, volume in enumerate(publication.volumes or []):
        stem = volume.file or slug_stem(volume.title)
        at = ("volumes", index, "file" if volume.file else "title")
        if stem is None:
            findings.append(
                Finding(
                    locate(path, root, at),
                    f'volume "{excerpt(volume.title)}" needs a file name: its title has no '
                    "letter or digit to make one of; add file: volume-NAME",
                )
            )
        elif stem in taken:
            first = taken[stem]
            findings.append(
                Finding(
                    locate(path, root, at),
                    f'volume file "{stem}.pdf" is already that of volumes[{first + 1}] '
                    f'("{excerpt((publication.volumes or [])[first].title)}"); '
                    "give each volume a file of its own",
                )
            )
        else:
            taken[stem] = index
    return findings
