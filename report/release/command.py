"""`release VERSION` and `verify DIR` on the command line (report/cli.py adds them)."""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path

import click

from report.console import (
    SOURCES_HELP,
    counts,
    echo_findings,
    examples,
    holding_pause,
    log,
    pause_option,
    pdf_variant_option,
)
from report.errors import UsageError
from report.exits import reported
from report.progress import progress_for
from report.render import DEFAULT_PDF_VARIANT
from report.workers import DEFAULT_TIMEOUT, start_context


@click.command(
    epilog=examples(
        "python build.py release 2026.12",
        "python build.py release 1.4.0 --date 2026-12-02 --sign signer.p12",
        "python build.py release 2026.12 --pdf-variant pdf/a-3b --out archive",
    )
)
@click.argument("version")
@click.option("--sources", "sources", default="sources", show_default=True, help=SOURCES_HELP)
@click.option(
    "--out",
    default=None,
    help="Folder of releases: this one is written to OUT/VERSION/  [default: the "
    "releases: folder of publication.yaml, else releases beside the sources]",
)
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes rendering reports  [default: the machine's cores]",
)
@pdf_variant_option
@click.option(
    "--sign",
    "key",
    metavar="KEY.p12",
    default=None,
    help="Sign every PDF (PAdES) with this PKCS#12 key and certificate.",
)
@click.option(
    "--sign-passphrase",
    envvar="REPORT_SIGN_PASSPHRASE",
    default=None,
    help="Passphrase of the PKCS#12 file (or set REPORT_SIGN_PASSPHRASE).",
)
@click.option(
    "--date",
    "date_text",
    metavar="YYYY-MM-DD",
    default=None,
    help="The release's date, printed in its history and footers  [default: "
    "SOURCE_DATE_EPOCH if set, else today (UTC)]",
)
@click.option("--strict", is_flag=True, help="Refuse the release on any warning.")
@click.option(
    "--allow-unchanged",
    is_flag=True,
    help="Release even when nothing changed since the previous release.",
)
@pause_option
def release(
    version: str,
    sources: str = "sources",
    out: str | None = None,
    jobs: int | None = None,
    pdf_variant: str = DEFAULT_PDF_VARIANT,
    key: str | None = None,
    sign_passphrase: str | None = None,
    date_text: str | None = None,
    strict: bool = False,
    allow_unchanged: bool = False,
    pause_at: str | None = None,
) -> None:
    """Build a versioned, reproducible release of every report into OUT/VERSION/."""
    start_context()
    from report.build.context import no_pause
    from report.release.publish import ReleaseOptions, make_release

    with reported():
        options = ReleaseOptions(
            pdf_variant.lower(),
            jobs,
            DEFAULT_TIMEOUT,
            Path(key) if key else None,
            sign_passphrase,
            pause=no_pause if pause_at is None else holding_pause(pause_at),
            date=release_date(date_text, os.environ.get("SOURCE_DATE_EPOCH")),
            strict=strict,
            allow_unchanged=allow_unchanged,
        )
        result = make_release(
            Path(sources),
            version,
            Path(out) if out is not None else None,
            options,
            sources,
            out,
            log=log,
            progress=progress_for(),
        )
    snapshot = result.snapshot
    changed = sorted(
        code
        for code in snapshot.codes
        if snapshot.history[code] and snapshot.history[code][0].version == snapshot.version
    )
    since = (
        f"{len(changed)} of {len(snapshot.codes)} reports changed since "
        f"{snapshot.previous}" + (f" ({', '.join(changed)})" if changed else "")
        if snapshot.previous
        else f"first release, {len(snapshot.codes)} reports"
    )
    signed = f"; signed by {result.signer}" if result.signer else ""
    gate = result.gate
    warned = len(gate.warnings) if gate else 0
    noted = len(gate.notices) if gate else 0
    if warned:
        click.echo(
            f"WARNING: {warned} figure{'s are' if warned != 1 else ' is'} as of more than "
            "12 months before the effective date (listed above; recorded in manifest.json "
            "and CHANGES.md; --strict refuses them)",
            err=True,
        )
    tally = ", ".join(
        [
            "0 errors",
            *([f"{warned} warning{'s' * (warned != 1)}"] if warned else []),
            *([f"{noted} notice{'s' * (noted != 1)}"] if noted else []),
        ]
    )
    click.echo(
        f"released {snapshot.version} to {os.path.join(result.shown_root, snapshot.version)}: "
        f"{since}{signed}; {tally}",
        err=True,
    )


def release_date(given: str | None, epoch: str | None) -> dt.date:
    """Return the release's date: --date, else SOURCE_DATE_EPOCH's day (UTC), else today's."""
    if given is not None:
        try:
            if len(given) == 10:
                return dt.date.fromisoformat(given)
        except ValueError:
            pass
        raise UsageError(f'--date "{given}" is not a date written YYYY-MM-DD, such as 2026-12-02')
    if epoch:
        try:
            return dt.datetime.fromtimestamp(int(epoch), dt.UTC).date()
        except (ValueError, OverflowError, OSError) as exc:
            raise UsageError(
                f'SOURCE_DATE_EPOCH "{epoch}" is not a time in seconds since 1970 (UTC)'
            ) from exc
    return dt.datetime.now(dt.UTC).date()


@click.command(
    epilog=examples(
        "python build.py verify releases/2026.12",
        "python build.py verify releases/2026.12 --trust signer.pem",
    )
)
@click.argument("folder")
@click.option(
    "--trust",
    metavar="CERT",
    default=None,
    help="Also require each signature to chain to this certificate (PEM or DER).",
)
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes for the rebuild  [default: the machine's cores]",
)
def verify(folder: str, trust: str | None = None, jobs: int | None = None) -> None:
    """Check a release's SHA256SUMS, then rebuild it from its embedded sources and compare."""
    # No start_context() here: verify_release starts the workers only when it rebuilds.
    from report.release.verify import verify_release

    with reported(f"{folder}: cannot verify"):  # the rebuild's faults too: a full TMPDIR
        result = verify_release(
            Path(folder),
            folder,
            Path(trust) if trust else None,
            jobs,
            log=log,
        )
    for line in result.checked:
        click.echo(line, err=True)
    echo_findings(result.problems)
    verdict = "does not verify" if result.problems else "verified"
    click.echo(f"{folder}: {verdict}; {counts(len(result.problems))}", err=True)
    sys.exit(1 if result.problems else 0)
