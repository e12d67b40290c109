"""`verify DIR` on tampered releases: each is refused with its exact messages.

verify never shows a traceback, and writes nothing but in its own temporary folder.

Every case copies a session release (conftest.py), damages the copy as a forger would
(tests/tampering.py), and runs `build.py verify` with TMPDIR pointed at a folder of its
own. Afterwards the release folder must be as it was, that TMPDIR empty again, and nothing
else new under the test's folder (where the traversal attack aims). `{R}` in a message
stands for the release folder. Cases refused before the rebuild do not render anything;
those that pass that point rebuild once (about a second each).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import Releases, SigningKey
from tampering import (
    CLIMB,
    Context,
    Damage,
    Outcome,
    appended,
    embedded_name,
    extras,
    hidden_listed,
    huge,
    malformed_sums,
    manifest_value,
    replace_file,
    resigned_all,
    resigned_one,
    run_verify,
    set_key,
    site_link,
    site_page_forged,
    site_specials,
    snapshot_missing,
    snapshot_value,
    source_bomb,
    special_files,
    sums_lines,
    swapped,
    symlinks,
    tampered_source,
    traversal,
    tree,
    truncated,
    unsigned_pdf,
)

from report.release.folder import ReleaseFolder
from report.release.verify import first_difference

SOURCE_NAMES = "publication.yaml, CODE.yaml (CODE a CPT or HCPCS code) or gpci-YEAR.yaml"
SOURCE_PATHS = "publication.yaml, codes/CODE.yaml (CODE a CPT or HCPCS code) or gpci/YEAR.yaml"
SITE_PART = 'a part of its path is empty, "." or ".."'
NOT_OWN = (
    "which is not its own: a report embeds publication.yaml, the indices and its code's source only"
)


@dataclass(frozen=True)
class Case:
    """One tampered release: how it is made, and what verify must say of it."""

    name: str
    damage: Damage
    messages: tuple[str, ...]
    base: str = "first"  # which session release it copies: first, changed or signed
    trust: bool = False
    rebuilds: bool = False  # the sources are sound: verify renders the release again

    def __str__(self) -> str:
        return self.name


SIGNED_BY_OTHER = (
    "{R}/74440.pdf:1:1: signed by Common Name: Someone Else (certificate SHA-256 "
    "{fingerprint}…), not by the release's signer named in manifest.json"
)
NOT_TRUSTED = (
    "{R}/%s:1:1: its signer Common Name: Someone Else is not trusted by the given certificate"
)
CASES = [
    Case(
        "a link among the site's pages",
        site_link,
        ("{R}/site/codes/evil.html:1:1: is a symbolic link, not a regular file: not followed",),
        rebuilds=True,
    ),
    Case(
        "a named pipe and a deep folder in the site",
        site_specials,
        (
            "{R}/site/codes/pipe.html:1:1: is a named pipe, not a regular file: not opened",
            (
                "{R}/site/pagefind/fragment/deeper:1:1: is a folder deeper than a release's "
                "site/ goes: not looked into"
            ),
        ),
        rebuilds=True,
    ),
    Case(
        "a site page forged, SHA256SUMS to match",
        site_page_forged,
        (
            (
                "{R}/site/codes/74440.html:1:1: differs from the rebuild from the embedded "
                "sources (first difference at byte 1; 25 bytes, the rebuild {size})"
            ),
        ),
        rebuilds=True,
    ),
    Case(
        "traversal with manifest entry",
        traversal,
        (
            '{R}/manifest.json:1:1: "sources"[4]["path"] must be ' + SOURCE_PATHS + ", not the "
            'string "codes/' + "../" * 17 + ".…",
        ),
    ),
    *(
        Case(
            f"embedded name {label}",
            embedded_name(name),
            (
                (
                    f"{{R}}/55300.pdf:1:1: embeds a file named {shown}, which is no source: "
                    f"a release embeds {SOURCE_NAMES}"
                ),
                "{R}/55300.pdf:1:1: does not embed 55300.yaml",
            ),
        )
        for label, name, shown in (
            ("../../PWNED.txt", "../../PWNED.txt", '"../../PWNED.txt"'),
            ("absolute", "/tmp/x", '"/tmp/x"'),
            ("codes/../../x.yaml", "codes/../../x.yaml", '"codes/../../x.yaml"'),
            ("NUL", "55300\x00.yaml", '"55300\\x00.yaml"'),
            ("backslash", "..\\55300.yaml", '"..\\55300.yaml"'),
            ("deep traversal", CLIMB + "tmp/x.yaml", '"' + "../" * 19 + '..…"'),
        )
    ),
    Case(
        "unsigned release with --trust",
        lambda _folder, _context: None,
        (
            (
                '{R}/manifest.json:1:1: "signing" is null: the release is not signed, and --trust '
                "accepts only PDFs signed by the trusted certificate"
            ),
        ),
        base="changed",
        trust=True,
    ),
    Case(
        "signed release, one PDF's signature stripped, --trust",
        unsigned_pdf,
        ("{R}/74440.pdf:1:1: not signed, but manifest.json says the release is",),
        base="signed",
        trust=True,
        rebuilds=True,
    ),
    Case(
        "signature replaced by another key's, --trust",
        resigned_one,
        (SIGNED_BY_OTHER, NOT_TRUSTED % "74440.pdf"),
        base="signed",
        trust=True,
        rebuilds=True,
    ),
    Case(
        "every PDF and the manifest re-signed by another key, --trust",
        resigned_all,
        tuple(
            NOT_TRUSTED % name
            for name in (
                "55300.pdf",
                "74440.pdf",
                "site/pdf/55300.pdf",
                "site/pdf/74440.pdf",
                "site/pdf/volume.pdf",
                "volume.pdf",
            )
        ),
        base="signed",
        trust=True,
        rebuilds=True,
    ),
    Case(
        "hidden file and subfolder",
        extras,
        (
            "{R}/extra:1:1: is a folder, not a regular file: not looked into",
            "{R}/.notes.html:1:1: not listed in SHA256SUMS",
        ),
        rebuilds=True,
    ),
    Case(
        "hidden file listed in SHA256SUMS",
        hidden_listed,
        ("{R}/.notes.html:1:1: not part of the release: the rebuild has no such file",),
        rebuilds=True,
    ),
    Case(
        "symbolic links, to a file inside and to a pipe outside",
        symlinks,
        (
            "{R}/55300-copy.pdf:1:1: is a symbolic link, not a regular file: not followed",
            "{R}/74440.pdf:1:1: is a symbolic link, not a regular file: not followed",
        ),
        rebuilds=True,
    ),
    Case(
        "named pipe and device",
        special_files,
        (
            "{R}/74440.pdf:1:1: is a named pipe, not a regular file: not opened",
            "{R}/null:1:1: is a device, not a regular file: not opened",
        ),
        rebuilds=True,
    ),
    Case(
        "bytes appended, SHA256SUMS regenerated",
        appended,
        (
            (
                "{R}/74440.pdf:1:1: differs from the rebuild from the embedded sources (first "
                "difference at byte {pdf}; {pdf_plus} bytes, the rebuild {pdf})"
            ),
            (
                "{R}/CHANGES.md:1:1: differs from the rebuild from the embedded sources (first "
                "difference at byte {changes}; {changes_plus} bytes, the rebuild {changes})"
            ),
        ),
        rebuilds=True,
    ),
    Case(
        "PDF truncated",
        truncated,
        (
            "{R}/74440.pdf:1:1: does not match its SHA-256 in SHA256SUMS: the file changed",
            "{R}/74440.pdf:1:1: cannot read the sources it embeds: can't find startxref",
        ),
    ),
    Case(
        "two PDFs swapped",
        swapped,
        (
            f"{{R}}/55300.pdf:1:1: embeds 74440.yaml, {NOT_OWN}",
            "{R}/55300.pdf:1:1: does not embed 55300.yaml",
            f"{{R}}/74440.pdf:1:1: embeds 55300.yaml, {NOT_OWN}",
            "{R}/74440.pdf:1:1: does not embed 74440.yaml",
        ),
    ),
    Case(
        "embedded source changed",
        tampered_source,
        (
            (
                "{R}/74440.pdf:1:1: its embedded 74440.yaml is not the codes/74440.yaml that "
                "manifest.json records"
            ),
        ),
    ),
    Case(
        "embedded source decompresses beyond 1 MiB",
        source_bomb,
        (
            (
                '{R}/74440.pdf:1:1: embeds "74440.yaml" of more than 1,048,576 bytes, more than a '
                "source can be"
            ),
        ),
    ),
    Case(
        "wrong SHA256SUMS line before the right one",
        lambda folder, context: sums_lines("0" * 64 + "  74440.pdf", before="74440.pdf")(
            folder, context
        ),
        (
            '{R}/SHA256SUMS:3:67: "74440.pdf" is listed twice (first on line 2)',
            "{R}/74440.pdf:1:1: does not match its SHA-256 in SHA256SUMS: the file changed",
        ),
        rebuilds=True,
    ),
    Case(
        "malformed and duplicated SHA256SUMS lines",
        malformed_sums,
        (
            "{R}/SHA256SUMS:{line0}:1: not a line of the form `SHA256  NAME`",
            "{R}/SHA256SUMS:{line1}:1: not a line of the form `SHA256  NAME`",
            '{R}/SHA256SUMS:{line2}:67: "extra/fees.html" is not a plain file name: it holds a "/"',
            '{R}/SHA256SUMS:{line3}:67: ".." is not a plain file name: it is ".."',
            '{R}/SHA256SUMS:{line4}:67: "a\\b" is not a plain file name: it holds a "\\"',
            (
                '{R}/SHA256SUMS:{line5}:67: "tab\\there" is not a plain file name: it holds a '
                "control character"
            ),
            (
                '{R}/SHA256SUMS:{line6}:67: "site/../manifest.json" is not a plain file name: '
                + SITE_PART
            ),
            '{R}/SHA256SUMS:{line7}:67: "site//index.html" is not a plain file name: ' + SITE_PART,
            '{R}/SHA256SUMS:{line8}:67: "site/./index.html" is not a plain file name: ' + SITE_PART,
            (
                '{R}/SHA256SUMS:{line9}:67: "site/pagefind/fragment/a/b.html" is not a plain '
                "file name: its path is deeper than a release's site/ goes"
            ),
            (
                '{R}/SHA256SUMS:{line10}:67: "/site/index.html" is not a plain file name: '
                'it holds a "/"'
            ),
            "{R}/SHA256SUMS:{line12}:1: not a line of the form `SHA256  NAME`",
            '{R}/SHA256SUMS:{line13}:67: "CHANGES.md" is listed twice (first on line 3)',
            "{R}/SHA256SUMS:{line14}:1: not UTF-8 text",
            "{R}/site/codes:1:1: is a folder, listed in SHA256SUMS as a file",
        ),
        rebuilds=True,
    ),
    Case(
        'manifest "sources": [1]',
        manifest_value(set_key("sources", value=[1])),
        (
            (
                '{R}/manifest.json:1:1: "sources"[0] must be an object with "path", "bytes" and '
                '"sha256"'
            ),
        ),
    ),
    Case(
        "manifest not an object",
        replace_file("manifest.json", b"[]\n"),
        (
            (
                '{R}/manifest.json:1:1: must be a release manifest: an object with "version", '
                '"pdf_variant", "engine", "sources" and "signing"'
            ),
        ),
    ),
    Case(
        "manifest values of the wrong types",
        manifest_value(
            lambda m: m.update(
                version=9, pdf_variant="pdf/x", engine=[], sources="none", signing="yes"
            )
        ),
        (
            (
                '{R}/manifest.json:1:1: "version" must be a release version, such as "2026.12" or '
                '"1.4.0", not the number 9'
            ),
            (
                '{R}/manifest.json:1:1: "pdf_variant" must be "pdf/ua-1" or "pdf/a-3b", not the '
                'string "pdf/x"'
            ),
            (
                '{R}/manifest.json:1:1: "engine" must be an object of package names and version '
                "strings"
            ),
            (
                '{R}/manifest.json:1:1: "sources" must be an array of objects with "path", "bytes" '
                'and "sha256", not the string "none"'
            ),
            (
                '{R}/manifest.json:1:1: "signing" must be null or an object with "format", '
                '"signer" and "certificate_sha256"'
            ),
        ),
    ),
    Case(
        "manifest source entries",
        manifest_value(
            lambda m: m.update(
                sources=[
                    {"path": "publication.yaml", "bytes": True, "sha256": "x"},
                    {"path": "codes/../../x.yaml", "bytes": 1, "sha256": "0" * 64},
                    {"path": "publication.yaml", "bytes": 1, "sha256": "0" * 64},
                ]
            )
        ),
        (
            (
                '{R}/manifest.json:1:1: "sources"[0]["sha256"] must be a SHA-256 (64 lowercase '
                'hexadecimal digits), not the string "x"'
            ),
            (
                '{R}/manifest.json:1:1: "sources"[0]["bytes"] must be a whole number from 0 to '
                "1,048,576 (the largest source), not true"
            ),
            '{R}/manifest.json:1:1: "sources"[1]["path"] must be '
            + SOURCE_PATHS
            + ', not the string "codes/../../x.yaml"',
            '{R}/manifest.json:1:1: "sources"[2]["path"] lists "publication.yaml" a second time',
        ),
    ),
    Case(
        "manifest not JSON",
        replace_file("manifest.json", b'{\n  "version": \n}\n'),
        ("{R}/manifest.json:3:1: not valid JSON: Expecting value",),
    ),
    Case(
        "manifest with NaN",
        replace_file("manifest.json", b'{"version": NaN}'),
        ("{R}/manifest.json:1:1: not valid JSON: NaN is not a JSON number",),
    ),
    Case(
        "manifest nested 100,000 deep",
        replace_file("manifest.json", b"[" * 100_000),
        ("{R}/manifest.json:1:1: not valid JSON: nested too deeply",),
    ),
    Case(
        "manifest not UTF-8",
        replace_file("manifest.json", b'{"version": "\xff"}'),
        ("{R}/manifest.json:1:14: not UTF-8 text",),
    ),
    Case(
        "snapshot not JSON",
        replace_file("snapshot.json", b'{"format": 1,\n "version": }'),
        ("{R}/snapshot.json:2:13: not valid JSON: Expecting value",),
    ),
    Case(
        "snapshot values of the wrong types",
        snapshot_value(
            lambda s: s.update(
                format=True,
                previous="v1",
                codes={"74440": 1},
                publication_history={},
                history={
                    "74440": [
                        {
                            "version": "9.9.9",
                            "kind": "rewritten",
                            "title": 1,
                            "changes": [{"kind": "added", "field": None, "old": 1, "new": None}],
                        }
                    ]
                },
            )
        ),
        (
            '{R}/snapshot.json:1:1: "format" must be 1 or 2, not true',
            (
                '{R}/snapshot.json:1:1: "previous" must be a release version or null, such as '
                '"2026.12" or "1.4.0", not the string "v1"'
            ),
            (
                '{R}/snapshot.json:1:1: "codes"["74440"] must be an object with "code", "system" '
                'and "title"'
            ),
            (
                '{R}/snapshot.json:1:1: "history"["74440"][0]["title"] must be a string, not the '
                "number 1"
            ),
            (
                '{R}/snapshot.json:1:1: "history"["74440"][0]["kind"] must be "added", "changed" '
                'or "removed", not the string "rewritten"'
            ),
            (
                '{R}/snapshot.json:1:1: "history"["74440"][0]["changes"][0]["field"] must be a '
                "string, not null"
            ),
            (
                '{R}/snapshot.json:1:1: "history"["74440"][0]["changes"][0]["old"] must be a '
                "string or null, not the number 1"
            ),
            (
                '{R}/snapshot.json:1:1: "publication_history" must be an array of revisions, not '
                "an object"
            ),
        ),
    ),
    Case(
        "snapshot missing and unlisted",
        snapshot_missing,
        ("{R}/snapshot.json:1:1: missing: a release has a snapshot.json",),
    ),
    Case(
        "snapshot of another version",
        snapshot_value(set_key("version", value="9.9.8")),
        ('{R}/snapshot.json:1:1: "version" is "9.9.8", but manifest.json says "9.9.9"',),
    ),
    Case(
        "snapshot whose sources are not the embedded ones",
        snapshot_value(set_key("codes", "74440", "title", value="Another title")),
        (
            (
                '{R}/snapshot.json:1:1: "codes"["74440"] is not the codes/74440.yaml the PDFs '
                "embed, normalised"
            ),
        ),
    ),
    Case(
        "snapshot holding a code no PDF embeds, its name a terminal escape",
        snapshot_value(
            set_key("codes", "9\x1b[31m", value={"code": "9", "system": "CPT", "title": "t"})
        ),
        ('{R}/snapshot.json:1:1: "codes"["9\\u001b[31m"] is a code no PDF embeds',),
    ),
    Case(
        "manifest of 10 GiB (sparse)",
        huge("manifest.json"),
        (
            (
                "{R}/manifest.json:1:1: is 10,737,418,240 bytes, more than a release's "
                "manifest.json can be (33,554,432 bytes at most): not read"
            ),
        ),
    ),
    Case(
        "PDF of 10 GiB (sparse)",
        huge("volume.pdf"),
        (
            (
                "{R}/volume.pdf:1:1: is 10,737,418,240 bytes, more than any file of a release can "
                "be (1,073,741,824 bytes at most): not read"
            ),
        ),
        rebuilds=True,
    ),
]


@pytest.fixture
def context(tmp_path: Path, releases: Releases, signing_key: SigningKey) -> Context:
    """Return what damage functions use, in the test's own folder."""
    return Context(tmp_path, releases, signing_key)


