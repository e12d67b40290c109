"""Shared fixtures: the repository's paths, a CLI runner and one build of the sample sources."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cdp import Browser, chromium_path
from extreme_sources import ExtremeBuild, build_extreme_sources
from hostile_sources import HostileSources, write_hostile_sources
from hypothesis import settings
from layout_sources import VARIANTS, write_layout_sources
from qpdf import qpdf_check
from serving import Preview, start_preview

# Property-based tests (tests/test_properties.py): the same examples on every run, no
# example database written, bounded counts; HYPOTHESIS_PROFILE=explore for a deeper search.
settings.register_profile(
    "default", max_examples=100, derandomize=True, database=None, print_blob=True
)
settings.register_profile("explore", max_examples=1000, database=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_SOURCES = ROOT / "sources"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
# A verbatim copy of the original text of the first report (shared/seed/cpt-74440.txt).
SEED = FIXTURES / "seed" / "cpt-74440.txt"


@dataclass(frozen=True)
class Run:
    """The outcome of one command-line run."""

    code: int
    stdout: str
    stderr: str


def run_cli(*args: str, cwd: Path = ROOT) -> Run:
    """Run `python build.py ARGS` in a fresh process and capture its output."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "build.py"), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return Run(done.returncode, done.stdout, done.stderr)


@pytest.fixture(scope="session")
def cli():
    """Return the command-line runner."""
    return run_cli


@pytest.fixture
def sources_copy(tmp_path: Path) -> Path:
    """Return a writable copy of the sample sources."""
    target = tmp_path / "sources"
    shutil.copytree(SAMPLE_SOURCES, target)
    return target


@pytest.fixture(scope="session")
def sample_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the sample sources once, with PDF and HTML, and return the output folder."""
    out = tmp_path_factory.mktemp("dist")
    result = run_cli(
        "build", "--sources", str(SAMPLE_SOURCES), "--out", str(out), "--format", "pdf,html"
    )
    assert result.code == 0, result.stderr
    qpdf_check(out / "volume.pdf")
    return out


@pytest.fixture(scope="session")
def seed_text() -> str:
    """Return the original text of the 74440 report."""
    return SEED.read_text(encoding="utf-8")


# A byte-for-byte copy of shared/data/pprrvu22-sample.csv (see tests/fixtures/pfs/README.md).
PFS_SAMPLE = FIXTURES / "pfs" / "pprrvu22-sample.csv"
PFS_SOURCE = (
    "2022 National Physician Fee Schedule Relative Value File January Release, released 12/15/2021"
)


@pytest.fixture(scope="session")
def extreme_builds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, ExtremeBuild]:
    """Write, check and build (in both PDF variants) each folder of the extreme sources."""
    return build_extreme_sources(tmp_path_factory.mktemp("extremes"), run_cli, PFS_SAMPLE)


def pfs_lines() -> list[bytes]:
    """Return the sample file's lines, without their CRLF ends."""
    return PFS_SAMPLE.read_bytes().split(b"\r\n")


@pytest.fixture
def pfs_file(tmp_path: Path):
    """Return a writer of relative value files: the sample's lines, changed by edit."""

    def write(edit=None, name: str = "pprrvu.csv") -> Path:
        lines = pfs_lines()
        if edit is not None:
            edit(lines)
        path = tmp_path / name
        path.write_bytes(b"\r\n".join(lines))
        return path

    return write


# ---------------------------------------------------------------------------------------
# Releases: each built once per session from a copy of the sample sources (two codes).

RELEASE = "9.9.9"
NEXT_RELEASE = "9.9.10"
# The releases' dates (--date), as recorded and printed: 9.9.9's, then 9.9.10's.
RELEASE_DATE, NEXT_DATE = "2026-12-01", "2026-12-02"
WORK_RVU_BEFORE, WORK_RVU_AFTER = "value: 0.38", "value: 0.40"
SIGNING_PASSPHRASE = "release-test"


@dataclass(frozen=True)
class Releases:
    """The session's releases: 9.9.9 twice, 9.9.10 after one benchmark change, and signed."""

    first: Path  # ONE/9.9.9
    again: Path  # TWO/9.9.9, from the same sources
    changed: Path  # ONE/9.9.10, the 74440 global Work RVU changed from 0.38 to 0.40
    sources: Path  # the sources of 9.9.9
    changed_sources: Path


