#!/usr/bin/env python3
"""Time warm renders of a few reports in this process, to weigh a change of layout.

    python benchmarks/layout.py [--runs 9] [--generated 3] [--codes 74440] [--against REF]

Renders the sample's reports named by --codes (sources/) and the --generated largest
reports of a synthetic set (benchmarks/generate.py, fixed seed, written to a temporary
folder) with the builder's own renderer (report.render.pdf), once to warm it up, then
--runs times each, one report after another in turn. Prints, per report, the elements of
its HTML, its pages, and the median time of laying it out (HTML to pages) and of a whole
render (layout and PDF writing); the last line sums the medians. Run it before and after
a change: only the medians of several runs say anything. Times are this process's CPU
time (time.process_time), not the wall clock, so that other work on a shared machine
weighs less on them.

With --against REF, each report is also rendered, in turn with the current stylesheet,
with styles/report.css as git commit REF has it (the same HTML, the current fonts): a
change of the stylesheet alone is weighed in one process, under the same load.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from report.assemble import assemble
from report.render import PdfSettings, epoch_of
from report.render.html import report_html
from report.render.pdf import Renderer, renderer
from report.sources import Sources, load_sources

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def element_count(html: str) -> int:
    """Return how many elements html holds (text never holds a bare `<`: it is escaped)."""
    return len(re.findall(r"<[A-Za-z]", html))


@dataclass
class Subject:
    """One report to time: its HTML, how it is written, and the times measured."""

    name: str
    html: str
    settings: PdfSettings
    layouts: dict[str, list[float]] = field(default_factory=dict)
    renders: dict[str, list[float]] = field(default_factory=dict)
    pages: int = 0


def subjects_of(
    sources: Sources, label: str, codes: list[str] | None, largest: int
) -> list[Subject]:
    """Return the reports of codes (or the largest ones by HTML) of a sources folder."""
    publication = sources.publication
    if publication is None or sources.errors:
        raise SystemExit(f"{sources.folder}: the sources do not load cleanly")
    epoch = epoch_of(publication.model.effective_date)
    found: list[Subject] = []
    for item in sources.codes:
        code = item.model.code
        if codes is not None and code not in codes:
            continue
        html = report_html(assemble(item, publication))
        found.append(Subject(f"{label}:{code}", html, PdfSettings(epoch=epoch, code=code)))
    if codes is None:
        found.sort(key=lambda s: len(s.html), reverse=True)
        found = found[:largest]
    return found


def generated(count: int, folder: Path) -> Sources:
    """Write count synthetic sources into folder and load them."""
    subprocess.run(
        [sys.executable, str(HERE / "generate.py"), str(count), str(folder)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return load_sources(folder)


def stylesheet_at(ref: str) -> str:
    """Return styles/report.css as git commit ref has it."""
    return subprocess.run(
        ["git", "show", f"{ref}:styles/report.css"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def measure(subjects: list[Subject], renderers: dict[str, Renderer], runs: int) -> None:
    """Render each subject with each renderer once to warm up, then runs times, in turn."""
    for name, render in renderers.items():
        for subject in subjects:
            _, subject.pages = render.render(subject.html, subject.settings)
            subject.layouts[name] = []
            subject.renders[name] = []
    for _ in range(runs):
        for subject in subjects:
            for name, render in renderers.items():
                start = time.process_time()
                render.layout(subject.html)
                middle = time.process_time()
                render.render(subject.html, subject.settings)
                end = time.process_time()
                subject.layouts[name].append(middle - start)
                subject.renders[name].append(end - middle)


def main(argv: list[str] | None = None) -> int:
    """Time the chosen reports and print the medians."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9, help="timed renders per report")
    parser.add_argument("--generated", type=int, default=3, help="largest synthetic reports")
    parser.add_argument("--codes", default="74440", help="sample codes, comma-separated")
    parser.add_argument("--against", metavar="REF", help="also render with REF's stylesheet")
    args = parser.parse_args(argv)
    renderers = {"current": renderer()}
    if args.against:
        renderers[args.against] = Renderer(stylesheet_at(args.against))
    sample = load_sources(ROOT / "sources")
    subjects = subjects_of(sample, "sample", args.codes.split(","), 0)
    with tempfile.TemporaryDirectory() as temp:
        if args.generated > 0:
            synthetic = generated(max(12, 4 * args.generated), Path(temp))
            subjects += subjects_of(synthetic, "generated", None, args.generated)
        measure(subjects, renderers, args.runs)
    print(f"{'report':<20} {'css':<8} {'elements':>8} {'pages':>5} {'layout s':>9} {'render s':>9}")
    for name in renderers:
        layout_sum = render_sum = 0.0
        for s in subjects:
            layout = statistics.median(s.layouts[name])
            render = statistics.median(s.renders[name])
            layout_sum += layout
            render_sum += render
            count = element_count(s.html)
            print(f"{s.name:<20} {name:<8} {count:>8} {s.pages:>5} {layout:>9.3f} {render:>9.3f}")
        print(f"{'sum of medians':<20} {name:<8} {'':>14} {layout_sum:>9.3f} {render_sum:>9.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
