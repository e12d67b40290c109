"""`verify DIR` and signed releases: SHA256SUMS, rebuilds and PAdES signatures.

A rebuild from the embedded sources is compared byte for byte; signatures are checked.

The releases come from the session fixtures in conftest.py; a test that damages one
copies it first.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
from pathlib import Path

import pikepdf
import pytest
from conftest import RELEASE, Releases, SigningKey, make_signing_key, run_cli

from report.release.sign import check_signature, load_trust

PDFS = ("55300.pdf", "74440.pdf", "volume.pdf")


def flip_byte(path: Path, offset: int | None = None) -> int:
    """Change one byte of a file (the middle one by default); return its offset."""
    data = bytearray(path.read_bytes())
    offset = len(data) // 2 if offset is None else offset
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))
    return offset


def listed(folder: Path) -> int:
    """Return how many files a release's SHA256SUMS lists."""
    return len((folder / "SHA256SUMS").read_text(encoding="utf-8").splitlines())


def write_sums(folder: Path) -> None:
    """Rewrite SHA256SUMS to match the files as they are now (as a forger would)."""
    lines = [
        f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.relative_to(folder).as_posix()}\n"
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != "SHA256SUMS"
    ]
    (folder / "SHA256SUMS").write_text("".join(lines), encoding="ascii")


class TestVerifyUntouched:
    """An untouched release verifies: every file matches SHA256SUMS and a rebuild."""

    def test_passes(self, releases: Releases) -> None:
        result = run_cli("verify", str(releases.changed))
        assert result.code == 0, result.stderr
        lines = result.stderr.splitlines()
        n = listed(releases.changed)
        assert n > 30  # the PDFs, CHANGES.md, manifest.json, snapshot.json and the site's files
        assert f"SHA256SUMS: {n} of {n} files match" in lines
        assert (
            "sources: publication.yaml, 1 indices file and 2 codes taken from the PDFs, as "
            "manifest.json records" in lines
        )
        assert (
            f"rebuild: {n} of {n} files identical to a rebuild from the embedded sources" in lines
        )
        assert lines[-1] == f"{releases.changed}: verified; 0 errors"


class TestVerifyDamaged:
    """One byte changed in one PDF fails verify, and the file is named; nothing else is."""

    def test_one_byte_changed(self, releases: Releases, tmp_path: Path) -> None:
        folder = tmp_path / RELEASE
        shutil.copytree(releases.first, folder)
        flip_byte(folder / "74440.pdf")
        result = run_cli("verify", str(folder))
        assert result.code == 1
        problems = [line for line in result.stderr.splitlines() if line.startswith(str(folder))]
        pdf = f"{folder}/74440.pdf:1:1: "
        assert problems[0] == pdf + "does not match its SHA-256 in SHA256SUMS: the file changed"
        assert problems[1].startswith(pdf + "differs from the rebuild from the embedded sources")
        assert problems[2:] == [f"{folder}: does not verify; 2 errors"]
        n = listed(folder)
        assert f"SHA256SUMS: {n - 1} of {n} files match" in result.stderr

    def test_changed_sum_and_missing_file_without_rebuild(
        self, releases: Releases, tmp_path: Path
    ) -> None:
        """A release whose manifest is unreadable is named, with the files SHA256SUMS misses."""
        folder = tmp_path / RELEASE
        shutil.copytree(releases.first, folder)
        (folder / "manifest.json").write_text("{", encoding="utf-8")
        (folder / "55300.pdf").unlink()
        (folder / "extra.txt").write_text("x", encoding="utf-8")
        result = run_cli("verify", str(folder))
        assert result.code == 1
        assert f"{folder}/55300.pdf:1:1: listed in SHA256SUMS but missing" in result.stderr
        assert f"{folder}/manifest.json:1:1: does not match its SHA-256" in result.stderr
        assert f"{folder}/extra.txt:1:1: not listed in SHA256SUMS" in result.stderr
        assert (
            f"{folder}/manifest.json:1:2: not valid JSON: Expecting property name enclosed "
            "in double quotes" in result.stderr
        )

    def test_not_a_release(self, tmp_path: Path) -> None:
        result = run_cli("verify", str(tmp_path))
        assert (result.code, result.stderr) == (
            2,
            f"{tmp_path}: not a release folder: it has no SHA256SUMS\n"
            "see docs/reference/cli.md#verify\n",
        )


