"""The builder as a package: what pyproject.toml ships, and what an installed wheel builds."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import tomllib
import zipfile
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path

import pypdf
import pytest
from conftest import ROOT, SAMPLE_SOURCES

from report.inputs import package_files, sha256

SETUPTOOLS = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"][
    "setuptools"
]
# The folder each package name stands for in the checkout (pyproject.toml's package-dir).
PACKAGE_ROOTS = {"report": ROOT / "report", "report.styles": ROOT / "styles"}
# What the sdist holds besides report/ and styles/ (and setuptools' report.egg-info/).
SDIST_METADATA = {"PKG-INFO", "README.md", "pyproject.toml", "MANIFEST.in", "setup.cfg"}
# Folders of the checkout that neither distribution may hold.
NOT_SHIPPED = ("tests/", "sources/", "benchmarks/", ".ci/")
# Files the wheel must carry by name (with every font of styles/fonts/).
CARRIED = [
    "report/templates/report.html.j2",
    "report/styles/report.css",
    "report/styles/screen.css",
    "report/styles/fonts/OFL-SourceSans3.md",
    "report/styles/fonts/OFL-SourceSerif4.md",
    *sorted(f"report/styles/fonts/{p.name}" for p in (ROOT / "styles" / "fonts").glob("*.ttf")),
]
# What a build writes for itself beside the published files: its index, lock and cache.
PRIVATE = {".build-index.json", ".build.lock", ".cache"}
PUBLISHED = (
    "55300.pdf",
    "74440.pdf",
    "volume.pdf",
    "manifest.json",
    "html/55300.html",
    "html/74440.html",
)
# A Python warning as the warnings module prints it (pip's own "WARNING:" lines are not).
PYTHON_WARNING = re.compile(r"\w+Warning: .*")
# Left out of the copy the distributions are built from: what a fresh clone does not hold.
NOT_CLONED = {
    ".git",
    ".venv",
    "dist",
    "releases",
    "build",
    ".pytest_cache",
    ".mypy_cache",
    "node_modules",
}


def checkout_folders() -> dict[str, Path]:
    """Return every folder of report/ and styles/ by the package name setuptools gives it."""
    folders = {}
    for prefix, root in PACKAGE_ROOTS.items():
        for folder in [root, *root.rglob("*")]:
            if folder.is_dir() and "__pycache__" not in folder.parts:
                folders[".".join((prefix, *folder.relative_to(root).parts))] = folder
    return folders


def checkout_data_files() -> list[tuple[str, str]]:
    """Return (package, file name) for every file of the package folders but the modules."""
    return sorted(
        (package, path.name)
        for package, folder in checkout_folders().items()
        for path in folder.iterdir()
        if path.is_file() and path.suffix not in (".py", ".pyc")
    )


def checkout_files(folder: str) -> set[str]:
    """Return the files under a folder of the checkout, relative to the checkout."""
    return {
        path.relative_to(ROOT).as_posix()
        for path in (ROOT / folder).rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }


class TestPackageList:
    """pyproject.toml ships every folder of the builder, and every file in them."""

    def test_packages_are_the_folders_of_the_checkout(self) -> None:
        """The packages list names every folder of report/ and styles/, and nothing else."""
        listed, found = set(SETUPTOOLS["packages"]), set(checkout_folders())
        assert listed == found, (
            f"not listed: {sorted(found - listed)}; absent: {sorted(listed - found)}"
        )

    def test_styles_ship_as_report_styles(self) -> None:
        """The stylesheets and fonts of styles/ are the package report.styles."""
        assert SETUPTOOLS["package-dir"] == {"report.styles": "styles"}

    @pytest.mark.parametrize("package, name", checkout_data_files())
    def test_package_data_holds_every_file(self, package: str, name: str) -> None:
        """Every file of a package folder that is not a module matches its package-data."""
        patterns = SETUPTOOLS["package-data"].get(package, [])
        assert any(fnmatch(name, pattern) for pattern in patterns), (package, name, patterns)

    def test_no_file_of_the_builder_is_ignored_by_git(self) -> None:
        """A fresh clone holds the whole builder: git ignores no file of report/ or styles/."""
        if shutil.which("git") is None or not (ROOT / ".git").exists():
            pytest.skip("not a git checkout")
        done = subprocess.run(
            ["git", "ls-files", "--others", "--ignored", "--exclude-standard", "report", "styles"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        assert [line for line in done.stdout.splitlines() if "__pycache__/" not in line] == []


# ---------------------------------------------------------------------------------------
# The sdist and the wheel, built from a copy of the checkout as a clone holds it, and the
# wheel installed in a new virtual environment that sees this environment's dependencies
# but not its editable install of the builder.


@dataclass(frozen=True)
class Installed:
    """The distributions built from the checkout, and what the installed wheel did."""

    sdist: set[str]  # member files, without the leading report-VERSION/
    wheel: set[str]
    log: str  # the output of building the distributions and installing the wheel
    where: dict[str, str]  # the installed builder's package and styles folders
    files: dict[str, str]  # the installed builder's files by name, and their SHA-256
    venv: Path
    out: Path


def run(*args: str | Path, cwd: Path) -> str:
    """Run a command without PYTHONPATH; return its output, failing with it on an error."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    command = [str(arg) for arg in args]
    done = subprocess.run(
        command, check=False, cwd=cwd, capture_output=True, text=True, env=env, timeout=300
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"{' '.join(command)}:\n{output}"
    return output


def copy_checkout(target: Path) -> Path:
    """Copy the checkout as a fresh clone holds it, tests and sample sources included."""

    def ignore(folder: str, names: list[str]) -> set[str]:
        at_root = Path(folder) == ROOT
        return {
            name
            for name in names
            if name == "__pycache__"
            or name.endswith(".egg-info")
            or (at_root and name in NOT_CLONED)
        }

    shutil.copytree(ROOT, target, ignore=ignore)
    return target


def build_distributions(source: Path, dists: Path) -> tuple[Path, Path, str]:
    """Build the sdist of source, then the wheel from the unpacked sdist, as `build` does."""
    sdist_call = f"from setuptools import build_meta; build_meta.build_sdist({str(dists)!r})"
    log = run(sys.executable, "-c", sdist_call, cwd=source)
    (sdist,) = dists.glob("*.tar.gz")
    with tarfile.open(sdist) as archive:
        if hasattr(tarfile, "data_filter"):  # Python 3.11.4 and later
            archive.extractall(dists / "unpacked", filter="data")
        else:
            archive.extractall(dists / "unpacked")  # our own sdist: trusted
    (unpacked,) = (dists / "unpacked").iterdir()
    log += run(
        sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
        "--wheel-dir", dists, unpacked, cwd=dists,
    )  # fmt: skip
    (wheel,) = dists.glob("*.whl")
    return sdist, wheel, log


def make_venv(venv: Path) -> Path:
    """Make a venv whose sys.path ends with this environment's (for the dependencies)."""
    run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=venv.parent)
    python = venv / "bin" / "python"
    site = run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=venv)
    # A .pth file's folders come after the venv's own site-packages, and the .pth files in
    # them are not run: the editable install's finder never starts.
    ours = sorted({sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]})
    (Path(site.strip()) / "test-dependencies.pth").write_text("\n".join(ours) + "\n")
    return python


