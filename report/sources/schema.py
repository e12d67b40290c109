"""The JSON Schema of the sources, made from their models, for editors to check and complete.

Each property gets the description below (shown when an editor completes or hovers a
key), and what the models check in code but a schema can say too: the code's pattern
for its system, payer ids, language tags, PC/TC digits, modifiers' length, volume file
names and code ranges, the bounds of a figure, dates written YYYY-MM-DD. What a schema
cannot say (a code that matches its file name, payers declared in publication.yaml,
characters no bundled font has...) is listed in docs/reference/source-format.md, and
tests/test_schema.py shows the two agree on every other invalid source of the tests.
"""

from __future__ import annotations

import json
from typing import Any, get_args

from pydantic import BaseModel

from report.sources.models import (
    CODE_PATTERNS,
    ISO_DATE,
    LANGUAGE_TAG,
    MAX_FIGURE,
    PAYER_ID,
    CodeSource,
    Publication,
)
from report.sources.printable import LIMITS
from report.sources.volumes import FORMS, MAX_VOLUME_TITLE, VOLUME_STEM

DRAFT = "https://json-schema.org/draft/2020-12/schema"
Schema = dict[str, Any]

# The schema file of each kind of source, as `schema` writes them.
SCHEMA_FILES = {"publication": "publication.schema.json", "code": "code.schema.json"}

_MARKDOWN = "Markdown (CommonMark; no images, HTML shows as text)"
_NA = 'Left empty: the report says "Data not available in the source."'
DESCRIPTIONS: dict[str, dict[str, str]] = {
    "Publication": {
        "title": "The publication's title: covers, PDF metadata, the volume's running head "
        "(at most 150 characters).",
        "subtitle": "A subtitle, printed on the cover.",
        "publisher": "The publisher: PDF author, cover, title blocks.",
        "edition": 'The content edition, e.g. "2026.11", printed on every page '
        "(at most 40 characters).",
        "effective_date": "The date the content is current as of, YYYY-MM-DD; also every "
        "PDF's creation date.",
        "audience": "Who the publication is for, e.g. national. Not printed.",
        "language": "The publication's language, a BCP 47 tag such as en-US.",
        "page_size": "Paper size of every report and volume: letter or A4.",
        "payers": "The key payers every report covers, in this order (at least one).",
        "notices": "The copyright, disclaimer and trademark notices.",
        "volumes": "Publish the reports in these volumes instead of one volume.pdf.",
        "releases": "Folder of the releases, relative to the sources folder's parent "
        "(default releases).",
        "localities": "The payment localities whose Medicare payments every report gives "
        '(gpci/YEAR.yaml): a state ("AK"), a state and locality number ("CA 18") or a '
        'locality name as the addendum prints it ("MANHATTAN").',
    },
    "Payer": {
        "id": "The id code sources use under payers: a lowercase letter, then lowercase "
        "letters, digits, - and _.",
        "name": "The payer's name as reports print it.",
        "lookup": "Where a reader checks the payer's current policy.",
    },
    "Lookup": {
        "title": "The lookup's name, e.g. Medicare Coverage Database.",
        "url": "Its web address (https://, http:// or mailto:).",
    },
    "Notices": {
        "copyright": "The copyright line printed on every page (at most 240 characters).",
        "disclaimer": f"{_MARKDOWN}: printed once in each report and in the volume.",
        "trademark": "A trademark sentence, e.g. for CPT.",
    },
    "Volume": {
        "title": 'The volume\'s title: its cover and PDF title ("<publication> — <title>").',
        "file": "Its file name: volume- then lowercase words joined by hyphens "
        "(default: volume- and a slug of the title).",
        "codes": 'Codes ("74440") and inclusive ranges ("70010-79999"), quoted.',
    },
    "CodeSource": {
        "code": "The billing code, the same as the file name, in quotes.",
        "system": "The code system: CPT or HCPCS.",
        "title": 'The plain-language title, printed as "SYSTEM CODE: TITLE" '
        "(at most 500 characters).",
        "summary": f"{_MARKDOWN}: the body of Summary & Overview. {_NA}",
        "overview": "The Billing Code Overview section.",
        "indicators": "The fee schedule's indicators, each in quotes.",
        "clinical_context": "Clinical Context, in Clinical & Coding Specifications.",
        "modifiers": f"The modifiers table (Modifier | Description | When to Use). {_NA}",
        "related_codes": f"The related codes table. {_NA}",
        "diagnoses": f"ICD-10-CM codes that commonly support medical necessity. {_NA}",
        "coding_considerations": f"Policy & Coding Considerations: one {_MARKDOWN} text "
        f"per point. {_NA}",
        "payers": "Payer Coverage: an entry per key payer of publication.yaml, under its id.",
        "benchmarks": f"The Benchmarks table (and chart). {_NA}",
        "references": f"The References section. {_NA}",
    },
    "Overview": {
        "description": f"{_MARKDOWN}: what the code describes. {_NA}",
        "service_type": f"The kind of service. {_NA}",
        "sites_of_service": f"Typical sites of service. {_NA}",
    },
    "Indicators": {
        "status": 'The PFS status indicator of the global row, e.g. "A".',
        "global_period": 'The global period, e.g. "000" or "XXX".',
        "pc_tc": 'The PC/TC indicator: one digit, "0" to "9".',
        "status_26": "The status of the 26 (professional component) row.",
        "status_tc": "The status of the TC (technical component) row.",
    },
    "ClinicalContext": {
        "vignette": f"{_MARKDOWN}: a typical patient and workflow. {_NA}",
        "personnel": f"Who performs the service. {_NA}",
        "settings": f"Where it is performed. {_NA}",
    },
    "Modifier": {
        "code": 'The modifier: 2 characters in quotes, e.g. "26" or "TC"; each once.',
        "description": "What the modifier means.",
        "when_to_use": "When to use it with this code.",
    },
    "RelatedCode": {
        "code": "A valid code of the system below, in quotes.",
        "system": "The related code's system: CPT or HCPCS.",
        "relationship": "How it relates to this code.",
    },
    "Diagnosis": {
        "code": "The ICD-10-CM code, in quotes.",
        "description": "What the diagnosis is.",
    },
    "PayerEntry": {
        "coverage": f"{_MARKDOWN}: coverage considerations.",
        "prior_authorization": "Whether and when prior authorization is needed.",
        "policies": "The payer's policies on the code.",
        "last_reviewed": "When this entry was last checked against the payer, YYYY-MM-DD.",
    },
    "Policy": {
        "title": "The policy's title.",
        "id": "The payer's policy number.",
        "url": "Its web address (https://, http:// or mailto:).",
    },
    "Benchmark": {
        "label": 'What the figure is, e.g. "Work RVU".',
        "value": "The figure: a number, not in quotes, smaller than a trillion.",
        "unit": "Its unit, e.g. RVU or USD.",
        "component": "The component it is for: global, 26 or TC.",
        "source": "Where the figure comes from.",
        "as_of": "The date the figure holds for, YYYY-MM-DD.",
    },
    "Reference": {
        "title": "The reference's title.",
        "url": "Its web address (https://, http:// or mailto:).",
        "accessed": "The date it was read, YYYY-MM-DD.",
    },
}

