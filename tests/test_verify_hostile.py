"""`verify DIR` on tampered releases: each is refused with its exact messages, never a
traceback, and verify writes nothing but in its own temporary folder.

Every case copies a session release (conftest.py), damages the copy as a forger would,
and runs `build.py verify` with TMPDIR pointed at a folder of its own. Afterwards the
release folder must be as it was, that TMPDIR empty again, and nothing else new under the
test's folder (where the traversal attack aims). `{R}` in a message stands for the
release folder. Cases refused before the rebuild do not render anything; those that pass
that point rebuild once (about a second each).
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

from report.release.folder import ReleaseFolder
from report.release.sign import SigningKey as LoadedKey
from report.release.sign import load_key, sign_pdf
from report.release.verify import first_difference

GIB = 1 << 30
SOURCE_NAMES = "publication.yaml or CODE.yaml (CODE a CPT or HCPCS code)"
SOURCE_PATHS = "publication.yaml or codes/CODE.yaml (CODE a CPT or HCPCS code)"
NOT_OWN = "which is not its own: a report embeds publication.yaml and its code's source only"
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
    """Rewrite SHA256SUMS for the regular files there now, as a forger would."""
    lines = []
    for path in sorted(folder.iterdir()):
        regular = stat.S_ISREG(path.lstat().st_mode)
        if regular and path.name != "SHA256SUMS" and (hidden or path.name[0] != "."):
            lines.append(f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {path.name}\n")
    (folder / "SHA256SUMS").write_text("".join(lines), encoding="utf-8")


def edit_json(folder: Path, name: str, edit: Callable[[dict], object]) -> None:
    """Change a JSON file of the release, written back as the release writes it."""
    path = folder / name
    data = json.loads(path.read_text(encoding="utf-8"))
    data = edit(data) or data
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def edit_sources(pdf: Path, edit: Callable[[pikepdf.Dictionary], None]) -> None:
    """Apply edit to each Source file specification of a PDF, and save it."""
    with pikepdf.open(pdf, allow_overwriting_input=True) as document:
        for spec in document.Root.AF:
            edit(spec)
        document.save(pdf)


def rename_source(pdf: Path, old: str, new: str) -> None:
    """Give an embedded source another name (/UF and /F)."""
    def edit(spec: pikepdf.Dictionary) -> None:
        if str(spec.UF) == old:
            spec.UF = spec.F = pikepdf.String(new)
    edit_sources(pdf, edit)


def replace_source(pdf: Path, name: str, data: bytes) -> None:
    """Replace the bytes of an embedded source (Flate-compressed, as the release writes)."""
    def edit(spec: pikepdf.Dictionary) -> None:
        if str(spec.UF) == name:
            spec.EF.F.write(zlib.compress(data), filter=pikepdf.Name.FlateDecode)
    edit_sources(pdf, edit)


def embedded(pdf: Path, name: str) -> bytes:
    """Return the bytes of an embedded source."""
    with pikepdf.open(pdf) as document:
        return next(spec.EF.F.read_bytes() for spec in document.Root.AF if str(spec.UF) == name)


def traversal(folder: Path, context: Context) -> None:
    """The first attack: 55300.pdf embeds ../…/PWNED.txt, and the manifest lists it."""
    target = context.tmp / "PWNED.txt"
    name = CLIMB + str(target).lstrip("/")
    rename_source(folder / "55300.pdf", "55300.yaml", name)
    data = embedded(folder / "55300.pdf", name)
    edit_json(folder, "manifest.json", lambda m: m["sources"].append(
        {"path": f"codes/{name}", "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}))
    write_sums(folder)
    context.values["target"] = target


def embedded_name(name: str) -> Damage:
    """55300.pdf embeds its source under another name; the manifest is left as it was."""
    def damage(folder: Path, context: Context) -> None:
        rename_source(folder / "55300.pdf", "55300.yaml", name)
        write_sums(folder)
    return damage


def manifest_value(edit: Callable[[dict], object]) -> Damage:
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


def snapshot_value(edit: Callable[[dict], object]) -> Damage:
    """Change snapshot.json (parsed and written back) and SHA256SUMS to match."""
    def damage(folder: Path, context: Context) -> None:
        edit_json(folder, "snapshot.json", edit)
        write_sums(folder)
    return damage


def set_key(*path: str | int, value: object) -> Callable[[dict], None]:
    """Return an edit setting one value of a JSON document by its key path."""
    def edit(data: dict) -> None:
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
    path.write_bytes(path.read_bytes()[:path.stat().st_size // 2])


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
    edit_json(folder, "manifest.json", set_key("signing", value=key.manifest_entry()))
    write_sums(folder)


def unsigned_pdf(folder: Path, context: Context) -> None:
    """74440.pdf of a signed release replaced by its unsigned bytes."""
    shutil.copyfile(context.releases.first / "74440.pdf", folder / "74440.pdf")
    write_sums(folder)


def symlink_out(folder: Path, context: Context) -> None:
    """74440.pdf replaced by a symbolic link to a named pipe outside: following it would block."""
    outside = context.tmp / "outside"
    outside.mkdir()
    os.mkfifo(outside / "pipe")
    (folder / "74440.pdf").unlink()
    (folder / "74440.pdf").symlink_to(outside / "pipe")


def symlink_in(folder: Path, context: Context) -> None:
    """A symbolic link to 74440.pdf beside it, listed in SHA256SUMS with that file's hash."""
    (folder / "74440-copy.pdf").symlink_to("74440.pdf")
    digest = hashlib.sha256((folder / "74440.pdf").read_bytes()).hexdigest()
    with (folder / "SHA256SUMS").open("a", encoding="utf-8") as sums:
        sums.write(f"{digest}  74440-copy.pdf\n")


