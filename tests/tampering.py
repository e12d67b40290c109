"""Tampered copies of a release, made as a forger would, and `verify` run on them.

tests/test_verify_hostile.py pairs each damage with the exact messages verify must give.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from conftest import (
    RELEASE,
    ROOT,
    SIGNING_PASSPHRASE,
    Releases,
    SigningKey,
    make_signing_key,
)

from report.release.sign import SigningKey as LoadedKey
from report.release.sign import load_key, sign_pdf

GIB = 1 << 30
Json = dict[str, Any]
# The traversal the first attack used: up to the root, then down to a target of the test's.
CLIMB = "../" * 40


@dataclass
class Context:
    """What a damage function may use, and the values its messages need (by name)."""

    tmp: Path
    releases: Releases
    signing_key: SigningKey
    values: dict[str, object] = field(default_factory=dict)


Damage = Callable[[Path, Context], None]


# --- how a forger damages a copy -----------------------------------------------------------


def write_sums(folder: Path, hidden: bool = False) -> None:
    """Rewrite SHA256SUMS for the regular files there now, as a forger would.

    The web edition's files are listed by their paths in site/.
    """
    lines = []
    paths = sorted(folder.iterdir())
    site = folder / "site"
    if stat.S_ISDIR(site.lstat().st_mode if os.path.lexists(site) else 0):
        paths += sorted(site.rglob("*"))
    for path in paths:
        regular = stat.S_ISREG(path.lstat().st_mode)
        if regular and path.name != "SHA256SUMS" and (hidden or path.name[0] != "."):
            name = path.relative_to(folder).as_posix()
            lines.append(f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {name}\n")
    (folder / "SHA256SUMS").write_text("".join(lines), encoding="utf-8")


def edit_json(folder: Path, name: str, edit: Callable[[Json], object]) -> None:
    """Change a JSON file of the release, written back as the release writes it."""
    path = folder / name
    data = json.loads(path.read_text(encoding="utf-8"))
    data = edit(data) or data
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def edit_sources(pdf: Path, edit: Callable[[pikepdf.Object], None]) -> None:
    """Apply edit to each Source file specification of a PDF, and save it."""
    with pikepdf.open(pdf, allow_overwriting_input=True) as document:
        for spec in document.Root.AF:
            edit(spec)
        document.save(pdf)


def rename_source(pdf: Path, old: str, new: str) -> None:
    """Give an embedded source another name (/UF and /F)."""

    def edit(spec: pikepdf.Object) -> None:
        if str(spec.UF) == old:
            spec.UF = spec.F = pikepdf.String(new)

    edit_sources(pdf, edit)


def replace_source(pdf: Path, name: str, data: bytes) -> None:
    """Replace the bytes of an embedded source (Flate-compressed, as the release writes)."""

    def edit(spec: pikepdf.Object) -> None:
        if str(spec.UF) == name:
            spec.EF.F.write(zlib.compress(data), filter=pikepdf.Name.FlateDecode)

    edit_sources(pdf, edit)


def embedded(pdf: Path, name: str) -> bytes:
    """Return the bytes of an embedded source."""
    with pikepdf.open(pdf) as document:
        return next(spec.EF.F.read_bytes() for spec in document.Root.AF if str(spec.UF) == name)


def traversal(folder: Path, context: Context) -> None:
    """Embed ../…/PWNED.txt in 55300.pdf and list it in the manifest (the first attack)."""
    target = context.tmp / "PWNED.txt"
    name = CLIMB + str(target).lstrip("/")
    rename_source(folder / "55300.pdf", "55300.yaml", name)
    data = embedded(folder / "55300.pdf", name)
    edit_json(
        folder,
        "manifest.json",
        lambda m: m["sources"].append(
            {
                "path": f"codes/{name}",
                "bytes": len(data),
                "sha256": hashlib.sha256(data).hexdigest(),
            }
        ),
    )
    write_sums(folder)
    context.values["target"] = target


def embedded_name(name: str) -> Damage:
    """55300.pdf embeds its source under another name; the manifest is left as it was."""

    def damage(folder: Path, context: Context) -> None:
        rename_source(folder / "55300.pdf", "55300.yaml", name)
        write_sums(folder)

    return damage


def manifest_value(edit: Callable[[Json], object]) -> Damage:
    """Change manifest.json (parsed and written back) and SHA256SUMS to match."""

    def damage(folder: Path, context: Context) -> None:
        edit_json(folder, "manifest.json", edit)
        write_sums(folder)

    return damage


def replace_file(name: str, data: bytes) -> Damage:
    """Replace a file of the release with other bytes, and SHA256SUMS to match."""

    def damage(folder: Path, context: Context) -> None:
        (folder / name).write_bytes(data)
        write_sums(folder)

    return damage


def snapshot_value(edit: Callable[[Json], object]) -> Damage:
    """Change snapshot.json (parsed and written back) and SHA256SUMS to match."""

    def damage(folder: Path, context: Context) -> None:
        edit_json(folder, "snapshot.json", edit)
        write_sums(folder)

    return damage


def snapshot_missing(folder: Path, context: Context) -> None:
    """Delete snapshot.json, and its line of SHA256SUMS."""
    (folder / "snapshot.json").unlink()
    write_sums(folder)


def set_key(*path: str | int, value: object) -> Callable[[Json], None]:
    """Return an edit setting one value of a JSON document by its key path."""

    def edit(data: Any) -> None:
        for key in path[:-1]:
            data = data[key]
        data[path[-1]] = value

    return edit


def appended(folder: Path, context: Context) -> None:
    """`printf x >> CHANGES.md` (and 74440.pdf), SHA256SUMS regenerated."""
    for key, name in (("changes", "CHANGES.md"), ("pdf", "74440.pdf")):
        context.values[key] = (folder / name).stat().st_size
        context.values[key + "_plus"] = (folder / name).stat().st_size + 1
        with (folder / name).open("ab") as handle:
            handle.write(b"x")
    write_sums(folder)


def truncated(folder: Path, context: Context) -> None:
    """Cut 74440.pdf in half; SHA256SUMS left as it was."""
    path = folder / "74440.pdf"
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def swapped(folder: Path, context: Context) -> None:
    """Exchange the names of the two reports, SHA256SUMS regenerated."""
    (folder / "55300.pdf").rename(folder / "swap")
    (folder / "74440.pdf").rename(folder / "55300.pdf")
    (folder / "swap").rename(folder / "74440.pdf")
    write_sums(folder)


def tampered_source(folder: Path, context: Context) -> None:
    """74440.pdf embeds a 74440.yaml with another Work RVU, SHA256SUMS regenerated."""
    pdf = folder / "74440.pdf"
    replace_source(pdf, "74440.yaml", embedded(pdf, "74440.yaml").replace(b"0.38", b"0.48", 1))
    write_sums(folder)


def source_bomb(folder: Path, context: Context) -> None:
    """74440.pdf embeds 2 MiB of YAML compressed to a few kilobytes."""
    replace_source(folder / "74440.pdf", "74440.yaml", b"#" * (2 << 20))
    write_sums(folder)


def other_key(context: Context) -> LoadedKey:
    """Return another signer's key, loaded."""
    other = make_signing_key(context.tmp / "other-key", "Someone Else")
    return load_key(other.p12, SIGNING_PASSPHRASE)


