"""Write every stream WeasyPrint writes: compressed at zlib's level 6, ended unambiguously.

pydyf compresses each stream at zlib's level 9; at level 6, zlib's own default, the sample
report is 1.8 % larger and a whole render takes 6 % less time (`benchmarks/layout.py`: the
sample and three large generated reports, summed medians of 7 runs, 0.97-1.00 s of CPU
time at level 9, 0.93 s at level 6).

pydyf writes a stream as `stream LF data LF endstream`. When the data ends with a carriage
return (a compressed stream does once in 256: its last byte is its checksum's), the bytes
before `endstream` read CR LF, which a reader may take for the end-of-line marker, one
byte longer than the LF written: PDF/A (ISO 19005-2 and -3, 6.1.7.1), which counts the
stream's /Length up to that marker, then finds it one byte short. Such a stream is
written `data CR LF endstream`: the marker is CR LF and the data keeps its CR.

pydyf serialises every object twice: once to write it, and once more, all of them, to
hash the file for the second half of its /ID; each stream is compressed both times. While
one PDF is written, each stream's and dictionary's bytes are kept from the first time and
given again the second (nothing changes an object while pydyf writes the file): a report
is written in about half the time, the bytes the same (tests/test_tagging.py).

All this holds while the body of `written_streams` runs; pydyf is left as it was after it.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pydyf

_END = b"\nendstream"
LEVEL = 6  # zlib's own default; pydyf uses 9


def stream_bytes(stream: pydyf.Stream) -> bytes:
    """Return a stream as pydyf writes it, compressed at LEVEL, with an unambiguous end."""
    data = b"\n".join(pydyf._to_bytes(item) for item in stream.stream)
    extra = pydyf.Dictionary(stream.extra.copy())
    if stream.compress:
        extra["Filter"] = "/FlateDecode"
        compressor = zlib.compressobj(level=LEVEL)
        data = compressor.compress(data) + compressor.flush()
    extra["Length"] = len(data)
    text = b"\n".join((extra.data, b"stream", data, b"endstream"))
    if text.endswith(b"\r" + _END):
        return text[: -len(_END)] + b"\r" + _END
    return text


def _kept(data: Callable[[Any], bytes], kept: dict[int, tuple[object, bytes]]) -> property:
    """Return a data property that gives an object's bytes again once made, from kept."""

    def once(item: object) -> bytes:
        found = kept.get(id(item))
        if found is None:
            found = kept[id(item)] = (item, data(item))  # the object kept alive: its id stays
        return found[1]

    return property(once)


def _writing_once(write: Callable[..., Any]) -> Callable[..., Any]:
    """Return pydyf's PDF.write making each stream's and dictionary's bytes once per file."""

    def write_once(pdf: pydyf.PDF, *args: Any, **kwargs: Any) -> Any:
        kept: dict[int, tuple[object, bytes]] = {}
        made = [(kind, kind.__dict__["data"]) for kind in (pydyf.Stream, pydyf.Dictionary)]
        for kind, data in made:
            kind.data = _kept(data.fget, kept)
        try:
            return write(pdf, *args, **kwargs)
        finally:
            for kind, data in made:
                kind.data = data

    return write_once


@contextmanager
def written_streams() -> Iterator[None]:
    """Write streams at LEVEL, ended unambiguously, each object's bytes made once, in the body."""
    original_data = pydyf.Stream.__dict__["data"]
    original_write = pydyf.PDF.__dict__["write"]
    pydyf.Stream.data = property(stream_bytes)
    pydyf.PDF.write = _writing_once(original_write)
    try:
        yield
    finally:
        pydyf.Stream.data = original_data
        pydyf.PDF.write = original_write
