"""report/volume/fonts.py: the volume embeds one font program per face, for every report."""

from __future__ import annotations

import io
from pathlib import Path

import pikepdf
import pypdf
import pytest
from fontTools.ttLib import TTFont
from test_pdf import codes, report_start_pages, sample_entries, write_sample_volume
from validation import variant_failures

from report.volume.fonts import merge
from report.volume.sfnt import NotMerged, Sfnt


def descriptors(path: Path) -> list[pikepdf.Dictionary]:
    """Return every font descriptor of a PDF."""
    with pikepdf.open(path) as pdf:
        return [
            obj
            for obj in pdf.objects
            if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == "/FontDescriptor"
        ]


def programs(path: Path) -> dict[str, list[tuple[tuple[int, int], bytes, int]]]:
    """Return, by face (FontName past its subset tag), each descriptor's program and last CID."""
    found: dict[str, list[tuple[tuple[int, int], bytes, int]]] = {}
    with pikepdf.open(path) as pdf:
        last = {}
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Dictionary) and obj.get("/Subtype") == "/CIDFontType2":
                items, highest = list(obj.W), 0
                for index, item in enumerate(items):
                    if isinstance(item, pikepdf.Array):
                        highest = max(highest, int(items[index - 1]) + len(item) - 1)
                    elif index % 1 == 0 and not isinstance(items[index - 1], pikepdf.Array):
                        highest = max(highest, int(item))
                last[obj.FontDescriptor.objgen] = highest
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == "/FontDescriptor":
                face = str(obj.FontName).split("+")[-1]
                program = obj.FontFile2
                found.setdefault(face, []).append(
                    (program.objgen, program.read_bytes(), last.get(obj.objgen, 0))
                )
    return found


@pytest.fixture(scope="module")
def volume(sample_build: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Write the sample volume once for the module."""
    target = tmp_path_factory.mktemp("fonts") / "volume.pdf"
    write_sample_volume(sample_build, target, tmp_path_factory.mktemp("cache"))
    return target


class TestOneProgramPerFace:
    """Every face is embedded once, and every report's descriptor of it points there."""

    def test_one_program_per_face(self, volume, sample_build):
        faces = programs(volume)
        streams = {objgen for uses in faces.values() for objgen, _, _ in uses}
        assert len(streams) == len(faces)
        for uses in faces.values():
            assert len({objgen for objgen, _, _ in uses}) == 1
        alone = sum(len(programs(entry.pdf)) for entry in sample_entries(sample_build))
        assert sum(len(uses) for uses in faces.values()) >= alone > len(faces)

    def test_every_glyph_of_every_report_is_in_it(self, volume, sample_build):
        merged = {face: TTFont(io.BytesIO(uses[0][1])) for face, uses in programs(volume).items()}
        for entry in sample_entries(sample_build):
            for face, uses in programs(entry.pdf).items():
                own, whole = TTFont(io.BytesIO(uses[0][1])), merged[face]
                for gid in range(uses[0][2] + 1):
                    name, other = own.getGlyphOrder()[gid], whole.getGlyphOrder()[gid]
                    if own["glyf"][name].numberOfContours:
                        assert whole["hmtx"][other] == own["hmtx"][name], (face, gid)
                        assert whole["glyf"][other].numberOfContours, (face, gid)


class TestConforms:
    """The volume with shared fonts passes the validator, rebuilds to the same bytes."""

    @pytest.mark.parametrize("variant", ["pdf/ua-1", "pdf/a-3b"])
    def test_validator(self, sample_build, tmp_path, variant):
        target = tmp_path / "volume.pdf"
        write_sample_volume(sample_build, target, variant=variant)
        assert variant_failures(target, variant) == []

    def test_same_bytes_cached_or_not(self, volume, sample_build, tmp_path):
        again = tmp_path / "again.pdf"
        write_sample_volume(sample_build, again, tmp_path / "cache")
        write_sample_volume(sample_build, again, tmp_path / "cache")  # from the cache
        assert again.read_bytes() == volume.read_bytes()
        write_sample_volume(sample_build, again)
        assert again.read_bytes() == volume.read_bytes()


class TestText:
    """A report's pages extract the same text in the volume as alone."""

    def test_same_text(self, volume, sample_build):
        starts = report_start_pages(volume)
        reader = pypdf.PdfReader(volume)
        for entry in sample_entries(sample_build):
            alone = pypdf.PdfReader(entry.pdf)
            for index, page in enumerate(alone.pages):
                inside = reader.pages[starts[entry.code] - 1 + index]
                assert inside.extract_text() == page.extract_text(), (entry.code, index)
        assert set(starts) == set(codes())


class TestMerge:
    """Subsets merge only when they are of one face and agree on every glyph they share."""

    def subsets(self, sample_build: Path) -> list[Sfnt]:
        """Return the subsets of the sample reports' most used face."""
        found: dict[str, list[Sfnt]] = {}
        for entry in sample_entries(sample_build):
            for face, uses in programs(entry.pdf).items():
                found.setdefault(face, []).append(Sfnt(uses[0][1], uses[0][2]))
        return max(found.values(), key=len)

    def test_a_glyph_that_differs(self, sample_build):
        fonts = self.subsets(sample_build)
        gid = next(g for g in range(fonts[0].last + 1) if fonts[0].glyphs[g] and fonts[1].glyphs[g])
        fonts[1].glyphs[gid] = fonts[1].glyphs[gid][:-2] + b"\x00\x01"
        with pytest.raises(NotMerged, match=f"^glyph {gid} differs between subsets$"):
            merge(fonts)

    def test_a_glyph_past_the_font(self, sample_build):
        data = programs(sample_entries(sample_build)[0].pdf)
        program, last = next(iter(data.values()))[0][1:]
        with pytest.raises(NotMerged, match=r"^a font that lacks glyphs its document uses$"):
            Sfnt(program, last + 100_000)

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            (b"OTTO" + bytes(8), "^not a TrueType font$"),
            (
                b"\x00\x01\x00\x00\x00\x01"
                + bytes(6)
                + b"glyf"
                + bytes(4)
                + b"\x00\x00\xff\xff"
                + b"\x00\x00\x00\x10",
                "^a table past the font's end$",
            ),
        ],
    )
    def test_unreadable(self, data, message):
        with pytest.raises(NotMerged, match=message):
            Sfnt(data, 0)
