"""How the volume's parts are written and cached: shared by reading, placing and writing."""

from __future__ import annotations

import sys

# Objects per object stream written, and their zlib level (1: fast, a little larger).
OBJECTS_PER_STREAM = 1000
COMPRESSION = 1
# Cache files of placed reports: names start with these; CHUNK_FORMAT changes with their format.
FACTS_PREFIX = "volume-facts-"
PART_PREFIX = "volume-part-"
CHUNK_FORMAT = f"5-{sys.byteorder}"


def stream_end(data: bytes) -> bytes:
    """Return what follows a stream's data: its end-of-line marker and `endstream`.

    LF, but CR LF after data that ends with CR: `CR LF endstream` would otherwise read as
    a two-byte marker, and the stream one byte shorter than its /Length (PDF/A, 6.1.7.1;
    report/render/streams.py does the same for WeasyPrint's streams).
    """
    return b"\r\nendstream" if data.endswith(b"\r") else b"\nendstream"
