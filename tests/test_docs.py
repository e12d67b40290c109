r"""Every command the README and docs/ show is run, and every link between their pages holds.

Convention: commands a reader runs are in ```console blocks, each on a line that starts
with `$ ` (a line ending with `\` goes on). A block preceded by `<!-- not run: REASON -->`
is skipped (the reasons are listed by `pytest -s`); one preceded by `<!-- exit: N -->`
must exit N, every other 0. A page's blocks run in order, in a folder of its own holding
a copy of sources/ and tests/fixtures/pfs/ and gpci/ (the files the pages name), where `python
build.py` and `.venv/bin/python build.py` are the installed builder.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import FIXTURES, ROOT, SAMPLE_SOURCES

PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
NOT_RUN = re.compile(r"<!-- not run: (.+?) -->")
EXIT = re.compile(r"<!-- exit: (\d+) -->")
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^```(\S*)")
# A file or folder of the repository named in a page (sources/ is left out: pages name
# the sources a reader writes).
REPO_PATH = re.compile(r"(?<![\w./-])((?:report|tests|benchmarks|styles|docs)/[\w/.-]*\w)")


@dataclass(frozen=True)
class Block:
    """One console block of a page: its commands, the exit it expects, or why it is not run."""

    page: str
    line: int
    commands: tuple[str, ...]
    exit: int = 0
    not_run: str | None = None


def name(page: Path) -> str:
    """Return a page's path in the repository."""
    return page.relative_to(ROOT).as_posix()


def console_blocks(page: Path) -> list[Block]:
    """Return the console blocks of a page, in order."""
    lines = page.read_text(encoding="utf-8").splitlines()
    blocks, index = [], 0
    while index < len(lines):
        if lines[index] != "```console":
            index += 1
            continue
        above = next((line for line in reversed(lines[:index]) if line.strip()), "")
        start, commands = index + 1, []
        index += 1
        while lines[index] != "```":
            if lines[index].startswith("$ "):
                command = lines[index][2:]
                while command.endswith("\\"):
                    index += 1
                    command += "\n" + lines[index]
                commands.append(command)
            index += 1
        skipped, declared = NOT_RUN.fullmatch(above), EXIT.fullmatch(above)
        blocks.append(
            Block(
                name(page),
                start,
                tuple(commands),
                int(declared[1]) if declared else 0,
                skipped[1] if skipped else None,
            )
        )
    return blocks


def workspace(folder: Path) -> dict[str, str]:
    """Fill a reader's folder: the sources, the data files, the builder; return its environment."""
    shutil.copytree(SAMPLE_SOURCES, folder / "sources")
    for fixture in ("pfs", "gpci"):
        shutil.copytree(FIXTURES / fixture, folder / "tests" / "fixtures" / fixture)
    shutil.copy(ROOT / "build.py", folder / "build.py")
    for bin_folder in (folder / "bin", folder / ".venv" / "bin"):
        bin_folder.mkdir(parents=True)
        python = bin_folder / "python"  # a script: a link would lose the virtual environment
        python.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n', encoding="utf-8")
        python.chmod(0o755)
    return {**os.environ, "PATH": f"{folder / 'bin'}{os.pathsep}{os.environ['PATH']}"}


RUN_PAGES = [page for page in PAGES if any(not b.not_run for b in console_blocks(page))]


class TestCommands:
    """Each page's commands exit as the page says, run in order as a reader runs them."""

    @pytest.mark.parametrize("page", RUN_PAGES, ids=name)
    def test_page(self, page: Path, tmp_path: Path) -> None:
        env = workspace(tmp_path)
        for block in console_blocks(page):
            if block.not_run:
                continue
            for command in block.commands:
                done = subprocess.run(
                    ["bash", "-c", command],
                    cwd=tmp_path,
                    env=env,
                    capture_output=True,
                    text=True,
                    timeout=120,
                )
                assert done.returncode == block.exit, (
                    f"{block.page}:{block.line}: `{command}` exited {done.returncode}, "
                    f"not {block.exit}\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
                )


class TestConvention:
    """Commands are shown as the tests read them; a block not run says why."""

    def test_not_run_blocks_say_why(self) -> None:
        """Each reason is a phrase; `pytest -s` lists every block not run, with its reason."""
        skipped = [b for page in PAGES for b in console_blocks(page) if b.not_run]
        for block in skipped:
            print(f"{block.page}:{block.line}: not run: {block.not_run}: {block.commands}")
            assert block.not_run and " " in block.not_run.strip(), block
        assert len(skipped) < sum(len(console_blocks(page)) for page in PAGES) / 2

    @pytest.mark.parametrize("page", PAGES, ids=name)
    def test_shell_is_shown_as_console(self, page: Path) -> None:
        """No sh or bash block: a command shown any other way would not be run."""
        fences = [
            m[1]
            for line in page.read_text(encoding="utf-8").splitlines()
            if (m := FENCE.match(line))
        ]
        assert not {"sh", "bash", "shell", "shell-session"} & set(fences)

    def test_every_console_block_has_a_command(self) -> None:
        empty = [b for page in PAGES for b in console_blocks(page) if not b.commands]
        assert empty == []


def slug(heading: str) -> str:
    """Return the anchor a heading gets, as GitHub and mkdocs make it."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    """Return the anchors of a page's headings (outside code blocks)."""
    found, code = set(), False
    for line in page.read_text(encoding="utf-8").splitlines():
        code ^= line.startswith("```")
        if not code and (m := re.match(r"#+ (.+)", line)):
            found.add(slug(m[1]))
    return found


class TestLinks:
    """Every link between the pages points to a file of the repository, and a heading in it."""

    @pytest.mark.parametrize("page", PAGES, ids=name)
    def test_links(self, page: Path) -> None:
        text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.DOTALL)
        text = re.sub(r"`[^`]*`", "", text)  # code spans show markup, they link nowhere
        broken = []
        for target in LINK.findall(text):
            if re.match(r"[a-z]+:", target):
                continue  # a web address
            path, _, anchor = target.partition("#")
            linked = (page.parent / path).resolve() if path else page
            unknown = anchor and linked.suffix == ".md" and anchor not in anchors(linked)
            if not linked.exists() or unknown:
                broken.append(target)
        assert broken == []

    @pytest.mark.parametrize("page", PAGES, ids=name)
    def test_named_files_exist(self, page: Path) -> None:
        """A module, test or stylesheet a page names is where it says (placeholders aside)."""
        named = set(REPO_PATH.findall(page.read_text(encoding="utf-8")))
        placeholders = {path for path in named if re.search(r"[A-Z]|test_x", path)}
        assert sorted(p for p in named - placeholders if not (ROOT / p).exists()) == []
