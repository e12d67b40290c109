"""Many sources in worker processes: the same results, in the same order, as in one process."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from conftest import PFS_SAMPLE, SAMPLE_SOURCES
from in_process import hashes, run

from report.sources import batch

BROKEN = 'code: "99999"\nsystem: CPT\ntitel: "Broken on purpose"\n'


@pytest.fixture
def forking(monkeypatch: pytest.MonkeyPatch) -> None:
    """Share even a few sources among worker processes."""
    monkeypatch.setattr(batch, "PARALLEL_FROM", 1)
    monkeypatch.setattr(batch, "CHUNK", 2)


def square(n: int) -> int:
    """Return n squared."""
    return n * n


class TestEach:
    """each() gives work(item) for every item, in order, forked or not."""

    @pytest.mark.parametrize("jobs", [1, 2, 3])
    def test_in_order(self, forking: None, jobs: int) -> None:
        assert batch.each(square, list(range(37)), jobs) == [n * n for n in range(37)]

    def test_work_that_cannot_be_pickled_runs_in_workers(self, forking: None) -> None:
        offset = 5
        assert batch.each(lambda n: n + offset, [1, 2, 3], 2) == [6, 7, 8]

    def test_workers_are_other_processes(self, forking: None) -> None:
        pids = set(batch.each(lambda _: os.getpid(), list(range(20)), 2))
        assert pids and os.getpid() not in pids

    def test_few_items_stay_in_this_process(self) -> None:
        assert batch.PARALLEL_FROM > 100
        assert batch.each(lambda n: -n, [1, 2], 2) == [-1, -2]


class TestCommands:
    """check and import-pfs say and write the same with worker processes as without."""

    def folder(self, tmp_path: Path, name: str) -> Path:
        """Return a sources folder: the publication, then every code of the sample file."""
        sources = tmp_path / name
        (sources / "codes").mkdir(parents=True)
        shutil.copyfile(SAMPLE_SOURCES / "publication.yaml", sources / "publication.yaml")
        return sources

    def test_import_and_check(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        outputs = []
        for name, parallel_from in (("serial-folder", 10**9), ("parallel-folder", 1)):
            monkeypatch.setattr(batch, "PARALLEL_FROM", parallel_from)
            monkeypatch.setattr(batch, "CHUNK", 2)
            sources = self.folder(tmp_path, name)
            created = run("import-pfs", str(PFS_SAMPLE), "--sources", str(sources), "--create")
            again = run("import-pfs", str(PFS_SAMPLE), "--sources", str(sources), "--create")
            (sources / "codes" / "99999.yaml").write_text(BROKEN, encoding="utf-8")
            checked = run("check", "--sources", str(sources))
            refused = run("import-pfs", str(PFS_SAMPLE), "--sources", str(sources))
            outputs.append(
                [
                    (r.exit_code, r.stdout.replace(name, "X"), r.stderr.replace(name, "X"))
                    for r in (created, again, checked, refused)
                ]
                + [hashes(sources)]
            )
        one, many = outputs
        assert one == many
        assert one[0][0] == 0 and "11 created" in one[0][2]
        assert "11 up to date" in one[1][2]
        assert one[2][0] == 1 and 'unknown key "titel"' in one[2][2]
        assert one[3][0] == 1 and 'unknown key "titel"' in one[3][2]
