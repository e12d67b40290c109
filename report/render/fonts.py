"""The renderer's fonts: the bundled faces of styles/fonts/, never the machine's own.

WeasyPrint starts every FontConfiguration from the system's fontconfig setup, so a
character the stylesheet's fonts lack would be drawn with whatever font the machine
has (DejaVu Sans here), embedded in the PDF: output would depend on the machine.
BundledFonts gives Pango a fontconfig configuration of its own that starts empty; the
only fonts in it are the ones the stylesheet's @font-face rules add. The configuration
is passed to Pango explicitly, so nothing process-wide (such as FONTCONFIG_FILE) is
changed, and a worker forked from a process that set it up inherits it as it is.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import cffi
from weasyprint.text.ffi import ffi, fontconfig, pangoft2
from weasyprint.text.fonts import FontConfiguration

# The names WeasyPrint itself tries (weasyprint/text/ffi.py), so that both find one library.
_LIBRARY_NAMES = (
    "libfontconfig-1",
    "fontconfig-1",
    "fontconfig",
    "libfontconfig.so.1",
    "libfontconfig.1.dylib",
    "libfontconfig-1.dll",
)


@cache
def _fontconfig() -> tuple[cffi.FFI, Any]:
    """Return the two fontconfig calls WeasyPrint's bindings do not declare.

    The library is Any: cffi makes its functions from the declarations at run time.
    """
    own = cffi.FFI()
    own.cdef(
        "typedef struct _FcConfig FcConfig;"
        "FcConfig *FcConfigCreate (void);"
        "int FcConfigBuildFonts (FcConfig *config);"
    )
    for name in _LIBRARY_NAMES:
        try:
            return own, own.dlopen(name)
        except OSError:
            continue
    raise OSError("fontconfig is not installed (WeasyPrint needs it)")


def empty_config() -> Any:
    """Return a new fontconfig configuration without any font, as WeasyPrint's FcConfig *."""
    own, lib = _fontconfig()
    config = lib.FcConfigCreate()
    if config == own.NULL:
        raise MemoryError("fontconfig could not create a configuration")
    lib.FcConfigBuildFonts(config)  # no font directory: an empty set of system fonts
    return ffi.cast("FcConfig *", int(own.cast("uintptr_t", config)))


class BundledFonts(FontConfiguration):  # type: ignore[misc]  # WeasyPrint has no type information
    """A WeasyPrint font configuration that holds only the fonts @font-face rules add."""

    def __init__(self) -> None:
        super().__init__()
        # Replace the system configuration Pango was given with an empty one; the font
        # map keeps its own reference, as it did of the one it replaces.
        config = empty_config()
        pangoft2.pango_fc_font_map_set_config(ffi.cast("PangoFcFontMap *", self.font_map), config)
        fontconfig.FcConfigDestroy(config)
        self._config = config  # where add_font_face registers each bundled face
