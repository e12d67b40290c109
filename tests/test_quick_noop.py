"""A build of all reports with nothing to do says so without loading the sources' model."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import SAMPLE_SOURCES, run_cli

import report.build.quick as quick
from report.build.quick import nothing_to_do
from report.lock import output_lock

# Runs build.py's command line in a fresh interpreter (argv after -c), then prints on
# standard output whether the sources' model (pydantic) was loaded: the fast path loads none.
RUN_CLI = """
import json, sys
sys.argv = ["build.py", *sys.argv[1:]]
from report.cli import main
try:
    main()
finally:
    print(json.dumps({"model": "report.sources.models" in sys.modules}))
"""
NOTHING = "nothing to render: 2 reports up to date in dist; 0 errors\n"
DIST = ("--sources", "sources", "--out", "dist")


def build(root: Path, *args: str) -> tuple[int, str, bool]:
    """Build root/sources into root/dist: the exit code, stderr, whether it loaded the model."""
    done = subprocess.run(
        [sys.executable, "-c", RUN_CLI, "build", *DIST, *args],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
    )
    model = json.loads(done.stdout.strip().splitlines()[-1])["model"]
    return done.returncode, done.stderr, model


def snapshot(folder: Path) -> dict[str, tuple[bytes, int, int]]:
    """Return every file under folder: its bytes, modification time and inode."""
    found = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            stat = path.stat()
            found[str(path.relative_to(folder))] = (
                path.read_bytes(),
                stat.st_mtime_ns,
                stat.st_ino,
            )
    return found


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the sample sources once (PDF) into a folder the tests copy."""
    root = tmp_path_factory.mktemp("built")
    shutil.copytree(SAMPLE_SOURCES, root / "sources")
    done = run_cli("build", *DIST, cwd=root)
    assert done.code == 0, done.stderr
    return root


@pytest.fixture
def project(built: Path, tmp_path: Path) -> Path:
    """Copy the built project (times kept) and build it again: a build that records all settled."""
    root = tmp_path / "project"
    shutil.copytree(built, root)
    code, stderr, _ = build(root)
    assert (code, stderr) == (0, NOTHING)
    return root


class TestTaken:
    """A second build with nothing changed loads no model, says the same, and writes nothing."""

    def test_no_op(self, project: Path) -> None:
        before = snapshot(project / "dist")
        assert build(project) == (0, NOTHING, False)
        assert snapshot(project / "dist") == before
        assert build(project, "--jobs", "1", "--timeout", "30") == (0, NOTHING, False)

    def test_says_what_the_normal_build_says(self, project: Path) -> None:
        """A source touched (same bytes, new time) takes the normal build, which says the same."""
        fast = build(project)
        (project / "sources" / "codes" / "55300.yaml").touch()
        assert build(project) == (fast[0], fast[1], True)
        assert build(project) == fast  # the normal build recorded the new time


def edit_same_size(root: Path) -> None:
    """Change a letter of 74440's title, keeping the file's size."""
    path = root / "sources" / "codes" / "74440.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("\ntitle: ") + len('\ntitle: "')
    letter = "Q" if text[start] != "Q" else "R"
    edited = text[:start] + letter + text[start + 1 :]
    time.sleep(0.01)
    path.write_text(edited, encoding="utf-8")
    assert len(edited) == len(text)


def edit_publication_same_time(root: Path) -> None:
    """Change a letter of publication.yaml's first comment, keeping its size and time."""
    path = root / "sources" / "publication.yaml"
    stat = path.stat()
    data = path.read_bytes()
    assert data.startswith(b"# The ")
    path.write_bytes(b"# the " + data[len(b"# The ") :])
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert (path.stat().st_size, path.stat().st_mtime_ns) == (stat.st_size, stat.st_mtime_ns)


def edit_indices_same_time(root: Path) -> None:
    """Change Alabama's PE index (0.888 to 0.889), keeping the file's size and time."""
    path = root / "sources" / "gpci" / "2022.yaml"
    stat = path.stat()
    data = path.read_bytes()
    path.write_bytes(data.replace(b"pe: 0.888, mp: 0.921}", b"pe: 0.889, mp: 0.921}", 1))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert (path.stat().st_size, path.stat().st_mtime_ns) == (stat.st_size, stat.st_mtime_ns)
    assert path.read_bytes() != data


def add_source(root: Path) -> None:
    """Add code 55301, a copy of 55300."""
    codes = root / "sources" / "codes"
    text = (codes / "55300.yaml").read_text(encoding="utf-8")
    (codes / "55301.yaml").write_text(text.replace('code: "55300"', 'code: "55301"'), "utf-8")


def append(path: str, data: bytes) -> Callable[[Path], None]:
    """Return a change appending data to root/path."""

    def change(root: Path) -> None:
        with (root / path).open("ab") as handle:
            handle.write(data)

    return change


def remove(path: str) -> Callable[[Path], None]:
    """Return a change removing root/path."""
    return lambda root: (root / path).unlink()


def leave_temporary(root: Path) -> None:
    """Leave the temporary file of an interrupted write."""
    (root / "dist" / ".55300.pdf.abcd1234.tmp").write_bytes(b"half")


