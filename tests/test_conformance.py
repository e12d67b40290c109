"""Conformance proven by an independent validator, on every kind of PDF the builder writes.

page-validation (tests/validation.py) reads each PDF as any reader would, at its default
safety limits, and checks it against every profile its variant claims: PDF/UA-1, and for
the PDF/A-3b variant PDF/A-3b as well. The kinds: the sample's reports and volume in both
variants; a release, which embeds its sources, and the next one, with a revision history;
a signed release in both variants; the layout builds (long text on letter paper, every
limit on A4, and that one as PDF/A-3b); the build whose every field holds markup; a
volume of LARGE generated reports as PDF/A-3b, whose outline and page tree are grouped;
and builds of Hypothesis-generated sources whose every Markdown field holds lists, links,
quotes and headings (tests/markdown_sources.py; tests/test_properties.py holds its own
builds to it).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pikepdf
import pytest
from conftest import (
    RELEASE,
    ROOT,
    SAMPLE_SOURCES,
    SIGNING_PASSPHRASE,
    Built,
    HostileBuild,
    Releases,
    SigningKey,
    run_cli,
)
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from markdown_sources import markdown_code
from qpdf import qpdf_check
from validation import variant_failures

from report.build import BuildOptions, build
from report.volume.outline import OUTLINE_FANOUT
from report.volume.writer import NODES_PER_GROUP

# Reports in the generated volume: past NODES_PER_GROUP page tree nodes and five times
# OUTLINE_FANOUT bookmarks. Most are sparse (three or four pages), the rest partial, so
# that the build takes about a minute on two cores.
LARGE = 260
FRONT_BOOKMARKS = 3  # the cover's, the notices', the contents'


def scaled(count: int) -> int:
    """Return count examples under the default profile, ten times more under explore."""
    return count * settings().max_examples // 100


@dataclass(frozen=True)
class Kind:
    """A build to validate: the folder it wrote, its sources and its PDF variant."""

    out: Path
    sources: Path
    variant: str = "pdf/ua-1"

    def pdfs(self) -> list[Path]:
        """Return every PDF of the build, and check there is one per code and a volume."""
        found = sorted(self.out.glob("*.pdf"))
        codes = sorted(path.stem for path in (self.sources / "codes").glob("*.yaml"))
        assert [path.stem for path in found] == sorted([*codes, "volume"]), self.out
        return found


@pytest.fixture(scope="module")
def sample_a3b(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the sample sources as PDF/A-3b."""
    out = tmp_path_factory.mktemp("sample-a3b")
    result = run_cli(
        "build", "--sources", str(SAMPLE_SOURCES), "--out", str(out), "--pdf-variant", "pdf/a-3b"
    )
    assert result.code == 0, result.stderr
    return out