def extras(folder: Path, context: Context) -> None:
    """A hidden file and a subfolder added; SHA256SUMS left as it was."""
    (folder / ".notes.html").write_text("<p>notes</p>", encoding="utf-8")
    (folder / "extra").mkdir()
    (folder / "extra" / "fees.html").write_text("<p>fees</p>", encoding="utf-8")


def hidden_listed(folder: Path, context: Context) -> None:
    """A hidden file added and listed in SHA256SUMS."""
    (folder / ".notes.html").write_text("<p>notes</p>", encoding="utf-8")
    write_sums(folder, hidden=True)


def special_files(folder: Path, context: Context) -> None:
    """74440.pdf replaced by a named pipe (a blocking read would hang), and a device added."""
    (folder / "74440.pdf").unlink()
    os.mkfifo(folder / "74440.pdf")
    os.mknod(folder / "null", stat.S_IFCHR | 0o600, os.makedev(1, 3))


def sums_lines(*lines: str, before: str | None = None, raw: bytes = b"") -> Damage:
    """Add lines to SHA256SUMS: at the end, or before the line naming `before`."""
    def damage(folder: Path, context: Context) -> None:
        path = folder / "SHA256SUMS"
        text = path.read_text(encoding="utf-8").splitlines(keepends=True)
        at = next((i for i, line in enumerate(text) if line.endswith(f"  {before}\n")),
                  len(text))
        text[at:at] = [line + "\n" for line in lines]
        path.write_bytes("".join(text).encode("utf-8") + raw)
    return damage


def listed_line(name: str) -> Callable[[Path], str]:
    """Return the SHA256SUMS line the release has for name."""
    return lambda folder: next(line for line in (folder / "SHA256SUMS").read_text(
        encoding="utf-8").splitlines() if line.endswith(f"  {name}"))


def duplicated(folder: Path, context: Context) -> None:
    """The CHANGES.md line of SHA256SUMS written twice."""
    sums_lines(listed_line("CHANGES.md")(folder))(folder, context)


def huge(name: str) -> Damage:
    """Make a file 10 GiB long without writing it (sparse), SHA256SUMS left as it was."""
    def damage(folder: Path, context: Context) -> None:
        os.truncate(folder / name, 10 * GIB)
    return damage


# --- the corpus: each damage with the exact messages it must produce -----------------------

@dataclass(frozen=True)
class Case:
    """One tampered release: how it is made, and what verify must say of it."""

    name: str
    damage: Damage
    messages: tuple[str, ...]
    base: str = "first"  # which session release it copies: first, changed or signed
    trust: bool = False
    rebuilds: bool = False  # the sources are sound: verify renders the release again

    def __str__(self) -> str:
        return self.name


