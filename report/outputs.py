"""Write outputs whole or not at all, and describe them in manifest.json."""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, TypeVar

from report import __version__
from report.errors import WriteError

if TYPE_CHECKING:  # the report model: a no-op build loads none of it
    from report.assemble import PublicationInfo

T = TypeVar("T")
# atomic_stream's temporary files: ".NAME.RANDOM.tmp" beside NAME.
TEMP_SUFFIX = ".tmp"
_TEMPORARY = re.compile(r"\..+\.[a-z0-9_]{8}" + re.escape(TEMP_SUFFIX))
WRITERS = 8  # threads that write_all stages files with


@dataclass(frozen=True)
class OutputFile:
    """One file written under the output folder, as the manifest lists it."""

    path: str
    kind: str
    code: str | None
    pages: int | None
    bytes: int
    sha256: str


def atomic_stream(
    path: Path, write: Callable[[BinaryIO], T], durable: bool = True, replace: bool = True
) -> T:
    """Let write fill a temporary file beside path, then rename it into place.

    durable syncs the data to disk before the rename; a cache whose damaged files are
    simply read as missing can do without. Without replace, the file is linked into
    place only if none is there (FileExistsError otherwise), never overwriting one
    written meanwhile. When the system refuses (a full disk, a read-only or vanished
    folder), the temporary file is removed and WriteError names path.
    """
    temp, result = _stage(path, write, durable)
    _commit(temp, path, replace)
    if durable:
        _sync_folder(path.parent)
    return result


def write_all(files: Sequence[tuple[Path, bytes]]) -> None:
    """Write every file or, when the system refuses one, none.

    Each is written and synced to a temporary file first, and all are renamed into place
    once all are written. Many files are written by a few threads at once: each waits
    on the disk's sync, which lets the others go on (and the file system commits their
    syncs together).
    """
    if len(files) <= 1:
        results = [_staged(path, data) for path, data in files]
    else:
        with ThreadPoolExecutor(min(WRITERS, len(files))) as pool:
            results = list(pool.map(lambda item: _staged(*item), files))
    staged = [
        (temp, path)
        for (path, _), temp in zip(files, results, strict=True)
        if isinstance(temp, Path)
    ]
    failed = next((e for e in results if isinstance(e, BaseException)), None)
    if failed is not None:
        for temp, _ in staged:
            _discard(temp)
        raise failed
    for number, (temp, path) in enumerate(staged):
        try:
            _commit(temp, path, True)
        except BaseException:
            for later, _ in staged[number + 1 :]:
                _discard(later)
            raise
    for folder in sorted({path.parent for _, path in staged}):
        _sync_folder(folder)


def _staged(path: Path, data: bytes) -> Path | BaseException:
    """Stage data for path; return its temporary file, or what the system refused."""
    try:
        return _stage(path, _writing(data), True)[0]
    except BaseException as exc:  # raised once every other file is staged or refused
        return exc


def _writing(data: bytes) -> Callable[[BinaryIO], int]:
    """Return a writer of data, for _stage."""
    return lambda handle: handle.write(data)


def _stage(path: Path, write: Callable[[BinaryIO], T], durable: bool) -> tuple[Path, T]:
    """Fill a new temporary file beside path with write; return it and what write returned."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TEMP_SUFFIX, dir=path.parent)
    except OSError as exc:
        raise WriteError.of(path, exc) from exc
    temp = Path(name)
    try:
        with os.fdopen(fd, "wb") as handle:
            result = write(handle)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.chmod(temp, 0o644)
    except BaseException as exc:
        _discard(temp)
        # Only a refusal to write this file is WriteError: write() may also read others.
        if isinstance(exc, OSError) and exc.filename in (None, name):
            raise WriteError.of(path, exc) from exc
        raise
    return temp, result


def _commit(temp: Path, path: Path, replace: bool) -> None:
    """Rename temp to path (without replace: link it, only if path does not exist)."""
    try:
        if replace:
            os.replace(temp, path)
        else:
            os.link(temp, path)
            os.unlink(temp)
    except FileExistsError:
        _discard(temp)
        raise
    except OSError as exc:
        _discard(temp)
        raise WriteError.of(path, exc) from exc
    except BaseException:
        _discard(temp)
        raise


def _discard(temp: Path) -> None:
    """Remove a temporary file, if the system lets it (a vanished folder took it anyway)."""
    with suppress(OSError):
        temp.unlink(missing_ok=True)


def _sync_folder(folder: Path) -> None:
    """Make a rename in folder durable (where the system lets a folder be synced)."""
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def remove_temporaries(folder: Path) -> list[Path]:
    """Delete the temporary files an interrupted build left under folder; return them.

    Only safe while no other build writes there: call it holding the folder's lock.
    """
    removed = []
    for path in sorted(folder.rglob(f".*{TEMP_SUFFIX}")):
        if _TEMPORARY.fullmatch(path.name) and path.is_file():
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def atomic_write(path: Path, data: bytes, durable: bool = True, replace: bool = True) -> None:
    """Write data to path through a temporary file renamed into place (see atomic_stream)."""
    atomic_stream(path, lambda handle: handle.write(data), durable, replace)


def manifest_bytes(
    publication: PublicationInfo, files: list[OutputFile], extra: dict[str, Any] | None = None
) -> bytes:
    """Return manifest.json: the edition, the builder version and every file's hash.

    extra adds keys before "files" (a release's version, engine and sources).
    """
    manifest = {
        "edition": publication.edition,
        "effective_date": publication.effective_date.isoformat(),
        "builder_version": __version__,
        **(extra or {}),
        "files": [asdict(f) for f in sorted(files, key=lambda f: f.path)],
    }
    return (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
