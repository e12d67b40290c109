"""Measuring one command: its wall time and peak memory; what the run was measured on.

Used by benchmarks/run.py: each command runs under a small wrapper process (WRAPPER) that
times it and reads its peak memory; the plain loop (PLAIN_LOOP) is the baseline a build
is compared with; and a few helpers hash an output folder, edit one source, and say which
commit, machine and load the figures come from.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
GIB = 1024**3
MIB = 1024**2

# Runs one command and reports its wall time and memory as JSON on its last stdout line.
WRAPPER = r"""
import json, os, resource, subprocess, sys, threading, time
cmd, log = json.loads(sys.argv[1]), sys.argv[2]
page = os.sysconf("SC_PAGE_SIZE")
peak = [0]
largest = [0]
done = threading.Event()

def tree_rss(root):
    children, rss = {}, {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                stat = f.read()
            fields = stat[stat.rindex(b")") + 2:].split()
            children.setdefault(int(fields[1]), []).append(int(name))
            rss[int(name)] = int(fields[21]) * page
        except (OSError, ValueError, IndexError):
            pass
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        largest[0] = max(largest[0], high_water(pid))
        todo += children.get(pid, [])
    return total

def high_water(pid):
    # A process's own peak RSS: it counts even for processes that another one reaps
    # (workers forked by a fork server), which getrusage(RUSAGE_CHILDREN) may not see.
    try:
        with open(f"/proc/{pid}/status", "rb") as f:
            for line in f:
                if line.startswith(b"VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0

def sample(pid):
    while not done.wait(0.1):
        try:
            peak[0] = max(peak[0], tree_rss(pid))
        except OSError:
            pass

with open(log, "wb") as out:
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
    sampler = None
    if os.path.isdir("/proc/self"):
        sampler = threading.Thread(target=sample, args=(proc.pid,), daemon=True)
        sampler.start()
    rc = proc.wait()
    seconds = time.perf_counter() - start
    done.set()
    if sampler:
        sampler.join()
maxrss = max(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024, largest[0])
print(json.dumps({"rc": rc, "seconds": seconds, "maxrss": maxrss,
                  "tree_peak": peak[0] if sampler else None}))
"""

# The baseline: what a plain script does with the same HTML files.
PLAIN_LOOP = r"""
import json, pathlib, sys, time
import weasyprint
html_dir, out_dir = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
out_dir.mkdir(parents=True, exist_ok=True)
files = sorted(html_dir.glob("*.html"))
start = time.perf_counter()
for path in files:
    weasyprint.HTML(filename=str(path)).write_pdf(str(out_dir / (path.stem + ".pdf")))
print(json.dumps({"files": len(files), "loop_seconds": time.perf_counter() - start}))
"""


@dataclass
class Run:
    """One measured command."""

    rc: int
    seconds: float
    maxrss: int
    tree_peak: int | None
    output: str

    @property
    def ok(self) -> bool:
        """Return whether the command succeeded."""
        return self.rc == 0

    def tail(self, lines: int = 15) -> str:
        """Return the last lines of the command's output, indented."""
        return "\n".join("    " + line for line in self.output.splitlines()[-lines:])


def measure_command(python: str, cmd: list[str], log: Path, cwd: Path) -> Run:
    """Run a command under the measuring wrapper, its output in log, from the folder cwd.

    From a working folder, so that no checkout is on the path by the current folder: each
    builder and its workers import the builder installed in its environment.
    """
    wrapped = [python, "-c", WRAPPER, json.dumps(cmd), str(log)]
    done = subprocess.run(wrapped, capture_output=True, text=True, check=False, cwd=cwd)
    if done.returncode != 0 or not done.stdout.strip():
        raise SystemExit(f"benchmark wrapper failed:\n{done.stderr}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    output = log.read_text(encoding="utf-8", errors="replace")
    return Run(result["rc"], result["seconds"], result["maxrss"], result["tree_peak"], output)


def digests(out: Path) -> dict[str, str]:
    """Hash every output file under out (html/ fonts excluded), keyed by relative path."""
    found = {}
    for path in sorted(out.rglob("*")):
        if path.is_file() and "fonts" not in path.parts:
            found[str(path.relative_to(out))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def changed_files(before: dict[str, str], after: dict[str, str]) -> tuple[list[str], list[str]]:
    """Split the files whose bytes changed into outputs and the builder's dot-named files."""
    changed = sorted(name for name, digest in after.items() if before.get(name) != digest)
    internal = [name for name in changed if any(part.startswith(".") for part in Path(name).parts)]
    return [name for name in changed if name not in internal], internal


def shorten(names: list[str], listed: int = 4) -> str:
    """Return how many names there are, and the first few of them."""
    if not names:
        return "none"
    more = f", and {len(names) - listed} more" if len(names) > listed else ""
    return f"{len(names)}: {', '.join(names[:listed])}{more}"


def load() -> str:
    """Return the machine's load averages and cores."""
    try:
        return " ".join(f"{value:.2f}" for value in os.getloadavg()) + f" ({os.cpu_count()} cores)"
    except OSError:
        return "not available"


def edit_one(sources: Path) -> str:
    """Change one YAML value (the title of the middle code); return that code."""
    files = sorted((sources / "codes").glob("*.yaml"))
    path = files[len(files) // 2]
    text = path.read_text(encoding="utf-8")
    edited, count = re.subn(
        r'^title: "(.*)"$', r'title: "\1 (revised)"', text, count=1, flags=re.MULTILINE
    )
    if not count:
        raise SystemExit(f"no quoted title line to edit in {path}")
    path.write_text(edited, encoding="utf-8")
    return path.stem


def commit_of(builder: str) -> str:
    """Return the git commit of the checkout of build.py (dirty if changed), or ""."""
    return subprocess.run(
        ["git", "-C", str(Path(builder).parent), "describe", "--always", "--dirty"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()


def describe_machine(python: str, builder: str) -> list[str]:
    """Return lines that say what the figures were measured on."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    probe = "import sys, weasyprint; print(sys.version.split()[0], weasyprint.__version__)"
    versions = subprocess.run(
        [python, "-c", probe], capture_output=True, text=True, check=False
    ).stdout.split()
    commit = commit_of(builder)
    return [
        f"machine: {cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}",
        f"python {versions[0] if versions else '?'}, weasyprint "
        f"{versions[1] if len(versions) > 1 else '?'}; builder {builder}"
        + (f" (git {commit})" if commit else " (not a git checkout)"),
    ]