SIGNED_BY_OTHER = ("{R}/74440.pdf:1:1: signed by Common Name: Someone Else (certificate SHA-256 "
                   "{fingerprint}…), not by the release's signer named in manifest.json")
NOT_TRUSTED = "{R}/%s:1:1: its signer Common Name: Someone Else is not trusted by the given " \
              "certificate"
CASES = [
    Case("traversal with manifest entry", traversal, (
        '{R}/manifest.json:1:1: "sources"[3]["path"] must be ' + SOURCE_PATHS + ", not the "
        'string "codes/' + "../" * 17 + '.…',)),
    *(Case(f"embedded name {label}", embedded_name(name), (
        f"{{R}}/55300.pdf:1:1: embeds a file named {shown}, which is no source: a release "
        f"embeds {SOURCE_NAMES}",
        "{R}/55300.pdf:1:1: does not embed 55300.yaml"))
      for label, name, shown in (
          ("../../PWNED.txt", "../../PWNED.txt", '"../../PWNED.txt"'),
          ("absolute", "/tmp/x", '"/tmp/x"'),
          ("codes/../../x.yaml", "codes/../../x.yaml", '"codes/../../x.yaml"'),
          ("NUL", "55300\x00.yaml", '"55300\\x00.yaml"'),
          ("backslash", "..\\55300.yaml", '"..\\55300.yaml"'),
          ("deep traversal", CLIMB + "tmp/x.yaml", '"' + "../" * 19 + '..…"'))),
    Case("unsigned release with --trust", lambda folder, context: None, (
        '{R}/manifest.json:1:1: "signing" is null: the release is not signed, and --trust '
        "accepts only PDFs signed by the trusted certificate",), base="changed", trust=True),
    Case("signed release, one PDF's signature stripped, --trust", unsigned_pdf, (
        "{R}/74440.pdf:1:1: not signed, but manifest.json says the release is",),
         base="signed", trust=True, rebuilds=True),
    Case("signature replaced by another key's, --trust", resigned_one, (
        SIGNED_BY_OTHER, NOT_TRUSTED % "74440.pdf"), base="signed", trust=True, rebuilds=True),
    Case("every PDF and the manifest re-signed by another key, --trust", resigned_all,
         tuple(NOT_TRUSTED % name for name in ("55300.pdf", "74440.pdf", "volume.pdf")),
         base="signed", trust=True, rebuilds=True),
    Case("hidden file and subfolder", extras, (
        "{R}/extra:1:1: is a folder, not a regular file: not looked into",
        "{R}/.notes.html:1:1: not listed in SHA256SUMS"), rebuilds=True),
    Case("hidden file listed in SHA256SUMS", hidden_listed, (
        "{R}/.notes.html:1:1: not part of the release: the rebuild has no such file",),
         rebuilds=True),
    Case("symbolic link to a pipe outside", symlink_out, (
        "{R}/74440.pdf:1:1: is a symbolic link, not a regular file: not followed",),
         rebuilds=True),
    Case("symbolic link to a file inside", symlink_in, (
        "{R}/74440-copy.pdf:1:1: is a symbolic link, not a regular file: not followed",),
         rebuilds=True),
    Case("named pipe and device", special_files, (
        "{R}/74440.pdf:1:1: is a named pipe, not a regular file: not opened",
        "{R}/null:1:1: is a device, not a regular file: not opened"), rebuilds=True),
    Case("bytes appended, SHA256SUMS regenerated", appended, (
        "{R}/74440.pdf:1:1: differs from the rebuild from the embedded sources (first "
        "difference at byte {pdf}; {pdf_plus} bytes, the rebuild {pdf})",
        "{R}/CHANGES.md:1:1: differs from the rebuild from the embedded sources (first "
        "difference at byte {changes}; {changes_plus} bytes, the rebuild {changes})"),
         rebuilds=True),
    Case("PDF truncated", truncated, (
        "{R}/74440.pdf:1:1: does not match its SHA-256 in SHA256SUMS: the file changed",
        "{R}/74440.pdf:1:1: cannot read the sources it embeds: can't find startxref")),
    Case("two PDFs swapped", swapped, (
        f"{{R}}/55300.pdf:1:1: embeds 74440.yaml, {NOT_OWN}",
        "{R}/55300.pdf:1:1: does not embed 55300.yaml",
        f"{{R}}/74440.pdf:1:1: embeds 55300.yaml, {NOT_OWN}",
        "{R}/74440.pdf:1:1: does not embed 74440.yaml")),
    Case("embedded source changed", tampered_source, (
        "{R}/74440.pdf:1:1: its embedded 74440.yaml is not the codes/74440.yaml that "
        "manifest.json records",)),
    Case("embedded source decompresses beyond 1 MiB", source_bomb, (
        '{R}/74440.pdf:1:1: embeds "74440.yaml" of more than 1,048,576 bytes, more than a '
        "source can be",)),
    Case("wrong SHA256SUMS line before the right one", lambda folder, context: sums_lines(
        "0" * 64 + "  74440.pdf", before="74440.pdf")(folder, context), (
        "{R}/74440.pdf:1:1: does not match its SHA-256 in SHA256SUMS: the file changed",
        '{R}/SHA256SUMS:3:67: "74440.pdf" is listed twice (first on line 2)'), rebuilds=True),
    Case("SHA256SUMS line duplicated", duplicated, (
        '{R}/SHA256SUMS:7:67: "CHANGES.md" is listed twice (first on line 3)',),
         rebuilds=True),
    Case("malformed SHA256SUMS lines", sums_lines(
        "not a sum", "0" * 64 + " 74440.pdf", "0" * 64 + "  extra/fees.html",
        "0" * 64 + "  ..", "0" * 64 + "  a\\b", "0" * 64 + "  tab\there", "",
        raw=b"\xff\n"), (
        "{R}/SHA256SUMS:7:1: not a line of the form `SHA256  NAME`",
        "{R}/SHA256SUMS:8:1: not a line of the form `SHA256  NAME`",
        '{R}/SHA256SUMS:9:67: "extra/fees.html" is not a plain file name: it holds a "/"',
        '{R}/SHA256SUMS:10:67: ".." is not a plain file name: it is ".."',
        '{R}/SHA256SUMS:11:67: "a\\b" is not a plain file name: it holds a "\\"',
        '{R}/SHA256SUMS:12:67: "tab\\there" is not a plain file name: it holds a control '
        "character",
        "{R}/SHA256SUMS:13:1: not a line of the form `SHA256  NAME`",
        "{R}/SHA256SUMS:14:1: not UTF-8 text"), rebuilds=True),
    Case('manifest "sources": [1]', manifest_value(set_key("sources", value=[1])), (
        '{R}/manifest.json:1:1: "sources"[0] must be an object with "path", "bytes" and '
        '"sha256"',)),
    Case("manifest not an object", replace_file("manifest.json", b"[]\n"), (
        '{R}/manifest.json:1:1: must be a release manifest: an object with "version", '
        '"pdf_variant", "engine", "sources" and "signing"',)),
    Case("manifest values of the wrong types", manifest_value(lambda m: m.update(
        version=9, pdf_variant="pdf/x", engine=[], sources="none", signing="yes")), (
        '{R}/manifest.json:1:1: "version" must be a release version, such as "2026.12" or '
        '"1.4.0", not the number 9',
        '{R}/manifest.json:1:1: "pdf_variant" must be "pdf/ua-1" or "pdf/a-3b", not the '
        'string "pdf/x"',
        '{R}/manifest.json:1:1: "engine" must be an object of package names and version '
        "strings",
        '{R}/manifest.json:1:1: "sources" must be an array of objects with "path", "bytes" '
        'and "sha256", not the string "none"',
        '{R}/manifest.json:1:1: "signing" must be null or an object with "format", "signer" '
        'and "certificate_sha256"')),
    Case("manifest source entries", manifest_value(lambda m: m.update(sources=[
        {"path": "publication.yaml", "bytes": True, "sha256": "x"},
        {"path": "codes/../../x.yaml", "bytes": 1, "sha256": "0" * 64},
        {"path": "publication.yaml", "bytes": 1, "sha256": "0" * 64}])), (
        '{R}/manifest.json:1:1: "sources"[0]["sha256"] must be a SHA-256 (64 lowercase '
        'hexadecimal digits), not the string "x"',
        '{R}/manifest.json:1:1: "sources"[0]["bytes"] must be a whole number from 0 to '
        "1,048,576 (the largest source), not true",
        '{R}/manifest.json:1:1: "sources"[1]["path"] must be ' + SOURCE_PATHS
        + ', not the string "codes/../../x.yaml"',
        '{R}/manifest.json:1:1: "sources"[2]["path"] lists "publication.yaml" a second time')),
    Case("manifest not JSON", replace_file("manifest.json", b'{\n  "version": \n}\n'), (
        "{R}/manifest.json:3:1: not valid JSON: Expecting value",)),
    Case("manifest with NaN", replace_file("manifest.json", b'{"version": NaN}'), (
        "{R}/manifest.json:1:1: not valid JSON: NaN is not a JSON number",)),
    Case("manifest nested 100,000 deep", replace_file("manifest.json", b"[" * 100_000), (
        "{R}/manifest.json:1:1: not valid JSON: nested too deeply",)),
    Case("manifest not UTF-8", replace_file("manifest.json", b'{"version": "\xff"}'), (
        "{R}/manifest.json:1:14: not UTF-8 text",)),
    Case("snapshot not JSON", replace_file("snapshot.json", b'{"format": 1,\n "version": }'), (
        "{R}/snapshot.json:2:13: not valid JSON: Expecting value",)),
    Case("snapshot values of the wrong types", snapshot_value(lambda s: s.update(
        format=True, previous="v1", codes={"74440": 1}, publication_history={},
        history={"74440": [{"version": "9.9.9", "kind": "rewritten", "title": 1,
                            "changes": [{"kind": "added", "field": None, "old": 1,
                                         "new": None}]}]})), (
        '{R}/snapshot.json:1:1: "format" must be 1, not true',
        '{R}/snapshot.json:1:1: "previous" must be a release version or null, such as '
        '"2026.12" or "1.4.0", not the string "v1"',
        '{R}/snapshot.json:1:1: "codes"["74440"] must be an object with "code", "system" and '
        '"title"',
        '{R}/snapshot.json:1:1: "history"["74440"][0]["title"] must be a string, not the '
        "number 1",
        '{R}/snapshot.json:1:1: "history"["74440"][0]["kind"] must be "added", "changed" or '
        '"removed", not the string "rewritten"',
        '{R}/snapshot.json:1:1: "history"["74440"][0]["changes"][0]["field"] must be a '
        "string, not null",
        '{R}/snapshot.json:1:1: "history"["74440"][0]["changes"][0]["old"] must be a string '
        "or null, not the number 1",
        '{R}/snapshot.json:1:1: "publication_history" must be an array of revisions, not an '
        "object")),
    Case("snapshot of another version", snapshot_value(set_key("version", value="9.9.8")), (
        '{R}/snapshot.json:1:1: "version" is "9.9.8", but manifest.json says "9.9.9"',)),
    Case("snapshot whose sources are not the embedded ones", snapshot_value(
        set_key("codes", "74440", "title", value="Another title")), (
        '{R}/snapshot.json:1:1: "codes"["74440"] is not the codes/74440.yaml the PDFs '
        "embed, normalised",)),
    Case("manifest of 10 GiB (sparse)", huge("manifest.json"), (
        "{R}/manifest.json:1:1: is 10,737,418,240 bytes, more than a release's manifest.json "
        "can be (33,554,432 bytes at most): not read",)),
    Case("PDF of 10 GiB (sparse)", huge("volume.pdf"), (
        "{R}/volume.pdf:1:1: is 10,737,418,240 bytes, more than any file of a release can be "
        "(1,073,741,824 bytes at most): not read",), rebuilds=True),
]


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
    done = subprocess.run([sys.executable, str(ROOT / "build.py"), "verify", str(folder), *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "TMPDIR": str(temp)})
    lines = done.stderr.splitlines()
    problems = [line for line in lines[:-1] if line.startswith(str(folder))]
    return Outcome(done.returncode, problems, lines[-1] if lines else "", done.stderr)


