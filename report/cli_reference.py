"""Write docs/reference/cli.md from the commands' own help: `python -m report.cli_reference`.

Every command the group lists gets a section with its help, options and examples, as
`--help` prints them at a fixed width, so the page cannot drift from the code
(tests/test_cli_reference.py compares it with a fresh rendering). A command added later
appears once this runs again; GUIDES only adds a link to the guide of a known one.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from report.cli import main

PAGE = Path("docs") / "reference" / "cli.md"
PROGRAM = "python build.py"
WIDTH = 88
# The context settings of `main`, and a fixed width for the help text.
SETTINGS: dict[str, Any] = {
    "help_option_names": ["-h", "--help"],
    "terminal_width": WIDTH,
    "max_content_width": WIDTH,
}
# The guide that explains each command at length, relative to the page.
GUIDES = {
    "build": ("Getting started", "../getting-started.md"),
    "check": ("Writing sources", "../guides/writing-sources.md"),
    "new": ("Writing sources", "../guides/writing-sources.md"),
    "schema": ("Writing sources", "../guides/writing-sources.md#check-as-you-type"),
    "serve": ("The live preview", "../guides/live-preview.md"),
    "import-pfs": ("Importing the fee schedule", "../guides/fee-schedule.md"),
    "release": ("Releases and signing", "../guides/releases.md"),
    "verify": ("Releases and signing", "../guides/releases.md#verify-dir"),
}
INTRO = f"""\
# Command line

<!-- Written by `python -m report.cli_reference` from the commands' help; do not edit:
     change the help in report/ and run it again (tests/test_cli_reference.py). -->

Run the builder as `{PROGRAM} COMMAND [OPTIONS]` in a checkout (after `make`), or as
`report COMMAND [OPTIONS]` where the package is installed: the two are the same command
line. `{PROGRAM}` alone is `{PROGRAM} build`. Every command takes `-h` or `--help`.

An error of usage (an unknown option, a malformed value, a missing file) exits with code
2 and ends with the section of this page that explains the command, such as
`see docs/reference/cli.md#build`. Exit codes and messages: [Error messages](errors.md).\
"""


def command_help(command: click.Command, name: str, root: click.Context) -> str:
    """Return a command's --help text, as printed at the page's fixed width."""
    ctx = click.Context(command, info_name=name, parent=root, **SETTINGS)
    return command.get_help(ctx).rstrip()


def page() -> str:
    """Return the reference page: an index of the commands, then each one's help."""
    root = click.Context(main, info_name=PROGRAM, **SETTINGS)
    names = main.list_commands(root)
    commands = {name: main.get_command(root, name) for name in names}
    parts = [INTRO, "| command | does |\n|---|---|"]
    for name, command in commands.items():
        assert command is not None
        short = command.get_short_help_str(limit=WIDTH)
        parts[-1] += f"\n| [`{name}`](#{name}) | {short} |"
    parts.append(f"## {PROGRAM}\n\n```text\n{main.get_help(root).rstrip()}\n```")
    for name, command in commands.items():
        assert command is not None
        section = f"## {name}\n\n```text\n{command_help(command, name, root)}\n```"
        if name in GUIDES:
            title, link = GUIDES[name]
            section += f"\n\nExplained in [{title}]({link})."
        parts.append(section)
    return "\n\n".join(parts) + "\n"


def write(root: Path = Path()) -> Path:
    """Write the page under root and return its path."""
    target = root / PAGE
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(page(), encoding="utf-8")
    return target


if __name__ == "__main__":
    click.echo(f"wrote {write(Path(sys.argv[1]) if len(sys.argv) > 1 else Path())}")