def _release(*args: str) -> Path:
    result = run_cli("release", *args)
    assert result.code == 0, result.stderr
    folder = Path(args[args.index("--out") + 1]) / args[0]
    qpdf_check(folder / "volume.pdf")
    return folder


@pytest.fixture(scope="session")
def releases(tmp_path_factory: pytest.TempPathFactory) -> Releases:
    """Release 9.9.9 into two folders, then 9.9.10 beside the first with one value changed."""
    base = tmp_path_factory.mktemp("releases")
    sources, changed_sources = base / "sources", base / "sources-changed"
    shutil.copytree(SAMPLE_SOURCES, sources)
    shutil.copytree(SAMPLE_SOURCES, changed_sources)
    code = changed_sources / "codes" / "74440.yaml"
    text = code.read_text(encoding="utf-8")
    assert text.index(WORK_RVU_BEFORE) < text.index("component: global")  # the global one
    code.write_text(text.replace(WORK_RVU_BEFORE, WORK_RVU_AFTER, 1), encoding="utf-8")
    dated = ("--date", RELEASE_DATE)
    first = _release(RELEASE, "--sources", str(sources), "--out", str(base / "one"), *dated)
    again = _release(RELEASE, "--sources", str(sources), "--out", str(base / "two"), *dated)
    changed = _release(
        NEXT_RELEASE,
        "--sources",
        str(changed_sources),
        "--out",
        str(base / "one"),
        "--date",
        NEXT_DATE,
    )
    return Releases(first, again, changed, sources, changed_sources)


@dataclass(frozen=True)
class SigningKey:
    """A throwaway PKCS#12 key and its self-signed certificate (PEM)."""

    p12: Path
    certificate: Path


def make_signing_key(folder: Path, name: str = "Release Test Signer") -> SigningKey:
    """Make an RSA key and a self-signed certificate valid for a day, as PKCS#12 and PEM."""
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.KeyUsage(True, True, False, False, False, False, False, False, False),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    p12, pem = folder / "signer.p12", folder / "signer.pem"
    p12.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"signer",
            key,
            certificate,
            None,
            serialization.BestAvailableEncryption(SIGNING_PASSPHRASE.encode()),
        )
    )
    pem.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return SigningKey(p12, pem)


@pytest.fixture(scope="session")
def signing_key(tmp_path_factory: pytest.TempPathFactory) -> SigningKey:
    """Return a throwaway signing key, made once."""
    return make_signing_key(tmp_path_factory.mktemp("key"))


@pytest.fixture(scope="session")
def signed_release(
    releases: Releases, signing_key: SigningKey, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """Release 9.9.9 of the same sources again, signed."""
    out = tmp_path_factory.mktemp("signed")
    return _release(
        RELEASE,
        "--sources",
        str(releases.sources),
        "--out",
        str(out),
        "--sign",
        str(signing_key.p12),
        "--sign-passphrase",
        SIGNING_PASSPHRASE,
        "--date",
        RELEASE_DATE,
    )


@dataclass
class RecordingServer:
    """A local HTTP server that records every connection made to it and every request."""

    url: str
    connections: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)


@pytest.fixture(scope="session")
def recording_server() -> Iterator[RecordingServer]:
    """Serve http://127.0.0.1:PORT for the session, answering 200 to everything, recording hits."""
    record = RecordingServer("")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            record.requests.append(self.path)
            body = b"body { display: none }"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_HEAD(self) -> None:
            self.do_GET()

        def do_POST(self) -> None:
            self.do_GET()

        def log_message(self, format: str, *args: object) -> None:
            pass

    class Server(ThreadingHTTPServer):
        def verify_request(self, request: object, client_address: tuple[str, int]) -> bool:
            record.connections.append(f"{client_address[0]}:{client_address[1]}")
            return True

    server = Server(("127.0.0.1", 0), Handler)
    record.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield record
    server.shutdown()
    server.server_close()


