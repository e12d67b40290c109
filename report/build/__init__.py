"""Build the reports and the volume, stage after stage.

gather (read and validate every source; every error is reported before anything is
rendered) → plan (which outputs are stale, and why: a pure function) → render (the stale
reports, in worker processes) → assemble (the volume, from the report PDFs on disk) →
record (the index and manifest.json). The output folder is locked for the whole build.
Nothing is started that the build does not need: one with nothing to render starts no
worker process and never loads WeasyPrint.
A build of named codes renders those reports only and writes no volume.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from report.build.context import BuildOptions, BuildResult
    from report.build.run import build

__all__ = ["BuildOptions", "BuildResult", "build"]


def __getattr__(name: str) -> object:
    """Import the stages when a name of theirs is first asked for.

    So that report.build.index and report.build.quick load without the report model.
    """
    if name in ("BuildOptions", "BuildResult"):
        from report.build import context

        return getattr(context, name)
    if name == "build":
        from report.build.run import build

        return build
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
