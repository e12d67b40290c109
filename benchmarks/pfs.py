#!/usr/bin/env python3
"""Benchmark `import-pfs` and `check` on the whole fee schedule, against targets.

    python benchmarks/pfs.py [--codes 15600] [--seed 1] [--compare OTHER/build.py]
                             [--update] [--work DIR] [--keep]

1. write a relative value file of the national file's size and shape
   (benchmarks/pprrvu.py: about 17,600 lines, 15,600 codes of every form, quoted
   descriptions, CRLF, the end-of-file line), named PPRRVU2026_Jan_nonQPP.csv;
2. `import-pfs FILE --create` into empty sources (publication.yaml, no code source):
   its time and peak memory;
3. the same command again, nothing to change: its time and peak memory;
4. `check` of the ~15,600 sources it wrote: its time and peak memory;
5. with --update, the import of the same release's QPP file (PPRRVU2026_Jan_QPP.csv,
   another conversion factor): every source with a payment changes (no target; for
   the builder before, ruamel.yaml's round-trip edit of each takes many minutes).

With --compare, the other checkout's builder runs the same steps first, on its own
sources, its lines marked [before]. A builder that refuses the end-of-file line (the
importer before it learnt the published format) is given the file without it, and the
report says so; codes it cannot create are counted as it lists them.

Each command runs under benchmarks/run.py's wrapper: wall time, and peak memory as the
largest process's peak RSS (ru_maxrss or VmHWM) and the sampled sum over its tree.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from measure import MIB, Run, describe_machine, load, measure_command
from pprrvu import END_OF_FILE, pprrvu

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
NAME = "PPRRVU2026_Jan_nonQPP.csv"
QPP_NAME = "PPRRVU2026_Jan_QPP.csv"
# Targets: figure -> (limit, how it prints).
TARGETS = {
    "create_seconds": (15.0, "< 15 s"),
    "noop_seconds": (5.0, "< 5 s"),
    "check_seconds": (8.0, "< 8 s"),
    "memory": (400 * MIB, "< 400 MiB"),
}
SUMMARY = re.compile(
    r"(?P<updated>\d+) updated, (?P<created>\d+) created, (?P<same>\d+) up to date"
)
CHECKED = re.compile(r"(?P<valid>\d+) valid code sources?; (?P<errors>\d+) errors?")


@dataclass
class Figures:
    """One builder's figures, by name, for the closing comparison."""

    label: str
    values: dict[str, float] = field(default_factory=dict)


@dataclass
class Verdicts:
    """Every target checked in the run."""

    met: list[str] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)


def say(line: str = "") -> None:
    """Print a line of the report at once."""
    print(line, flush=True)


def verdict(verdicts: Verdicts, label: str, figure: str, value: float) -> str:
    """Return the target text of a figure, and record it (this builder's figures only)."""
    if label:
        return "(compared; the targets are this builder's)"
    limit, text = TARGETS[figure]
    ok = value < limit
    (verdicts.met if ok else verdicts.missed).append(f"{figure.replace('_', ' ')} {text}")
    return f"(target {text}) {'ok' if ok else 'MISSED'}"


def memory(run: Run) -> str:
    """Return a run's peak memory as printed."""
    tree = f"; whole tree {run.tree_peak / MIB:.0f} MiB" if run.tree_peak else ""
    return f"largest process {run.maxrss / MIB:.0f} MiB{tree}"


def steps(
    label: str,
    python: str,
    builder: str,
    csv: Path,
    sources: Path,
    verdicts: Verdicts,
    update: bool = False,
) -> Figures:
    """Measure one builder's import, second import and check; print a line for each."""
    tag = f"[{label}] " if label else ""
    figures = Figures(label)
    logs = sources.parent
    command = [python, builder, "import-pfs", str(csv), "--sources", str(sources), "--create"]
    for figure, step in (("create_seconds", "import --create"), ("noop_seconds", "import again")):
        run = measure_command(python, command, logs / f"{label or 'now'}-{figure}.log", logs)
        counts = SUMMARY.search(run.output)
        if not run.ok or counts is None:
            say(f"{tag}{step} failed (exit {run.rc}):\n{run.tail()}")
            return figures
        figures.values[figure] = run.seconds
        figures.values[f"{figure}_memory"] = run.maxrss
        say(
            f"{tag}{step}: {run.seconds:.1f} s "
            f"{verdict(verdicts, label, figure, run.seconds)}; {counts['created']} created, "
            f"{counts['updated']} updated, {counts['same']} up to date"
        )
        say(f"{tag}  peak memory: {memory(run)} {verdict(verdicts, label, 'memory', run.maxrss)}")
    run = measure_command(
        python, [python, builder, "check", "--sources", str(sources)], logs / "check.log", logs
    )
    checked = CHECKED.search(run.output)
    figures.values["check_seconds"] = run.seconds
    figures.values["check_seconds_memory"] = run.maxrss
    say(
        f"{tag}check: {run.seconds:.1f} s {verdict(verdicts, label, 'check_seconds', run.seconds)}"
        f"; {checked[0] if checked else f'exit {run.rc}, no summary line'}"
    )
    say(f"{tag}  peak memory: {memory(run)} {verdict(verdicts, label, 'memory', run.maxrss)}")
    if update:
        qpp = csv.with_name(QPP_NAME)
        qpp.write_bytes(csv.read_bytes().replace(b",33.4009,", b",33.5675,"))
        command = [python, builder, "import-pfs", str(qpp), "--sources", str(sources)]
        run = measure_command(python, command, logs / f"{label or 'now'}-update.log", logs)
        counts = SUMMARY.search(run.output)
        figures.values["update_seconds"] = run.seconds
        say(
            f"{tag}import of the QPP file: {run.seconds:.1f} s (no target); "
            + (f"{counts['updated']} updated, {counts['same']} up to date" if counts else "failed")
        )
        say(f"{tag}  peak memory: {memory(run)}")
    return figures


