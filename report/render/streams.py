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

Both hold while the body of `written_streams` runs; pydyf is left as it was after it.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from contextlib import contextmanager

import pydyf

_END = b"\nendstream"
LEVEL = 6  # zlib's own default; pydyf uses 9


def _data(stream: pydyf.Stream) -> bytes:
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


@contextmanager
def written_streams() -> Iterator[None]:
    """Write streams at LEVEL, with CR LF before endstream after a CR, in the body."""
    original = pydyf.Stream.__dict__["data"]
    pydyf.Stream.data = property(_data)
    try:
        yield
    finally:
        pydyf.Stream.data = original
