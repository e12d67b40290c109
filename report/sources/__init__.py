"""Load and validate a sources folder: publication.yaml and codes/CODE.yaml."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from report.errors import Finding, SourceError, UsageError
from report.files import files_digest
from report.sources.indices import Indices, check_localities, load_indices
from report.sources.models import CodeSource, Publication
from report.sources.printable import printing_findings
from report.sources.validate import check_code, check_publication, validate_model
from report.sources.yaml import Node, load_yaml, parse_yaml

__all__ = [
    "CodeFile",
    "PublicationFile",
    "Sources",
    "code_from_bytes",
    "load_code",
    "load_publication",
    "load_sources",
    "open_folder",
]


@dataclass(frozen=True)
class PublicationFile:
    """The validated publication with the file it came from, and the folder's indices.

    indices holds each year's geographic practice cost indices (gpci/YEAR.yaml), which
    every report of the publication may use.
    """

    path: str
    root: Node
    model: Publication
    data: bytes
    indices: dict[int, Indices] = field(default_factory=dict)

    def indices_key(self) -> str:
        """Return the hash of the indices every report may use, as validated (report/inputs.py).

        Comments and layout are not in it: editing them renders no report again.
        """
        return files_digest(
            [
                (str(year), item.model.model_dump_json().encode())
                for year, item in self.indices.items()
            ]
        )

    def indices_files(self) -> str:
        """Return the hash of the indices files' bytes, as report/build/quick.py compares them."""
        return files_digest([(os.path.basename(i.path), i.data) for i in self.indices.values()])


@dataclass(frozen=True)
class CodeFile:
    """One validated code source with the file it came from."""

    path: str
    root: Node
    model: CodeSource
    data: bytes

    @property
    def code(self) -> str:
        """Return the billing code."""
        return self.model.code


@dataclass
class Sources:
    """Everything loaded from a sources folder: valid files and located errors."""

    folder: str
    publication: PublicationFile | None
    codes: list[CodeFile] = field(default_factory=list)
    errors: list[Finding] = field(default_factory=list)


def load_publication(folder: Path, shown_path: str) -> tuple[PublicationFile | None, list[Finding]]:
    """Load and validate folder/publication.yaml and the indices of gpci/.

    Return the publication (or None) and the errors of both: the indices are shared by
    every report, as the publication is.
    """
    path = os.path.join(shown_path, "publication.yaml")
    indices, errors = load_indices(folder, shown_path)
    try:
        data, root = load_yaml(folder / "publication.yaml", path)
    except SourceError as exc:
        return None, exc.findings + errors
    model, findings = validate_model(path, root, Publication)
    if model is None:
        return None, findings + errors
    findings = check_publication(path, root, model) + printing_findings(path, root, "publication")
    findings += check_localities(path, root, model, indices) + errors
    return (None if findings else PublicationFile(path, root, model, data, indices)), findings


def load_code(
    file: Path, shown_path: str, publication: Publication | None
) -> tuple[CodeFile | None, list[Finding]]:
    """Load and validate one code source; return it (or None) and its errors."""
    path = os.path.join(shown_path, "codes", file.name)
    try:
        data, root = load_yaml(file, path)
    except SourceError as exc:
        return None, exc.findings
    return _check_code(data, root, path, file.stem, publication)


def code_from_bytes(
    data: bytes, path: str, stem: str, publication: Publication | None
) -> tuple[CodeFile | None, list[Finding]]:
    """Validate a code source held in memory, as if read from a file named stem.yaml."""
    try:
        root = parse_yaml(data, path)
    except SourceError as exc:
        return None, exc.findings
    return _check_code(data, root, path, stem, publication)


def _check_code(
    data: bytes, root: Node, path: str, stem: str, publication: Publication | None
) -> tuple[CodeFile | None, list[Finding]]:
    model, findings = validate_model(path, root, CodeSource)
    if model is None:
        return None, findings
    findings = check_code(path, stem, root, model, publication) + printing_findings(
        path, root, "code"
    )
    return (None if findings else CodeFile(path, root, model, data)), findings


def open_folder(
    folder: Path, shown_path: str
) -> tuple[PublicationFile | None, list[Finding], list[Path]]:
    """Load the publication; return it (or None), its errors and the code files, sorted.

    A folder without code files has that as an error; no folder at all is UsageError.
    """
    if not folder.is_dir():
        raise UsageError(f"{shown_path}: the sources folder does not exist")
    publication, errors = load_publication(folder, shown_path)
    files = sorted((folder / "codes").glob("*.yaml")) if (folder / "codes").is_dir() else []
    if not files:
        errors = [
            *errors,
            Finding.at(
                os.path.join(shown_path, "codes"),
                "no code sources found (expected codes/CODE.yaml files)",
            ),
        ]
    return publication, list(errors), files


def load_sources(folder: Path, shown_path: str | None = None) -> Sources:
    """Load and validate every source in folder, collecting all errors before returning."""
    shown_path = str(folder) if shown_path is None else shown_path
    publication, errors, files = open_folder(folder, shown_path)
    sources = Sources(shown_path, publication, errors=errors)
    pub_model = publication.model if publication else None
    for file in files:
        code, findings = load_code(file, shown_path, pub_model)
        sources.errors.extend(findings)
        if code is not None:
            sources.codes.append(code)
    sources.errors.sort(key=Finding.order)
    return sources
