"""Work through many code sources at once: in forked worker processes when there are many.

A sources folder of the whole fee schedule holds some 15,600 code sources, and reading and
checking one takes about half a millisecond: `check` and `import-pfs` share them among
the cores. The workers are forked, so they inherit what the command has read already
(the publication, the relative value file) and the work itself; each sends back only
what its sources come to (their findings, whether they change), never their trees.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from typing import Any, TypeVar, cast

T = TypeVar("T")
R = TypeVar("R")

PARALLEL_FROM = 1_500  # fewer sources are done sooner in one process than workers start
CHUNK = 200  # sources a worker takes at a time

# The work of the pool being run: set before its workers fork, which inherit it.
_work: tuple[Callable[[Any], Any], Sequence[Any]] | None = None


def cores() -> int:
    """Return the number of cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _run(index: int) -> object:
    """Do the inherited work on the item at index (in a worker)."""
    assert _work is not None, "a worker runs only work set before it forked"
    work, items = _work
    return work(items[index])


def each(work: Callable[[T], R], items: Sequence[T], jobs: int | None = None) -> list[R]:
    """Return work(item) for every item, in order: in forked workers when there are enough.

    jobs is the number of processes (default: the cores this process may use); one, few
    items or a system without fork keep the work in this process.
    """
    global _work
    jobs = cores() if jobs is None else jobs
    if (
        jobs < 2
        or len(items) < PARALLEL_FROM
        or "fork" not in multiprocessing.get_all_start_methods()
    ):
        return [work(item) for item in items]
    _work = (work, items)
    try:
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            return cast(list[R], pool.map(_run, range(len(items)), chunksize=CHUNK))
    finally:
        _work = None