@dataclass(frozen=True)
class HostileBuild:
    """A build of sources with hostile text in every field, and what it wrote."""

    sources: HostileSources
    out: Path
    result: Run
    connections: list[str]  # made to the recording server while the build ran
    requests: list[str]


@pytest.fixture(scope="session")
def hostile_build(
    tmp_path_factory: pytest.TempPathFactory, recording_server: RecordingServer
) -> HostileBuild:
    """Build (PDF and HTML) sources whose every text field holds markup and local addresses."""
    base = tmp_path_factory.mktemp("hostile")
    sources = write_hostile_sources(base / "sources", recording_server.url)
    out = base / "out"
    connections, requests = len(recording_server.connections), len(recording_server.requests)
    result = run_cli(
        "build", "--sources", str(sources.folder), "--out", str(out), "--format", "pdf,html"
    )
    return HostileBuild(
        sources,
        out,
        result,
        recording_server.connections[connections:],
        recording_server.requests[requests:],
    )


# ---------------------------------------------------------------------------------------
# Sources that push the layout (tests/layout_sources.py), built once: tests/test_page.py and
# tests/test_conformance.py read them.


@dataclass(frozen=True)
class Built:
    """A sources folder and the folder its build wrote."""

    sources: Path
    out: Path


@pytest.fixture(scope="session")
def layout_builds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Built]:
    """Write and build each layout variant (PDF/UA-1), and the A4 one again as PDF/A-3b."""
    built = {}
    for name, variant in VARIANTS.items():
        base = tmp_path_factory.mktemp(f"layout-{name}")
        write_layout_sources(base / "sources", variant)
        result = run_cli("build", "--sources", str(base / "sources"), "--out", str(base / "out"))
        assert result.code == 0, result.stderr
        qpdf_check(base / "out" / "volume.pdf")
        built[name] = Built(base / "sources", base / "out")
    limits = built["limits"]
    out = limits.out.parent / "out-a3b"
    result = run_cli(
        "build", "--sources", str(limits.sources), "--out", str(out), "--pdf-variant", "pdf/a-3b"
    )
    assert result.code == 0, result.stderr
    qpdf_check(out / "volume.pdf")
    built["limits-a3b"] = Built(limits.sources, out)
    return built


# ---------------------------------------------------------------------------------------
# The preview server (tests/test_serve.py): one server per module, one headless Chromium.


@pytest.fixture(scope="module")
def preview_sources(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a writable copy of the sample sources for one module's preview server."""
    target = tmp_path_factory.mktemp("preview") / "sources"
    shutil.copytree(SAMPLE_SOURCES, target)
    return target


@pytest.fixture(scope="module")
def preview(preview_sources: Path) -> Iterator[Preview]:
    """Run `serve` on a free port over the copy of the sample sources, for one module."""
    server = start_preview(preview_sources, preview_sources.parent / "serve.log")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    """Start headless Chromium once (`make test` installs Debian's chromium as root)."""
    executable = chromium_path()
    if executable is None:
        pytest.skip(
            "chromium is not installed: run `make test` as root, or `sudo apt-get install chromium`"
        )
    chromium = Browser(executable, tmp_path_factory.mktemp("chromium"))
    yield chromium
    chromium.close()


@dataclass(frozen=True)
class HostilePreview:
    """`serve` over sources with markup in every text field, and a key that is markup."""

    server: Preview
    fields: dict  # the number in each code field's payload (hostile_sources)


@pytest.fixture(scope="module")
def hostile_preview(
    tmp_path_factory: pytest.TempPathFactory, recording_server: RecordingServer
) -> Iterator[HostilePreview]:
    """Serve the hostile sources, plus codes/55300.yaml whose unknown key is an HTML tag."""
    base = tmp_path_factory.mktemp("hostile-preview")
    sources = write_hostile_sources(base / "sources", recording_server.url)
    (sources.folder / "codes" / "55300.yaml").write_text(
        'code: "55300"\nsystem: CPT\ntitle: "t"\n"<img src=x onerror=window.pwned=1>": 1\n',
        encoding="utf-8",
    )
    server = start_preview(sources.folder, base / "serve.log")
    yield HostilePreview(server, sources.code)
    server.stop()
