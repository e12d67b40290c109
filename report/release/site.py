"""A release's web edition: its What changed page and its Atom feed, beside the site.

`release` builds the site with the PDFs (report/build/site.py), every page carrying the
version; this adds site/changes.html, made from CHANGES.md, and site/feed.xml, an entry
for each release the snapshot's history knows, the newest first. Both are made from the
snapshot alone, so that `verify` writes the same bytes again.
"""

from __future__ import annotations

import datetime as dt
import uuid

from report.assemble import PublicationInfo
from report.release.snapshot import Snapshot
from report.release.version import parse_version
from report.render.site import FeedEntry, changes_page, feed_xml

CHANGES_PAGE = "site/changes.html"
FEED = "site/feed.xml"
KINDS = {"added": "added", "changed": "changed", "removed": "removed"}


def release_site(info: PublicationInfo, snapshot: Snapshot, changes: str) -> dict[str, bytes]:
    """Return the release's What changed page and feed, by path in the release folder."""
    return {
        CHANGES_PAGE: changes_page(info, changes).encode("utf-8"),
        FEED: feed_xml(info, feed_entries(info, snapshot)).encode("utf-8"),
    }


def feed_entries(info: PublicationInfo, snapshot: Snapshot) -> list[FeedEntry]:
    """Return an entry for every release the history knows, the newest first."""
    found: dict[str, tuple[dt.date | None, list[str]]] = {snapshot.version: (snapshot.date, [])}
    for revisions in snapshot.history.values():
        for revision in revisions:
            date, said = found.setdefault(revision.version, (revision.date, []))
            said.append(f"{revision.title}: {KINDS[revision.kind]}")
    for revision in snapshot.publication_history:
        found.setdefault(revision.version, (revision.date, []))[1].append(
            f"the publication: {KINDS[revision.kind]}"
        )
    entries = []
    for version in sorted(found, key=parse_version, reverse=True):
        date, said = found[version]
        summary = "; ".join(sorted(said)) + "." if said else "No report changed."
        name = f"{info.title}\n{info.publisher}\nrelease {version}"
        entries.append(
            FeedEntry(
                version,
                date or info.effective_date,
                summary,
                str(uuid.uuid5(uuid.NAMESPACE_URL, name)),
                version == snapshot.version,
            )
        )
    return entries
