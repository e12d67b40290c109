"""What `verify` reads from a release's manifest.json, checked as untrusted input.

The rest of the manifest (edition, files...) is not read: the rebuild writes it again and
compares it byte for byte.
"""

from __future__ import annotations

from dataclasses import dataclass

from report.errors import ReleaseError
from report.release.jsondoc import Checker, JsonValue, Key, describe, parse_json
from report.release.model import SOURCE_PATHS, is_source_path
from report.render import PDF_VARIANTS
from report.sources.yaml import MAX_FILE_BYTES as MAX_SOURCE_BYTES
from report.stamp import PUBLICATION_SOURCE

MANIFEST_NAME = "manifest.json"
MANIFEST_KEYS = ("version", "pdf_variant", "engine", "sources", "signing")
SOURCE_KEYS = ("path", "bytes", "sha256")
SIGNING_KEYS = ("format", "signer", "certificate_sha256")


@dataclass(frozen=True)
class ManifestSource:
    """One source file a release embeds, as its manifest records it."""

    path: str  # publication.yaml or codes/CODE.yaml
    bytes: int
    sha256: str


@dataclass(frozen=True)
class Signing:
    """The signer a release's manifest names."""

    format: str
    signer: str
    certificate_sha256: str

    def entry(self) -> dict[str, str]:
        """Return the manifest's "signing" object, as the rebuild writes it again."""
        return {
            "format": self.format,
            "signer": self.signer,
            "certificate_sha256": self.certificate_sha256,
        }


@dataclass(frozen=True)
class Manifest:
    """The fields of manifest.json that verify rebuilds with."""

    version: str
    pdf_variant: str
    engine: dict[str, str]
    sources: tuple[ManifestSource, ...]
    signing: Signing | None


def parse_manifest(data: bytes, shown_path: str) -> Manifest:
    """Read manifest.json; raise ReleaseError (never another exception) with every problem."""
    raw = parse_json(data, shown_path)
    check = Checker(shown_path)
    top = check.object(raw, (), MANIFEST_KEYS, "a release manifest: an object")
    if top is None:
        raise ReleaseError(check.findings)
    check.version(top["version"], ("version",))
    check.choice(top["pdf_variant"], ("pdf_variant",), PDF_VARIANTS)
    engine = top["engine"]
    if not isinstance(engine, dict) or not all(isinstance(v, str) for v in engine.values()):
        check.fail(("engine",), "must be an object of package names and version strings")
    sources = _sources(check, top["sources"])
    signing = _signing(check, top["signing"])
    check.raise_any()
    assert isinstance(engine, dict) and isinstance(top["version"], str)
    assert isinstance(top["pdf_variant"], str)
    return Manifest(
        top["version"],
        top["pdf_variant"],
        {name: str(value) for name, value in engine.items()},
        sources,
        signing,
    )


def _sources(check: Checker, value: JsonValue) -> tuple[ManifestSource, ...]:
    found: dict[str, ManifestSource] = {}
    seen: set[str] = set()
    for keys, item in check.array(value, ("sources",), 'objects with "path", "bytes" and "sha256"'):
        entry = check.object(item, keys, SOURCE_KEYS)
        if entry is None:
            continue
        path, size = entry["path"], entry["bytes"]
        digest = check.sha256(entry["sha256"], (*keys, "sha256"))
        if not isinstance(path, str) or not is_source_path(path):
            check.fail((*keys, "path"), f"must be {SOURCE_PATHS}, not {describe(path)}")
            path = None
        elif path in seen:
            check.fail((*keys, "path"), f'lists "{path}" a second time')
        else:
            seen.add(path)
        if isinstance(size, bool) or not isinstance(size, int) or not 0 <= size <= MAX_SOURCE_BYTES:
            check.fail(
                (*keys, "bytes"),
                f"must be a whole number from 0 to "
                f"{MAX_SOURCE_BYTES:,} (the largest source), not {describe(size)}",
            )
        elif path is not None and digest is not None:
            found.setdefault(path, ManifestSource(path, size, digest))
    if isinstance(value, list) and PUBLICATION_SOURCE not in found and len(found) == len(value):
        check.fail(("sources",), f'must list "{PUBLICATION_SOURCE}"')
    return tuple(found.values())


def _signing(check: Checker, value: JsonValue) -> Signing | None:
    if value is None:
        return None
    keys: tuple[Key, ...] = ("signing",)
    entry = check.object(value, keys, SIGNING_KEYS, "null or an object")
    if entry is None:
        return None
    form = check.string(entry["format"], (*keys, "format"))
    signer = check.string(entry["signer"], (*keys, "signer"))
    digest = check.sha256(entry["certificate_sha256"], (*keys, "certificate_sha256"))
    if form is None or signer is None or digest is None:
        return None
    return Signing(form, signer, digest)
