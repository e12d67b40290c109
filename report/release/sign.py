"""Sign release PDFs (PAdES, with pyHanko) and check their signatures.

A signature is written as an incremental update after the PDF's unsigned bytes, which
stay as they were: `verify` compares them with a rebuild, then checks that the signature
is intact, covers the whole file and was made with the release's certificate. The
signature itself holds the signing time from the clock, so a signed PDF is reproducible
up to its unsigned revision only (docs/guides/releases.md). The update holds the signature field,
tagged and described for PDF/UA-1 (report/release/signature_field.py), and leaves the
document information and XMP metadata as released.
"""

from __future__ import annotations

import hashlib
import io
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from report.errors import UsageError, display_name, why
from report.files import read_regular

if TYPE_CHECKING:  # pyHanko loads at the first use of a key or signature
    from asn1crypto.x509 import Certificate
    from pyhanko.sign.signers import SimpleSigner

SIGNATURE_FIELD = "Release signature"
SIGNATURE_FORMAT = "PAdES baseline B-B (ETSI.CAdES.detached), SHA-256"
MAX_KEY_BYTES = 1024 * 1024  # a key or certificate file is a few kilobytes
# What pyHanko raises on a malformed PDF or signature, besides its own PdfError.
MALFORMED = (ValueError, KeyError, TypeError, IndexError, AttributeError, RecursionError)


@dataclass(frozen=True)
class SigningKey:
    """A loaded PKCS#12 key and certificate, and who it names."""

    signer: SimpleSigner
    subject: str
    fingerprint: str  # SHA-256 of the certificate, hex

    def manifest_entry(self) -> dict[str, str]:
        """Return what the manifest records of the signer."""
        return {
            "format": SIGNATURE_FORMAT,
            "signer": self.subject,
            "certificate_sha256": self.fingerprint,
        }


def _quiet() -> None:
    """Keep pyHanko's own log records (tracebacks included) off standard error."""
    for name in ("pyhanko", "pyhanko_certvalidator"):
        logger = logging.getLogger(name)
        logger.addHandler(logging.NullHandler())
        logger.propagate = False


def load_key(path: Path, passphrase: str | None) -> SigningKey:
    """Load a PKCS#12 file (.p12, .pfx); raise UsageError when it cannot be used."""
    from pyhanko.sign import signers

    _quiet()
    try:
        data = read_regular(path, MAX_KEY_BYTES)[0]
    except OSError as exc:
        raise UsageError(f"{path}: cannot read the signing key: {why(exc)}") from exc
    try:
        signer = signers.SimpleSigner.load_pkcs12_data(
            data, other_certs=[], passphrase=passphrase.encode() if passphrase else None
        )
    except (ValueError, TypeError) as exc:
        raise UsageError(
            f"{path}: not a PKCS#12 key and certificate, or the passphrase "
            f"is wrong (set it with --sign-passphrase): {exc}"
        ) from exc
    if signer is None or signer.signing_cert is None:
        raise UsageError(f"{path}: the PKCS#12 file holds no certificate to sign with")
    cert = signer.signing_cert
    return SigningKey(signer, cert.subject.human_friendly, hashlib.sha256(cert.dump()).hexdigest())


def sign_pdf(data: bytes, key: SigningKey, version: str) -> bytes:
    """Return the PDF with a PAdES signature appended as an incremental update."""
    from pyhanko.sign import fields, signers

    from report.release.signature_field import KeptMetadataWriter, add_signature_field

    writer = KeptMetadataWriter(io.BytesIO(data))
    add_signature_field(writer, SIGNATURE_FIELD, f"Digital signature of release {version}")
    meta = signers.PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD,
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        reason=f"Release {version}",
    )
    out = io.BytesIO()
    signers.sign_pdf(writer, meta, signer=key.signer, output=out)
    signed = out.getvalue()
    assert signed.startswith(data), "the signature must be appended, not rewrite the PDF"
    return signed


@dataclass(frozen=True)
class SignatureCheck:
    """What checking one PDF's signature found: the signer, and any problems."""

    signer: str | None
    problems: tuple[str, ...]


def load_trust(path: Path) -> Certificate:
    """Load a certificate (PEM or DER) to trust as a signer's root."""
    from pyhanko.keys import load_certs_from_pemder_data

    try:
        data = read_regular(path, MAX_KEY_BYTES)[0]
    except OSError as exc:
        raise UsageError(f"{path}: cannot read the certificate: {why(exc)}") from exc
    try:
        certificates = list(load_certs_from_pemder_data(data))
        if len(certificates) != 1:
            raise ValueError(f"it holds {len(certificates)} certificates, not one")
        return certificates[0]
    except ValueError as exc:
        raise UsageError(f"{path}: not a certificate (PEM or DER): {exc}") from exc


def check_signature(
    data: bytes, unsigned: int, fingerprint: str | None, trust: Certificate | None = None
) -> SignatureCheck:
    """Check the one signature of a PDF whose first `unsigned` bytes are the release's.

    The signature must be the single update after those bytes, intact, covering the
    whole file, made with the certificate whose SHA-256 is fingerprint, and, with trust,
    chain to that root.
    """
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    _quiet()
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        signatures = reader.embedded_signatures
    except (PdfError, *MALFORMED) as exc:
        return SignatureCheck(None, (f"cannot read its signature: {exc}",))
    if len(signatures) != 1:
        return SignatureCheck(None, (f"has {len(signatures)} signatures, not one",))
    signature = signatures[0]
    context = ValidationContext(
        trust_roots=[trust] if trust is not None else [], allow_fetching=False
    )
    try:
        status = validate_pdf_signature(signature, context)
    except (PdfError, *MALFORMED) as exc:  # pyHanko's validation errors are ValueErrors
        return SignatureCheck(None, (f"its signature cannot be validated: {exc}",))
    signer = display_name(status.signing_cert.subject.human_friendly)  # a forger's text
    problems = []
    if not (status.intact and status.valid):
        problems.append("its signature does not match its bytes: the file changed after signing")
    if status.coverage != SignatureCoverageLevel.ENTIRE_FILE:
        problems.append(
            "its signature does not cover the whole file: bytes were added after signing"
        )
    if reader.xrefs.total_revisions != 2 or reader.xrefs.get_startxref_for_revision(1) < unsigned:
        problems.append("the signature is not the one update after the release's bytes")
    found = hashlib.sha256(status.signing_cert.dump()).hexdigest()
    if fingerprint is not None and found != fingerprint:
        problems.append(
            f"signed by {signer} (certificate SHA-256 {found[:16]}…), not by the "
            "release's signer named in manifest.json"
        )
    if trust is not None and not status.trusted:
        problems.append(f"its signer {signer} is not trusted by the given certificate")
    return SignatureCheck(signer, tuple(problems))
