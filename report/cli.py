"""The command line: build (the default), check, new, import-pfs, release, verify, serve."""

from __future__ import annotations

import importlib
import json
import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from report import __version__
from report.console import (
    SOURCES_HELP,
    counts,
    echo_findings,
    examples,
    holding_pause,
    log,
    pause_option,
    pdf_variant_option,
)
from report.errors import Finding
from report.exits import reported, say, usage_pointer
from report.progress import progress_for
from report.render import DEFAULT_PDF_VARIANT
from report.workers import DEFAULT_TIMEOUT, start_context

if TYPE_CHECKING:
    from report.build import BuildResult

# Commands import the builder when they run (it loads pydantic, Jinja, the report model).
# Those that always render (release, serve) start the workers' fork server first, so that
# it loads WeasyPrint meanwhile (report/workers.py); so does build when it is sure to
# render (forced, or into a folder it never built); otherwise it starts it only once it
# finds something to render (report/build/run.py), so that a no-op build loads no engine.
# A build of all reports that has nothing to do says so before it loads any of it
# (report/build/quick.py); the commands below main are imported when they run, or when
# --help lists them.

# The commands defined in modules of their own: name -> (module, attribute).
LAZY_COMMANDS = {
    "import-gpci": ("report.gpci.command", "import_gpci"),
    "import-pfs": ("report.pfs.command", "import_pfs"),
    "release": ("report.release.command", "release"),
    "schema": ("report.sources.command", "schema"),
    "serve": ("report.serve.command", "serve"),
    "verify": ("report.release.command", "verify"),
}