def verify_tampered(case: Case, context: Context, signed_release: Path) -> tuple[Path, Outcome]:
    """Damage a copy of the case's release, verify it, and check nothing was written."""
    base = {
        "first": context.releases.first,
        "changed": context.releases.changed,
        "signed": signed_release,
    }[case.base]
    folder = context.tmp / "release" / base.name
    shutil.copytree(base, folder)
    case.damage(folder, context)
    temp = context.tmp / "verify-tmp"
    temp.mkdir()
    before, around = tree(folder), tree(context.tmp)
    args = ("--trust", str(context.signing_key.certificate)) if case.trust else ()
    outcome = run_verify(folder, temp, *args)
    assert tree(folder) == before  # the release is as it was
    assert list(temp.iterdir()) == []  # verify's temporary folder is gone
    assert tree(context.tmp) == around  # nothing new beside it, where the traversal aims
    target = context.values.get("target")
    assert target is None or not Path(str(target)).exists()
    return folder, outcome


class TestTamperedReleases:
    """Each tampered release fails verify with exactly its messages, and nothing is written."""

    @pytest.mark.parametrize("case", CASES, ids=str)
    def test_refused(self, case: Case, context: Context, signed_release: Path) -> None:
        folder, outcome = verify_tampered(case, context, signed_release)
        values = {key: str(value) for key, value in context.values.items()}
        expected = [message.format(R=folder, **values) for message in case.messages]
        assert "Traceback" not in outcome.stderr
        assert (outcome.code, outcome.problems) == (1, expected), outcome.stderr
        count = len(expected)
        assert outcome.last == f"{folder}: does not verify; {count} error{'s' * (count != 1)}"
        assert ("rebuilding " in outcome.stderr) == case.rebuilds