@pytest.fixture
def context(tmp_path: Path, releases: Releases, signing_key: SigningKey) -> Context:
    """Return what damage functions use, in the test's own folder."""
    return Context(tmp_path, releases, signing_key)


def verify_tampered(case: Case, context: Context, signed_release: Path) -> tuple[Path, Outcome]:
    """Damage a copy of the case's release, verify it, and check nothing was written."""
    base = {"first": context.releases.first, "changed": context.releases.changed,
            "signed": signed_release}[case.base]
    folder = context.tmp / "release" / base.name
    shutil.copytree(base, folder)
    case.damage(folder, context)
    temp = context.tmp / "verify-tmp"
    temp.mkdir()
    before, around = tree(folder), tree(context.tmp)
    args = ("--trust", str(context.signing_key.certificate)) if case.trust else ()
    outcome = run_verify(folder, temp, *args)
    assert tree(folder) == before  # the release is as it was
    assert list(temp.iterdir()) == []  # verify's temporary folder is gone
    assert tree(context.tmp) == around  # nothing new beside it, where the traversal aims
    target = context.values.get("target")
    assert target is None or not Path(str(target)).exists()
    return folder, outcome


class TestTamperedReleases:
    """Each tampered release fails verify with exactly its messages, and nothing is written."""

    @pytest.mark.parametrize("case", CASES, ids=str)
    def test_refused(self, case: Case, context: Context, signed_release: Path) -> None:
        folder, outcome = verify_tampered(case, context, signed_release)
        values = {key: str(value) for key, value in context.values.items()}
        expected = [message.format(R=folder, **values) for message in case.messages]
        assert "Traceback" not in outcome.stderr
        assert (outcome.code, outcome.problems) == (1, expected), outcome.stderr
        count = len(expected)
        assert outcome.last == f"{folder}: does not verify; {count} error{'s' * (count != 1)}"
        assert ("rebuilding " in outcome.stderr) == case.rebuilds


