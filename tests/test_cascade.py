"""What a renderer shares across the reports it lays out changes no byte of any.

report/render/cascade.py lets a renderer reuse the styles WeasyPrint computed for the
reports before, and report/render/lines.py the first-line splits of their texts; a
report's PDF must be the same whether it is laid out first, after other reports, or after
reports of another publication.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pydyf
import pytest
import weasyprint.css
from extreme_sources import write_extreme_sources
from weasyprint.css import StyleFor
from weasyprint.text.line_break import Layout

from report.assemble import assemble
from report.render import PDF_VARIANTS, PdfSettings, epoch_of
from report.render.html import report_html
from report.render.pdf import Renderer
from report.sources import load_sources

ROOT = Path(__file__).resolve().parent.parent

Report = tuple[str, str, PdfSettings]  # a name, the report's HTML, its settings


def reports_of(folder: Path, variant: str) -> list[Report]:
    """Return every report of a sources folder, as HTML with its settings."""
    loaded = load_sources(folder)
    epoch = epoch_of(loaded.publication.model.effective_date)
    return [
        (
            f"{folder.name}/{source.model.code}",
            report_html(assemble(source, loaded.publication, None)),
            PdfSettings(epoch=epoch, code=source.model.code, variant=variant),
        )
        for source in sorted(loaded.codes, key=lambda c: c.model.code)
    ]


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> list[Report]:
    """Return the sample's reports and the extreme corpora's, in both variants."""
    folders = [ROOT / "sources", *write_extreme_sources(tmp_path_factory.mktemp("x")).values()]
    return [
        report
        for variant in PDF_VARIANTS
        for folder in folders
        for report in reports_of(folder, variant)
    ]


class TestSharedStyles:
    """A report laid out after others is byte for byte the report laid out alone."""

    def test_same_bytes_in_sequence(self, reports: list[Report]) -> None:
        """Each report, rendered after every report before it, equals its render alone."""
        shared = Renderer()
        for name, html, settings in reports:
            alone, _ = Renderer().render(html, settings)
            after, _ = shared.render(html, settings)
            assert after == alone, f"{name} differs when rendered after other reports"

    def test_styles_are_shared(self, reports: list[Report]) -> None:
        """A second layout of a report computes no new style: all come from the first."""
        renderer = Renderer()
        _, html, settings = reports[0]
        renderer.render(html, settings)
        kept = len(renderer.shared.styles)
        renderer.render(html, settings)
        assert kept > 100
        assert len(renderer.shared.styles) == kept

    def test_ids_do_not_split_styles(self, reports: list[Report]) -> None:
        """A report whose elements differ from one laid out before only in ids adds no style."""
        renderer = Renderer()
        name, html, settings = reports[0]
        code = name.rsplit("/", 1)[1]
        renderer.render(html, settings)
        kept = len(renderer.shared.styles)
        renamed = html.replace(f'id="{code}-', f'id="other-{code}-').replace(
            f'href="#{code}-', f'href="#other-{code}-'
        )
        assert renamed.count('id="other-') > 10
        renderer.render(renamed, settings)
        assert len(renderer.shared.styles) == kept


class TestSharedLines:
    """A text split in one report is not split again by Pango in the next."""

    def test_second_layout_splits_nothing_new(self, reports: list[Report]) -> None:
        """A second layout of a report asks as many splits as the first, all answered."""
        renderer = Renderer()
        _, html, settings = reports[0]
        renderer.render(html, settings)
        asked, kept = renderer.lines.asked, len(renderer.lines.answers)
        renderer.render(html, settings)
        assert kept > 100
        assert renderer.lines.asked == 2 * asked
        assert len(renderer.lines.answers) == kept

    def test_repeated_texts_stay_set_up(
        self, reports: list[Report], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """From its third drawing on, a shared text's layout is not set up again; same bytes."""
        setups: list[None] = []
        setup = Layout.setup
        monkeypatch.setattr(
            Layout, "setup", lambda layout, style: setups.append(None) or setup(layout, style)
        )
        renderer = Renderer()
        _, html, settings = reports[0]
        counts, pdfs = [], []
        for _ in range(3):
            setups.clear()
            pdfs.append(renderer.render(html, settings)[0])
            counts.append(len(setups))
        assert counts[2] < counts[1] - 50
        assert renderer.lines.set_up > 50
        assert pdfs[0] == pdfs[1] == pdfs[2]


class TestThreads:
    """Renders asked for from several threads of one process run one at a time."""

    def test_same_bytes_and_hooks_put_back(self, reports: list[Report]) -> None:
        """Four threads render the same reports; each gets the bytes a lone render gives."""
        chosen = reports[:4]
        alone = [Renderer().render(html, settings)[0] for _, html, settings in chosen]
        hooks = (StyleFor, pydyf.PDF.write, pydyf.Stream.data, Layout.reactivate)
        shared = Renderer()
        with ThreadPoolExecutor(4) as pool:
            got = list(pool.map(lambda r: shared.render(r[1], r[2])[0], chosen * 2))
        assert got == alone * 2
        assert (
            weasyprint.css.StyleFor,
            pydyf.PDF.write,
            pydyf.Stream.data,
            Layout.reactivate,
        ) == hooks