_CODE_FORM = "|".join(pattern.pattern for pattern, _ in FORMS)
# What text may not hold (models.NOT_IN_TEXT): control characters, bidirectional
# formatting characters, U+FEFF, U+FFFE and U+FFFF; written as JSON Schema's
# ECMA-262 patterns and Python's re both read it.
_NOT_IN_TEXT = (
    r"\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069"
    r"\ufeff\ufffe\uffff"
)
TEXT = {
    "pattern": f"^[^{_NOT_IN_TEXT}]*$",
    "patternErrorMessage": "Control characters and bidirectional formatting characters "
    "are not allowed in text.",
}
# models.WEB_ADDRESS's pattern, its letters matched in either case (no flags in a schema).
_WEB = r"(?:[hH][tT][tT][pP][sS]?://[^\s/?#@]+|[mM][aA][iI][lL][tT][oO]:[^\s/]+@)\S*"
WEB_ADDRESS = {
    "pattern": f"^(?=[^{_NOT_IN_TEXT}]*$){_WEB}$",
    "patternErrorMessage": "Write a web address that starts with https://, http:// or mailto:.",
}
# What the models check in code, said in the schema: (definition, property) -> schema.
CONSTRAINTS: dict[tuple[str, str], Schema] = {
    ("Payer", "id"): {
        "pattern": f"^{PAYER_ID.pattern}$",
        "patternErrorMessage": "A lowercase letter, then lowercase letters, digits, - and _.",
    },
    ("Lookup", "url"): WEB_ADDRESS,
    ("Policy", "url"): WEB_ADDRESS,
    ("Reference", "url"): WEB_ADDRESS,
    ("Publication", "language"): {"pattern": f"^{LANGUAGE_TAG.pattern}$"},
    ("Publication", "releases"): {"pattern": r"^[^/\\][^\\]*$"},
    ("Volume", "title"): {"maxLength": MAX_VOLUME_TITLE},
    ("Volume", "file"): {"pattern": rf"^{VOLUME_STEM.pattern}(\.pdf)?$"},
    ("Volume", "codes"): {"pattern": rf"^\s*({_CODE_FORM})\s*(-\s*({_CODE_FORM})\s*)?$"},
    ("Modifier", "code"): {"minLength": 2, "maxLength": 2},
    ("Indicators", "pc_tc"): {
        "pattern": "^[0-9]$",
        "patternErrorMessage": 'One digit in quotes, "0" to "9".',
    },
    ("Benchmark", "value"): {"exclusiveMinimum": -MAX_FIGURE, "exclusiveMaximum": MAX_FIGURE},
}


