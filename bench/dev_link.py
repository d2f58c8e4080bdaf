"""Score the linker on the dev gold with the gold facts (or none), without parsing or extraction.

    .venv/bin/python bench/dev_link.py [--no-facts] [--out DIR] [--show]

Writes one `<act>.json` per act in the contract's shape to DIR (a temporary folder by default)
and runs eval/score.py on it: the linker's figure when the extractor is perfect. The figure
of the real pipeline comes from `python -m tracker link` (see ../shared/eval/dev-report.sh).
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from nlp.linker import link_units  # noqa: E402

EVAL = Path("/work/shared/eval")
FACTS = ("modality", "addressee", "deadlines", "documents", "fee")


def dev_units(gold: list[dict], with_facts: bool) -> list[dict]:
    """Gold rows as units: ids by position, parent = nearest earlier row of the act with that label."""
    units = []
    last_by_label: dict[tuple[str, str], str] = {}
    for i, g in enumerate(gold):
        u = {"id": f"u{i}", "text": g["text"], "label": g.get("label", ""), "doc": g["doc"],
             "parent": last_by_label.get((g["doc"], g.get("parent") or "")) if g.get("parent") else None}
        if with_facts:
            u.update({k: g.get(k) for k in FACTS})
        units.append(u)
        last_by_label[(g["doc"], g.get("label", ""))] = u["id"]
    return units


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--no-facts", action="store_true")
    ap.add_argument("--out")
    ap.add_argument("--show", action="store_true", help="print every disagreement with the gold")
    args = ap.parse_args()
    gold = [json.loads(x) for x in (EVAL / "dev.jsonl").read_text(encoding="utf-8").splitlines() if x.strip()]
    measures = json.loads((EVAL / "measures.json").read_text(encoding="utf-8"))
    units = dev_units(gold, not args.no_facts)
    links = link_units(units, measures)
    acts: dict[str, list[dict]] = defaultdict(list)
    for u, ls, g in zip(units, links, gold, strict=True):
        acts[u["doc"]].append({**{k: v for k, v in u.items() if k != "doc"}, "parent": None, "measures": ls})
        if args.show:
            got = [x["id"] for x in ls]
            if set(got) != set(g["measures"]):
                print(f"{g['doc'][:14]} {g['label']:7} gold {','.join(g['measures']) or '-':12} "
                      f"got {','.join(got) or '-':12} | {g['text'][:110]}")
                for x in ls:
                    print(f"      {x['id']} {x['score']:.2f} {x['why'][:120]}")
    out = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="dev_link_"))
    out.mkdir(parents=True, exist_ok=True)
    for doc, us in acts.items():
        (out / f"{doc}.json").write_text(json.dumps({"file": doc, "units": us}, ensure_ascii=False),
                                         encoding="utf-8")
    res = subprocess.run([sys.executable, str(EVAL / "score.py"), "clauses", str(EVAL / "dev.jsonl"), str(out)],
                         capture_output=True, text=True, check=True)
    print(res.stdout.strip().splitlines()[-1])
    return 0


if __name__ == "__main__":
    sys.exit(main())