class TestTrustIsWhatCatchesAnotherSigner:
    """Re-signed by another key with a manifest naming it, a release verifies without --trust."""

    def test_verifies_without_trust(self, context: Context, signed_release: Path) -> None:
        folder = context.tmp / "release" / RELEASE
        shutil.copytree(signed_release, folder)
        resigned_all(folder, context)
        (context.tmp / "verify-tmp").mkdir()
        outcome = run_verify(folder, context.tmp / "verify-tmp")
        assert (outcome.code, outcome.problems) == (0, []), outcome.stderr
        assert "signatures: signed by Common Name: Someone Else; manifest.json names Common " \
               "Name: Someone Else" in outcome.stderr


class TestFolderListing:
    """A folder with absurdly many entries is listed only up to the limit."""

    def test_entry_limit(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr("report.release.folder.MAX_ENTRIES", 3)
        for name in "abcde":
            (tmp_path / name).write_bytes(b"x")
        with ReleaseFolder.open(tmp_path, "R") as release:
            assert [str(p) for p in release.problems] == [
                "R:1:1: holds more than 3 entries, far more than a release holds: the rest "
                "are not read"]
            assert len(release.present) == 3


class TestFirstDifference:
    """The first differing byte is found whichever file is a prefix of the other."""

    BLOCK = 1 << 20

    @pytest.mark.parametrize(("left", "right", "offset"), [
        (b"abc", b"abc", None),
        (b"abcx", b"abc", 3),
        (b"ab", b"abc", 2),
        (b"abd", b"abc", 2),
        (b"", b"a", 0),
        (b"a" * BLOCK + b"x", b"a" * BLOCK, BLOCK),
        (b"a" * (BLOCK + 5) + b"x", b"a" * (BLOCK + 5) + b"y", BLOCK + 5),
    ], ids=["same", "appended", "cut", "changed", "empty", "appended-at-block", "second-block"])
    def test_offset(self, tmp_path: Path, left: bytes, right: bytes, offset: int | None) -> None:
        (tmp_path / "l").write_bytes(left)
        (tmp_path / "r").write_bytes(right)
        with (tmp_path / "l").open("rb") as a, (tmp_path / "r").open("rb") as b:
            assert first_difference(a, b) == offset
