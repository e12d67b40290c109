#!/usr/bin/env python3
"""Benchmark `build` against baselines measured in the same run, on the same machine.

    python benchmarks/run.py [--sizes 24,200,1000] [--sparse 600] [--jobs 2]
                             [--plain-max 200] [--worker-reports 24]
                             [--compare OTHER/build.py]

For each N of --sizes (smallest first), then each N of --sparse, one after another:

1. write N sources: synthetic ones (benchmarks/generate.py, fixed seed), or, for --sparse,
   real-shaped ones: those `import-pfs --create` makes from a synthetic CMS relative value
   file of N codes (benchmarks/shapes.py: identity, indicators, benchmarks, nothing else);
2. write each report's HTML as the workers render it, with the print stylesheet inline and
   the bundled fonts beside it (benchmarks/shapes.py's print_html; not timed);
3. baseline: a plain loop, in a fresh subprocess that imports WeasyPrint once, calling
   weasyprint.HTML(filename=...).write_pdf(target) per HTML file; only the loop is timed.
   Skipped above --plain-max N: the loop is then estimated from the per-file time at
   the largest N measured, and says so;
   worker cost: a worker's render of up to --worker-reports of these reports
   (report.render.pdf, with its finisher) against WeasyPrint's write_pdf() of the same
   HTML, each side in fresh processes of its own, taking turns, both warm
   (benchmarks/shapes.py);
4. full build of the reports and the volume with --jobs J into a fresh out dir (with
   --force as well when the builder has it, so that no cache kept elsewhere is reused);
5. no-op rebuild: the same command again, nothing changed;
6. one-change rebuild: one code's title edited in its YAML, then the same command.

With --compare, steps 4 to 6 are also run with another builder (an earlier checkout's
build.py), first, on its own copy of the same sources and against the same plain loop:
a change is measured before and after in one run, on one machine. It runs with the
Python of the other checkout's .venv when it has one (its workers import the builder
installed there).

Each command runs under a small wrapper process that times it (wall clock) and reads
its peak memory: the largest single process of the build's tree (the build, the fork
server or one worker), not their sum: resource.getrusage(RUSAGE_CHILDREN).ru_maxrss, or
each process's own VmHWM read from /proc (Linux) if larger, since workers forked by a
fork server are reaped by it and may escape getrusage; the wrapper also samples the
summed RSS of the whole tree from /proc every 0.1 s, which counts shared pages once per
process and can miss peaks shorter than that.

The report/volume split comes from the build's own final timing line, such as
"rendered 24 reports in 8.1 s; volume 0.9 s"; a builder that prints none gets
"not available". The run prints the commit measured and the load average at its start
and end; every figure is printed with its target.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from measure import (
    HERE,
    MIB,
    PLAIN_LOOP,
    ROOT,
    Run,
    changed_files,
    commit_of,
    describe_machine,
    digests,
    edit_one,
    load,
    measure_command,
    shorten,
)
from shapes import print_html, sparse_sources, worker_cost
from targets import Verdicts

TIMING_LINE = re.compile(
    r"rendered\s+(?P<reports>\d+)\s+reports?\s+in\s+(?P<report_s>[\d.]+)\s*s\b"
    r".*?volume\s+(?P<volume_s>[\d.]+)\s*s\b",
    re.IGNORECASE,
)


class Bench:
    """One benchmark run: the builder measured at each size, and the targets checked."""

    def __init__(self, args: argparse.Namespace, work: Path) -> None:
        self.args = args
        self.work = work
        self.python = args.python
        self.builder = str(Path(args.builder).resolve())
        self.label = ""  # the builder being measured: "" for this one, else "before"
        self.builders = [("", self.builder)]
        self.pythons = {self.builder: args.python}
        if args.compare:
            other = Path(args.compare).resolve()
            self.builders.insert(0, ("before", str(other)))
            # Its own environment, if it has one: its workers import the installed builder.
            own = other.parent / ".venv" / "bin" / "python"
            self.pythons[str(other)] = str(own) if own.exists() else args.python
        self.verdicts = Verdicts()
        # (N, seconds per file) of the synthetic sources, and of the sparse ones
        self.plain_per_file: dict[bool, tuple[int, float]] = {}
        self.has_force = False
        self.serial = False
        self.sparse = False  # whether the sources measured are the sparse, real-shaped ones

    # ---- running -----------------------------------------------------------------

    def measure(self, cmd: list[str], log: Path) -> Run:
        """Run a command under the measuring wrapper, its output in log."""
        return measure_command(self.python, cmd, log, self.work)

    def build_cmd(self, sources: Path, out: Path, *extra: str) -> list[str]:
        """Return the command line of a build of sources into out."""
        return [
            self.python,
            self.builder,
            "build",
            "--sources",
            str(sources),
            "--out",
            str(out),
            "--jobs",
            str(self.args.jobs),
            *extra,
        ]

    def probe(self) -> None:
        """Learn which options the builder measured has, from its help."""
        done = subprocess.run(
            [self.python, self.builder, "build", "--help"],
            capture_output=True,
            text=True,
            check=False,
        )
        text = " ".join(done.stdout.split())
        self.has_force = "--force" in text
        self.serial = "in one process" in text

    # ---- reporting ---------------------------------------------------------------

    def verdict(self, figure: str, n: int, value: float | None) -> str:
        """Return the target text for a figure at N, and record whether it was met."""
        return self.verdicts.verdict(figure, n, value, self.sparse, self.label)

    @staticmethod
    def say(line: str = "") -> None:
        """Print a line of the report at once."""
        print(line, flush=True)

    # ---- one size ----------------------------------------------------------------

    def size(self, n: int, sparse: bool = False) -> None:
        """Measure every figure at n reports: synthetic sources, or sparse real-shaped ones."""
        self.sparse = sparse
        base = self.work / (f"sparse{n}" if sparse else f"n{n}")
        sources = base / "sources"
        shape = "sparse sources as import-pfs --create makes them" if sparse else "synthetic"
        where = f"{'sparse ' * sparse}N={n}"
        self.say(f"--- {where}: {shape} ({base})")
        if sparse:
            sparse_sources(self.python, self.builder, n, sources, self.args.seed)
        else:
            self.generate(n, sources)

        # HTML for the baseline (not timed against anything).
        html_dir = base / "plain-html"
        try:
            written = print_html(self.python, sources, html_dir, self.work)
        except RuntimeError as exc:
            self.say(f"{where} writing the plain loop's HTML failed: {exc}")
            return
        if written != n:
            self.say(f"{where} warning: {written} HTML files written, not {n}")

        # Baseline: the plain loop.
        plain_seconds: float | None = None
        plain_note = ""
        if n <= self.args.plain_max or sparse:
            loop = self.measure(
                [
                    self.python,
                    "-c",
                    PLAIN_LOOP,
                    str(html_dir),
                    str(base / "plain-out"),
                ],
                base / "plain.log",
            )
            if loop.ok:
                result = json.loads(loop.output.strip().splitlines()[-1])
                plain_seconds = result["loop_seconds"]
                per_file = plain_seconds / max(result["files"], 1)
                self.plain_per_file[sparse] = (n, per_file)
                self.say(
                    f"{where} plain loop: {result['files']} files in {plain_seconds:.1f} s "
                    f"({per_file:.2f} s per file; one process, "
                    f"peak RSS {loop.maxrss / MIB:.0f} MiB)"
                )
            else:
                self.say(f"{where} plain loop failed (exit {loop.rc}):\n{loop.tail()}")
        elif sparse in self.plain_per_file:
            at, per_file = self.plain_per_file[sparse]
            plain_seconds = per_file * n
            plain_note = f" (estimated: {per_file:.2f} s per file measured at N={at})"
            self.say(
                f"{where} plain loop not run (N > --plain-max {self.args.plain_max}); "
                f"estimated {plain_seconds:.1f} s from {per_file:.2f} s per file at N={at}"
            )
        else:
            self.say(
                f"{where} plain loop not run (N > --plain-max {self.args.plain_max}) and no "
                "smaller N measured to estimate it from"
            )
        self.worker_cost(n, sources, html_dir)

        for label, builder in self.builders:
            self.builder, self.label, self.python = builder, label, self.pythons[builder]
            self.probe()
            mine = base / f"sources-{label}" if label else sources
            if label:
                shutil.copytree(sources, mine)
            self.steps(n, base, mine, plain_seconds, plain_note)
        self.builder, self.label, self.python = self.builders[-1][1], "", self.args.python

    def generate(self, n: int, sources: Path) -> None:
        """Write n synthetic sources into sources (benchmarks/generate.py)."""
        seed = str(self.args.seed)
        gen = subprocess.run(
            [self.python, str(HERE / "generate.py"), str(n), str(sources), "--seed", seed],
            capture_output=True,
            text=True,
            check=False,
        )
        if gen.returncode != 0:
            raise SystemExit(f"generate.py failed:\n{gen.stderr}")

    def worker_cost(self, n: int, sources: Path, html_dir: Path) -> None:
        """Print a worker's render time per report against the plain write_pdf() of it."""
        where = f"{'sparse ' * self.sparse}N={n}"
        limit = min(n - 1, self.args.worker_reports)
        if limit < 1:
            self.say(f"{where} worker cost: not measured (one report warms up; needs N >= 2)")
            self.verdict("worker_ratio", n, None)
            return
        try:
            cost = worker_cost(self.python, sources, html_dir, limit, self.work)
        except RuntimeError as exc:
            self.say(f"{where} worker cost: failed ({exc}) {self.verdict('worker_ratio', n, None)}")
            return
        per = max(cost.reports, 1)
        self.say(
            f"{where} worker cost: {cost.worker / per:.2f} s per report (report.render.pdf, "
            f"finisher included) vs write_pdf() {cost.plain / per:.2f} s of the same HTML, "
            f"{cost.reports} renders each, each side in its own processes, both warm: "
            f"ratio {cost.ratio:.2f} {self.verdict('worker_ratio', n, cost.ratio)}"
        )

    def steps(
        self, n: int, base: Path, sources: Path, plain_seconds: float | None, plain_note: str
    ) -> None:
        """Measure the builder's full, no-op and one-change builds of sources at n reports."""
        force = ["--force"] if self.has_force else []
        tag = f"{'sparse ' * self.sparse}N={n}" + (f" [{self.label}]" if self.label else "")
        folder = f"-{self.label}" if self.label else ""

        # Full build into a fresh out dir.
        out = base / f"out{folder}"
        full = self.measure(self.build_cmd(sources, out, *force), base / f"full{folder}.log")
        if not full.ok:
            self.say(f"{tag} full build failed (exit {full.rc}):\n{full.tail()}")
            return
        if plain_seconds is not None:
            ratio = full.seconds / plain_seconds
            self.say(
                f"{tag} full build {full.seconds:.1f} s vs plain loop {plain_seconds:.1f} s"
                f"{plain_note}: ratio {ratio:.2f} {self.verdict('full_ratio', n, ratio)}"
            )
        else:
            self.say(
                f"{tag} full build {full.seconds:.1f} s vs plain loop: not available "
                f"{self.verdict('full_ratio', n, None)}"
            )

        # Report time and volume step, from the build's own timing line.
        timing = TIMING_LINE.search(full.output)
        if timing:
            report_s, volume_s = float(timing["report_s"]), float(timing["volume_s"])
            share = volume_s / report_s if report_s else float("inf")
            self.say(
                f"{tag} volume step {volume_s:.1f} s vs reports {report_s:.1f} s "
                f"({timing['reports']} rendered): {share:.0%} "
                f"{self.verdict('volume_share', n, share)}"
            )
        else:
            self.say(
                f"{tag} volume step vs reports: not available (the build printed no "
                f"'rendered N reports in X s; volume Y s' line) "
                f"{self.verdict('volume_share', n, None)}"
            )

        # Peak memory of the full build.
        self.say(
            f"{tag} peak memory of the full build: largest process "
            f"{full.maxrss / MIB:.0f} MiB (its peak RSS, ru_maxrss or VmHWM: one process, "
            f"not the sum){self._tree(full)} "
            f"{self.verdict('memory', n, max(full.maxrss, full.tree_peak or 0))}"
        )

        # No-op rebuild.
        before = digests(out)
        noop = self.measure(self.build_cmd(sources, out), base / f"noop{folder}.log")
        if not noop.ok:
            self.say(f"{tag} no-op rebuild failed (exit {noop.rc}):\n{noop.tail()}")
            return
        ratio = noop.seconds / full.seconds
        self.say(
            f"{tag} no-op rebuild {noop.seconds:.2f} s vs full build {full.seconds:.1f} s: "
            f"ratio {ratio:.3f} {self.verdict('noop_ratio', n, ratio)}"
        )
        self.say(
            f"{tag} no-op rebuild {noop.seconds:.2f} s "
            f"{self.verdict('noop_seconds', n, noop.seconds)}"
        )
        rewritten, internal = changed_files(before, digests(out))
        if rewritten:
            self.say(
                f"{tag}   note: the no-op rebuild rewrote {len(rewritten)} output(s) with "
                f"new bytes: {shorten(rewritten)}"
            )

        # One-change rebuild.
        code = edit_one(sources)
        before = digests(out)
        change = self.measure(self.build_cmd(sources, out), base / f"change{folder}.log")
        if not change.ok:
            self.say(f"{tag} one-change rebuild failed (exit {change.rc}):\n{change.tail()}")
            return
        changed, internal = changed_files(before, digests(out))
        self.say(
            f"{tag} one-change rebuild ({code}.yaml title edited) {change.seconds:.2f} s "
            f"vs full build {full.seconds:.1f} s: ratio {change.seconds / full.seconds:.3f} "
            f"{self.verdict('change_seconds', n, change.seconds)}"
        )
        expected = {f"{code}.pdf", "volume.pdf"}
        missing = sorted(expected - set(changed))
        self.say(
            f"{tag}   outputs with new bytes: {shorten(changed)}"
            + (f"; plus {len(internal)} internal file(s) (dot-named)" if internal else "")
            + (f"; NOT changed though they should: {', '.join(missing)}" if missing else "")
        )
        self.say(f"{tag}   load average after this size: {load()}")

    @staticmethod
    def _tree(run: Run) -> str:
        if run.tree_peak is None:
            return ""
        return f"; whole tree {run.tree_peak / MIB:.0f} MiB (summed RSS sampled every 0.1 s)"


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks the command line asks for; return the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes",
        default="24,200,1000",
        help="comma-separated numbers of reports (default 24,200,1000)",
    )
    parser.add_argument(
        "--sparse",
        default="600",
        help="comma-separated numbers of sparse, real-shaped sources (as import-pfs --create "
        "makes them; their plain loop always runs); 0 for none (default 600)",
    )
    parser.add_argument(
        "--worker-reports",
        type=int,
        default=24,
        help="reports timed for the worker cost at each N (default 24)",
    )
    parser.add_argument("--jobs", type=int, default=2, help="--jobs passed to build (default 2)")
    parser.add_argument(
        "--plain-max",
        type=int,
        default=200,
        help="largest N whose plain loop is run; above it, estimated (default 200)",
    )
    parser.add_argument("--seed", type=int, default=1, help="seed for generate.py (default 1)")
    venv = ROOT / ".venv" / "bin" / "python"
    parser.add_argument(
        "--python",
        default=str(venv) if venv.exists() else sys.executable,
        help="interpreter with the builder's dependencies (default: .venv's)",
    )
    parser.add_argument(
        "--builder",
        default=str(ROOT / "build.py"),
        help="build.py to benchmark (default: this checkout's)",
    )
    parser.add_argument(
        "--compare",
        metavar="BUILD.PY",
        help="also measure this other build.py (an earlier checkout's), in the same run, on "
        "the same sources and against the same plain loop; its lines say [before]",
    )
    parser.add_argument("--work", type=Path, help="working folder (default: a new temp folder)")
    parser.add_argument("--keep", action="store_true", help="keep the working folder")
    args = parser.parse_args(argv)
    try:
        sizes = sorted({int(s) for s in args.sizes.split(",") if s.strip()})
    except ValueError:
        parser.error("--sizes takes numbers, e.g. 24,200,1000")
    if not sizes or min(sizes) < 1:
        parser.error("--sizes needs numbers of at least 1")
    try:
        sparse = sorted({int(s) for s in args.sparse.split(",") if s.strip()} - {0})
    except ValueError:
        parser.error("--sparse takes numbers, e.g. 600, or 0 for none")
    if sparse and min(sparse) < 1:
        parser.error("--sparse needs numbers of at least 1, or 0 for none")

    work = args.work or Path(tempfile.mkdtemp(prefix="report-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    bench = Bench(args, work)
    bench.probe()
    started = time.perf_counter()
    print(
        f"benchmark {dt.datetime.now().isoformat(timespec='seconds')}: sizes "
        f"{', '.join(map(str, sizes))}; sparse {', '.join(map(str, sparse)) or 'none'}; "
        f"build --jobs {args.jobs}; plain loop up to N="
        f"{args.plain_max}; seed {args.seed}"
    )
    for line in describe_machine(args.python, bench.builder):
        print(line)
    at_start, commit = load(), commit_of(bench.builder)
    print(f"load average at start: {at_start}; other work on the machine skews every figure")
    if not bench.has_force:
        print("note: this build has no --force: the full build relies on a fresh out dir")
    if bench.serial:
        print("note: this build says it renders in one process whatever --jobs says")
    print(flush=True)
    try:
        for n in sizes:
            bench.size(n)
        for n in sparse:
            bench.size(n, sparse=True)
    finally:
        if args.work is None and not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        elif args.keep or args.work:
            print(f"working folder kept: {work}")
    bench.verdicts.finish(sizes)
    v = bench.verdicts
    total = len(v.met) + len(v.missed) + len(v.unknown)
    print()
    print(
        (f"targets: {len(v.met)} of {total} met" if total else "no targets apply at these sizes")
        + (f"; missed: {'; '.join(v.missed)}" if v.missed else "")
        + (f"; not measured: {'; '.join(v.unknown)}" if v.unknown else "")
        + f"  (run took {time.perf_counter() - started:.0f} s)"
    )
    print(
        f"commit {commit or '(not a git checkout)'}; "
        f"load average at start {at_start}, at end {load()}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
