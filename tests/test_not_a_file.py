"""Files that are not files, and folders that are gone: every command ends with a message.

A FIFO (os.mkfifo), a device (/dev/zero, /dev/null) or a folder given where a file is
expected is refused by its type, never read; a sources or output folder that is missing,
or removed while a command runs, is named. Every command runs in a process of its own
with a time limit (tests/running.py), so one that would wait on a FIFO fails instead of
hanging; a few run in this process, to remove a folder at a chosen moment.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import PFS_SAMPLE, ROOT, SAMPLE_SOURCES
from pypdf import PdfReader
from running import first_line, run, wait_for
from serving import fetch

import report.cli
from report.progress import Progress
from report.workers import RenderResult, RenderTask

FIFO, DEVICE = "a FIFO, not a regular file", "a character device, not a regular file"
# The line an error of usage ends with: the command's section of the reference.
POINTER = "see docs/reference/cli.md"


def make(path: Path, kind: str) -> None:
    """Put a FIFO, a link to a device, or a folder at path (replacing a file there)."""
    path.unlink(missing_ok=True)
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "folder":
        path.mkdir()
    else:
        path.symlink_to(f"/dev/{kind}")


@pytest.fixture
def work(tmp_path: Path) -> Path:
    """Return a folder holding a copy of the sample sources and a folder named release.

    The release folder has a SHA256SUMS (enough for verify to read its --trust certificate).
    """
    shutil.copytree(SAMPLE_SOURCES, tmp_path / "sources")
    (tmp_path / "release").mkdir()
    (tmp_path / "release" / "SHA256SUMS").write_bytes(b"")
    return tmp_path


PFS = str(PFS_SAMPLE)
CODE, PUBLICATION = "sources/codes/99999.yaml", "sources/publication.yaml"


class TestNotAFile:
    """A FIFO, a device or a folder given where a file is expected is refused by its type.

    It is never read (so never waited on), and is refused with its path and exit code: 2 for
    a file named on the command line, 1 for a source (located, as check reports it).
    """

    @pytest.mark.parametrize(
        "path,kind,args,code,message",
        [
            (
                "table.csv",
                "fifo",
                ("import-pfs", "table.csv", "--dry-run"),
                2,
                f"table.csv: cannot read the file: {FIFO}",
            ),
            (
                "table.csv",
                "zero",
                ("import-pfs", "table.csv", "--dry-run"),
                2,
                f"table.csv: cannot read the file: {DEVICE}",
            ),
            (
                None,
                None,
                ("import-pfs", "/dev/null", "--dry-run"),
                2,
                f"/dev/null: cannot read the file: {DEVICE}",
            ),
            (
                "table.csv",
                "folder",
                ("import-pfs", "table.csv", "--dry-run"),
                2,
                "table.csv: cannot read the file: a folder, not a regular file",
            ),
            (CODE, "fifo", ("check",), 1, f"{CODE}:1:1: cannot read the file: {FIFO}"),
            (CODE, "zero", ("check",), 1, f"{CODE}:1:1: cannot read the file: {DEVICE}"),
            (
                PUBLICATION,
                "fifo",
                ("check",),
                1,
                f"{PUBLICATION}:1:1: cannot read the file: {FIFO}",
            ),
            (
                CODE,
                "fifo",
                ("build", "--out", "out"),
                1,
                f"{CODE}:1:1: cannot read the file: {FIFO}",
            ),
            (
                PUBLICATION,
                "zero",
                ("build", "--out", "out"),
                1,
                f"{PUBLICATION}:1:1: cannot read the file: {DEVICE}",
            ),
            ("out", "fifo", ("build", "--out", "out"), 1, "out: cannot write: not a folder"),
            (
                PUBLICATION,
                "fifo",
                ("new", "99999"),
                1,
                f"{PUBLICATION}:1:1: cannot read the file: {FIFO}",
            ),
            (
                CODE,
                "fifo",
                ("import-pfs", PFS, "--dry-run"),
                1,
                f"{CODE}:1:1: cannot read the file: {FIFO}",
            ),
            (
                CODE,
                "fifo",
                ("release", "1.0.0", "--out", "releases"),
                1,
                f"{CODE}:1:1: cannot read the file: {FIFO}",
            ),
            (
                PUBLICATION,
                "null",
                ("release", "1.0.0", "--out", "releases"),
                1,
                f"{PUBLICATION}:1:1: cannot read the file: {DEVICE}",
            ),
            (
                "releases",
                "fifo",
                ("release", "1.0.0", "--out", "releases"),
                1,
                "releases: cannot write: not a folder",
            ),
            (
                "key.p12",
                "fifo",
                ("release", "1.0.0", "--out", "releases", "--sign", "key.p12"),
                2,
                f"key.p12: cannot read the signing key: {FIFO}",
            ),
            (
                None,
                None,
                ("release", "1.0.0", "--out", "releases", "--sign", "/dev/zero"),
                2,
                f"/dev/zero: cannot read the signing key: {DEVICE}",
            ),
            (
                "cert.pem",
                "fifo",
                ("verify", "release", "--trust", "cert.pem"),
                2,
                f"cert.pem: cannot read the certificate: {FIFO}",
            ),
            (
                None,
                None,
                ("verify", "release", "--trust", "/dev/zero"),
                2,
                f"/dev/zero: cannot read the certificate: {DEVICE}",
            ),
        ],
    )
    def test_command(
        self,
        work: Path,
        path: str | None,
        kind: str | None,
        args: tuple[str, ...],
        code: int,
        message: str,
    ) -> None:
        if path is not None and kind is not None:
            make(work / path, kind)
        sources = () if args[0] == "verify" else ("--sources", "sources")
        result = run(*args, *sources, cwd=work)
        assert result.code == code, result.stderr
        assert message in result.lines
        if code == 2:  # an error of usage ends with where the docs explain the command
            assert result.stderr == f"{message}\n{POINTER}#{args[0]}\n"
        assert not (work / "releases" / "1.0.0").exists()

    def test_build_builds_the_other_reports(self, work: Path) -> None:
        make(work / CODE, "fifo")
        result = run("build", "--sources", "sources", "--out", "out", cwd=work)
        assert result.code == 1
        assert result.lines[-1].endswith("written to out; 1 error")
        for name, pages in (("74440.pdf", 5), ("55300.pdf", 4), ("volume.pdf", 12)):
            assert len(PdfReader(work / "out" / name).pages) == pages, name

    def test_serve_lists_a_fifo_as_an_error(self, work: Path) -> None:
        make(work / CODE, "fifo")
        log = work / "serve.log"
        process = subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "build.py"),
                "serve",
                "--sources",
                "sources",
                "--port",
                "0",
            ],
            cwd=work,
            stdout=subprocess.PIPE,
            stderr=log.open("w"),
            text=True,
        )
        try:
            announced = first_line(process)
            assert announced.startswith("serving 3 reports from sources at http://127.0.0.1:")
            assert announced.endswith(" (1 error); Ctrl-C stops")
            url = announced.split(" at ", 1)[1].split(" ", 1)[0]
            status, _, page = fetch(url)  # serving: Ctrl-C now stops it as it should
            assert status == 200 and b"cannot read the file: a FIFO" in page
        finally:
            process.send_signal(signal.SIGINT)
            assert process.wait(timeout=120) == 0
        assert log.read_text().splitlines() == [
            f"{CODE}:1:1: cannot read the file: {FIFO}",
            "stopped",
        ]


class TestVanished:
    """A missing sources folder or file is named in a message; the command shows no traceback.

    It may be missing from the start or since the command began.
    """

    @pytest.mark.parametrize(
        "args",
        [
            ("build", "--out", "out"),
            ("check",),
            ("new", "99999"),
            ("import-pfs", PFS, "--dry-run"),
            ("release", "1.0.0", "--out", "releases"),
            ("serve", "--port", "0"),
        ],
        ids=lambda args: args[0],
    )
    def test_no_sources_folder(self, tmp_path: Path, args: tuple[str, ...]) -> None:
        result = run(*args, "--sources", "gone", cwd=tmp_path)
        assert (result.code, result.stderr) == (
            2,
            f"gone: the sources folder does not exist\n{POINTER}#{args[0]}\n",
        )
        assert sorted(p.name for p in tmp_path.iterdir()) == []

    @pytest.mark.parametrize(
        "args,message",
        [
            (
                ("import-pfs", "gone.csv"),
                "gone.csv: cannot read the file: No such file or directory",
            ),
            (
                ("release", "1.0.0", "--out", "releases", "--sign", "gone.p12"),
                "gone.p12: cannot read the signing key: No such file or directory",
            ),
            (
                ("verify", "release", "--trust", "gone.pem"),
                "gone.pem: cannot read the certificate: No such file or directory",
            ),
        ],
        ids=lambda value: value[0] if isinstance(value, tuple) else None,
    )
    def test_no_such_file(self, work: Path, args: tuple[str, ...], message: str) -> None:
        sources = () if args[0] == "verify" else ("--sources", "sources")
        result = run(*args, *sources, cwd=work)
        assert (result.code, result.stderr) == (2, f"{message}\n{POINTER}#{args[0]}\n")

    def test_sources_removed_during_a_build(
        self, work: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        sources, out = work / "sources", work / "out"
        assert run("build", "--sources", str(sources), "--out", str(out), cwd=work).code == 0
        (out / "74440.pdf").unlink()  # its source is read again when the build renders it

        class Removing(Progress):
            """Remove the sources folder as rendering starts."""

            def start(self, total: int) -> None:
                shutil.rmtree(sources)
                super().start(total)

        monkeypatch.setattr(report.cli, "progress_for", lambda: Removing())
        result = CliRunner().invoke(
            report.cli.main, ["build", "--sources", str(sources), "--out", str(out)]
        )
        assert isinstance(result.exception, SystemExit), result.exception
        assert result.exit_code == 1
        assert re.sub(r"\d+\.\d s", "0.0 s", result.stderr).splitlines() == [
            f"{sources}/codes/74440.yaml:1:1: cannot read the file: No such file or directory",
            f"rendered 0 reports in 0.0 s (1 up to date); volume 0.0 s; written to {out}; 1 error",
        ]
        manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
        assert [f["code"] for f in manifest["files"] if f["kind"] == "report"] == ["55300"]

    def test_output_removed_during_a_build(
        self, work: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        out = work / "out"

        class Removing(Progress):
            """Remove the output folder once the first report is written to it."""

            def advance(self, task: RenderTask, result: RenderResult) -> None:
                if not self.done:
                    shutil.rmtree(out)
                super().advance(task, result)

        monkeypatch.setattr(report.cli, "progress_for", lambda: Removing())
        result = CliRunner().invoke(
            report.cli.main, ["build", "--sources", "sources", "--out", str(out), "--jobs", "1"]
        )
        assert isinstance(result.exception, SystemExit), result.exception
        assert result.exit_code == 1
        # The volume, gathering the reports the build made, finds 74440.pdf gone.
        assert result.stderr.splitlines()[-1] == (
            f"{out}/74440.pdf: removed or changed while the build ran"
        )
        assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == ["55300.pdf"]
        assert list(out.rglob("*.tmp")) == []
        rebuilt = run("build", "--sources", "sources", "--out", str(out), cwd=work)
        assert rebuilt.code == 0  # the next build renders what is missing
        assert re.sub(r"\d+\.\d s", "0.0 s", rebuilt.lines[-1]) == (
            f"rendered 1 report in 0.0 s (1 up to date); volume 0.0 s; written to {out}; 0 errors"
        )

    def test_sources_removed_while_serving(self, work: Path) -> None:
        log = work / "serve.log"
        process = subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "build.py"),
                "serve",
                "--sources",
                "sources",
                "--port",
                "0",
            ],
            cwd=work,
            stdout=subprocess.PIPE,
            stderr=log.open("w"),
            text=True,
        )
        try:
            url = first_line(process).split(" at ", 1)[1].split(" ", 1)[0]
            shutil.rmtree(work / "sources")
            status, _, _ = wait_for(url, b"cannot read the file: No such file or directory")
            assert status == 200
        finally:
            process.send_signal(signal.SIGINT)
            assert process.wait(timeout=120) == 0
        assert log.read_text().splitlines() == [
            "changed: publication, 55300, 74440; every page reloads; 2 errors",
            "sources/codes:1:1: no code sources found (expected codes/CODE.yaml files)",
            "sources/publication.yaml:1:1: cannot read the file: No such file or directory",
            "stopped",
        ]


class TestFeeScheduleFigures:
    """A figure out of the range the CMS format allows is refused with its line, exit 1.

    It is refused as any other problem of the file; nothing is written.
    """

    @pytest.mark.parametrize(
        "line,old,new,message",
        [
            (
                1,
                b",,2022 National",
                b",,0000 National",
                "table.csv:1: the title's year 0000 is before 1992, the fee schedule's first year",
            ),
            (18, b",0.38,", b",-3.50,", 'table.csv:18: WORK RVU "-3.50" must not be negative'),
        ],
    )
    def test_import(self, work: Path, line: int, old: bytes, new: bytes, message: str) -> None:
        lines = PFS_SAMPLE.read_bytes().split(b"\r\n")
        assert old in lines[line - 1]
        lines[line - 1] = lines[line - 1].replace(old, new, 1)
        (work / "table.csv").write_bytes(b"\r\n".join(lines))
        before = {p.name: p.read_bytes() for p in (work / "sources" / "codes").iterdir()}
        result = run("import-pfs", "table.csv", "--sources", "sources", cwd=work)
        assert (result.code, result.stderr) == (1, message + "\n")
        assert {p.name: p.read_bytes() for p in (work / "sources" / "codes").iterdir()} == before
