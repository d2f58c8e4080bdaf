"""PDF speed: Norma's full parse against poppler's pdftotext, pages per second.

    .venv/bin/python bench/bench_pdf.py [--repeat N] [--reader-only] [FILE.pdf ...]

Without files it takes every PDF of ../shared/corpus that has a text layer (the
scans and the garbled one are refused by Norma and skipped). Each file is read
N times (default 3) by each tool and the fastest run counts, so that a busy
machine disturbs the figures less. Norma's time is `parsers.parse_file` (reader,
structure and metadata), or only the PDF reader with --reader-only; pdftotext's
is the command line writing the text to /dev/null, as a user would run it.
The issue asks for Norma within 3x of pdftotext: the last line prints the ratio.
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from parsers import ParseError, parse_file  # noqa: E402
from parsers.read_pdf import read  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus"


def _pages(path: Path) -> int:
    import pypdfium2 as pdfium  # noqa: PLC0415

    doc = pdfium.PdfDocument(str(path))
    try:
        return len(doc)
    finally:
        doc.close()


def _best(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("files", nargs="*", type=Path)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--reader-only", action="store_true", help="time parsers.read_pdf.read only")
    args = ap.parse_args(argv)
    if not shutil.which("pdftotext"):
        print("pdftotext not found: apt-get install -y poppler-utils", file=sys.stderr)
        return 2
    files = args.files or sorted(CORPUS.glob("*.pdf"))

    def norma(path: Path) -> None:
        if args.reader_only:
            read(path.read_bytes(), path.name)
        else:
            parse_file(path)

    def pdftotext(path: Path) -> None:
        subprocess.run(["pdftotext", str(path), "/dev/null"], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    # warm up: imports, pymorphy3's dictionary, the first PDFium document
    total_pages = 0
    total_norma = total_poppler = 0.0
    print(f"{'file':58} {'pages':>5} {'norma p/s':>10} {'pdftotext p/s':>14} {'ratio':>6}")
    warmed = False
    for path in files:
        try:
            if not warmed:
                norma(path)
                warmed = True
            t_norma = _best(lambda p=path: norma(p), args.repeat)
        except ParseError as exc:
            print(f"{path.name[:58]:58} skipped: {exc}")
            continue
        t_pop = _best(lambda p=path: pdftotext(p), args.repeat)
        n = _pages(path)
        total_pages += n
        total_norma += t_norma
        total_poppler += t_pop
        print(f"{path.name[:58]:58} {n:5d} {n / t_norma:10.0f} {n / t_pop:14.0f} {t_norma / t_pop:6.2f}")
    if not total_pages:
        print("no readable PDF")
        return 1
    what = "reader only" if args.reader_only else "full parse"
    print(f"{'all text-layer PDFs':58} {total_pages:5d} {total_pages / total_norma:10.0f} "
          f"{total_pages / total_poppler:14.0f} {total_norma / total_poppler:6.2f}")
    print(f"Norma ({what}) {total_pages / total_norma:.0f} pages/s, pdftotext {total_pages / total_poppler:.0f} "
          f"pages/s: Norma takes {total_norma / total_poppler:.2f}x pdftotext's time (goal: <= 3x)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