class TestNotTaken:
    """After any change that may matter, the normal build runs and does what it should."""

    @pytest.mark.parametrize(
        ("change", "args", "says"),
        [
            (edit_same_size, (), "rendered 1 report in"),
            (add_source, (), "rendered 1 report in"),
            (remove("sources/codes/55300.yaml"), (), "rendered 0 reports in"),
            (append("sources/publication.yaml", b"# a comment\n"), (), NOTHING),
            (edit_publication_same_time, (), NOTHING),
            (edit_indices_same_time, (), "rendered 2 reports in"),
            (append("sources/gpci/2022.yaml", b"# a comment\n"), (), NOTHING),
            (remove("sources/gpci/2022.yaml"), (), "rendered 2 reports in"),
            (remove("dist/74440.pdf"), (), "rendered 1 report in"),
            (append("dist/55300.pdf", b"%"), (), "rendered 1 report in"),
            (remove("dist/volume.pdf"), (), "rendered 0 reports in"),
            (remove("dist/manifest.json"), (), NOTHING),
            (leave_temporary, (), NOTHING),
            (None, ("--pdf-variant", "pdf/a-3b"), "rendered 2 reports in"),
            (
                None,
                ("--format", "pdf,html"),
                "(2 up to date); volume up to date; wrote 2 HTML pages",
            ),
            (None, ("--format", "pdf,site"), "(2 up to date); volume up to date; site: 29 files"),
            (None, ("--force",), "rendered 2 reports in"),
            (None, ("74440",), "nothing to render: 1 report up to date in dist; 0 errors"),
        ],
        ids=[
            "source-edited-same-size",
            "source-added",
            "source-removed",
            "publication-changed",
            "publication-changed-same-size-and-time",
            "indices-changed-same-size-and-time",
            "indices-comment-added",
            "indices-removed",
            "output-deleted",
            "output-modified",
            "volume-deleted",
            "manifest-deleted",
            "temporary-left",
            "other-variant",
            "other-formats",
            "the-web-edition",
            "force",
            "named-code",
        ],
    )
    def test_normal_build(
        self, project: Path, change: Callable[[Path], None] | None, args: tuple[str, ...], says: str
    ) -> None:
        if change is not None:
            change(project)
        code, stderr, model = build(project, *args)
        assert code == 0 and model, stderr
        assert says in stderr
        assert not list((project / "dist").glob(".*.tmp"))
        assert (project / "dist" / "manifest.json").is_file()
        if "html" in ",".join(args):
            assert "Vasotomy" in (project / "dist/html/55300.html").read_text(encoding="utf-8")

    @pytest.mark.parametrize(
        "record",
        [{"sources": []}, {"outputs": 7}, {"reports": "two"}, "settled", None],
        ids=["sources-a-list", "outputs-a-number", "reports-a-string", "a-string", "none"],
    )
    def test_odd_record(self, project: Path, record: object) -> None:
        """A record the builder cannot use is none; the rest of the index still holds."""
        path = project / "dist" / ".build-index.json"
        index = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(record, dict):
            index["settled"].update(record)
        else:
            index["settled"] = record
        path.write_text(json.dumps(index), encoding="utf-8")
        assert build(project) == (0, NOTHING, True)
        assert build(project) == (0, NOTHING, False)

    def test_errors_are_reported_every_time(self, project: Path) -> None:
        (project / "sources" / "codes" / "99999.yaml").write_text("code: [\n", encoding="utf-8")
        first, second = build(project), build(project)
        assert first == second and first[0] == 1 and first[2]
        assert "sources/codes/99999.yaml:" in first[1]

    def test_another_build_holds_the_lock(self, project: Path) -> None:
        """The normal build runs and waits for it, as it says."""
        with output_lock(project / "dist", log=print):
            running = subprocess.Popen(
                [sys.executable, "-c", RUN_CLI, "build", *DIST],
                cwd=project,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            time.sleep(2)
        stdout, stderr = running.communicate(timeout=300)
        assert running.returncode == 0 and json.loads(stdout)["model"]
        assert stderr.startswith(
            f"waiting for the build already writing to dist (process {os.getpid()})"
        )
        assert stderr.endswith(NOTHING)


class TestCheck:
    """nothing_to_do answers None when the builder or options differ from the last build."""

    def test_same(self, project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.chdir(project)
        assert nothing_to_do(Path("sources"), "sources", Path("dist"), ["pdf"], "pdf/ua-1") == 2

    @pytest.mark.parametrize(
        ("shown", "formats", "variant"),
        [
            ("./sources", ["pdf"], "pdf/ua-1"),
            ("sources", ["html"], "pdf/ua-1"),
            ("sources", ["pdf"], "pdf/a-3b"),
        ],
    )
    def test_other_options(
        self,
        project: Path,
        monkeypatch: pytest.MonkeyPatch,
        shown: str,
        formats: list[str],
        variant: str,
    ) -> None:
        monkeypatch.chdir(project)
        assert nothing_to_do(Path("sources"), shown, Path("dist"), formats, variant) is None

    def test_other_builder(self, project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.chdir(project)
        monkeypatch.setattr(quick, "builder_fingerprint", lambda: "another builder")
        assert nothing_to_do(Path("sources"), "sources", Path("dist"), ["pdf"], "pdf/ua-1") is None

    def test_in_process_lock(self, project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """A build of this process holding the lock is not disturbed: the answer is None."""
        monkeypatch.chdir(project)
        with output_lock(Path("dist"), log=print):
            assert (
                nothing_to_do(Path("sources"), "sources", Path("dist"), ["pdf"], "pdf/ua-1") is None
            )
