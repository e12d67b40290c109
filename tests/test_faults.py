"""Faults of the system: a full disk, a read-only folder, a full TMPDIR.

Both are real: a 256 KiB tmpfs mounted for each test (the tests are skipped, saying why,
where mounting is not allowed). Every command runs in a process of its own with a time
limit, and ends with a message naming the path, never a traceback, leaving nothing
half-written. FIFOs, devices and vanished folders: tests/test_not_a_file.py.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import PFS_SAMPLE, SAMPLE_SOURCES
from running import run
from test_import_pfs import strip_imported

FILLER = "filler"
ENOSPC, EROFS = "No space left on device", "Read-only file system"


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
        return {
            str(p.relative_to(self.path)): b"/" if p.is_dir() else p.read_bytes()
            for p in sorted(self.path.rglob("*"))
            if p.name != FILLER
        }


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Disk]:
    """Mount a 256 KiB tmpfs for the test; unmount it afterwards."""
    path = tmp_path / "disk"
    path.mkdir()
    try:
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(path)],
            capture_output=True,
            text=True,
            check=False,
        )
    except FileNotFoundError:
        pytest.skip("no mount command: the full-disk and read-only tests mount a tmpfs")
    if done.returncode != 0:
        pytest.skip(
            "cannot mount a tmpfs (the full-disk and read-only tests need root, "
            f"with CAP_SYS_ADMIN): {done.stderr.strip()}"
        )
    try:
        yield Disk(path)
    finally:
        if subprocess.run(["umount", str(path)], capture_output=True, check=False).returncode:
            subprocess.run(["umount", "-l", str(path)], check=True)


def place_sources(kind: str, disk: Disk) -> Path:
    """Return the sources a case reads: the sample, or a copy on the disk.

    The copy is stripped: it has no imported benchmarks, so that import-pfs has something to
    write.
    """
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
    """A full disk ends each writing command with the file it could not write, exit 1.

    Nothing is left half-written: the disk holds what it held, and at most a lock file.
    """

    @pytest.mark.parametrize(
        "sources,leave,args,message,left",
        [
            pytest.param(
                "sample",
                0,
                (*BUILD, "{disk}/out"),
                "{disk}/out/.build.lock: cannot write: " + ENOSPC,
                ["out", "out/.build.lock"],
                id="build-no-room-at-all",
            ),
            pytest.param(
                "sample",
                16384,
                (*BUILD, "{disk}/out", "--jobs", "1"),
                "{disk}/out/74440.pdf: cannot write: " + ENOSPC,
                ["out", "out/.build.lock"],
                id="build-pdf-from-a-worker",
            ),
            pytest.param(
                "sample",
                0,
                (*RELEASE, "{disk}/releases"),
                "{disk}/releases/.release.lock: cannot write: " + ENOSPC,
                ["releases", "releases/.release.lock"],
                id="release-no-room-at-all",
            ),
            pytest.param(
                "sample",
                49152,  # room for the copy of the sources (the indices are 12 KiB), not a PDF
                (*RELEASE, "{disk}/releases", "--jobs", "1"),
                # The report's web page is written as its PDF is rendered: either fills it.
                (
                    "{disk}/releases/1.0.0/74440.pdf: cannot write: " + ENOSPC,
                    "{disk}/releases/1.0.0/site/codes/74440.html: cannot write: " + ENOSPC,
                ),
                [],
                id="release-pdf",
            ),
            pytest.param(
                "disk",
                0,
                ("new", "99999", "--sources", "{sources}"),
                "{sources}/codes/99999.yaml: cannot write: " + ENOSPC,
                [],
                id="new",
            ),
            pytest.param(
                "stripped",
                4096,
                ("import-pfs", "{pfs}", "--sources", "{sources}"),
                # The two are written at once, by two threads: either may find the disk full.
                (
                    "{sources}/codes/55300.yaml: cannot write: " + ENOSPC,
                    "{sources}/codes/74440.yaml: cannot write: " + ENOSPC,
                ),
                [],
                id="import-pfs-one-of-two-sources",
            ),
        ],
    )
    def test_command(
        self,
        disk: Disk,
        tmp_path: Path,
        sources: str,
        leave: int,
        args: tuple[str, ...],
        message: str | tuple[str, ...],
        left: list[str],
    ) -> None:
        folder = place_sources(sources, disk)
        before = disk.files()
        disk.fill(leave)
        result = run(*(expand(arg, disk, folder) for arg in args), cwd=tmp_path)
        messages = (message,) if isinstance(message, str) else message
        assert result.code == 1
        assert result.lines[-1] in {expand(each, disk, folder) for each in messages}
        after = disk.files()
        assert sorted(set(after) - set(before)) == left
        assert {name: after.get(name) for name in before} == before  # sources untouched

    def test_check_json_to_a_full_disk(self, disk: Disk, tmp_path: Path) -> None:
        disk.fill()
        result = run(
            "check",
            "--sources",
            str(SAMPLE_SOURCES),
            "--format",
            "json",
            cwd=tmp_path,
            stdout=disk.path / "check.json",
        )
        assert (result.code, result.stderr) == (1, f"standard output: cannot write: {ENOSPC}\n")

    def test_build_with_a_full_temporary_folder(self, disk: Disk, tmp_path: Path) -> None:
        disk.fill(4096)  # no room for the engine's temporary font files: reports fail alone
        result = run(
            "build",
            "--sources",
            str(SAMPLE_SOURCES),
            "--out",
            "out",
            "--jobs",
            "1",
            cwd=tmp_path,
            env={"TMPDIR": str(disk.path)},
        )
        assert result.code == 1
        assert result.lines[:2] == [
            f"[1/2] failed 74440: rendering failed: {ENOSPC}",
            f"[2/2] failed 55300: rendering failed: {ENOSPC}",
        ]
        assert result.lines[-1].endswith("; 2 errors")
        assert disk.files() == {}

    def test_verify_with_a_full_temporary_folder(
        self, disk: Disk, release: Path, tmp_path: Path
    ) -> None:
        disk.fill(4096)  # room for the temporary folder check, not for the rebuild
        result = run("verify", str(release), cwd=tmp_path, env={"TMPDIR": str(disk.path)})
        assert (result.code, result.lines[-1]) == (1, f"{release}: cannot verify: {ENOSPC}")


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Release the sample sources once, as 1.0.0."""
    out = tmp_path_factory.mktemp("releases")
    result = run("release", "1.0.0", "--sources", str(SAMPLE_SOURCES), "--out", str(out), cwd=out)
    assert result.code == 0, result.stderr
    return out / "1.0.0"


