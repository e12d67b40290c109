"""Same sources, same bytes: with HarfBuzz's subsetter and with the fontTools fallback."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from conftest import ROOT, SAMPLE_SOURCES

# Imported by every Python process of the build (the build, the fork server, the workers)
# through PYTHONPATH: WeasyPrint as it is without libharfbuzz-subset0.
WITHOUT_HARFBUZZ_SUBSET = textwrap.dedent("""
    import weasyprint.pdf.fonts as fonts
    import weasyprint.text.ffi as ffi
    ffi.harfbuzz_subset = None
    fonts.harfbuzz_subset = None
""")
FALLBACK_BUILD = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from report.build import BuildOptions, build
    sources, first, second = (Path(arg) for arg in sys.argv[1:4])
    options = BuildOptions(jobs=1)
    build(sources, first, options, log=lambda line: print(line, file=sys.stderr))
    time.sleep(1.2)  # a clock-stamped font subset would now differ
    build(sources, second, options, log=lambda line: print(line, file=sys.stderr))
""")


class TestFontSubsetFallback:
    """Without libharfbuzz-subset0 the builder warns and still gives identical bytes."""

    def test_fallback_builds_are_identical_and_warned(self, tmp_path: Path) -> None:
        """Two fallback builds a second apart give the same PDF, and the build says why."""
        first, second = tmp_path / "one", tmp_path / "two"
        (tmp_path / "site").mkdir()
        (tmp_path / "site" / "sitecustomize.py").write_text(WITHOUT_HARFBUZZ_SUBSET)
        env = {**os.environ, "PYTHONPATH": str(tmp_path / "site")}
        done = subprocess.run(
            [sys.executable, "-c", FALLBACK_BUILD, str(SAMPLE_SOURCES), str(first), str(second)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
            env=env,
        )
        assert done.returncode == 0, done.stderr
        assert "libharfbuzz-subset0" in done.stderr
        assert "font subsets are dated from the effective date" in done.stderr
        for name in ("74440.pdf", "volume.pdf"):
            assert (first / name).read_bytes() == (second / name).read_bytes(), name
