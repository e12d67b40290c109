"""`release VERSION`: reproducible release folders, what they hold, and what is refused.

They hold the version in every PDF, the embedded sources, the revision history and
CHANGES.md.

The releases are built once per session (`releases` in conftest.py) from a copy of the
sample sources: 9.9.9 into two folders, then 9.9.10 beside the first after the 74440
Work RVU changed from 0.38 to 0.40.
"""

from __future__ import annotations

import hashlib
import json
import re
import signal
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pikepdf
import pytest
from conftest import NEXT_RELEASE, RELEASE, ROOT, SAMPLE_SOURCES, Releases, run_cli
from running import kill_group, killable_env, wait_for_line
from test_pdf import body_text, read_pages, squash

from report.lock import RELEASE_LOCK_NAME
from report.release.snapshot import earlier_releases
from report.release.version import parse_version

PDFS = ("55300.pdf", "74440.pdf", "volume.pdf")
FILES = (*PDFS, "CHANGES.md", "SHA256SUMS", "manifest.json", "site", "snapshot.json")
CPT_55300 = "CPT 55300: Vasotomy for Vasograms, Seminal Vesiculograms, or Epididymograms"
CHANGED_LINE = "Benchmarks › Global › Work RVU › Value: changed from 0.38 to 0.40"


def words(path: Path) -> str:
    """Return a PDF's body text, squashed, without the list markers pypdf extracts."""
    return squash(body_text(path).replace("•", " "))


def revision_history(path: Path) -> str:
    """Return the squashed text of a report's Revision history section, to its end."""
    text = words(path)
    assert text.count("Revision history") == 1, "one Revision history section"
    return text[text.index("Revision history") :]


def stale_warnings(sources: Path) -> list[str]:
    """Return the stale-figure notices of `check`, as CHANGES.md lists them (sources-relative)."""
    result = run_cli("check", "--sources", str(sources))
    return [
        "- " + line.removeprefix(f"{sources}/").replace(": notice: ", ": ", 1)
        for line in result.stderr.splitlines()
        if "more than 12 months before the effective date" in line
    ]


def files_in(folder: Path) -> list[str]:
    """Return the names of the files in a folder, hidden ones too."""
    return sorted(p.name for p in folder.iterdir())


def every_file(folder: Path) -> list[str]:
    """Return every file under a folder by its path within it, those of site/ too."""
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


