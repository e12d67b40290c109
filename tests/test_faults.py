"""Faults of the system and files that are not files: every command ends with a message.

A full disk and a read-only folder are real: a 256 KiB tmpfs mounted for each test (the
tests are skipped, saying why, where mounting is not allowed). FIFOs are made with
os.mkfifo and devices are /dev/zero and /dev/null; every command runs in a process of
its own with a time limit, so that one that would wait on a FIFO fails instead of hanging.
"""

from __future__ import annotations

import json
import os
import re
import selectors
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import PFS_SAMPLE, ROOT, SAMPLE_SOURCES
from pypdf import PdfReader
from serving import fetch
from test_import_pfs import strip_imported

import report.cli
from report.progress import Progress
from report.workers import RenderResult

TIMEOUT = 240  # seconds: far beyond any of these commands, short of a hung test run
FILLER = "filler"
ENOSPC, EROFS = "No space left on device", "Read-only file system"
FIFO, DEVICE = "a FIFO, not a regular file", "a character device, not a regular file"


@dataclass(frozen=True)
class Ran:
    """The outcome of one command run in its own process."""

    code: int
    stdout: str
    stderr: str

    @property
    def lines(self) -> list[str]:
        """Return standard error's lines."""
        return self.stderr.splitlines()


def run(*args: str, cwd: Path, env: dict[str, str] | None = None,
        stdout: Path | None = None) -> Ran:
    """Run `build.py ARGS`; fail, rather than hang, if it has not ended within TIMEOUT."""
    out = stdout.open("w") if stdout is not None else subprocess.PIPE
    try:
        done = subprocess.run([sys.executable, str(ROOT / "build.py"), *args], cwd=cwd,
                              env={**os.environ, **(env or {})}, stdin=subprocess.DEVNULL,
                              stdout=out, stderr=subprocess.PIPE, text=True, timeout=TIMEOUT,
                              check=False)
    except subprocess.TimeoutExpired:
        pytest.fail(f"build.py {' '.join(args)} did not end within {TIMEOUT} s")
    finally:
        if stdout is not None:
            out.close()  # type: ignore[union-attr]
    assert "Traceback" not in done.stderr, done.stderr
    return Ran(done.returncode, done.stdout or "", done.stderr)


class Disk:
    """A small tmpfs mounted for one test: filled up, or made read-only."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fill(self, leave: int = 0) -> None:
        """Fill the disk with one file, leaving leave bytes (whole pages) free."""
        stat = os.statvfs(self.path)
        with (self.path / FILLER).open("wb") as filler:
            filler.write(bytes(stat.f_bavail * stat.f_frsize - leave))
        stat = os.statvfs(self.path)
        assert stat.f_bavail * stat.f_frsize == leave

    def read_only(self) -> None:
        """Mount the disk again, read-only."""
        subprocess.run(["mount", "-o", "remount,ro", str(self.path)], check=True)

    def files(self) -> dict[str, bytes]:
        """Return every file on the disk (but the filler) with its bytes; folders as b"/"."""
        return {str(p.relative_to(self.path)): b"/" if p.is_dir() else p.read_bytes()
                for p in sorted(self.path.rglob("*")) if p.name != FILLER}


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Disk]:
    """Mount a 256 KiB tmpfs for the test; unmount it afterwards."""
    path = tmp_path / "disk"
    path.mkdir()
    try:
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(path)],
                              capture_output=True, text=True, check=False)
    except FileNotFoundError:
        pytest.skip("no mount command: the full-disk and read-only tests mount a tmpfs")
    if done.returncode != 0:
        pytest.skip("cannot mount a tmpfs (the full-disk and read-only tests need root, "
                    f"with CAP_SYS_ADMIN): {done.stderr.strip()}")
    try:
        yield Disk(path)
    finally:
        if subprocess.run(["umount", str(path)], capture_output=True, check=False).returncode:
            subprocess.run(["umount", "-l", str(path)], check=True)


def place_sources(kind: str, disk: Disk) -> Path:
    """Return the sources a case reads: the sample, or a copy on the disk (stripped: with
    no imported benchmarks, so that import-pfs has something to write)."""
    if kind == "sample":
        return SAMPLE_SOURCES
    target = disk.path / "sources"
    shutil.copytree(SAMPLE_SOURCES, target)
    if kind == "stripped":
        for code in ("55300", "74440"):
            strip_imported(target / "codes" / f"{code}.yaml")
    return target


def expand(text: str, disk: Disk, sources: Path) -> str:
    """Fill a case's placeholders in."""
    return text.format(disk=disk.path, sources=sources, pfs=PFS_SAMPLE)


