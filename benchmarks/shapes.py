"""Real-shaped sources and a worker's cost per report, for benchmarks/run.py.

sparse_sources writes N sources as `import-pfs --create` makes them from a CMS relative
value file (benchmarks/pprrvu.py): identity, the file's short description as title,
indicators and benchmarks, everything else empty: what a publication of the whole fee
schedule starts from.

print_html writes, for the plain loop, each report's HTML as the builder's workers render
it, with the print stylesheet inline and the bundled TrueType fonts beside it: the same
document, with nothing of the web edition's (screen rules, WOFF2 fonts) that `--format
html` adds. worker_cost times what a worker does per report (report.render.pdf's
render_pdf of the report's HTML: layout, writing, the tagging finisher) against the plain
loop's WeasyPrint `HTML(...).write_pdf()` of that file, each side in fresh processes of
its own, as a build's worker is alone in its process, both warm (one report rendered
first, not timed), the sides taking turns twice so that other load on the machine weighs
on both alike.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from pprrvu import pprrvu

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PPRRVU_NAME = "PPRRVU2026_Jan_nonQPP.csv"  # a name that tells import-pfs its factor

# Writes each report's print HTML with its stylesheet inline; prints how many.
PRINT_HTML = r"""
import pathlib, sys
from report.assemble import assemble
from report.render.html import report_html
from report.resources import fonts_dir, stylesheet
from report.sources import load_sources

sources, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
out.mkdir(parents=True, exist_ok=True)
(out / "fonts").symlink_to(fonts_dir(), target_is_directory=True)
style = "<style>\n" + stylesheet() + "\n</style>\n</head>"
loaded = load_sources(sources)
for source in loaded.codes:
    html = report_html(assemble(source, loaded.publication, None)).replace("</head>", style, 1)
    (out / f"{source.model.code}.html").write_text(html, encoding="utf-8")
print(len(loaded.codes))
"""

# Times one side's render of each report; prints one JSON line.
WORKER_COST = r"""
import json, pathlib, sys, time
import weasyprint
from report.assemble import assemble
from report.render import PdfSettings, epoch_of
from report.render.html import report_html
from report.render.pdf import render_pdf
from report.sources import load_sources

sources, html_dir, limit = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]), int(sys.argv[3])
side = sys.argv[4]
loaded = load_sources(sources)
publication = loaded.publication
epoch = epoch_of(publication.model.effective_date)
codes = sorted(loaded.codes, key=lambda c: c.model.code)
pairs = []
for source in codes:
    path = html_dir / f"{source.model.code}.html"
    if path.is_file():
        pairs.append((source, path))
step = max(1, len(pairs) // limit)
pairs = pairs[::step][: limit + 1]
seconds = 0.0
for number, (source, path) in enumerate(pairs):
    if side == "worker":
        settings = PdfSettings(epoch=epoch, code=source.model.code)
        html = report_html(assemble(source, publication, None))
        start = time.perf_counter()
        render_pdf(html, settings)
    else:
        own = path.read_text(encoding="utf-8")
        start = time.perf_counter()
        weasyprint.HTML(string=own, base_url=str(path)).write_pdf()
    if number:  # the first report warms the process up
        seconds += time.perf_counter() - start
print(json.dumps({"reports": max(0, len(pairs) - 1), "seconds": seconds}))
"""
ROUNDS = 2  # each side runs this many times, in turn, each in a fresh process


@dataclass(frozen=True)
class WorkerCost:
    """A worker's render time against the plain write_pdf() of the same reports."""

    reports: int
    worker: float
    plain: float

    @property
    def ratio(self) -> float:
        """Return the worker's time over the plain loop's."""
        return self.worker / self.plain if self.plain else float("inf")


def last_line(python: str, script: str, args: list[str], cwd: Path) -> str:
    """Run a script with python in a fresh process; return the last line it printed.

    RuntimeError, with the last line of its standard error, if it failed or printed nothing.
    """
    done = subprocess.run(
        [python, "-c", script, *args], capture_output=True, text=True, check=False, cwd=cwd
    )
    if done.returncode != 0 or not done.stdout.strip():
        raise RuntimeError(done.stderr.strip().splitlines()[-1] if done.stderr else "no output")
    return done.stdout.strip().splitlines()[-1]


def print_html(python: str, sources: Path, out: Path, cwd: Path) -> int:
    """Write each report's print HTML, stylesheet inline, into out; return how many."""
    return int(last_line(python, PRINT_HTML, [str(sources), str(out)], cwd))


def worker_cost(python: str, sources: Path, html_dir: Path, limit: int, cwd: Path) -> WorkerCost:
    """Time up to limit reports of sources both ways, each side in fresh processes of python.

    html_dir holds each report's self-contained HTML (print_html's). The sides take
    turns, ROUNDS times each, so that other load on the machine weighs on both alike; each
    side's time is the sum of its rounds.
    """
    times = {"worker": 0.0, "plain": 0.0}
    reports = 0
    for _ in range(ROUNDS):
        for side in times:
            args = [str(sources), str(html_dir), str(limit), side]
            found = json.loads(last_line(python, WORKER_COST, args, cwd))
            times[side] += found["seconds"]
            reports = found["reports"]
    return WorkerCost(reports * ROUNDS, times["worker"], times["plain"])


def sparse_sources(python: str, builder: str, n: int, out: Path, seed: int) -> None:
    """Write n sparse sources into out with `import-pfs --create` from a synthetic file.

    The sample's publication.yaml comes first; any earlier codes/ is removed.
    """
    shutil.rmtree(out / "codes", ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(ROOT / "sources" / "publication.yaml", out / "publication.yaml")
    csv = out.parent / PPRRVU_NAME
    csv.write_bytes(pprrvu(n, seed))
    done = subprocess.run(
        [python, builder, "import-pfs", str(csv), "--sources", str(out), "--create"],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"import-pfs --create failed:\n{done.stderr[-2000:]}")
    written = len(list((out / "codes").glob("*.yaml")))
    if written != n:
        raise SystemExit(f"import-pfs --create wrote {written} sources, not {n}")