class TestReproducible:
    """Two `release 9.9.9` runs of the same sources into two folders give the same bytes."""

    def test_every_file_is_identical(self, releases: Releases) -> None:
        assert files_in(releases.first) == files_in(releases.again) == sorted(FILES)
        names = every_file(releases.first)
        assert names == every_file(releases.again)
        assert "site/index.html" in names and "site/feed.xml" in names
        for name in names:
            first, again = (
                (releases.first / name).read_bytes(),
                (releases.again / name).read_bytes(),
            )
            assert first == again, name

    def test_sha256sums_verifies_with_sha256sum(self, releases: Releases) -> None:
        done = subprocess.run(
            ["sha256sum", "-c", "SHA256SUMS"],
            cwd=releases.first,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert sorted(done.stdout.splitlines()) == sorted(
            f"{name}: OK" for name in every_file(releases.first) if name != "SHA256SUMS"
        )


class TestVersionInEveryPdf:
    """The version is printed in the title block (or cover), every footer and the metadata."""

    @pytest.mark.parametrize("name", PDFS)
    def test_footer_of_every_page(self, releases: Releases, name: str) -> None:
        for page in read_pages(releases.first / name):
            assert f"Edition 2026.11 · release {RELEASE} of December 1, 2026" in squash(
                page.foot
            ), page.number

    @pytest.mark.parametrize("name", PDFS)
    def test_title_block_or_cover(self, releases: Releases, name: str) -> None:
        first_page = squash(read_pages(releases.first / name)[0].body)
        assert f"Edition 2026.11 Release {RELEASE} of December 1, 2026 Effective date" in first_page

    @pytest.mark.parametrize("name", PDFS)
    def test_info_and_xmp(self, releases: Releases, name: str) -> None:
        with pikepdf.open(releases.first / name) as pdf:
            assert str(pdf.docinfo["/Version"]) == RELEASE
            assert str(pdf.docinfo["/Subject"]).endswith(f", release {RELEASE}")
            assert str(pdf.docinfo["/CreationDate"]) == str(pdf.docinfo["/ModDate"]) == "D:20261101"
            meta = pdf.open_metadata()
            assert meta["xmpMM:VersionID"] == RELEASE
            assert meta["dc:description"].endswith(f", release {RELEASE}")
            assert meta["pdfuaid:part"] == "1"

    def test_a_plain_build_carries_no_release(self, sample_build: Path) -> None:
        """`build` output is unchanged by releases: no version, history or embedded files."""
        for name in PDFS:
            with pikepdf.open(sample_build / name) as pdf:
                assert "/Version" not in pdf.docinfo
                assert "xmpMM:VersionID" not in pdf.open_metadata()
                assert "/AF" not in pdf.Root and not pdf.attachments
            assert "Revision history" not in squash(body_text(sample_build / name))
            for page in read_pages(sample_build / name):
                assert "Release" not in squash(page.foot), page.number


class TestEmbeddedSources:
    """Each PDF carries its own sources as associated files with /AFRelationship /Source."""

    @pytest.mark.parametrize(
        "name, sources",
        [
            ("74440.pdf", ("74440.yaml", "gpci-2022.yaml", "publication.yaml")),
            ("55300.pdf", ("55300.yaml", "gpci-2022.yaml", "publication.yaml")),
            ("volume.pdf", ("55300.yaml", "74440.yaml", "gpci-2022.yaml", "publication.yaml")),
        ],
    )
    def test_sources_are_associated_files(
        self, releases: Releases, name: str, sources: tuple[str, ...]
    ) -> None:
        with pikepdf.open(releases.first / name) as pdf:
            associated = {str(spec.UF): spec for spec in pdf.Root.AF}
            assert sorted(associated) == sorted(pdf.attachments) == list(sources)
            for file, spec in associated.items():
                path = releases.sources / (
                    file
                    if file == "publication.yaml"
                    else "gpci/2022.yaml"
                    if file == "gpci-2022.yaml"
                    else f"codes/{file}"
                )
                data = spec.EF.F.read_bytes()
                assert data == path.read_bytes(), file
                assert spec.AFRelationship == pikepdf.Name.Source
                assert spec.EF.F.Subtype == pikepdf.Name("/application/yaml")
                params = spec.EF.F.Params
                assert int(params.Size) == len(data)
                assert bytes(params.CheckSum) == hashlib.md5(data).digest()
                assert str(params.ModDate) == "D:20261101000000Z"

    def test_volume_holds_each_source_once(self, releases: Releases) -> None:
        """The reports' own embedded copies are left out of the volume, which embeds its own."""
        with pikepdf.open(releases.first / "volume.pdf") as pdf:
            embedded = [
                obj
                for obj in pdf.objects
                if isinstance(obj, pikepdf.Stream) and obj.get("/Type") == "/EmbeddedFile"
            ]
            specs = [
                obj
                for obj in pdf.objects
                if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == "/Filespec"
            ]
        assert len(embedded) == len(specs) == 4  # publication, two codes, the indices


class TestManifest:
    """manifest.json records the release, builder and engine versions, and each source's hash."""

    def test_release_fields(self, releases: Releases) -> None:
        manifest = json.loads((releases.changed / "manifest.json").read_text(encoding="utf-8"))
        assert manifest["version"] == NEXT_RELEASE and manifest["previous"] == RELEASE
        assert manifest["builder_version"] == "0.1.0"
        assert manifest["pdf_variant"] == "pdf/ua-1" and manifest["signing"] is None
        assert manifest["engine"]["weasyprint"] == "70.0"
        assert {"python", "pikepdf", "qpdf", "pydyf"} <= set(manifest["engine"])
        expected = (
            [("publication.yaml", releases.changed_sources / "publication.yaml")]
            + [
                (f"codes/{p.name}", p)
                for p in sorted((releases.changed_sources / "codes").iterdir())
            ]
            + [("gpci/2022.yaml", releases.changed_sources / "gpci" / "2022.yaml")]
        )
        assert [(s["path"], s["sha256"], s["bytes"]) for s in manifest["sources"]] == [
            (path, hashlib.sha256(file.read_bytes()).hexdigest(), file.stat().st_size)
            for path, file in expected
        ]
        listed = {f["path"]: f for f in manifest["files"]}
        assert sorted(listed) == sorted(
            set(every_file(releases.changed)) - {"SHA256SUMS", "manifest.json"}
        )
        for name, entry in listed.items():
            data = (releases.changed / name).read_bytes()
            assert (entry["bytes"], entry["sha256"]) == (
                len(data),
                hashlib.sha256(data).hexdigest(),
            )
        assert listed["74440.pdf"]["kind"] == "report" and listed["CHANGES.md"]["kind"] == "changes"


class TestRevisionHistory:
    """Release 9.9.10, after one benchmark value changed, shows it in 74440 and nowhere else."""

    def test_changed_report_lists_the_field(self, releases: Releases) -> None:
        history = revision_history(releases.changed / "74440.pdf")
        assert history.startswith(
            f"Revision history Release {NEXT_RELEASE}, December 2, 2026 1 field changed. "
            f"{CHANGED_LINE} Release {RELEASE}, December 1, 2026 First published in this "
            "release."
        )

    def test_unchanged_report_says_so(self, releases: Releases) -> None:
        history = revision_history(releases.changed / "55300.pdf")
        assert history.startswith(
            f"Revision history No changes since {RELEASE}. "
            f"Release {RELEASE}, December 1, 2026 First published in this release."
        )
        assert f"Release {NEXT_RELEASE}" not in history

    def test_first_release_history(self, releases: Releases) -> None:
        for code in ("55300", "74440"):
            history = revision_history(releases.first / f"{code}.pdf")
            assert history.startswith(
                f"Revision history Release {RELEASE}, December 1, 2026 First published in "
                "this release."
            )

    def test_unchanged_report_differs_only_by_version_and_history(self, releases: Releases) -> None:
        """55300's text in 9.9.10 is 9.9.9's with the new version and the 'No changes' line."""
        before, after = words(releases.first / "55300.pdf"), words(releases.changed / "55300.pdf")
        expected = before.replace(
            f"Release {RELEASE} of December 1, 2026 Effective",
            f"Release {NEXT_RELEASE} of December 2, 2026 Effective",
        )
        expected = expected.replace(
            "Revision history ", f"Revision history No changes since {RELEASE}. "
        )
        assert after == expected

    def test_changes_md(self, releases: Releases) -> None:
        """CHANGES.md lists the change, then the stale figures `check` finds, as warnings."""
        stale_lines = "\n".join(stale_warnings(releases.changed_sources))
        assert (
            (releases.changed / "CHANGES.md").read_text(encoding="utf-8")
            == f"""\
# Changes in release {NEXT_RELEASE}

Released December 2, 2026. Compared with release {RELEASE}.

## Publication

No changes.

## Added codes

None.

## Removed codes

None.

## Changed codes

### CPT 74440: Imaging of Vas Deferens, Seminal Vesicles, or Epididymis

- {CHANGED_LINE}

## Unchanged codes

- {CPT_55300}: no changes since {RELEASE}

## Warnings

Released with 22 warnings (`release --strict` refuses them):

{stale_lines}
"""
        )

    def test_first_changes_md_lists_every_code_as_added(self, releases: Releases) -> None:
        text = (releases.first / "CHANGES.md").read_text(encoding="utf-8")
        assert (
            "Released December 1, 2026. First release in this folder of releases: no earlier "
            "release was found there; the history starts here." in text.splitlines()
        )
        assert text.split("## Added codes\n\n")[1].split("\n\n")[0].splitlines() == [
            f"- {CPT_55300}",
            "- CPT 74440: Imaging of Vas Deferens, Seminal Vesicles, or Epididymis",
        ]

    def test_snapshot_holds_normalised_sources_and_history(self, releases: Releases) -> None:
        snapshot = json.loads((releases.changed / "snapshot.json").read_text(encoding="utf-8"))
        assert (snapshot["version"], snapshot["previous"]) == (NEXT_RELEASE, RELEASE)
        work = next(b for b in snapshot["codes"]["74440"]["benchmarks"] if b["label"] == "Work RVU")
        assert work["value"] == 0.4 and work["component"] == "global"  # defaults filled in
        assert [r["version"] for r in snapshot["history"]["74440"]] == [NEXT_RELEASE, RELEASE]
        assert [r["version"] for r in snapshot["history"]["55300"]] == [RELEASE]
        assert [r["version"] for r in snapshot["publication_history"]] == [RELEASE]


FORMATS = (
    "a semantic version (MAJOR.MINOR.PATCH, e.g. 1.4.0 or 2.0.0-rc.1) or a calendar "
    "version (YYYY.MM or YYYY.MM.N, e.g. 2026.11 or 2026.11.2)"
)


class TestRefused:
    """A malformed or existing version, or bad sources, are refused and nothing is written."""

    @pytest.mark.parametrize(
        "version, hint",
        [
            ("1.2", ""),
            ("1.2.3.4", ""),
            ("01.2.3", ""),
            ("latest", ""),
            ("v1.2.3", "; drop the leading 'v'"),
            ("2026.13", "; a calendar version's month runs from 1 to 12"),
        ],
    )
    def test_malformed_version(self, tmp_path: Path, version: str, hint: str) -> None:
        result = run_cli("release", version, "--out", "out", cwd=tmp_path)
        assert result.code == 2
        assert result.stderr == (
            f'release version "{version}" is malformed: use {FORMATS}{hint}\n'
            "see docs/reference/cli.md#release\n"
        )
        assert files_in(tmp_path) == []

    def test_existing_version(self, releases: Releases) -> None:
        before = {name: (releases.first / name).read_bytes() for name in every_file(releases.first)}
        out = str(releases.first.parent)
        result = run_cli("release", RELEASE, "--sources", str(releases.sources), "--out", out)
        assert result.code == 2
        assert result.stderr == (
            f"{out}/{RELEASE}: release {RELEASE} already exists; a release "
            "is never rebuilt in place: choose a new version\n"
            "see docs/reference/cli.md#release\n"
        )
        assert {
            name: (releases.first / name).read_bytes() for name in every_file(releases.first)
        } == before
        assert files_in(releases.first.parent) == sorted([RELEASE, NEXT_RELEASE])

    def test_invalid_sources(self, sources_copy: Path) -> None:
        (sources_copy / "codes" / "99999.yaml").write_text(
            'code: 99999\nsystem: CPT\ntitle: "Broken"\n', encoding="utf-8"
        )
        result = run_cli(
            "release", "1.0.0", "--sources", "sources", "--out", "out", cwd=sources_copy.parent
        )
        assert result.code == 1
        assert result.stderr.splitlines() == [
            'sources/codes/99999.yaml:1:7: "code" must be text, not the number 99999; '
            'quote it: "99999"'
        ]
        assert not (sources_copy.parent / "out").exists()


class TestVersions:
    """Semantic and calendar versions parse, and order as their schemes say."""

    def test_order(self) -> None:
        ordered = [
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-beta",
            "1.0.0-rc.1",
            "1.0.0",
            "1.0.1",
            "1.10.0",
            "2.0.0+build.5",
            "2026.9",
            "2026.11",
            "2026.11.1",
        ]
        assert sorted(ordered, key=lambda v: parse_version(v).order()) == ordered

    def test_earlier_releases_skip_hidden_and_other_folders(self, tmp_path: Path) -> None:
        for name in ("1.0.0", "1.2.0", "2.0.0", ".1.5.0.abc.partial", "notes", "1.1.0"):
            (tmp_path / name).mkdir()
        found = [str(v) for v, _ in earlier_releases(tmp_path, parse_version("1.5.0"))]
        assert found == ["1.0.0", "1.1.0", "1.2.0"]


class TestInterrupted:
    """A release killed halfway leaves no release folder: only a hidden one, never read."""

    def test_killed_release_leaves_no_version_folder(self, tmp_path: Path) -> None:
        out = tmp_path / "out"
        process = subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "build.py"),
                "release",
                "3.0.0",
                "--sources",
                str(SAMPLE_SOURCES),
                "--out",
                str(out),
                "--jobs",
                "1",
                "--pause-at",
                "report-written",
            ],
            cwd=tmp_path,
            env=killable_env(tmp_path),
            stdin=subprocess.DEVNULL,  # no line will come: it stays paused until killed
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,  # its own process group: the release and its workers
        )
        try:
            wait_for_line(process, "paused at report-written")  # halfway through its build
        finally:
            kill_group(process)
        assert process.returncode == -signal.SIGKILL
        assert [path.name for path in out.glob(".3.0.0.*/.build/*.pdf")]  # it was writing
        names = [name for name in files_in(out) if name != RELEASE_LOCK_NAME]  # not held
        assert len(names) == 1 and re.fullmatch(r"\.3\.0\.0\..+\.partial", names[0]), names
        assert earlier_releases(out, parse_version("4.0.0")) == []