def _code_rule(system: str) -> Schema:
    """Return the rule that the code of an object whose system is system has its form."""
    pattern, rule = CODE_PATTERNS[system]
    code = {"pattern": f"^{pattern.pattern}$", "patternErrorMessage": f"A {system} code: {rule}."}
    return {
        "if": {"properties": {"system": {"const": system}}, "required": ["system"]},
        "then": {"properties": {"code": code}},
    }


def _model_of(annotation: Any) -> type[BaseModel]:
    """Return the model an annotation holds (alone or in a union with None)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return next(_model_of(a) for a in get_args(annotation) if a is not type(None))


def _lengths() -> dict[tuple[str, str], Schema]:
    """Return the longest text each margin holds (printable.LIMITS) by definition and key."""
    models: dict[str, type[BaseModel]] = {"code": CodeSource, "publication": Publication}
    found = {}
    for kind, limits in LIMITS.items():
        for path, (limit, _) in limits.items():
            model = models[kind]
            for step in path[:-1]:
                model = _model_of(model.model_fields[str(step)].annotation)
            found[model.__name__, str(path[-1])] = {"maxLength": limit}
    return found


def _strings(schema: Schema) -> list[Schema]:
    """Return the string schemas of a property: itself, its union's, its items'."""
    found = []
    for part in [schema, *schema.get("anyOf", [])]:
        if part.get("type") == "string":
            found.append(part)
        elif part.get("type") == "array" and part.get("items", {}).get("type") == "string":
            found.append(part["items"])
    return found


def _finish(name: str, definition: Schema) -> None:
    """Describe a definition's properties and add the constraints the models check in code."""
    described = DESCRIPTIONS.get(name, {})  # tests/test_schema.py: every key is described
    properties: dict[str, Schema] = definition["properties"]
    lengths = _lengths()
    for key, schema in properties.items():
        schema.pop("title", None)
        if key in described:
            schema["description"] = described[key]
        constraint = {**CONSTRAINTS.get((name, key), {}), **lengths.get((name, key), {})}
        for string in _strings(schema):
            string.update(constraint)
            if string.get("format") == "date":
                string["pattern"] = f"^{ISO_DATE.pattern}$"
                string["patternErrorMessage"] = "A date written YYYY-MM-DD."
            elif "pattern" not in string and "enum" not in string:
                string.update(TEXT)
        if schema.get("type") == "number":
            schema.update(constraint)
    if name in {"CodeSource", "RelatedCode"}:
        definition["allOf"] = [_code_rule(system) for system in CODE_PATTERNS]


def source_schema(model: type[BaseModel], title: str) -> Schema:
    """Return the JSON Schema of one kind of source."""
    schema = model.model_json_schema()
    definitions: dict[str, Schema] = schema.pop("$defs")
    for name, definition in definitions.items():
        _finish(name, definition)
    _finish(model.__name__, schema)
    return {"$schema": DRAFT, **schema, "title": title, "$defs": definitions}


def schemas() -> dict[str, Schema]:
    """Return each schema file's name and content: the publication's and a code's."""
    return {
        SCHEMA_FILES["publication"]: source_schema(Publication, "publication.yaml"),
        SCHEMA_FILES["code"]: source_schema(CodeSource, "codes/CODE.yaml"),
    }


def schema_text(schema: Schema) -> str:
    """Return a schema as its file holds it: indented JSON, keys in the models' order."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
