"""Load WeasyPrint and set the renderer up, opening the system's libraries directly.

WeasyPrint (weasyprint/text/ffi.py) opens each library it needs (GObject, Pango,
HarfBuzz, fontconfig, PangoFT2) by trying a list of names in turn; cffi hands every name
the dynamic loader cannot open as it is to ctypes.util.find_library, which on Linux runs
ldconfig, then gcc, then ld: some fifty processes, about 0.15 s of the 0.37 s import,
spent before the first worker can fork. Every list also holds the library's soname
(libpango-1.0.so.0), which the loader opens by itself from its own search (its cache,
LD_LIBRARY_PATH), so while the engine loads here, that lookup answers at once that it
found nothing and the next name is tried. A system whose libraries the loader cannot open
by those names gets WeasyPrint loaded again with the full lookup, as it would be anyway.
"""

from __future__ import annotations

import contextlib
import ctypes.util
import gc
import io
import sys
from collections.abc import Iterator

LINUX = sys.platform.startswith("linux")


def start_engine() -> None:
    """Load WeasyPrint and this process's renderer (fonts, the parsed stylesheet).

    What is loaded lives as long as the process, so it is frozen out of the garbage
    collector's sight (gc.freeze): collections no longer walk it, and those of a worker
    forked from this process no longer write to, and so copy, the memory they share.
    """
    loaded = False
    if LINUX:
        try:
            with loader_only():
                _load()
            loaded = True
        except OSError:  # a library the loader could not open by name: the full lookup
            for name in [name for name in sys.modules if name.split(".")[0] == "weasyprint"]:
                del sys.modules[name]  # what the failed import left, half set up
    if not loaded:
        _load()
    gc.freeze()


@contextlib.contextmanager
def loader_only() -> Iterator[None]:
    """Within, find no library by ctypes' search; WeasyPrint's failure notice is held back."""
    search = ctypes.util.find_library
    ctypes.util.find_library = _not_searched
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            yield
    finally:
        ctypes.util.find_library = search


def _not_searched(name: str) -> str | None:  # noqa: ARG001  (ctypes.util.find_library's)
    """Answer that a library name was not found, without searching for it."""
    return None


def _load() -> None:
    """Import WeasyPrint and set the renderer up; an OSError of its setup is left for later.

    Without room for its temporary font files (a full TMPDIR), the renderer is set up
    again at each render, which fails saying why.
    """
    import weasyprint.text.ffi  # noqa: F401  (the libraries, opened or an OSError)

    from report.render.pdf import renderer

    with contextlib.suppress(OSError):
        renderer()
