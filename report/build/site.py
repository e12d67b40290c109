"""Publish the web edition (`--format site`): its PDFs, index, search, styles and fonts.

The code pages (site/codes/CODE.html) are written with the reports (report/build/
render.py). This stage, after the volumes, copies each built PDF into site/pdf/ (the
same bytes as the build's), and when a page or PDF of the site changed, writes the
site's shared files again: index.html, the stylesheet, script and WOFF2 fonts in
assets/, and the search bundle in pagefind/. Every file is an output of the index under
its key, so that a file changed or removed since is made again, and the no-op check
(report/build/quick.py) proves the site up to date as it does the PDFs. A build of named
codes writes their pages and PDFs only: the index holds every code, and is left as it is.
"""

from __future__ import annotations

from pathlib import Path

from report import inputs
from report.build.context import BuildContext, BuildResult
from report.build.gather import Sources, load_again
from report.build.index import BuildIndex
from report.build.plan import SITE, Output, Plan
from report.build.render import store
from report.files import read_regular
from report.outputs import OutputFile
from report.render.search import SEARCH_FOLDER, search_bundle
from report.render.site import CodeCard, index_page, site_css
from report.render.web import web_fonts
from report.resources import styles_dir

PDF_LIMIT = 1 << 34  # bytes of a PDF copied into the site, at most

Files = dict[str, bytes]


def publish_site(
    plan: Plan,
    context: BuildContext,
    sources: Sources,
    out: Path,
    index: BuildIndex,
    result: BuildResult,
    volume_keys: dict[str, str],
) -> list[OutputFile]:
    """Bring the site up to date in out/site; return the files it holds, as built."""
    if "site" not in context.options.formats:
        return []
    held: list[OutputFile] = []
    pages = [
        (r.code, r.page)
        for r in plan.reports
        if r.page is not None and _built(index, r.page.path, r.page.key)
    ]
    held += [_listed(index, page.path, "site-page", code) for code, page in pages]
    copies: list[tuple[str, Output, str | None]] = [
        (f"{SITE}/pdf/{r.code}.pdf", r.pdf, r.code)
        for r in plan.reports
        if r.pdf is not None and _built(index, r.pdf.path, r.pdf.key)
    ]
    copies += [
        (
            f"{SITE}/pdf/{v.output.path}",
            Output(v.output.path, volume_keys[v.output.path], None),
            None,
        )
        for v in plan.volumes
        if v.output.path in volume_keys
    ]
    present = index.on_disk(out)
    for path, pdf, code in copies:
        entry = present.get(path)
        if context.options.force or entry is None or entry.key != pdf.key:
            data = read_regular(out / pdf.path, PDF_LIMIT)[0]
            store(out, Output(path, pdf.key, "copy"), data, index.outputs[pdf.path].pages, index)
            result.written.append(path)
        held.append(_listed(index, path, "site-pdf", code))
    if context.options.codes:
        return held
    _remove_others(out, index, {file.path for file in held}, keep_whole=True)
    key = inputs.SiteWhole(
        context.publication_sha,
        context.release_key,
        tuple((page.path, page.key) for _, page in pages),
        tuple(path for path, _, _ in copies),
    ).key()
    whole = sorted(path for path, entry in index.outputs.items() if entry.key == key)
    present = index.on_disk(out)
    if (
        context.options.force
        or f"{SITE}/index.html" not in whole
        or any(path not in present for path in whole)
    ):
        files = _whole(plan, context, sources, out, copies, pages={code for code, _ in pages})
        for path, data in files.items():
            store(out, Output(path, key, "site"), data, None, index)
        result.written += sorted(files)
        whole = sorted(files)
    held += [_listed(index, path, "site", None) for path in whole]
    _remove_others(out, index, {file.path for file in held}, keep_whole=False)
    return held


def _built(index: BuildIndex, path: str, key: str) -> bool:
    """Return whether the index holds the output at path as made from key."""
    entry = index.outputs.get(path)
    return entry is not None and entry.key == key


def _listed(index: BuildIndex, path: str, kind: str, code: str | None) -> OutputFile:
    """Return the manifest's line of a site file the index holds."""
    entry = index.outputs[path]
    return OutputFile(path, kind, code, entry.pages, entry.size, entry.sha256)


def _whole(
    plan: Plan,
    context: BuildContext,
    sources: Sources,
    out: Path,
    copies: list[tuple[str, Output, str | None]],
    pages: set[str],
) -> Files:
    """Return the site's shared files: index, assets and search bundle, by path in out."""
    by_code = {item.code: item for item in sources.codes}
    cards = []
    for report in plan.reports:
        source = load_again(by_code[report.code], sources) if report.code in pages else None
        if source is not None:
            cards.append(CodeCard.of(source.model))
    volumes = [
        (Path(path).name, _volume_label(plan, Path(path).name))
        for path, _, code in copies
        if code is None
    ]
    info = context.info
    files: Files = {
        f"{SITE}/index.html": index_page(info, cards, volumes).encode("utf-8"),
        f"{SITE}/assets/site.css": site_css().encode("utf-8"),
        f"{SITE}/assets/site.js": (styles_dir() / "site.js").read_bytes(),
    }
    for font in web_fonts():
        files[f"{SITE}/assets/fonts/{font.name}"] = font.read_bytes()
    bundle = search_bundle(out / SITE, info.language)
    files.update({f"{SITE}/{SEARCH_FOLDER}/{name}": data for name, data in bundle.items()})
    return files


def _volume_label(plan: Plan, name: str) -> str:
    """Say what a volume in pdf/ is: the whole publication, or a volume by its title."""
    for volume in plan.volumes:
        if volume.output.path == name:
            held = len(volume.codes)
            what = volume.title or "Every code in one volume"
            return f"{what} (PDF, {held} report{'s' * (held != 1)})"
    return name


def _remove_others(out: Path, index: BuildIndex, held: set[str], keep_whole: bool) -> None:
    """Remove the site's files the index lists but the site no longer holds.

    keep_whole leaves the shared files (those of neither codes/ nor pdf/) for later.
    """
    for path in sorted(index.outputs):
        if not path.startswith(f"{SITE}/") or path in held:
            continue
        shared = not path.startswith((f"{SITE}/codes/", f"{SITE}/pdf/"))
        if keep_whole and shared:
            continue
        (out / path).unlink(missing_ok=True)
        del index.outputs[path]