def compare(before: Figures, now: Figures) -> None:
    """Print each figure before and now, and their ratio."""
    say()
    say("figure: before -> now (now / before)")
    for name in ("create_seconds", "noop_seconds", "check_seconds", "update_seconds"):
        for key, unit, scale in ((name, "s", 1.0), (f"{name}_memory", "MiB", MIB)):
            if key in before.values and key in now.values:
                was, is_ = before.values[key] / scale, now.values[key] / scale
                ratio = is_ / was if was else float("inf")
                say(
                    f"  {key.replace('_', ' ')}: {was:.1f} {unit} -> {is_:.1f} {unit} ({ratio:.2f})"
                )


def accepts_end_of_file(python: str, builder: str) -> bool:
    """Return whether a builder's importer knows the published format (--conversion-factor)."""
    done = subprocess.run(
        [python, builder, "import-pfs", "--help"], capture_output=True, text=True, check=False
    )
    return "--conversion-factor" in done.stdout


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark the command line asks for; return the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--codes", type=int, default=15_600, help="distinct codes (15600)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the file (1)")
    venv = ROOT / ".venv" / "bin" / "python"
    parser.add_argument("--python", default=str(venv) if venv.exists() else sys.executable)
    parser.add_argument("--builder", default=str(ROOT / "build.py"))
    parser.add_argument("--compare", metavar="BUILD.PY", help="another checkout's build.py")
    parser.add_argument("--work", type=Path, help="working folder (default: a new temp folder)")
    parser.add_argument("--keep", action="store_true", help="keep the working folder")
    parser.add_argument(
        "--update", action="store_true", help="also import the QPP file: every source changes"
    )
    args = parser.parse_args(argv)
    work = args.work or Path(tempfile.mkdtemp(prefix="report-pfs-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    data = pprrvu(args.codes, args.seed)
    say(
        f"benchmark {dt.datetime.now().isoformat(timespec='seconds')}: {NAME}, "
        f"{len(data.splitlines()):,} lines, {len(data):,} bytes, {args.codes:,} codes, "
        f"seed {args.seed}"
    )
    for line in describe_machine(args.python, args.builder):
        say(line)
    say(f"load average at start: {load()}; other work on the machine skews every figure")
    say()
    builders = [("", str(Path(args.builder).resolve()))]
    if args.compare:
        builders.insert(0, ("before", str(Path(args.compare).resolve())))
    verdicts = Verdicts()
    measured = []
    try:
        for label, builder in builders:
            folder = work / (label or "now")
            sources = folder / "sources"
            (sources / "codes").mkdir(parents=True, exist_ok=True)
            shutil.copyfile(ROOT / "sources" / "publication.yaml", sources / "publication.yaml")
            csv = folder / NAME
            if accepts_end_of_file(args.python, builder):
                csv.write_bytes(data)
            else:
                csv.write_bytes(data.removesuffix(END_OF_FILE))
                say(f"[{label or 'now'}] note: given the file without its end-of-file line")
            measured.append(steps(label, args.python, builder, csv, sources, verdicts, args.update))
            say(f"load average after: {load()}")
    finally:
        if args.work is None and not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            say(f"working folder kept: {work}")
    if len(measured) == 2:
        compare(*measured)
    say()
    total = len(verdicts.met) + len(verdicts.missed)
    say(
        f"targets: {len(verdicts.met)} of {total} met"
        + (f"; missed: {'; '.join(verdicts.missed)}" if verdicts.missed else "")
        + f"  (run took {time.perf_counter() - started:.0f} s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
