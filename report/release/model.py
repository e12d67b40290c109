"""The names of a release's files and sources, as a release holds them and verify checks them."""

from __future__ import annotations

import re

from report.sources.models import system_of
from report.stamp import CODES_FOLDER, INDICES_FOLDER, PUBLICATION_SOURCE, source_name

SUMS_NAME = "SHA256SUMS"  # the checksums of every other file, as `sha256sum -c` reads them

# The web edition a release carries: the one folder of a release, its files listed in
# SHA256SUMS by their paths (site/codes/74440.html), at most SITE_DEPTH folders deep
# (site/pagefind/fragment/FILE is three).
SITE_FOLDER = "site"
SITE_DEPTH = 3

SOURCE_NAMES = (
    f"{PUBLICATION_SOURCE}, CODE.yaml (CODE a CPT or HCPCS code) or {INDICES_FOLDER}-YEAR.yaml"
)
SOURCE_PATHS = (
    f"{PUBLICATION_SOURCE}, {CODES_FOLDER}/CODE.yaml (CODE a CPT or HCPCS code) or "
    f"{INDICES_FOLDER}/YEAR.yaml"
)
INDICES_NAME = re.compile(rf"{INDICES_FOLDER}-(?P<year>[0-9]{{4}})\.yaml")


def source_path(name: str) -> str | None:
    """Return the path in a sources folder of an embedded source named name, or None.

    Only publication.yaml, CODE.yaml (CODE a code of the form `check` and `new` accept)
    and gpci-YEAR.yaml are sources: any other name (a path, a NUL, a backslash) is none.
    """
    if name == PUBLICATION_SOURCE:
        return PUBLICATION_SOURCE
    if (indices := INDICES_NAME.fullmatch(name)) is not None:
        return f"{INDICES_FOLDER}/{indices['year']}.yaml"
    stem, dot, extension = name.rpartition(".")
    if dot and extension == "yaml" and system_of(stem) is not None:
        return f"{CODES_FOLDER}/{stem}.yaml"
    return None


def is_source_path(path: str) -> bool:
    """Return whether path is a source's path, as a manifest lists sources."""
    return source_path(source_name(path)) == path