@pytest.fixture(scope="module")
def signed_a3b(
    releases: Releases, signing_key: SigningKey, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """Release the sample sources as PDF/A-3b, signed."""
    out = tmp_path_factory.mktemp("signed-a3b")
    result = run_cli(
        "release",
        RELEASE,
        "--sources",
        str(releases.sources),
        "--out",
        str(out),
        "--pdf-variant",
        "pdf/a-3b",
        "--sign",
        str(signing_key.p12),
        "--sign-passphrase",
        SIGNING_PASSPHRASE,
    )
    assert result.code == 0, result.stderr
    return out / RELEASE


@pytest.fixture(scope="module")
def large_build(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """Generate LARGE sources (benchmarks/generate.py) and build them as PDF/A-3b.

    PDF/A-3b files claim PDF/UA-1 too, so they are held to both profiles: among some 5,000
    streams, about 20 end with CR, which PDF/A's length rule would count one byte short.
    """
    base = tmp_path_factory.mktemp("large")
    sources, out = base / "sources", base / "out"
    generate = [sys.executable, str(ROOT / "benchmarks" / "generate.py"), str(LARGE)]
    done = subprocess.run(
        [*generate, str(sources), "--seed", "3", "--sparse", "0.85"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    build = [sys.executable, str(ROOT / "build.py"), "build", "--sources", str(sources)]
    done = subprocess.run(
        [*build, "--out", str(out), "--jobs", "2", "--pdf-variant", "pdf/a-3b"],
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert done.returncode == 0, done.stderr
    qpdf_check(out / "volume.pdf")
    return Built(sources, out)


KINDS = [
    "sample",
    "sample-a3b",
    "release",
    "release-next",
    "signed",
    "signed-a3b",
    "long",
    "limits",
    "limits-a3b",
    "hostile",
    "large",
]


@pytest.fixture(params=KINDS)
def kind(request: pytest.FixtureRequest) -> Kind:
    """Return one kind of build, built once for the session or module."""
    name = request.param
    get = request.getfixturevalue
    if name == "sample":
        return Kind(get("sample_build"), SAMPLE_SOURCES)
    if name == "sample-a3b":
        return Kind(get("sample_a3b"), SAMPLE_SOURCES, "pdf/a-3b")
    if name in ("release", "release-next"):
        releases: Releases = get("releases")
        if name == "release":
            return Kind(releases.first, releases.sources)
        return Kind(releases.changed, releases.changed_sources)
    if name == "signed":
        return Kind(get("signed_release"), get("releases").sources)
    if name == "signed-a3b":
        return Kind(get("signed_a3b"), get("releases").sources, "pdf/a-3b")
    if name == "hostile":
        hostile: HostileBuild = get("hostile_build")
        assert hostile.result.code == 0, hostile.result.stderr
        return Kind(hostile.out, hostile.sources.folder)
    if name == "large":
        large: Built = get("large_build")
        return Kind(large.out, large.sources, "pdf/a-3b")
    layout: Built = get("layout_builds")[name]
    return Kind(layout.out, layout.sources, "pdf/a-3b" if name.endswith("-a3b") else "pdf/ua-1")


class TestEveryKindConforms:
    """Every PDF of every kind of build passes the validator for each profile it claims."""

    def test_no_failure(self, kind: Kind) -> None:
        pdfs = kind.pdfs()
        found = [line for pdf in pdfs for line in variant_failures(pdf, kind.variant)]
        print(f"{kind.out}: {len(pdfs)} PDFs ({kind.variant}), {len(found)} failures")
        assert not found, "\n".join(found)


def chains(item: pikepdf.Dictionary | None) -> list[int]:
    """Return the length of every chain of bookmarks side by side, from item down."""
    lengths, level = [], []
    while item is not None:
        level.append(item)
        item = item.get("/Next")
    lengths.append(len(level))
    for bookmark in level:
        if "/First" in bookmark:
            lengths += chains(bookmark.First)
    return lengths


class TestLargeVolume:
    """A volume of hundreds of reports keeps every chain a reader walks short."""

    def test_bookmarks_grouped_by_code(self, large_build: Built) -> None:
        """Past OUTLINE_FANOUT reports, their bookmarks sit in closed groups by code range."""
        codes = sorted(path.stem for path in (large_build.sources / "codes").glob("*.yaml"))
        assert len(codes) == LARGE
        with pikepdf.open(large_build.out / "volume.pdf") as pdf:
            tops, item = [], pdf.Root.Outlines.First
            while item is not None:
                tops.append(item)
                item = item.get("/Next")
            groups = tops[FRONT_BOOKMARKS:]
            spans = [codes[i : i + OUTLINE_FANOUT] for i in range(0, LARGE, OUTLINE_FANOUT)]
            assert [str(g.Title) for g in groups] == [
                f"Reports {span[0]} to {span[-1]}" for span in spans
            ]
            dests = pikepdf.NameTree(pdf.Root.Names.Dests)
            for group, span in zip(groups, spans, strict=True):
                assert int(group.Count) == -len(span)  # closed
                kids, kid = [], group.First
                while kid is not None:
                    assert kid.Parent.objgen == group.objgen
                    kids.append(kid)
                    kid = kid.get("/Next")
                assert [str(k.Title).split(":")[0].split()[-1] for k in kids] == span
                # A group opens its first report, on the page its first bookmark opens.
                assert str(group.Dest) == f"report-{span[0]}"
                assert dests[f"report-{span[0]}"][0].objgen == kids[0].Dest[0].objgen
            visible = sum(1 + max(int(top.get("/Count", 0)), 0) for top in tops)
            assert int(pdf.Root.Outlines.Count) == visible

    def test_no_chain_longer_than_the_fanout(self, large_build: Built) -> None:
        """No chain of bookmarks side by side is longer than the fanout and the front's."""
        with pikepdf.open(large_build.out / "volume.pdf") as pdf:
            longest = max(chains(pdf.Root.Outlines.First))
            assert longest <= OUTLINE_FANOUT + FRONT_BOOKMARKS, longest

    def test_page_tree_grouped(self, large_build: Built) -> None:
        """Past NODES_PER_GROUP reports, the page tree holds them in groups."""
        with pikepdf.open(large_build.out / "volume.pdf") as pdf:
            nodes = pdf.Root.Pages.Kids
            groups = [node for node in nodes if len(node.get("/Kids", ())) == NODES_PER_GROUP]
            assert len(nodes) < LARGE and groups, len(nodes)


class TestGeneratedSourcesConform:
    """A build of any valid source, whatever its Markdown holds, gives conforming PDFs."""

    @given(markdown_code(), st.sampled_from(["pdf/ua-1", "pdf/a-3b"]))
    @settings(
        max_examples=scaled(10),
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        # Each example is a build and a validation: shrinking a failure would take minutes
        # of the suite's budget. A failing example is reported whole, with its blob.
        phases=[Phase.explicit, Phase.reuse, Phase.generate],
    )
    def test_build_conforms(self, code: bytes, variant: str) -> None:
        with tempfile.TemporaryDirectory() as folder:
            root = Path(folder)
            (root / "sources" / "codes").mkdir(parents=True)
            shutil.copyfile(
                SAMPLE_SOURCES / "publication.yaml", root / "sources" / "publication.yaml"
            )
            (root / "sources" / "codes" / "74440.yaml").write_bytes(code)
            result = build(
                root / "sources",
                root / "out",
                BuildOptions(variant=variant, jobs=1),
                shown_path="sources",
                log=lambda _line: None,
            )
            assert not result.errors, [str(f) for f in result.errors]
            found = [
                line
                for name in ("74440.pdf", "volume.pdf")
                for line in variant_failures(root / "out" / name, variant)
            ]
            assert not found, "\n".join(found)
