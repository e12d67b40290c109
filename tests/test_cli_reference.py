"""The command-line reference is the commands' own help; help teaches; usage errors point to it."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from conftest import ROOT

from report.cli import main
from report.cli_reference import PAGE, PROGRAM, SETTINGS, command_help, page

REFERENCE = ROOT / PAGE
ROOT_CONTEXT = click.Context(main, info_name=PROGRAM, **SETTINGS)
COMMANDS = main.list_commands(ROOT_CONTEXT)


def command(name: str) -> click.Command:
    """Return the command named name, imported if it is a lazy one."""
    found = main.get_command(ROOT_CONTEXT, name)
    assert found is not None
    return found


class TestNoDrift:
    """docs/reference/cli.md is what `python -m report.cli_reference` writes from the code."""

    def test_the_page_is_current(self) -> None:
        assert REFERENCE.read_text(encoding="utf-8") == page(), (
            "docs/reference/cli.md is out of date: run python -m report.cli_reference"
        )

    def test_every_command_has_its_section(self) -> None:
        headings = re.findall(r"^## (\S+)$", REFERENCE.read_text(encoding="utf-8"), re.MULTILINE)
        assert headings == COMMANDS


class TestHelpTeaches:
    """Every command's help ends with examples of its use."""

    @pytest.mark.parametrize("name", COMMANDS)
    def test_examples(self, name: str) -> None:
        text = command_help(command(name), name, ROOT_CONTEXT)
        examples = text.split("\n  Examples:\n", 1)[1].splitlines()
        assert examples and all(
            line.startswith(("    python build.py ", "    report ")) for line in examples
        ), examples

    @pytest.mark.parametrize("name", COMMANDS)
    def test_help_exits_0(self, name: str) -> None:
        result = CliRunner().invoke(main, [name, "-h"])
        assert (result.exit_code, result.stdout.startswith("Usage: ")) == (0, True)


class TestUsageErrorsPointToTheDocs:
    """An error of usage, click's or the builder's, ends with the page section that explains."""

    @pytest.mark.parametrize(
        ("args", "error", "pointer"),
        [
            (["--bogus"], "Error: No such option '--bogus'.", "see docs/reference/cli.md"),
            (["nosuch"], "Error: No such command 'nosuch'.", "see docs/reference/cli.md"),
            (["new"], "Error: Missing argument 'CODE'.", "see docs/reference/cli.md#new"),
            (
                ["build", "--jobs", "0"],
                "Error: Invalid value for '--jobs': 0 is not in the range x>=1.",
                "see docs/reference/cli.md#build",
            ),
            (
                ["check", "--format", "xml"],
                "Error: Invalid value for '--format': 'xml' is not one of 'text', 'json'.",
                "see docs/reference/cli.md#check",
            ),
            (
                ["release", "1.0.0"],
                "sources: the sources folder does not exist",
                "see docs/reference/cli.md#release",
            ),
            (
                ["import-pfs", "gone.csv"],
                "gone.csv: cannot read the file: No such file or directory",
                "see docs/reference/cli.md#import-pfs",
            ),
        ],
    )
    def test_points(
        self,
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
        args: list[str],
        error: str,
        pointer: str,
    ) -> None:
        monkeypatch.chdir(tmp_path)  # an empty folder: no sources, no files
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 2
        assert result.stderr.splitlines()[-2:] == [error, pointer]
        anchor = pointer.partition("#")[2]
        assert not anchor or f"\n## {anchor}\n" in REFERENCE.read_text(encoding="utf-8")