class TestReadOnly:
    """A read-only folder ends each writing command with the path it could not write, exit 1.

    Nothing on the disk changes.
    """

    @pytest.mark.parametrize(
        "sources,args,message",
        [
            pytest.param(
                "sample",
                (*BUILD, "{disk}"),
                "{disk}/.build.lock: cannot write: " + EROFS,
                id="build",
            ),
            pytest.param(
                "sample",
                (*BUILD, "{disk}/out"),
                "{disk}/out: cannot write: " + EROFS,
                id="build-new-folder",
            ),
            pytest.param(
                "sample",
                (*RELEASE, "{disk}"),
                "{disk}/.release.lock: cannot write: " + EROFS,
                id="release",
            ),
            pytest.param(
                "sample",
                (*RELEASE, "{disk}/releases"),
                "{disk}/releases: cannot write: " + EROFS,
                id="release-new-folder",
            ),
            pytest.param(
                "disk",
                ("new", "99999", "--sources", "{sources}"),
                "{sources}/codes/99999.yaml: cannot write: " + EROFS,
                id="new",
            ),
            pytest.param(
                "stripped",
                ("import-pfs", "{pfs}", "--sources", "{sources}"),
                "{sources}/codes/55300.yaml: cannot write: " + EROFS,
                id="import-pfs",
            ),
        ],
    )
    def test_command(
        self, disk: Disk, tmp_path: Path, sources: str, args: tuple[str, ...], message: str
    ) -> None:
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
