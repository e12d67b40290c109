"""How the volume's parts are written and cached: shared by reading, placing and writing."""

from __future__ import annotations

import sys

# Objects per object stream written, and their zlib level (1: fast, a little larger).
OBJECTS_PER_STREAM = 1000
COMPRESSION = 1
# Cache files of placed reports: names start with these; CHUNK_FORMAT changes with their format.
FACTS_PREFIX = "volume-facts-"
PART_PREFIX = "volume-part-"
CHUNK_FORMAT = f"4-{sys.byteorder}"
