"""The build's plan: which outputs are stale and why, decided without rendering anything.

plan_build is a pure function of the gathered sources, the build's context and what the
index records; these tests call it directly, with made-up code sources and records.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import SAMPLE_SOURCES

import report.inputs as inputs
from report.build.context import BuildContext, BuildOptions
from report.build.gather import CodeSource
from report.build.plan import Plan, plan_build
from report.errors import Finding, UsageError
from report.sources import PublicationFile, load_publication
from report.stamp import Release


def publication() -> PublicationFile:
    """Return the sample publication, validated (no report is rendered)."""
    loaded, errors = load_publication(SAMPLE_SOURCES, "sources")
    assert loaded is not None and not errors
    return loaded


def code(number: str, sha: str = "a" * 64, size: int = 100, errors: int = 0) -> CodeSource:
    """Return a gathered code source, valid unless given errors."""
    found = [Finding.at(f"sources/codes/{number}.yaml", "bad")] * errors
    heading = None if errors else f"CPT {number}: Title {number}"
    return CodeSource(
        Path(f"{number}.yaml"), f"sources/codes/{number}.yaml", sha, found, heading, size
    )


def plan(
    gathered: list[CodeSource],
    recorded: dict[str, str] | None = None,
    present: set[str] | None = None,
    **options: object,
) -> Plan:
    """Plan a build of codes with options, the index holding recorded and present."""
    context = BuildContext.of(BuildOptions(**options), publication())  # type: ignore[arg-type]
    return plan_build(gathered, context, "sources", recorded or {}, present or set())


def built(first: Plan) -> tuple[dict[str, str], set[str]]:
    """Return the index of a build that made every output of first: keys, all present."""
    keys = {r.pdf.path: r.pdf.key for r in first.reports if r.pdf is not None}
    keys.update({r.html.path: r.html.key for r in first.reports if r.html is not None})
    if first.volume is not None:
        keys[first.volume.path] = first.volume.key
    return keys, set(keys)


class TestFirstPlan:
    """With an empty index every output is stale, as not built before."""

    def test_everything_is_new(self) -> None:
        """Each selected report's PDF and the volume are stale, and why is said."""
        first = plan([code("74440"), code("55300")])
        assert [r.code for r in first.reports] == ["74440", "55300"]
        assert {r.pdf.stale for r in first.reports if r.pdf} == {"not built before"}
        assert first.volume is not None and first.volume.stale == "not built before"
        assert first.up_to_date == 0

    def test_longest_sources_render_first(self) -> None:
        """Reports to render come longest source first, so no worker is left with one."""
        first = plan([code("10000", size=10), code("20000", size=300), code("30000", size=50)])
        assert [r.code for r in first.to_render()] == ["20000", "30000", "10000"]

    def test_invalid_and_unnamed_codes_are_left_out(self) -> None:
        """A source with errors has no outputs; naming codes selects only those."""
        codes = [code("10000"), code("20000", errors=1), code("30000")]
        assert [r.code for r in plan(codes).reports] == ["10000", "30000"]
        assert [r.code for r in plan(codes, codes=["30000"]).reports] == ["30000"]

    def test_an_unknown_code_is_a_usage_error(self) -> None:
        """Naming a code without a source is refused before anything is built."""
        with pytest.raises(UsageError, match="no source for 99999 in sources/codes"):
            plan([code("10000")], codes=["99999"])

    def test_formats_decide_the_outputs(self) -> None:
        """HTML alone has no PDF and no volume; both formats have both files per report."""
        html = plan([code("10000")], formats=["html"])
        assert html.volume is None and html.reports[0].pdf is None
        assert html.reports[0].html is not None
        assert html.reports[0].html.path == "html/10000.html"


class TestRebuildPlan:
    """After a build, only what changed is stale, each for its own reason."""

    def test_nothing_changed(self) -> None:
        """The same sources and index: nothing is stale."""
        codes = [code("10000"), code("20000")]
        keys, present = built(plan(codes))
        again = plan(codes, keys, present)
        assert again.to_render() == [] and again.up_to_date == 2
        assert again.volume is not None and again.volume.stale is None

    def test_one_source_changed(self) -> None:
        """A changed source makes its report and the volume stale, nothing else."""
        keys, present = built(plan([code("10000"), code("20000")]))
        again = plan([code("10000"), code("20000", sha="b" * 64)], keys, present)
        assert [(r.code, r.pdf.stale) for r in again.to_render() if r.pdf] == [
            ("20000", "its inputs changed")
        ]
        assert again.volume is not None and again.volume.stale == "its inputs changed"

    def test_a_missing_output(self) -> None:
        """An output the index records but the folder no longer holds is made again."""
        codes = [code("10000"), code("20000")]
        keys, present = built(plan(codes))
        again = plan(codes, keys, present - {"10000.pdf"})
        assert [(r.code, r.pdf.stale) for r in again.to_render() if r.pdf] == [
            ("10000", "missing, or changed since it was written")
        ]
        assert again.volume is not None and again.volume.stale is None

    @pytest.mark.parametrize(
        "options",
        [{"variant": "pdf/a-3b"}, {"release": Release("1.0.0", None)}],
        ids=["another PDF variant", "a release"],
    )
    def test_options_that_shape_every_pdf(self, options: dict[str, object]) -> None:
        """A PDF variant or a release changes every PDF's key and the volume's."""
        codes = [code("10000"), code("20000")]
        keys, present = built(plan(codes))
        again = plan(codes, keys, present, **options)
        assert {r.pdf.stale for r in again.reports if r.pdf} == {"its inputs changed"}
        assert again.volume is not None and again.volume.stale == "its inputs changed"

    def test_another_builder(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """A builder whose files hash otherwise makes every output stale."""
        codes = [code("10000")]
        keys, present = built(plan(codes))
        monkeypatch.setattr(inputs, "builder_fingerprint", lambda: "another builder")
        again = plan(codes, keys, present)
        assert [r.code for r in again.to_render()] == ["10000"]

    def test_force(self) -> None:
        """--force makes every output stale, saying so."""
        codes = [code("10000")]
        keys, present = built(plan(codes))
        again = plan(codes, keys, present, force=True)
        assert again.reports[0].pdf is not None and again.reports[0].pdf.stale == "--force"
        assert again.volume is not None and again.volume.stale == "--force"

    def test_named_codes_plan_no_volume(self) -> None:
        """A build of named codes leaves the volume of all reports as it is."""
        codes = [code("10000"), code("20000")]
        keys, present = built(plan(codes))
        one = plan(codes, keys, present, codes=["10000"])
        assert one.to_render() == []
        assert one.volumes == () and one.volume is None
