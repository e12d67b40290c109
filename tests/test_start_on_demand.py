"""A build starts what it needs only: a no-op loads no WeasyPrint and starts no process."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, SAMPLE_SOURCES, run_cli

import report.pools as pools
from report.build.index import INDEX_NAME
from report.build.quick import certain_to_render
from report.pools import EarlyStart

# Runs one build of sources/ into dist/ (formats from argv) in a fresh interpreter; prints
# what it rendered, whether this process imported WeasyPrint, and its child processes
# still alive at the end (the workers' fork server lives until the interpreter exits).
BUILD_ONCE = """
import json, os, sys
from pathlib import Path
from report.build import BuildOptions, build

result = build(
    Path("sources"), Path("dist"), BuildOptions(formats=sys.argv[1].split(",")),
    log=lambda line: None,
)
me = str(os.getpid())
children = []
for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        continue
    if stat[stat.rindex(")") + 2 :].split()[1] == me:
        children.append(Path(f"/proc/{pid}/cmdline").read_text().replace("\\0", " "))
print(json.dumps({
    "rendered": sorted(result.rendered),
    "errors": [str(f) for f in result.errors],
    "weasyprint": "weasyprint" in sys.modules,
    "children": children,
}))
"""


NO_OP = ("--sources", "sources", "--out", "dist")


def build_in_fresh_interpreter(root: Path, formats: str = "pdf") -> dict[str, object]:
    """Build root/sources into root/dist in a new Python process; return what it says."""
    done = subprocess.run(
        [sys.executable, "-c", BUILD_ONCE, formats],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    found: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """Copy the sample sources into a folder and build them once (PDF and HTML)."""
    shutil.copytree(SAMPLE_SOURCES, tmp_path / "sources")
    first = run_cli(
        "build", "--sources", "sources", "--out", "dist", "--format", "pdf,html", cwd=tmp_path
    )
    assert first.code == 0, first.stderr
    return tmp_path


def edit_title(root: Path) -> None:
    """Change the title of code 74440's source."""
    path = root / "sources" / "codes" / "74440.yaml"
    text = path.read_text(encoding="utf-8")
    assert "\ntitle: " in text
    path.write_text(text.replace("\ntitle: ", "\ntitle: Revised ", 1), encoding="utf-8")


class TestNoOpBuild:
    """A build with every output up to date starts no process and imports no WeasyPrint."""

    @pytest.mark.parametrize("formats", ["pdf", "pdf,html", "html"])
    def test_in_process(self, project: Path, formats: str) -> None:
        found = build_in_fresh_interpreter(project, formats)
        assert found == {"rendered": [], "errors": [], "weasyprint": False, "children": []}

    def test_from_the_command_line(self, project: Path) -> None:
        """Neither the command nor any process it starts imports WeasyPrint."""
        done = subprocess.run(
            [sys.executable, "-X", "importtime", str(ROOT / "build.py"), "build", *NO_OP],
            cwd=project,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0
        assert "nothing to render: 2 reports up to date in dist; 0 errors" in done.stderr
        imported = [line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines()]
        assert "report.build" in imported and "weasyprint" not in imported


class TestBuildWithWork:
    """A build that finds a stale PDF starts the fork server and renders it."""

    def test_a_changed_source_is_rendered(self, project: Path) -> None:
        edit_title(project)
        found = build_in_fresh_interpreter(project)
        assert found["rendered"] == ["74440"] and found["errors"] == []
        children = found["children"]
        assert isinstance(children, list)
        servers = [c for c in children if "from multiprocessing.forkserver import main" in c]
        assert len(servers) == 1 and "report.render.preload" in servers[0]

    def test_an_html_only_build_starts_no_process(self, project: Path) -> None:
        """HTML is written in the build's own process: no renderer is loaded for it."""
        edit_title(project)
        found = build_in_fresh_interpreter(project, "html")
        assert found == {"rendered": [], "errors": [], "weasyprint": False, "children": []}
        page = (project / "dist" / "html" / "74440.html").read_text(encoding="utf-8")
        assert "Revised " in page


class TestCommandsWithoutRendering:
    """`check`, `new` and `import-pfs` never import WeasyPrint."""

    @pytest.mark.parametrize(
        "args",
        [
            ["check", "--sources", "sources"],
            ["new", "99199", "--sources", "sources"],
            ["import-pfs", str(ROOT / "tests/fixtures/pfs/pprrvu22-sample.csv"), "--dry-run"],
        ],
    )
    def test_no_weasyprint(self, tmp_path: Path, args: list[str]) -> None:
        shutil.copytree(SAMPLE_SOURCES, tmp_path / "sources")
        done = subprocess.run(
            [sys.executable, "-X", "importtime", str(ROOT / "build.py"), *args],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        imported = [line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines()]
        assert "report.cli" in imported and "weasyprint" not in imported


class TestEarlyStart:
    """The fork server is started once, and only for a local build of PDFs."""

    @pytest.mark.parametrize(
        ("renders_pdf", "scheduler", "starts"),
        [(True, None, 1), (False, None, 0), (True, "tcp://127.0.0.1:8786", 0)],
    )
    def test_starts(
        self,
        monkeypatch: pytest.MonkeyPatch,
        renders_pdf: bool,
        scheduler: str | None,
        starts: int,
    ) -> None:
        calls: list[None] = []
        monkeypatch.setattr(pools, "start_context", lambda: calls.append(None))
        early = EarlyStart(renders_pdf, scheduler)
        early()
        early()
        assert len(calls) == starts


class TestCertainToRender:
    """A build starts its fork server before loading the builder only when sure to render."""

    @pytest.mark.parametrize(
        ("indexed", "formats", "force", "scheduler", "certain"),
        [
            (False, ["pdf"], False, None, True),  # a folder never built into
            (True, ["pdf"], True, None, True),  # forced
            (False, ["site"], False, None, True),  # the web edition links to its PDFs
            (True, ["pdf"], False, None, False),  # built before: the plan decides
            (False, ["html"], False, None, False),  # HTML only
            (False, ["pdf"], True, "tcp://127.0.0.1:8786", False),  # on a Dask cluster
        ],
    )
    def test_certain(
        self,
        tmp_path: Path,
        indexed: bool,
        formats: list[str],
        force: bool,
        scheduler: str | None,
        certain: bool,
    ) -> None:
        if indexed:
            (tmp_path / INDEX_NAME).write_text("{}", encoding="utf-8")
        assert certain_to_render(tmp_path, formats, force, scheduler) is certain
