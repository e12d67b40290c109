"""The renderer's fonts: the bundled faces of styles/fonts/, never the machine's own.

WeasyPrint starts every FontConfiguration from the system's fontconfig setup, so a
character the stylesheet's fonts lack would be drawn with whatever font the machine
has (DejaVu Sans here), embedded in the PDF: output would depend on the machine.
BundledFonts gives Pango a fontconfig configuration of its own that starts empty; the
only fonts in it are the ones the stylesheet's @font-face rules add. The configuration
is passed to Pango explicitly, so nothing process-wide (such as FONTCONFIG_FILE) is
changed, and a worker forked from a process that set it up inherits it as it is.
sized_arrays keeps WeasyPrint's font subsetting from parsing a C type for every font of
every report.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import cffi
from weasyprint.text.ffi import ffi, fontconfig, pangoft2
from weasyprint.text.fonts import FontConfiguration

SIZED_ARRAY = re.compile(r"([A-Za-z_][\w ]*)\[([0-9]+)\]")  # a C array type of a given length
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


def sized_arrays() -> None:
    """Let WeasyPrint's cffi bindings make an array of any length without parsing its type.

    cffi parses each C type it has not seen with pycparser, about 0.6 ms; WeasyPrint's font
    subsetting asks for its arrays by their length (hb_codepoint_t[37]), a type not seen
    for nearly every font of every report: 4 % of a render. An array T[N] is made as T[]
    of N items instead (the same memory, the same values); anything else as cffi would.
    """
    if "new" in vars(ffi):
        return
    new = ffi.new

    def sized(cdecl: object, init: Any = None) -> Any:
        match = SIZED_ARRAY.fullmatch(cdecl) if isinstance(cdecl, str) else None
        length = int(match[2]) if match else 0
        if match is None or (init is not None and len(init) != length):
            return new(cdecl, init)
        return new(match[1] + "[]", length if init is None else init)

    ffi.new = sized
