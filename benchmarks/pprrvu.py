#!/usr/bin/env python3
"""Write a synthetic relative value file of the size and shape of CMS's whole national file.

    python benchmarks/pprrvu.py OUT.csv [--codes 15600] [--seed 1]

The file is what `import-pfs` reads when a publication covers the whole fee schedule:
the sample's own 10 header lines (tests/fixtures/pfs/pprrvu22-sample.csv) with a 2026
title, about 17,600 rows for 15,600 distinct codes (a thousand of them with their 26
and TC rows), codes of every form in the proportions of the real file (CPT Category I,
vaccine A, Category II F, MAAA M, Category III T, PLA U; HCPCS Level II of each
section letter), every status code, descriptions of at most 28 characters of which a
quarter hold a comma (so the CSV quotes them), NA settings, CRLF line ends, and the DOS
end-of-file line the full files end with. Name it `PPRRVU2026_Jan_nonQPP.csv` (the
default of benchmarks/pfs.py) so that the importer knows its conversion factor. The
same seed always gives the same bytes. Every figure is made up.
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "tests" / "fixtures" / "pfs" / "pprrvu22-sample.csv"
TITLE = b"2026 National Physician Fee Schedule Relative Value File January Release"
RELEASED = b"RELEASED 12/01/2025"
FACTOR = "33.4009"  # the CY 2026 non-QPP conversion factor
COLUMNS = 31
END_OF_FILE = b"\x1a" + b"," * (COLUMNS - 1) + b"\r\n"

# Share of the codes by form, as in the national file; HCPCS Level II by section letter.
CPT_FORMS = (("", 0.57), ("T", 0.032), ("F", 0.029), ("A", 0.004), ("M", 0.001), ("U", 0.004))
HCPCS_LETTERS = {
    "A": 40, "B": 4, "C": 20, "D": 45, "E": 30, "G": 70, "H": 6, "J": 65, "K": 12,
    "L": 60, "M": 8, "P": 3, "Q": 35, "R": 1, "S": 15, "T": 5, "U": 1, "V": 10,
}  # fmt: skip
STATUSES = {
    "A": 58, "B": 4, "C": 6, "D": 1, "E": 3, "F": 1, "G": 1, "H": 1, "I": 10, "J": 2,
    "L": 1, "M": 3, "N": 3, "P": 1, "Q": 1, "R": 2, "T": 1, "X": 4,
}  # fmt: skip
PAID = ("A", "R", "T")
WORDS = (
    "x-ray", "exam", "chest", "ct", "mri", "abdomen", "pelvis", "repair", "removal",
    "injection", "lesion", "biopsy", "spine", "knee", "hip", "vaccine", "admn", "dose",
    "test", "assay", "supply", "device", "drug", "visit", "new", "est", "level", "w/o",
)  # fmt: skip
GLOBAL_PERIODS = ("000", "010", "090", "XXX", "YYY", "ZZZ", "MMM")
SPLIT = 1000 / 15_600  # the share of codes with a global, a 26 and a TC row


def header() -> list[bytes]:
    """Return the sample's 10 header lines with a 2026 title and release, without CRLF."""
    lines = SAMPLE.read_bytes().split(b"\r\n")[:10]
    lines[0] = lines[0].replace(
        b"2022 National Physician Fee Schedule Relative Value File January Release", TITLE
    )
    lines[4] = lines[4].replace(b"RELEASED 12/15/2021", RELEASED)
    return lines


def codes(rng: random.Random, count: int) -> list[str]:
    """Return count distinct codes of every form, sorted as the file sorts them."""
    found: set[str] = set()
    cpt_share = sum(share for _, share in CPT_FORMS)
    for suffix, share in CPT_FORMS:
        wanted = round(count * share)
        while wanted:
            digits = rng.randrange(10_000 if suffix else 100_000)
            code = f"{digits:04d}{suffix}" if suffix else f"{digits:05d}"
            if code not in found:
                found.add(code)
                wanted -= 1
    letters = list(HCPCS_LETTERS)
    weights = list(HCPCS_LETTERS.values())
    while len(found) < count:
        found.add(f"{rng.choices(letters, weights)[0]}{rng.randrange(10_000):04d}")
    assert round(count * cpt_share) < count
    return sorted(found)


def description(rng: random.Random) -> str:
    """Return a short description of at most 28 characters; a quarter hold a comma."""
    words = rng.sample(WORDS, rng.randint(2, 4))
    if rng.random() < 0.25:
        words[0] += ","
    return " ".join(words)[:28].rstrip(",")


def rvu(rng: random.Random, top: float) -> str:
    """Return a relative value with two decimals, up to top."""
    return f"{rng.uniform(0, top):.2f}"


def row(
    rng: random.Random, code: str, modifier: str, status: str, text: str, pc_tc: str, days: str
) -> list[str]:
    """Return the 31 fields of one row."""
    paid = status in PAID
    work = "0.00" if modifier == "TC" or not paid else rvu(rng, 20)
    pe_non = rvu(rng, 5) if paid else "0.00"
    pe_fac = rvu(rng, 3) if paid else "0.00"
    mp = rvu(rng, 1.5) if paid else "0.00"
    na_non = "NA" if paid and rng.random() < 0.15 else ""
    na_fac = "NA" if paid and not na_non and rng.random() < 0.1 else ""
    total_non = f"{float(work) + float(pe_non) + float(mp):.2f}"
    total_fac = f"{float(work) + float(pe_fac) + float(mp):.2f}"
    return [
        code, modifier, text, status, "", work, pe_non, na_non, pe_fac, na_fac, mp,
        total_non, total_fac, pc_tc, days, "0.00", "0.00", "0.00",
        "0", "0", "0", "0", "0", "", FACTOR, "09", "0", "99", "0.00", "0.00", "0.00",
    ]  # fmt: skip


def pprrvu(count: int = 15_600, seed: int = 1) -> bytes:
    """Return the whole file: header, rows and the end-of-file line, CRLF."""
    rng = random.Random(seed)
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    all_codes = codes(rng, count)
    split = set(rng.sample([c for c in all_codes if c[:1].isdigit()], round(count * SPLIT)))
    statuses, weights = list(STATUSES), list(STATUSES.values())
    for code in all_codes:
        status = rng.choices(statuses, weights)[0]
        text = description(rng)
        pc_tc = "1" if code in split else rng.choice("0000000239")
        days = rng.choice(GLOBAL_PERIODS)
        writer.writerow(row(rng, code, "", status, text, pc_tc, days))
        if code in split:
            for modifier in ("TC", "26"):
                writer.writerow(row(rng, code, modifier, status, text, pc_tc, days))
    body = out.getvalue().encode("ascii")
    return b"\r\n".join(header()) + b"\r\n" + body + END_OF_FILE


def main(argv: list[str] | None = None) -> int:
    """Write the file the command line names."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="the CSV file to write")
    parser.add_argument("--codes", type=int, default=15_600, help="distinct codes (15600)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (1)")
    args = parser.parse_args(argv)
    data = pprrvu(args.codes, args.seed)
    args.out.write_bytes(data)
    lines = data.count(b"\r\n")
    print(f"{args.out}: {lines:,} lines, {len(data):,} bytes", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