INSPECT = """
import json, report, report.inputs, report.resources
print(json.dumps({
    "where": {"report": report.__file__, "styles": str(report.resources.styles_dir())},
    "files": {name: report.inputs.sha256(path.read_bytes())
              for name, path in report.inputs.package_files()},
}))
"""


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """Build the sdist and the wheel, install the wheel in a new venv, build the samples."""
    base = tmp_path_factory.mktemp("package").resolve()
    dists = base / "dists"
    sdist, wheel, log = build_distributions(copy_checkout(base / "checkout"), dists)
    with tarfile.open(sdist) as archive:
        sdist_files = {m.name.split("/", 1)[1] for m in archive.getmembers() if m.isfile()}
    with zipfile.ZipFile(wheel) as archive:
        wheel_files = set(archive.namelist())
    venv = base / "venv"
    python = make_venv(venv)
    log += run(
        sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index",
        wheel, cwd=base,
    )  # fmt: skip
    elsewhere = base / "elsewhere"
    elsewhere.mkdir()
    facts = json.loads(run(python, "-c", INSPECT, cwd=elsewhere))
    out = base / "out"
    run(
        venv / "bin" / "report", "build", "--sources", SAMPLE_SOURCES, "--out", out,
        "--format", "pdf,html", cwd=elsewhere,
    )  # fmt: skip
    return Installed(sdist_files, wheel_files, log, facts["where"], facts["files"], venv, out)


