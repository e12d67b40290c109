"""Rendering on a Dask cluster: same outputs as local workers, gathered back and written."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import SAMPLE_SOURCES

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def scheduler():
    """Start a local Dask cluster with one worker process, and yield its address."""
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        yield cluster.scheduler_address


class TestScheduler:
    """--scheduler ADDRESS renders on the cluster and writes the usual outputs."""

    def test_outputs_match_a_local_build(
        self, scheduler: str, sample_build: Path, cli, tmp_path: Path
    ) -> None:
        """Each PDF rendered on the cluster has the same bytes as the local build's."""
        out = tmp_path / "out"
        result = cli(
            "build", "--sources", str(SAMPLE_SOURCES), "--out", str(out), "--scheduler", scheduler
        )
        assert result.code == 0, result.stderr
        assert "rendered 2 reports" in result.stderr
        for name in ("74440.pdf", "55300.pdf", "volume.pdf"):
            assert (out / name).read_bytes() == (sample_build / name).read_bytes(), name

    def test_unreachable_scheduler_is_a_usage_error(self, cli, tmp_path: Path) -> None:
        """An address with no scheduler exits 2 with a message, not a traceback."""
        result = cli(
            "build",
            "--sources",
            str(SAMPLE_SOURCES),
            "--out",
            str(tmp_path / "o"),
            "--scheduler",
            "tcp://127.0.0.1:9",
        )
        assert result.code == 2, result.stderr
        assert "cannot reach the Dask scheduler" in result.stderr
        assert "Traceback" not in result.stderr
