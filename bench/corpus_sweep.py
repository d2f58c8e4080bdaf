"""Parse every file of the shared corpus: each one parses or is refused with a reason.

    .venv/bin/python bench/corpus_sweep.py [CORPUS_DIR]

Prints one line per file (status, seconds, units, numbered units or the refusal)
and exits 1 if any file crashed (an exception other than ParseError).
"""
from __future__ import annotations

import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from parsers import ParseError, parse_file  # noqa: E402


def main() -> int:
    corpus = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "corpus"
    crashed = 0
    for f in sorted(corpus.iterdir()):
        if f.suffix in (".tsv", ".yaml") or not f.is_file():
            continue
        t0 = time.perf_counter()
        try:
            act = parse_file(f)
            status = f"ok      {len(act.units):5d} units {sum(bool(u.label) for u in act.units):5d} numbered"
        except ParseError as exc:
            status = f"refused {exc}"
        except Exception:  # noqa: BLE001 - this script exists to find these
            crashed += 1
            status = "CRASH   " + traceback.format_exc(limit=3).replace("\n", " | ")
        print(f"{time.perf_counter() - t0:6.2f}s {f.name[:70]:70s} {status}")
    print(f"{crashed} crashed")
    return 1 if crashed else 0


if __name__ == "__main__":
    sys.exit(main())