def is_dist_info(member: str) -> bool:
    """Tell whether a wheel member is the wheel's metadata."""
    return member.split("/", 1)[0].endswith(".dist-info")


class TestDistributions:
    """The sdist and the wheel hold the whole builder, and nothing else of the checkout."""

    def test_wheel_holds_exactly_the_builder(self, installed: Installed) -> None:
        """The wheel's files are the checkout's files of report/ and styles/, as report/."""
        builder = {member for member in installed.wheel if not is_dist_info(member)}
        assert builder == {name for name, _ in package_files()}

    def test_sdist_holds_the_package_folders_and_metadata(self, installed: Installed) -> None:
        """The sdist holds report/, styles/ and the project's metadata, nothing else."""
        source = {m for m in installed.sdist if not m.startswith("report.egg-info/")}
        assert source == checkout_files("report") | checkout_files("styles") | SDIST_METADATA

    @pytest.mark.parametrize("kind", ["sdist", "wheel"])
    @pytest.mark.parametrize("folder", NOT_SHIPPED)
    def test_leaves_out_the_checkout_folder(
        self, installed: Installed, kind: str, folder: str
    ) -> None:
        """Neither distribution holds the tests, sample sources, benchmarks or CI script."""
        members: set[str] = getattr(installed, kind)
        assert sorted(m for m in members if m.startswith(folder)) == []

    @pytest.mark.parametrize("name", CARRIED)
    def test_wheel_carries(self, installed: Installed, name: str) -> None:
        """The wheel carries the templates, both stylesheets, every font and its licence."""
        assert name in installed.wheel

    def test_building_and_installing_print_no_warning(self, installed: Installed) -> None:
        """Neither setuptools nor pip prints a Python warning (a package it would ignore, say)."""
        assert PYTHON_WARNING.findall(installed.log) == []


def published(out: Path) -> dict[str, bytes]:
    """Return the files a build published (not its index, lock or cache), by name."""
    return {
        path.relative_to(out).as_posix(): path.read_bytes()
        for path in sorted(out.rglob("*"))
        if path.is_file() and path.relative_to(out).parts[0] not in PRIVATE
    }


class TestInstalledBuilder:
    """The installed wheel, run from another folder, builds what the checkout builds."""

    @pytest.mark.parametrize("part", ["report", "styles"])
    def test_runs_from_the_venv(self, installed: Installed, part: str) -> None:
        """The package and its stylesheets are the installed wheel's, not the checkout's."""
        assert Path(installed.where[part]).resolve().is_relative_to(installed.venv)

    def test_holds_the_files_of_the_checkout(self, installed: Installed) -> None:
        """Every file of the installed builder has the checkout's bytes: the same build keys."""
        assert installed.files == {
            name: sha256(path.read_bytes()) for name, path in package_files()
        }

    def test_publishes_the_same_files(self, installed: Installed, sample_build: Path) -> None:
        """The installed builder writes the same set of files as the checkout."""
        assert sorted(published(installed.out)) == sorted(published(sample_build))

    @pytest.mark.parametrize("name", PUBLISHED)
    def test_same_bytes(self, installed: Installed, sample_build: Path, name: str) -> None:
        """Each report, the volume, the manifest and the HTML are byte-identical."""
        ours, theirs = (installed.out / name).read_bytes(), (sample_build / name).read_bytes()
        assert ours == theirs
        if name.endswith(".pdf"):
            assert len(pypdf.PdfReader(io.BytesIO(ours)).pages) > 0
        if name == "manifest.json":
            assert {f["sha256"] for f in json.loads(ours)["files"]} >= {
                sha256((installed.out / pdf).read_bytes()) for pdf in PUBLISHED[:3]
            }

    def test_every_published_file_is_identical(
        self, installed: Installed, sample_build: Path
    ) -> None:
        """Every other published file (the HTML's fonts) is byte-identical too."""
        theirs = published(sample_build)
        assert [n for n, data in published(installed.out).items() if theirs.get(n) != data] == []