class TestTrustIsWhatCatchesAnotherSigner:
    """Re-signed by another key with a manifest naming it, a release verifies without --trust."""

    def test_verifies_without_trust(self, context: Context, signed_release: Path) -> None:
        case = Case("re-signed, no --trust", resigned_all, (), base="signed")
        _, outcome = verify_tampered(case, context, signed_release)
        assert (outcome.code, outcome.problems) == (0, []), outcome.stderr
        assert (
            "signatures: signed by Common Name: Someone Else; manifest.json names Common "
            "Name: Someone Else" in outcome.stderr
        )


class TestFolderListing:
    """A folder with absurdly many entries is listed only up to the limit; site/ is listed."""

    def test_site_link_not_followed(self, tmp_path: Path) -> None:
        outside = tmp_path / "outside"
        (outside / "codes").mkdir(parents=True)
        (outside / "codes" / "secret.html").write_bytes(b"secret")
        release = tmp_path / "release"
        release.mkdir()
        (release / "site").symlink_to(outside)
        with ReleaseFolder.open(release, "R") as folder:
            assert [str(p) for p in folder.problems] == [
                "R/site:1:1: is a symbolic link, not a regular file: not followed"
            ]
            assert folder.files() == [] and folder.present == ["site"]

    def test_site_files_by_path(self, tmp_path: Path) -> None:
        (tmp_path / "site" / "codes").mkdir(parents=True)
        (tmp_path / "site" / "codes" / "74440.html").write_bytes(b"<p>page</p>")
        (tmp_path / "site" / "a" / "b" / "c").mkdir(parents=True)
        (tmp_path / "other").mkdir()
        with ReleaseFolder.open(tmp_path, "R") as folder:
            assert folder.files() == ["site/codes/74440.html"]
            assert folder.read("site/codes/74440.html") == b"<p>page</p>"
            assert [str(p) for p in folder.problems] == [
                "R/other:1:1: is a folder, not a regular file: not looked into",
                "R/site/a/b/c:1:1: is a folder deeper than a release's site/ goes: not looked into",
            ]

    def test_entry_limit(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr("report.release.folder.MAX_ENTRIES", 3)
        for name in "abcde":
            (tmp_path / name).write_bytes(b"x")
        with ReleaseFolder.open(tmp_path, "R") as release:
            assert [str(p) for p in release.problems] == [
                (
                    "R:1:1: holds more than 3 entries, far more than a release holds: the rest "
                    "are not read"
                )
            ]
            assert len(release.present) == 3


class TestFirstDifference:
    """The first differing byte is found whichever file is a prefix of the other."""

    BLOCK = 1 << 20

    @pytest.mark.parametrize(
        ("left", "right", "offset"),
        [
            (b"abc", b"abc", None),
            (b"abcx", b"abc", 3),
            (b"ab", b"abc", 2),
            (b"abd", b"abc", 2),
            (b"", b"a", 0),
            (b"a" * BLOCK + b"x", b"a" * BLOCK, BLOCK),
            (b"a" * (BLOCK + 5) + b"x", b"a" * (BLOCK + 5) + b"y", BLOCK + 5),
        ],
        ids=["same", "appended", "cut", "changed", "empty", "appended-at-block", "second-block"],
    )
    def test_offset(self, tmp_path: Path, left: bytes, right: bytes, offset: int | None) -> None:
        (tmp_path / "l").write_bytes(left)
        (tmp_path / "r").write_bytes(right)
        with (tmp_path / "l").open("rb") as a, (tmp_path / "r").open("rb") as b:
            assert first_difference(a, b) == offset
