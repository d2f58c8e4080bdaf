"""How fast the DOCX reader is on the corpus, and against LibreOffice when present.

    .venv/bin/python bench/bench_docx.py [--repeat N] [--corpus DIR]

Paragraphs are the ``w:p`` elements of each body (table cells included), the unit
of work of the reader. With ``soffice`` on PATH, the same files are converted to
text by LibreOffice in one headless run (its start-up included, as a user pays it)
and the ratio is printed.
"""
from __future__ import annotations

import argparse
import io
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from lxml import etree

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from parsers.read_docx import read  # noqa: E402

W_P = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}p"


def count_paragraphs(data: bytes) -> int:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        root = etree.fromstring(z.read("word/document.xml"), etree.XMLParser(resolve_entities=False))
    return sum(1 for _ in root.iter(W_P))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--corpus", type=Path, default=Path("/work/shared/corpus"))
    args = ap.parse_args()
    files = sorted(args.corpus.glob("*.docx"))
    if not files:
        sys.exit(f"no .docx files in {args.corpus}")

    total_paras = 0
    total_time = 0.0
    print(f"{'file':60} {'paras':>6} {'blocks':>6} {'ms/read':>8} {'paras/s':>9}")
    for path in files:
        data = path.read_bytes()
        paras = count_paragraphs(data)
        read(data, path.name)  # warm-up (imports, caches)
        start = time.perf_counter()
        for _ in range(args.repeat):
            result = read(data, path.name)
        elapsed = (time.perf_counter() - start) / args.repeat
        total_paras += paras
        total_time += elapsed
        print(f"{path.name[:60]:60} {paras:6d} {len(result.blocks):6d} {elapsed * 1000:8.1f} {paras / elapsed:9.0f}")
    ours = total_paras / total_time
    print(f"\nNorma read_docx: {total_paras} paragraphs in {total_time:.3f} s per pass "
          f"-> {ours:,.0f} paragraphs/s ({len(files)} files, {args.repeat} passes)")

    soffice = shutil.which("soffice")
    if not soffice:
        print("soffice not on PATH: LibreOffice comparison skipped")
        return
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        subprocess.run([soffice, "--headless", "--convert-to", "txt:Text (encoded):UTF8", "--outdir", tmp,
                        *map(str, files)], check=True, capture_output=True, timeout=900)
        lo_time = time.perf_counter() - start
    lo = total_paras / lo_time
    print(f"LibreOffice txt export: {lo_time:.2f} s -> {lo:,.0f} paragraphs/s; "
          f"read_docx is {ours / lo:.1f}x faster")


if __name__ == "__main__":
    main()