def resigned_one(folder: Path, context: Context) -> None:
    """74440.pdf's signature replaced: its unsigned bytes signed by another key."""
    key = other_key(context)
    unsigned = (context.releases.first / "74440.pdf").read_bytes()
    (folder / "74440.pdf").write_bytes(sign_pdf(unsigned, key, RELEASE))
    write_sums(folder)
    context.values["fingerprint"] = key.fingerprint[:16]


def resigned_all(folder: Path, context: Context) -> None:
    """Every PDF signed by another key, and the manifest naming it: consistent but untrusted."""
    key = other_key(context)
    for name in ("55300.pdf", "74440.pdf", "volume.pdf"):
        unsigned = (context.releases.first / name).read_bytes()
        (folder / name).write_bytes(sign_pdf(unsigned, key, RELEASE))
        shutil.copyfile(folder / name, folder / "site" / "pdf" / name)  # the site's copy
    edit_json(folder, "manifest.json", set_key("signing", value=key.manifest_entry()))
    write_sums(folder)


def unsigned_pdf(folder: Path, context: Context) -> None:
    """74440.pdf of a signed release replaced by its unsigned bytes."""
    shutil.copyfile(context.releases.first / "74440.pdf", folder / "74440.pdf")
    write_sums(folder)


def symlinks(folder: Path, context: Context) -> None:
    """Symbolic links: 55300-copy.pdf to 55300.pdf, and 74440.pdf to a named pipe outside.

    55300-copy.pdf is beside 55300.pdf and listed in SHA256SUMS with that file's hash; the
    link that replaces 74440.pdf would block if followed.
    """
    (folder / "55300-copy.pdf").symlink_to("55300.pdf")
    digest = hashlib.sha256((folder / "55300.pdf").read_bytes()).hexdigest()
    with (folder / "SHA256SUMS").open("a", encoding="utf-8") as sums:
        sums.write(f"{digest}  55300-copy.pdf\n")
    outside = context.tmp / "outside"
    outside.mkdir()
    os.mkfifo(outside / "pipe")
    (folder / "74440.pdf").unlink()
    (folder / "74440.pdf").symlink_to(outside / "pipe")


def extras(folder: Path, context: Context) -> None:
    """Add a hidden file and a subfolder; leave SHA256SUMS as it was."""
    (folder / ".notes.html").write_text("<p>notes</p>", encoding="utf-8")
    (folder / "extra").mkdir()
    (folder / "extra" / "fees.html").write_text("<p>fees</p>", encoding="utf-8")


def hidden_listed(folder: Path, context: Context) -> None:
    """Add a hidden file and list it in SHA256SUMS."""
    (folder / ".notes.html").write_text("<p>notes</p>", encoding="utf-8")
    write_sums(folder, hidden=True)


