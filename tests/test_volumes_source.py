"""The `volumes:` key of publication.yaml: validated with located errors, and its ranges.

Each bad definition is paired with the exact message `check` prints; the code ranges
hold the codes of their ends' form alone; check notices volumes that hold no code and
codes in no volume. Nothing is rendered here.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import SAMPLE_SOURCES

from report.checking import check_folder
from report.sources import load_publication
from report.sources.models import CODE_PATTERNS
from report.sources.volumes import FORMS, code_form, parse_item, slug_stem, volume_codes

PUB = "sources/publication.yaml"


def with_volumes(tmp_path: Path, text: str) -> Path:
    """Return a copy of the sample sources whose publication.yaml ends with text."""
    folder = tmp_path / "sources"
    shutil.copytree(SAMPLE_SOURCES, folder)
    path = folder / "publication.yaml"
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")
    return folder


def errors_of(tmp_path: Path, text: str) -> list[str]:
    """Return every located error loading a publication ending with text gives."""
    folder = with_volumes(tmp_path, text)
    _, findings = load_publication(folder, "sources")
    return [str(finding) for finding in findings]


def first_line(tmp_path: Path) -> int:
    """Return the line the appended text starts on."""
    return len((SAMPLE_SOURCES / "publication.yaml").read_text(encoding="utf-8").splitlines()) + 1


BAD = [
    (
        'volumes:\n  - title: X\n    codes: ["70010"]\n    colour: red\n',
        ['{l3}:5: unknown key "colour"'],
    ),
    ('volumes:\n  - codes: ["70010"]\n', ['{l1}:5: missing required key "title" in "volumes[1]"']),
    (
        "volumes:\n  - title: X\n    codes: []\n",
        ['{l2}:12: "volumes[1].codes" must hold at least one entry'],
    ),
    (
        'volumes:\n  - title: X\n    codes: ["7001-7999"]\n',
        [
            '{l2}:13: "7001-7999" is neither a code (such as 74440) nor a range of codes '
            "(such as 70010-79999)"
        ],
    ),
    (
        'volumes:\n  - title: X\n    codes: ["79999-70010"]\n',
        ['{l2}:13: range "79999-70010" starts after it ends: write "70010-79999"'],
    ),
    (
        'volumes:\n  - title: X\n    codes: ["70010-7999F"]\n',
        [
            '{l2}:13: range "70010-7999F" joins codes of two forms (5 digits; 4 digits then F): '
            "both ends must be of one form"
        ],
    ),
    (
        "volumes:\n  - title: X\n    codes: [74440]\n",
        ['{l2}:13: "volumes[1].codes[1]" must be text, not the number 74440; quote it: "74440"'],
    ),
    (
        'volumes:\n  - title: X\n    file: ../etc/x\n    codes: ["74440"]\n',
        [
            '{l2}:11: "../etc/x" is not a volume file name: write volume- then lowercase '
            "letters and digits, words joined by single hyphens, at most 64 characters "
            "(such as volume-radiology)"
        ],
    ),
    (
        'volumes:\n  - title: X\n    file: "55300"\n    codes: ["74440"]\n',
        [
            '{l2}:11: "55300" is not a volume file name: write volume- then lowercase '
            "letters and digits, words joined by single hyphens, at most 64 characters "
            "(such as volume-radiology)"
        ],
    ),
    (
        'volumes:\n  - title: Radiology\n    codes: ["74440"]\n'
        '  - title: radiology!\n    codes: ["55300"]\n',
        [
            '{l3}:12: volume file "volume-radiology.pdf" is already that of volumes[1] '
            '("Radiology"); give each volume a file of its own'
        ],
    ),
    (
        'volumes:\n  - title: A\n    file: volume-x\n    codes: ["74440"]\n'
        '  - title: B\n    file: volume-x.pdf\n    codes: ["55300"]\n',
        [
            '{l5}:11: volume file "volume-x.pdf" is already that of volumes[1] ("A"); '
            "give each volume a file of its own"
        ],
    ),
    (
        'volumes:\n  - title: "+++"\n    codes: ["74440"]\n',
        [
            '{l1}:12: volume "+++" needs a file name: its title has no letter or digit to '
            "make one of; add file: volume-NAME"
        ],
    ),
    ("volumes: radiology\n", ['{l0}:10: "volumes" must be a list, not the text "radiology"']),
]


class TestBadVolumes:
    """Each bad volume definition gives exactly its located message, all of them at once."""

    @pytest.mark.parametrize(("text", "expected"), BAD)
    def test_message(self, tmp_path: Path, text: str, expected: list[str]) -> None:
        """The message names the line and column of the offending node."""
        base = first_line(tmp_path)
        lines = {f"l{n}": f"{PUB}:{base + n}" for n in range(6)}
        assert errors_of(tmp_path, text) == [e.format(**lines) for e in expected]

    def test_all_at_once(self, tmp_path: Path) -> None:
        """Errors of several volumes are reported together, in file order."""
        text = (
            'volumes:\n  - title: X\n    codes: ["7001"]\n    extra: 1\n'
            '  - codes: ["79999-70010"]\n'
        )
        found = errors_of(tmp_path, text)
        assert len(found) == 4 and [f.split(": ")[0] for f in found] == sorted(
            [f.split(": ")[0] for f in found], key=lambda s: [int(n) for n in s.split(":")[1:]]
        )


class TestGoodVolumes:
    """A valid definition loads; a file may end in .pdf; a code may be in several volumes."""

    def test_loads(self, tmp_path: Path) -> None:
        """Two volumes sharing a code load without error, the .pdf suffix dropped."""
        text = (
            'volumes:\n  - title: Radiology\n    file: volume-rad.pdf\n    codes: ["74440"]\n'
            '  - title: All\n    codes: ["55300", "70010-79999"]\n'
        )
        loaded, findings = load_publication(with_volumes(tmp_path, text), "sources")
        assert findings == [] and loaded is not None and loaded.model.volumes is not None
        assert [v.file for v in loaded.model.volumes] == ["volume-rad", None]


class TestRanges:
    """A range holds the codes of its ends' form between them, compared as strings."""

    CODES = (
        "0001F",
        "00100",
        "0042T",
        "70010",
        "7010F",
        "74440",
        "79999",
        "A0021",
        "E9999",
        "G0101",
    )

    @pytest.mark.parametrize(
        ("items", "held"),
        [
            (["70010-79999"], ["70010", "74440", "79999"]),
            (["0001F-9007F"], ["0001F", "7010F"]),
            (["A0000-E9999"], ["A0021", "E9999"]),
            (["74440", "G0101"], ["74440", "G0101"]),
            (["00000-99999", "0042T"], ["00100", "0042T", "70010", "74440", "79999"]),
        ],
    )
    def test_held(self, items: list[str], held: list[str]) -> None:
        """The codes held keep the order given."""
        assert volume_codes(items, self.CODES) == held

    def test_single_code_is_its_own_range(self) -> None:
        """A single code is a range from it to itself; spaces around the dash are allowed."""
        assert parse_item("74440") == ("74440", "74440")
        assert parse_item("70010 - 79999") == ("70010", "79999")

    @pytest.mark.parametrize("code", ["99213", "0001A", "0591T", "A0021", "V5364", "J9999"])
    def test_forms_are_the_code_patterns(self, code: str) -> None:
        """Every code the sources accept has a form, and the forms accept only codes."""
        assert code_form(code) is not None
        assert any(p.fullmatch(code) for p, _ in CODE_PATTERNS.values())
        assert len(FORMS) == 3

    @pytest.mark.parametrize(
        ("title", "stem"),
        [
            ("Radiology", "volume-radiology"),
            ("Évaluation & Management", "volume-evaluation-management"),
            ("—", None),
        ],
    )
    def test_slug(self, title: str, stem: str | None) -> None:
        """The default file stem folds accents and joins words with single hyphens."""
        assert slug_stem(title) == stem


class TestCheckNotices:
    """check notices a volume that holds no code source, and the codes in no volume."""

    def test_notices(self, tmp_path: Path) -> None:
        """Both notices are located in publication.yaml; they are not errors."""
        base = first_line(tmp_path)
        text = (
            'volumes:\n  - title: Radiology\n    codes: ["70010-79999"]\n'
            '  - title: Medicine\n    codes: ["90000-99999"]\n'
        )
        checked = check_folder(with_volumes(tmp_path, text), "sources", jobs=1)
        assert checked.errors == []
        notices = [line for line in checked.notice_lines() if line.startswith(PUB)]
        assert notices == [
            f"{PUB}:{base}:1: notice: 1 code source is in no volume: 55300",
            f'{PUB}:{base + 4}:5: notice: volume "Medicine" holds none of the code sources',
        ]

    def test_no_volumes_no_notice(self) -> None:
        """Without volumes, publication.yaml has no notice."""
        checked = check_folder(SAMPLE_SOURCES, "sources", jobs=1)
        assert not [line for line in checked.notice_lines() if line.startswith(PUB)]