class TestSite:
    """A release carries its web edition: the version on every page, What changed, a feed."""

    @pytest.mark.parametrize("page", ["index.html", "codes/74440.html", "changes.html"])
    def test_version_on_every_page(self, releases: Releases, page: str) -> None:
        text = (releases.changed / "site" / page).read_text(encoding="utf-8")
        assert f"Edition 2026.11 · Release {NEXT_RELEASE}" in text
        assert 'href="feed.xml"' in text or 'href="../feed.xml"' in text

    def test_what_changed(self, releases: Releases) -> None:
        text = (releases.changed / "site" / "changes.html").read_text(encoding="utf-8")
        assert f"<h1>Changes in release {NEXT_RELEASE}</h1>" in text
        assert CHANGED_LINE in text
        assert text.count("<h1>") == 1

    def test_feed_has_an_entry_per_release(self, releases: Releases) -> None:
        atom = "{http://www.w3.org/2005/Atom}"
        feed = ET.fromstring((releases.changed / "site" / "feed.xml").read_bytes())
        titles = [e.findtext(f"{atom}title") for e in feed.iter(f"{atom}entry")]
        assert titles == [f"Release {NEXT_RELEASE}", f"Release {RELEASE}"]
        ids = [e.findtext(f"{atom}id") for e in feed.iter(f"{atom}entry")]
        assert len(set(ids)) == 2 and all(i and i.startswith("urn:uuid:") for i in ids)
        first = ET.fromstring((releases.first / "site" / "feed.xml").read_bytes())
        assert [e.findtext(f"{atom}id") for e in first.iter(f"{atom}entry")] == ids[1:]

    @pytest.mark.parametrize("name", PDFS)
    def test_site_pdfs_are_the_releases(self, releases: Releases, name: str) -> None:
        site = (releases.changed / "site" / "pdf" / name).read_bytes()
        assert site == (releases.changed / name).read_bytes()

    @pytest.mark.parametrize("name", PDFS)
    def test_signed_site_pdfs_are_the_signed_ones(self, signed_release: Path, name: str) -> None:
        site = (signed_release / "site" / "pdf" / name).read_bytes()
        assert b"/ByteRange" in site
        assert site == (signed_release / name).read_bytes()
