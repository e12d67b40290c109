"""Index the web edition's pages for its static full-text search, with Pagefind.

Pagefind (the `pagefind` package, its binary from `pagefind_bin`) reads the code pages'
text (what their data-pagefind-body holds) and writes a search bundle: its script,
WebAssembly and index fragments, which the browser fetches from the site itself.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from report.errors import RenderError

SEARCH_FOLDER = "pagefind"
# Not searched: what every report's title block repeats (facts, notice, disclaimer).
EXCLUDED = "article > header > :not(h1)"
TIMEOUT = 600.0  # seconds the indexer may take, for a whole fee schedule's pages
# The bundle's parts a page never asks for: Pagefind's own search widgets.
UNUSED = ("pagefind-ui.", "pagefind-component-ui.", "pagefind-modular-ui.", "pagefind-highlight.")


def indexer() -> Path:
    """Return the Pagefind binary the builder depends on."""
    try:
        import pagefind_bin

        return Path(pagefind_bin.get_executable())
    except (ImportError, FileNotFoundError) as exc:
        raise RenderError(
            "pagefind",
            "the web edition's search needs Pagefind: pip install 'pagefind[bin]' "
            "(the version pyproject.toml pins)",
        ) from exc


def search_bundle(site: Path, language: str) -> dict[str, bytes]:
    """Index the HTML pages under site; return the bundle's files by path within it."""
    with tempfile.TemporaryDirectory(prefix="search-") as temp:
        bundle = Path(temp) / SEARCH_FOLDER
        command = [
            str(indexer()),
            "--site",
            str(site),
            "--output-path",
            str(bundle),
            "--glob",
            "codes/*.html",
            "--exclude-selectors",
            EXCLUDED,
            "--force-language",
            language.split("-")[0].lower() or "en",
            "--silent",
        ]
        try:
            done = subprocess.run(
                command, capture_output=True, text=True, timeout=TIMEOUT, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise RenderError(site, f"the search index could not be made: {exc}") from exc
        if done.returncode != 0:
            said = (done.stderr or done.stdout).strip().splitlines()
            raise RenderError(
                site,
                "the search index could not be made: "
                + (said[-1] if said else f"Pagefind exited with {done.returncode}"),
            )
        return {
            path.relative_to(bundle).as_posix(): path.read_bytes()
            for path in sorted(bundle.rglob("*"))
            if path.is_file() and not path.name.startswith(UNUSED)
        }