class TestSigned:
    """`release --sign KEY.p12` appends a PAdES signature to each PDF; `verify` checks it."""

    @pytest.mark.parametrize("name", PDFS)
    def test_signature_follows_the_unsigned_bytes(
        self, releases: Releases, signed_release: Path, name: str
    ) -> None:
        """The signed PDF starts with the unsigned release's PDF, byte for byte."""
        unsigned = (releases.first / name).read_bytes()
        signed = (signed_release / name).read_bytes()
        assert signed.startswith(unsigned) and len(signed) > len(unsigned)
        with pikepdf.open(io.BytesIO(signed)) as pdf:
            field = pdf.Root.AcroForm.Fields[0]
            assert field["/FT"] == pikepdf.Name.Sig and str(field.T) == "Release signature"
            assert field.V.SubFilter == pikepdf.Name("/ETSI.CAdES.detached")
            assert str(field.V.Reason) == f"Release {RELEASE}"
            byte_range = [int(x) for x in field.V.ByteRange]
            assert byte_range[0] == 0 and byte_range[2] + byte_range[3] == len(signed)
            assert pdf.open_metadata()["xmpMM:VersionID"] == RELEASE  # kept by the update
            assert "publication.yaml" in pdf.attachments  # and the sources stay associated
            assert {spec.AFRelationship for spec in pdf.Root.AF} == {pikepdf.Name.Source}

    def test_other_files_as_unsigned_but_the_manifest(
        self, releases: Releases, signed_release: Path
    ) -> None:
        for name in ("CHANGES.md", "snapshot.json"):
            assert (signed_release / name).read_bytes() == (releases.first / name).read_bytes()
        signed = json.loads((signed_release / "manifest.json").read_text(encoding="utf-8"))
        unsigned = json.loads((releases.first / "manifest.json").read_text(encoding="utf-8"))
        assert signed["signing"]["signer"] == "Common Name: Release Test Signer"
        assert signed["signing"]["format"].startswith("PAdES")
        assert {k: v for k, v in signed.items() if k != "signing"} == {
            k: v for k, v in unsigned.items() if k != "signing"
        }

    def test_verify_checks_signatures(self, signed_release: Path, signing_key: SigningKey) -> None:
        result = run_cli("verify", str(signed_release), "--trust", str(signing_key.certificate))
        assert result.code == 0, result.stderr
        n = listed(signed_release)
        assert (
            f"rebuild: {n} of {n} files identical to a rebuild from the embedded sources "
            "(signed PDFs up to their signature)" in result.stderr
        )
        assert (
            "signatures: signed by Common Name: Release Test Signer; manifest.json names "
            "Common Name: Release Test Signer" in result.stderr
        )

    def test_verify_fails_on_a_damaged_signature(
        self, releases: Releases, signed_release: Path, tmp_path: Path
    ) -> None:
        """A byte changed in the signed update (SHA256SUMS rewritten to match) is caught."""
        folder = tmp_path / RELEASE
        shutil.copytree(signed_release, folder)
        reason = (folder / "55300.pdf").read_bytes().rindex(b"/Reason (Release") + 9
        assert reason > len((releases.first / "55300.pdf").read_bytes())  # after the unsigned
        flip_byte(folder / "55300.pdf", reason)  # the signature's /Reason
        write_sums(folder)
        result = run_cli("verify", str(folder))
        assert result.code == 1
        assert result.stderr.splitlines()[-2:] == [
            f"{folder}/55300.pdf:1:1: its signature does not match its bytes: the file "
            "changed after signing",
            f"{folder}: does not verify; 1 error",
        ]

    def test_another_root_is_not_trusted(
        self, signed_release: Path, releases: Releases, tmp_path: Path
    ) -> None:
        other = make_signing_key(tmp_path, "Someone Else")
        signed = (signed_release / "74440.pdf").read_bytes()
        unsigned = len((releases.first / "74440.pdf").read_bytes())
        manifest = json.loads((signed_release / "manifest.json").read_text(encoding="utf-8"))
        check = check_signature(
            signed,
            unsigned,
            manifest["signing"]["certificate_sha256"],
            load_trust(other.certificate),
        )
        assert check.signer == "Common Name: Release Test Signer"
        assert check.problems == (
            "its signer Common Name: Release Test Signer is not trusted by the given certificate",
        )
        check = check_signature(signed, unsigned, "0" * 64)
        assert len(check.problems) == 1 and check.problems[0].startswith(
            "signed by Common Name: Release Test Signer (certificate SHA-256 "
        )

    def test_wrong_passphrase_is_refused_before_anything_is_written(
        self, signing_key: SigningKey, tmp_path: Path
    ) -> None:
        result = run_cli(
            "release",
            "1.0.0",
            "--out",
            str(tmp_path / "out"),
            "--sign",
            str(signing_key.p12),
            "--sign-passphrase",
            "wrong",
        )
        assert result.code == 2
        assert result.stderr.startswith(
            f"{signing_key.p12}: not a PKCS#12 key and certificate, or the passphrase is wrong"
        )
        assert "Traceback" not in result.stderr
        assert not (tmp_path / "out").exists()
