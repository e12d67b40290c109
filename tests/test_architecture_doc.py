"""docs/developer/architecture.md shows the build function as the code has it, line for line."""

from __future__ import annotations

import re
import textwrap

from conftest import ROOT

INTRO = "A build reads top to bottom in `report/build/run.py`, stage after stage:"


class TestHowItIsBuilt:
    """The stages the architecture page shows are those report/build/run.py runs."""

    def test_the_build_function_is_quoted_as_it_is(self) -> None:
        """The page's block is the body of build() from its output lock on, dedented."""
        readme = (ROOT / "docs" / "developer" / "architecture.md").read_text(encoding="utf-8")
        match = re.search(re.escape(INTRO) + r"\n\n```python\n(.*?)```", readme, re.DOTALL)
        assert match is not None, "the architecture page no longer shows the build function"
        code = (ROOT / "report" / "build" / "run.py").read_text(encoding="utf-8")
        start = code.index("    with output_lock(out, log):\n")
        body = code[start : code.index("\n    return result\n", start) + 1]
        assert match[1] == textwrap.dedent(body)