class LazyGroup(click.Group):
    """A group whose commands of LAZY_COMMANDS are imported only when asked for."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Return every command's name, in order."""
        return sorted({*super().list_commands(ctx), *LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """Return the command named cmd_name, importing its module if need be."""
        if cmd_name not in self.commands and cmd_name in LAZY_COMMANDS:
            module, attribute = LAZY_COMMANDS[cmd_name]
            command = getattr(importlib.import_module(module), attribute)
            assert isinstance(command, click.Command)
            self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        """Parse the group's own options; an error of usage says where the docs explain."""
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.UsageError as exc:
            raise _pointed(exc) from None

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command asked for; an error of usage says where the docs explain it."""
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:
            raise _pointed(exc) from None


def _pointed(exc: click.UsageError) -> click.UsageError:
    """Add to a click usage error the page of the documentation that explains its command."""
    pointer = usage_pointer(exc.ctx)
    message = exc.format_message().rstrip()
    if message.endswith(pointer):  # a subcommand's error, pointed already
        return exc
    return click.UsageError(f"{message}\n{pointer}", exc.ctx)


@click.group(
    cls=LazyGroup,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog=examples(
        "python build.py new 99999        # start sources/codes/99999.yaml",
        "python build.py check            # every problem of the sources, at once",
        "python build.py serve            # live preview at http://127.0.0.1:8000/",
        "python build.py                  # build sources/ into dist/",
        "python build.py release 2026.12  # a numbered, reproducible release",
    )
    + "\n\nThe documentation starts at docs/index.md; every command is in "
    + "docs/reference/cli.md.",
)
@click.version_option(__version__, prog_name="report")
@click.pass_context
def main(ctx: click.Context) -> None:
    """Build CPT/HCPCS code reports from YAML sources into PDF.

    With no command, build: the same as `build`.
    """
    if ctx.invoked_subcommand is None:
        ctx.invoke(build)


@main.command(
    epilog=examples(
        "python build.py build",
        "python build.py build 74440 --format pdf,html",
        "python build.py build --pdf-variant pdf/a-3b --out archive",
        "python build.py build --jobs 8 --scheduler tcp://10.0.0.5:8786",
    )
)
@click.argument("codes", nargs=-1)
@click.option("--sources", "sources", default="sources", show_default=True, help=SOURCES_HELP)
@click.option("--out", default="dist", show_default=True, help="Output folder.")
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes rendering reports  [default: the machine's cores]",
)
@click.option(
    "--format",
    "formats",
    default="pdf",
    show_default=True,
    help="Comma-separated outputs: pdf, html, site (the web edition, with its PDFs).",
)
@pdf_variant_option
@click.option("--force", is_flag=True, help="Rebuild every output, changed or not.")
@click.option(
    "--timeout",
    type=click.FloatRange(min=1),
    default=DEFAULT_TIMEOUT,
    show_default=True,
    help="Seconds one report may take before it is stopped.",
)
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    default=None,
    help="Render on an existing Dask cluster, e.g. tcp://10.0.0.5:8786.",
)
@pause_option
def build(
    codes: tuple[str, ...],
    sources: str = "sources",
    out: str = "dist",
    jobs: int | None = None,
    formats: str = "pdf",
    pdf_variant: str = DEFAULT_PDF_VARIANT,
    force: bool = False,
    timeout: float = DEFAULT_TIMEOUT,
    scheduler: str | None = None,
    pause_at: str | None = None,
) -> None:
    """Validate, then build the named codes, or all reports and the volumes when none."""
    wanted = [f.strip() for f in formats.split(",") if f.strip()]
    from report.build.quick import certain_to_render

    if certain_to_render(Path(out), wanted, force, scheduler):
        start_context()  # the fork server loads WeasyPrint while the builder loads
    if not (codes or force or scheduler or pause_at):
        from report.build.quick import nothing_to_do

        kept = nothing_to_do(Path(sources), sources, Path(out), wanted, pdf_variant.lower())
        if kept is not None:
            click.echo(f"{_nothing_to_render(kept, out)}; {counts(0)}", err=True)
            sys.exit(0)
    from report.build import BuildOptions
    from report.build import build as run_build
    from report.build.context import no_pause

    options = BuildOptions(
        codes,
        wanted,
        pdf_variant.lower(),
        jobs,
        force,
        timeout,
        scheduler,
        pause=no_pause if pause_at is None else holding_pause(pause_at),
    )
    with reported():
        result = run_build(
            Path(sources),
            Path(out),
            options,
            shown_path=sources,
            log=log,
            on_errors=echo_findings,
            progress=progress_for(),
        )
    pdf = "pdf" in wanted or "site" in wanted
    click.echo(_buildcounts(result, out, named=bool(codes), pdf=pdf), err=True)
    sys.exit(1 if result.errors else 0)


def _buildcounts(result: BuildResult, out: str, named: bool = False, pdf: bool = True) -> str:
    """Say what the build did: reports rendered and kept, the volume, pages, errors, timings.

    named: a build of named codes, which writes no volume; pdf: the build makes PDFs.
    """
    rendered, kept = len(result.rendered), result.up_to_date
    pages = sum(path.startswith("html/") for path in result.written)
    site = sum(path.startswith("site/") for path in result.written)
    if not rendered and not result.volume_built and not result.written:
        return f"{_nothing_to_render(kept, out)}; {counts(len(result.errors))}"
    said = []
    if pdf:
        volume = (
            ""
            if named
            else "; volume "
            + (f"{result.volume_seconds:.1f} s" if result.volume_built else "up to date")
        )
        said.append(
            f"rendered {rendered} report{'s' * (rendered != 1)} in "
            f"{result.render_seconds:.1f} s ({kept} up to date){volume}"
        )
    if pages:
        said.append(f"wrote {pages} HTML page{'s' * (pages != 1)}")
    if site:
        said.append(f"site: {site} file{'s' * (site != 1)} written")
    return f"{'; '.join(said)}; written to {out}; {counts(len(result.errors))}"


def _nothing_to_render(kept: int, out: str) -> str:
    """Say that no report was rendered, kept of them up to date in out."""
    return f"nothing to render: {kept} report{'s' * (kept != 1)} up to date in {out}"


@main.command(
    epilog=examples(
        "python build.py check",
        "python build.py check --sources drafts --strict",
        "python build.py check --format json > findings.json",
    )
)
@click.option("--sources", "sources", default="sources", show_default=True, help=SOURCES_HELP)
@click.option(
    "--format",
    "output",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text: one `path:line:column: message` a line on standard error; json: "
    "one JSON document on standard output, for editors and CI.",
)
@click.option(
    "--strict", is_flag=True, help="Count notices (such as data not available) as errors."
)
def check(sources: str = "sources", output: str = "text", strict: bool = False) -> None:
    """Validate only: print every problem, and notices of data not available."""
    from report.checking import check_folder

    with reported():
        checked = check_folder(Path(sources), sources)
    valid = checked.valid_codes
    if output == "json" or strict:
        found = checked.notices
        if strict:
            found = [Finding(f.location, f.message, "error") for f in found]
        findings = (
            sorted(checked.errors + found, key=Finding.order) if strict else checked.errors + found
        )
        errors = sum(f.severity == "error" for f in findings)
        notices = len(findings) - errors
        lines = [str(f) for f in findings] if output != "json" else []
    else:  # the notices as lines: a whole fee schedule has some 270,000
        lines = [str(f) for f in checked.errors] + checked.notice_lines()
        errors, notices = len(checked.errors), len(lines) - len(checked.errors)
    if output == "json":
        document = {
            "sources": sources,
            "valid_codes": valid,
            "errors": errors,
            "notices": notices,
            "findings": [
                {
                    "path": f.location.path,
                    "line": f.location.line,
                    "column": f.location.column,
                    "severity": f.severity,
                    "message": f.message,
                }
                for f in findings
            ],
        }
        with reported():
            say(json.dumps(document, indent=2))
    else:
        if lines:
            click.echo("\n".join(lines), err=True)
        click.echo(
            f"{valid} valid code source{'s' * (valid != 1)}; {counts(errors, notices)}",
            err=True,
        )
    sys.exit(1 if errors else 0)


@main.command(
    epilog=examples(
        "python build.py new 99999",
        "python build.py new G0101 --sources drafts",
    )
)
@click.argument("code")
@click.option(
    "--system",
    type=click.Choice(["CPT", "HCPCS"], case_sensitive=False),
    default=None,
    help="Code system  [default: HCPCS for a code that starts with a letter, else CPT]",
)
@click.option("--sources", "sources", default="sources", show_default=True, help=SOURCES_HELP)
def new(code: str, system: str | None = None, sources: str = "sources") -> None:
    """Write codes/CODE.yaml: every key of the format, empty and commented; never overwrite."""
    from report.scaffold import new_code

    with reported():
        path = new_code(Path(sources), sources, code, system)
        option = "" if sources == "sources" else f" --sources {shlex.quote(sources)}"
        say(f"wrote {path}; edit it, then run: python build.py check{option}")
