"""The engine loads without searching for its libraries, and opens the same ones."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
import weakref

import pytest
from conftest import ROOT

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="the loader-only lookup is for Linux"
)

# Loads the engine one way in a fresh interpreter; prints the processes started on the
# way, the WeasyPrint libraries the process has open, and what it printed meanwhile.
LOAD = """
import contextlib, io, json, subprocess, sys
started = []
popen = subprocess.Popen.__init__
def counting(self, args, *rest, **kwargs):
    started.append(args if isinstance(args, str) else " ".join(map(str, args)))
    popen(self, args, *rest, **kwargs)
subprocess.Popen.__init__ = counting
how = sys.argv[1]
printed = io.StringIO()
with contextlib.redirect_stdout(printed):
    if how == "plain":
        import weasyprint.text.ffi
    else:
        from report.render import engine
        if how == "unopenable":  # the loader opens no name by itself: the full lookup is used
            import cffi
            dlopen = cffi.FFI.dlopen
            def refusing(self, name, *rest):
                if engine.ctypes.util.find_library is engine._not_searched:
                    raise OSError(f"cannot open {name}")
                return dlopen(self, name, *rest)
            cffi.FFI.dlopen = refusing
        engine.start_engine()
from weasyprint.text import ffi
libraries = sorted({
    line.split()[-1] for line in open("/proc/self/maps")
    if any(name in line for name in ("libgobject", "libpango", "libharfbuzz", "libfontconfig"))
})
print(json.dumps({"started": started, "libraries": libraries, "printed": printed.getvalue(),
                  "subset": ffi.harfbuzz_subset is not None}))
"""


def load(how: str) -> dict[str, object]:
    """Load the engine in a fresh interpreter, plainly or as start_engine does."""
    done = subprocess.run(
        [sys.executable, "-c", LOAD, how],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return dict(json.loads(done.stdout.splitlines()[-1]))


class TestLoaderOnly:
    """start_engine opens WeasyPrint's libraries without running ldconfig, gcc or ld."""

    def test_no_process_is_started(self) -> None:
        """Loading the engine starts no process, where WeasyPrint's own import starts some."""
        assert load("engine")["started"] == []
        assert load("plain")["started"], "the plain import searched for no library"

    def test_same_libraries(self) -> None:
        """The libraries opened are the files WeasyPrint's own lookup opens."""
        quick, plain = load("engine"), load("plain")
        assert quick["libraries"] == plain["libraries"]
        assert quick["subset"] == plain["subset"]
        libraries = quick["libraries"]
        assert isinstance(libraries, list)
        assert any("libpango-1.0" in path for path in libraries)

    def test_full_lookup_when_the_loader_cannot(self) -> None:
        """A library the loader cannot open by name is found by the full lookup, quietly."""
        loaded = load("unopenable")
        assert loaded["libraries"] == load("plain")["libraries"]
        assert loaded["started"], "the second attempt did not search"
        assert loaded["printed"] == ""


class Node:
    """An object that can take part in a reference cycle."""

    other: Node | None = None


class TestCollector:
    """A render pauses the cyclic collector and collects what it left once, at its end."""

    def test_paused_within_and_collected_after(self) -> None:
        """Inside, the collector is off; after, it is on and a cycle made inside is gone."""
        from report.render.pdf import collected_after

        assert gc.isenabled()
        with collected_after():
            assert not gc.isenabled()
            first, second = Node(), Node()
            first.other, second.other = second, first
            gone = weakref.ref(first)
            del first, second
            assert gone() is not None  # a cycle: only the collector frees it
        assert gc.isenabled()
        assert gone() is None

    def test_nested_leaves_it_paused(self) -> None:
        """A render within a render (a layout inside a render) leaves the collector paused."""
        from report.render.pdf import collected_after

        with collected_after():
            with collected_after():
                pass
            assert not gc.isenabled()
        assert gc.isenabled()

    def test_engine_is_frozen(self) -> None:
        """start_engine moves what it loaded out of the collector's sight."""
        done = subprocess.run(
            [
                sys.executable,
                "-c",
                "import gc; from report.render.engine import start_engine; "
                "start_engine(); print(gc.get_freeze_count())",
            ],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        )
        assert int(done.stdout.split()[-1]) > 10_000


class TestSizedArrays:
    """WeasyPrint's arrays of any length are made without a C type parsed for each length."""

    def test_same_arrays_no_new_types(self) -> None:
        """An array asked for by its length holds what cffi's would; no type is added."""
        from weasyprint.text.ffi import ffi

        from report.render.fonts import sized_arrays

        sized_arrays()
        ffi.new("hb_codepoint_t[3]", [7, 8, 9])
        parsed = len(ffi._parsed_types)
        for length in (5, 17, 4099):
            values = list(range(length, 2 * length))
            assert list(ffi.new(f"hb_codepoint_t[{length}]", values)) == values
            assert list(ffi.new(f"hb_codepoint_t[{length}]")) == [0] * length
        assert len(ffi._parsed_types) == parsed
        with pytest.raises(IndexError):
            ffi.new("hb_codepoint_t[2]", [1, 2, 3])  # too many values: cffi's own error

    def test_same_bytes(self) -> None:
        """A report renders to the same bytes with cffi's own arrays."""
        from weasyprint.text.ffi import ffi

        from report.assemble import assemble
        from report.render import PdfSettings, epoch_of
        from report.render.html import report_html
        from report.render.pdf import Renderer
        from report.sources import load_sources

        loaded = load_sources(ROOT / "sources")
        assert loaded.publication is not None
        source = loaded.codes[0]
        html = report_html(assemble(source, loaded.publication, None))
        epoch = epoch_of(loaded.publication.model.effective_date)
        settings = PdfSettings(epoch=epoch, code=source.model.code)
        renderer = Renderer()
        sized = renderer.render(html, settings)
        own = vars(ffi).pop("new")
        try:
            plain = renderer.render(html, settings)
        finally:
            ffi.new = own
        assert sized == plain
