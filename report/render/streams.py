"""End every stream WeasyPrint writes unambiguously: CR LF before endstream after a CR.

pydyf writes a stream as `stream LF data LF endstream`. When the data ends with a carriage
return (a compressed stream does once in 256: its last byte is its checksum's), the bytes
before `endstream` read CR LF, which a reader may take for the end-of-line marker, one
byte longer than the LF written: PDF/A (ISO 19005-2 and -3, 6.1.7.1), which counts the
stream's /Length up to that marker, then finds it one byte short. While the body of
`unambiguous_stream_ends` runs, such a stream is written `data CR LF endstream`: the
marker is CR LF and the data keeps its CR. Every other stream is written as pydyf writes
it, byte for byte.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pydyf

_END = b"\nendstream"


def _ends_unambiguously(written: Callable[[pydyf.Stream], bytes]) -> property:
    """Return pydyf's Stream.data property, with CR LF before endstream after a CR."""

    def data(stream: pydyf.Stream) -> bytes:
        text = written(stream)
        if text.endswith(b"\r" + _END):
            return text[: -len(_END)] + b"\r" + _END
        return text

    return property(data)


@contextmanager
def unambiguous_stream_ends() -> Iterator[None]:
    """Write CR LF before endstream after stream data that ends with CR, in the body."""
    original = pydyf.Stream.__dict__["data"]
    pydyf.Stream.data = _ends_unambiguously(original.fget)
    try:
        yield
    finally:
        pydyf.Stream.data = original