BUILD = ("build", "--sources", "{sources}", "--out")
RELEASE = ("release", "1.0.0", "--sources", "{sources}", "--out")


class TestFullDisk:
    """A full disk ends each writing command with the file it could not write, exit 1, and
    leaves nothing half-written: the disk holds what it held, and at most a lock file."""

    @pytest.mark.parametrize("sources,leave,args,message,left", [
        pytest.param("sample", 0, (*BUILD, "{disk}/out"),
                     "{disk}/out/.build.lock: cannot write: " + ENOSPC,
                     ["out", "out/.build.lock"], id="build-no-room-at-all"),
        pytest.param("sample", 16384, (*BUILD, "{disk}/out", "--jobs", "1"),
                     "{disk}/out/74440.pdf: cannot write: " + ENOSPC,
                     ["out", "out/.build.lock"], id="build-pdf-from-a-worker"),
        pytest.param("sample", 0, (*RELEASE, "{disk}/releases"),
                     "{disk}/releases/.release.lock: cannot write: " + ENOSPC,
                     ["releases", "releases/.release.lock"], id="release-no-room-at-all"),
        pytest.param("sample", 32768, (*RELEASE, "{disk}/releases", "--jobs", "1"),
                     "{disk}/releases/1.0.0/74440.pdf: cannot write: " + ENOSPC, [],
                     id="release-pdf"),
        pytest.param("disk", 0, ("new", "99999", "--sources", "{sources}"),
                     "{sources}/codes/99999.yaml: cannot write: " + ENOSPC, [], id="new"),
        pytest.param("stripped", 4096, ("import-pfs", "{pfs}", "--sources", "{sources}"),
                     "{sources}/codes/74440.yaml: cannot write: " + ENOSPC, [],
                     id="import-pfs-second-of-two-sources"),
    ])
    def test_command(self, disk: Disk, tmp_path: Path, sources: str, leave: int,
                     args: tuple[str, ...], message: str, left: list[str]) -> None:
        folder = place_sources(sources, disk)
        before = disk.files()
        disk.fill(leave)
        result = run(*(expand(arg, disk, folder) for arg in args), cwd=tmp_path)
        assert (result.code, result.lines[-1]) == (1, expand(message, disk, folder))
        after = disk.files()
        assert sorted(set(after) - set(before)) == left
        assert {name: after.get(name) for name in before} == before  # sources untouched

    def test_check_json_to_a_full_disk(self, disk: Disk, tmp_path: Path) -> None:
        disk.fill()
        result = run("check", "--sources", str(SAMPLE_SOURCES), "--format", "json",
                     cwd=tmp_path, stdout=disk.path / "check.json")
        assert (result.code, result.stderr) == (
            1, f"standard output: cannot write: {ENOSPC}\n")

    def test_build_with_a_full_temporary_folder(self, disk: Disk, tmp_path: Path) -> None:
        disk.fill(4096)  # no room for the engine's temporary font files: reports fail alone
        result = run("build", "--sources", str(SAMPLE_SOURCES), "--out", "out", "--jobs", "1",
                     cwd=tmp_path, env={"TMPDIR": str(disk.path)})
        assert result.code == 1
        assert result.lines[:2] == [f"[1/2] failed 74440: rendering failed: {ENOSPC}",
                                    f"[2/2] failed 55300: rendering failed: {ENOSPC}"]
        assert result.lines[-1].endswith("; 2 errors")
        assert disk.files() == {}

    def test_verify_with_a_full_temporary_folder(self, disk: Disk, release: Path,
                                                 tmp_path: Path) -> None:
        disk.fill(4096)  # room for the temporary folder check, not for the rebuild
        result = run("verify", str(release), cwd=tmp_path, env={"TMPDIR": str(disk.path)})
        assert (result.code, result.lines[-1]) == (1, f"{release}: cannot verify: {ENOSPC}")


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Release the sample sources once, as 1.0.0."""
    out = tmp_path_factory.mktemp("releases")
    result = run("release", "1.0.0", "--sources", str(SAMPLE_SOURCES), "--out", str(out),
                 cwd=out)
    assert result.code == 0, result.stderr
    return out / "1.0.0"


class TestReadOnly:
    """A read-only folder ends each writing command with the path it could not write,
    exit 1, and nothing on the disk changes."""

    @pytest.mark.parametrize("sources,args,message", [
        pytest.param("sample", (*BUILD, "{disk}"), "{disk}/.build.lock: cannot write: " + EROFS,
                     id="build"),
        pytest.param("sample", (*BUILD, "{disk}/out"), "{disk}/out: cannot write: " + EROFS,
                     id="build-new-folder"),
        pytest.param("sample", (*RELEASE, "{disk}"),
                     "{disk}/.release.lock: cannot write: " + EROFS, id="release"),
        pytest.param("sample", (*RELEASE, "{disk}/releases"),
                     "{disk}/releases: cannot write: " + EROFS, id="release-new-folder"),
        pytest.param("disk", ("new", "99999", "--sources", "{sources}"),
                     "{sources}/codes/99999.yaml: cannot write: " + EROFS, id="new"),
        pytest.param("stripped", ("import-pfs", "{pfs}", "--sources", "{sources}"),
                     "{sources}/codes/55300.yaml: cannot write: " + EROFS, id="import-pfs"),
    ])
    def test_command(self, disk: Disk, tmp_path: Path, sources: str, args: tuple[str, ...],
                     message: str) -> None:
        folder = place_sources(sources, disk)
        before = disk.files()
        disk.read_only()
        result = run(*(expand(arg, disk, folder) for arg in args), cwd=tmp_path)
        assert (result.code, result.lines[-1]) == (1, expand(message, disk, folder))
        assert disk.files() == before

    def test_check_reads_read_only_sources(self, disk: Disk, tmp_path: Path) -> None:
        folder = place_sources("disk", disk)
        disk.read_only()
        result = run("check", "--sources", str(folder), cwd=tmp_path)
        assert result.code == 0
        assert result.lines[-1].startswith("2 valid code sources; 0 errors")


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
    """Return a folder holding a copy of the sample sources, and a folder named release
    that has a SHA256SUMS (enough for verify to read its --trust certificate)."""
    shutil.copytree(SAMPLE_SOURCES, tmp_path / "sources")
    (tmp_path / "release").mkdir()
    (tmp_path / "release" / "SHA256SUMS").write_bytes(b"")
    return tmp_path


PFS = str(PFS_SAMPLE)
CODE, PUBLICATION = "sources/codes/99999.yaml", "sources/publication.yaml"


class TestNotAFile:
    """A FIFO, a device or a folder given where a file is expected is refused by its type,
    never read (so never waited on), with its path and exit code: 2 for a file named on
    the command line, 1 for a source (located, as check reports it)."""

    @pytest.mark.parametrize("path,kind,args,code,message", [
        ("table.csv", "fifo", ("import-pfs", "table.csv", "--dry-run"), 2,
         f"table.csv: cannot read the file: {FIFO}"),
        ("table.csv", "zero", ("import-pfs", "table.csv", "--dry-run"), 2,
         f"table.csv: cannot read the file: {DEVICE}"),
        (None, None, ("import-pfs", "/dev/null", "--dry-run"), 2,
         f"/dev/null: cannot read the file: {DEVICE}"),
        ("table.csv", "folder", ("import-pfs", "table.csv", "--dry-run"), 2,
         "table.csv: cannot read the file: a folder, not a regular file"),
        (CODE, "fifo", ("check",), 1, f"{CODE}:1:1: cannot read the file: {FIFO}"),
        (CODE, "zero", ("check",), 1, f"{CODE}:1:1: cannot read the file: {DEVICE}"),
        (PUBLICATION, "fifo", ("check",), 1, f"{PUBLICATION}:1:1: cannot read the file: {FIFO}"),
        (CODE, "fifo", ("build", "--out", "out"), 1,
         f"{CODE}:1:1: cannot read the file: {FIFO}"),
        (PUBLICATION, "zero", ("build", "--out", "out"), 1,
         f"{PUBLICATION}:1:1: cannot read the file: {DEVICE}"),
        ("out", "fifo", ("build", "--out", "out"), 1, "out: cannot write: not a folder"),
        (PUBLICATION, "fifo", ("new", "99999"), 1,
         f"{PUBLICATION}:1:1: cannot read the file: {FIFO}"),
        (CODE, "fifo", ("import-pfs", PFS, "--dry-run"), 1,
         f"{CODE}:1:1: cannot read the file: {FIFO}"),
        (CODE, "fifo", ("release", "1.0.0", "--out", "releases"), 1,
         f"{CODE}:1:1: cannot read the file: {FIFO}"),
        (PUBLICATION, "null", ("release", "1.0.0", "--out", "releases"), 1,
         f"{PUBLICATION}:1:1: cannot read the file: {DEVICE}"),
        ("releases", "fifo", ("release", "1.0.0", "--out", "releases"), 1,
         "releases: cannot write: not a folder"),
        ("key.p12", "fifo", ("release", "1.0.0", "--out", "releases", "--sign", "key.p12"), 2,
         f"key.p12: cannot read the signing key: {FIFO}"),
        (None, None, ("release", "1.0.0", "--out", "releases", "--sign", "/dev/zero"), 2,
         f"/dev/zero: cannot read the signing key: {DEVICE}"),
        ("cert.pem", "fifo", ("verify", "release", "--trust", "cert.pem"), 2,
         f"cert.pem: cannot read the certificate: {FIFO}"),
        (None, None, ("verify", "release", "--trust", "/dev/zero"), 2,
         f"/dev/zero: cannot read the certificate: {DEVICE}"),
    ])
    def test_command(self, work: Path, path: str | None, kind: str | None,
                     args: tuple[str, ...], code: int, message: str) -> None:
        if path is not None and kind is not None:
            make(work / path, kind)
        sources = () if args[0] == "verify" else ("--sources", "sources")
        result = run(*args, *sources, cwd=work)
        assert result.code == code, result.stderr
        assert message in result.lines
        if code == 2:
            assert result.stderr == message + "\n"
        assert not (work / "releases" / "1.0.0").exists()

    def test_build_builds_the_other_reports(self, work: Path) -> None:
        make(work / CODE, "fifo")
        result = run("build", "--sources", "sources", "--out", "out", cwd=work)
        assert result.code == 1
        assert result.lines[-1].endswith("written to out; 1 error")
        for name, pages in (("74440.pdf", 5), ("55300.pdf", 3), ("volume.pdf", 11)):
            assert len(PdfReader(work / "out" / name).pages) == pages, name

    def test_serve_lists_a_fifo_as_an_error(self, work: Path) -> None:
        make(work / CODE, "fifo")
        log = work / "serve.log"
        process = subprocess.Popen(
            [sys.executable, str(ROOT / "build.py"), "serve", "--sources", "sources",
             "--port", "0"], cwd=work, stdout=subprocess.PIPE, stderr=log.open("w"), text=True)
        try:
            announced = first_line(process)
            assert announced.startswith("serving 3 reports from sources at http://127.0.0.1:")
            assert announced.endswith(" (1 error); Ctrl-C stops")
            url = announced.split(" at ", 1)[1].split(" ", 1)[0]
            status, _, page = fetch(url)  # serving: Ctrl-C now stops it as it should
            assert status == 200 and b"cannot read the file: a FIFO" in page
        finally:
            process.send_signal(signal.SIGINT)
            assert process.wait(timeout=30) == 0
        assert log.read_text().splitlines() == [
            f"{CODE}:1:1: cannot read the file: {FIFO}", "stopped"]


def first_line(process: subprocess.Popen[str]) -> str:
    """Return the first line the process prints; fail if none comes within TIMEOUT."""
    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        if not selector.select(TIMEOUT):
            process.kill()
            pytest.fail(f"printed nothing within {TIMEOUT} s")
    return process.stdout.readline().rstrip("\n")


class TestVanished:
    """A sources folder or file that is not there, from the start or since a command
    began, is named in a message; the command never shows a traceback."""

    @pytest.mark.parametrize("args", [
        ("build", "--out", "out"), ("check",), ("new", "99999"),
        ("import-pfs", PFS, "--dry-run"), ("release", "1.0.0", "--out", "releases"),
        ("serve", "--port", "0"),
    ], ids=lambda args: args[0])
    def test_no_sources_folder(self, tmp_path: Path, args: tuple[str, ...]) -> None:
        result = run(*args, "--sources", "gone", cwd=tmp_path)
        assert (result.code, result.stderr) == (2, "gone: the sources folder does not exist\n")
        assert sorted(p.name for p in tmp_path.iterdir()) == []

    @pytest.mark.parametrize("args,message", [
        (("import-pfs", "gone.csv"), "gone.csv: cannot read the file: No such file or directory"),
        (("release", "1.0.0", "--out", "releases", "--sign", "gone.p12"),
         "gone.p12: cannot read the signing key: No such file or directory"),
        (("verify", "release", "--trust", "gone.pem"),
         "gone.pem: cannot read the certificate: No such file or directory"),
    ], ids=lambda value: value[0] if isinstance(value, tuple) else None)
    def test_no_such_file(self, work: Path, args: tuple[str, ...], message: str) -> None:
        sources = () if args[0] == "verify" else ("--sources", "sources")
        result = run(*args, *sources, cwd=work)
        assert (result.code, result.stderr) == (2, message + "\n")

    def test_sources_removed_during_a_build(self, work: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
        sources, out = work / "sources", work / "out"
        assert run("build", "--sources", str(sources), "--out", str(out), cwd=work).code == 0
        (out / "74440.pdf").unlink()  # its source is read again when the build renders it

        class Removing(Progress):
            """Remove the sources folder as rendering starts."""

            def start(self, total: int) -> None:
                shutil.rmtree(sources)
                super().start(total)

        monkeypatch.setattr(report.cli, "progress_for", lambda: Removing())
        result = CliRunner().invoke(report.cli.main, ["build", "--sources", str(sources),
                                                      "--out", str(out)])
        assert isinstance(result.exception, SystemExit), result.exception
        assert result.exit_code == 1
        assert re.sub(r"\d+\.\d s", "0.0 s", result.stderr).splitlines() == [
            f"{sources}/codes/74440.yaml:1:1: cannot read the file: No such file or directory",
            f"rendered 0 reports in 0.0 s (1 up to date); volume 0.0 s; written to {out}; 1 error"]
        manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
        assert [f["code"] for f in manifest["files"] if f["kind"] == "report"] == ["55300"]

    def test_output_removed_during_a_build(self, work: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
        out = work / "out"

        class Removing(Progress):
            """Remove the output folder once the first report is written to it."""

            def advance(self, result: RenderResult) -> None:
                if not self.done:
                    shutil.rmtree(out)
                super().advance(result)

        monkeypatch.setattr(report.cli, "progress_for", lambda: Removing())
        result = CliRunner().invoke(report.cli.main, ["build", "--sources", "sources",
                                                      "--out", str(out), "--jobs", "1"])
        assert isinstance(result.exception, SystemExit), result.exception
        assert result.exit_code == 1
        # The volume, placing the reports in code order, finds 74440.pdf gone.
        assert result.stderr.splitlines()[-1] == f"{out}/74440.pdf: No such file or directory"
        assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == \
            ["55300.pdf"]
        assert list(out.rglob("*.tmp")) == []
        rebuilt = run("build", "--sources", "sources", "--out", str(out), cwd=work)
        assert rebuilt.code == 0  # the next build renders what is missing
        assert re.sub(r"\d+\.\d s", "0.0 s", rebuilt.lines[-1]) == (
            f"rendered 1 report in 0.0 s (1 up to date); volume 0.0 s; written to {out}; "
            "0 errors")

    def test_sources_removed_while_serving(self, work: Path) -> None:
        log = work / "serve.log"
        process = subprocess.Popen(
            [sys.executable, str(ROOT / "build.py"), "serve", "--sources", "sources",
             "--port", "0"], cwd=work, stdout=subprocess.PIPE, stderr=log.open("w"), text=True)
        try:
            url = first_line(process).split(" at ", 1)[1].split(" ", 1)[0]
            shutil.rmtree(work / "sources")
            status, _, _ = wait_for(url, b"cannot read the file: No such file or directory")
            assert status == 200
        finally:
            process.send_signal(signal.SIGINT)
            assert process.wait(timeout=30) == 0
        assert log.read_text().splitlines() == [
            "changed: publication, 55300, 74440; every page reloads; 2 errors",
            "sources/codes:1:1: no code sources found (expected codes/CODE.yaml files)",
            "sources/publication.yaml:1:1: cannot read the file: No such file or directory",
            "stopped"]


def wait_for(url: str, text: bytes) -> tuple[int, dict[str, str], bytes]:
    """Fetch url until its page holds text (the preview polls its files); fail after TIMEOUT."""
    for _ in range(TIMEOUT * 10):
        answer = fetch(url)
        if text in answer[2]:
            return answer
        time.sleep(0.1)
    pytest.fail(f"{url} never showed {text!r}")


class TestFeeScheduleFigures:
    """A figure out of the range the CMS format allows is refused with its line, exit 1,
    as any other problem of the file; nothing is written."""

    @pytest.mark.parametrize("line,old,new,message", [
        (1, b",,2022 National", b",,0000 National",
         "table.csv:1: the title's year 0000 is before 1992, the fee schedule's first year"),
        (18, b",0.38,", b",-3.50,", 'table.csv:18: WORK RVU "-3.50" must not be negative'),
    ])
    def test_import(self, work: Path, line: int, old: bytes, new: bytes, message: str) -> None:
        lines = PFS_SAMPLE.read_bytes().split(b"\r\n")
        assert old in lines[line - 1]
        lines[line - 1] = lines[line - 1].replace(old, new, 1)
        (work / "table.csv").write_bytes(b"\r\n".join(lines))
        before = {p.name: p.read_bytes() for p in (work / "sources" / "codes").iterdir()}
        result = run("import-pfs", "table.csv", "--sources", "sources", cwd=work)
        assert (result.code, result.stderr) == (1, message + "\n")
        assert {p.name: p.read_bytes() for p in (work / "sources" / "codes").iterdir()} == before
