"""`schema [--out DIR]`: write the JSON Schema of the sources, for editors."""

from __future__ import annotations

import os
from pathlib import Path

import click

from report.console import examples
from report.errors import WriteError
from report.exits import reported, say

# The folder of the checkout's committed schema files, which `new` points new sources at.
SCHEMA_FOLDER = "docs/schema"


@click.command(epilog=examples("python build.py schema", "report schema --out my-schemas"))
@click.option(
    "--out",
    default=SCHEMA_FOLDER,
    show_default=True,
    help="Folder to write publication.schema.json and code.schema.json into.",
)
def schema(out: str = SCHEMA_FOLDER) -> None:
    """Write the JSON Schema of publication.yaml and codes/CODE.yaml, for editors.

    An editor with a YAML language server (VS Code's YAML extension, for one)
    then validates and completes a source as it is typed: `new` points each
    source it writes at code.schema.json in its first line.
    """
    from report.outputs import atomic_write
    from report.sources.schema import schema_text, schemas

    with reported():
        folder = Path(out)
        written = []
        for name, content in schemas().items():
            shown = os.path.join(out, name)
            try:
                folder.mkdir(parents=True, exist_ok=True)
                atomic_write(folder / name, schema_text(content).encode("utf-8"))
            except WriteError as exc:
                raise WriteError(shown, exc.reason) from exc
            except OSError as exc:
                raise WriteError.of(shown, exc) from exc
            written.append(shown)
        say(f"wrote {' and '.join(written)}")