def special_files(folder: Path, context: Context) -> None:
    """74440.pdf replaced by a named pipe (a blocking read would hang), and a device added."""
    (folder / "74440.pdf").unlink()
    os.mkfifo(folder / "74440.pdf")
    try:
        os.mknod(folder / "null", stat.S_IFCHR | 0o600, os.makedev(1, 3))
    except PermissionError:
        pytest.skip("making a device node needs root (as in CI)")


def sums_lines(*lines: str, before: str | None = None, raw: bytes = b"") -> Damage:
    """Add lines to SHA256SUMS: at the end, or before the line naming `before`."""

    def damage(folder: Path, context: Context) -> None:
        path = folder / "SHA256SUMS"
        text = path.read_text(encoding="utf-8").splitlines(keepends=True)
        at = next((i for i, line in enumerate(text) if line.endswith(f"  {before}\n")), len(text))
        text[at:at] = [line + "\n" for line in lines]
        path.write_bytes("".join(text).encode("utf-8") + raw)

    return damage


def listed_line(name: str) -> Callable[[Path], str]:
    """Return the SHA256SUMS line the release has for name."""
    return lambda folder: next(
        line
        for line in (folder / "SHA256SUMS").read_text(encoding="utf-8").splitlines()
        if line.endswith(f"  {name}")
    )


def malformed_sums(folder: Path, context: Context) -> None:
    """Lines added to SHA256SUMS: malformed ones, names that are no file's, a duplicate.

    Its messages name the added lines as line0, line1, ... (the site's files come first).
    """
    listed = len((folder / "SHA256SUMS").read_text(encoding="utf-8").splitlines())
    context.values.update({f"line{i}": listed + 1 + i for i in range(15)})
    sums_lines(
        "not a sum",
        "0" * 64 + " 74440.pdf",
        "0" * 64 + "  extra/fees.html",
        "0" * 64 + "  ..",
        "0" * 64 + "  a\\b",
        "0" * 64 + "  tab\there",
        "0" * 64 + "  site/../manifest.json",
        "0" * 64 + "  site//index.html",
        "0" * 64 + "  site/./index.html",
        "0" * 64 + "  site/pagefind/fragment/a/b.html",
        "0" * 64 + "  /site/index.html",
        "0" * 64 + "  site/codes",
        "",
        listed_line("CHANGES.md")(folder),
        raw=b"\xff\n",
    )(folder, context)


def site_link(folder: Path, context: Context) -> None:
    """site/codes/evil.html a link to a file outside, listed in SHA256SUMS with its hash."""
    outside = context.tmp / "outside.html"
    outside.write_text("<p>outside</p>", encoding="utf-8")
    (folder / "site" / "codes" / "evil.html").symlink_to(outside)
    digest = hashlib.sha256(outside.read_bytes()).hexdigest()
    with (folder / "SHA256SUMS").open("a", encoding="utf-8") as sums:
        sums.write(f"{digest}  site/codes/evil.html\n")


def site_specials(folder: Path, context: Context) -> None:
    """Put a named pipe among the site's pages, and a folder deeper than the site goes."""
    os.mkfifo(folder / "site" / "codes" / "pipe.html")
    deep = folder / "site" / "pagefind" / "fragment" / "deeper"
    deep.mkdir()
    (deep / "x.html").write_text("<p>deep</p>", encoding="utf-8")


def site_page_forged(folder: Path, context: Context) -> None:
    """site/codes/74440.html replaced by a page with a script, SHA256SUMS to match."""
    page = folder / "site" / "codes" / "74440.html"
    context.values["size"] = page.stat().st_size
    page.write_bytes(b"<script>alert(1)</script>")
    write_sums(folder)


def huge(name: str) -> Damage:
    """Make a file 10 GiB long without writing it (sparse), SHA256SUMS left as it was."""

    def damage(folder: Path, context: Context) -> None:
        os.truncate(folder / name, 10 * GIB)

    return damage


# --- running verify and checking it wrote nothing ------------------------------------------


def tree(folder: Path) -> dict[str, tuple[int, int, str]]:
    """Describe every entry under folder without following links or opening special files."""
    found = {}
    for path in sorted(folder.rglob("*")):
        info = path.lstat()
        content = ""
        if stat.S_ISREG(info.st_mode) and info.st_size <= 64 << 20:
            content = hashlib.sha256(path.read_bytes()).hexdigest()
        elif stat.S_ISLNK(info.st_mode):
            content = os.readlink(path)
        found[str(path.relative_to(folder))] = (info.st_mode, info.st_size, content)
    return found


@dataclass(frozen=True)
class Outcome:
    """What `verify` printed and returned."""

    code: int
    problems: list[str]
    last: str
    stderr: str


def run_verify(folder: Path, temp: Path, *args: str) -> Outcome:
    """Run `build.py verify folder ARGS` with TMPDIR=temp."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "build.py"), "verify", str(folder), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "TMPDIR": str(temp)},
    )
    lines = done.stderr.splitlines()
    problems = [line for line in lines[:-1] if line.startswith(str(folder))]
    return Outcome(done.returncode, problems, lines[-1] if lines else "", done.stderr)
