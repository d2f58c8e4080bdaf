"""Development harness: score the extractors on eval/dev.jsonl without the parser.

    .venv/bin/python bench/dev_harness.py [OUT_DIR] [--diff FIELD]

Rebuilds a pseudo-act per document from the gold rows (label, parent, text), runs
`nlp.extract.extract_act`, writes OUT_DIR/<doc>.json and prints score.py's figures.
`--diff modality|addressee|deadlines|documents|fee` lists the disagreements. Not shipped logic:
the real check is `python -m tracker extract FILE --json` on the corpus file.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nlp.extract import extract_act  # noqa: E402
from parsers.model import Act, Unit  # noqa: E402

EVAL = Path("/work/shared/eval")


def kind_of(label: str) -> str:
    if label.startswith("table:"):
        return "table_row"
    if not label:
        return "text"
    if re.match(r"^\d+\.\d+", label):
        return "subparagraph"
    if label.endswith(")"):
        return "item"
    return "paragraph"


def pseudo_acts(rows: list[dict]) -> dict[str, Act]:
    acts: dict[str, Act] = {}
    by_doc: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        by_doc[r["doc"]].append(r)
    for doc, rs in by_doc.items():
        act = Act(file=doc, format=doc.rsplit(".", 1)[-1], language="ru")
        last: dict[str, str] = {}
        n = 0
        for r in rs:
            parent = r["parent"]
            pid = None
            if parent:
                pid = last.get(parent)
                if pid is None:
                    n += 1
                    pid = f"u{n}"
                    kind = "appendix" if parent.lower().startswith("прил") else "chapter"
                    act.units.append(Unit(pid, None, kind, parent, ""))
                    last[parent] = pid
            n += 1
            uid = f"u{n}"
            act.units.append(Unit(uid, pid, kind_of(r["label"]), r["label"], r["text"]))
            if r["label"]:
                last[r["label"]] = uid
        acts[doc] = act
    return acts


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv and not argv[0].startswith("--") else Path("/tmp/norma_dev_out")
    field = argv[argv.index("--diff") + 1] if "--diff" in argv else None
    out.mkdir(parents=True, exist_ok=True)
    rows = [json.loads(x) for x in (EVAL / "dev.jsonl").read_text(encoding="utf-8").splitlines() if x.strip()]
    acts = pseudo_acts(rows)
    results = {}
    for doc, act in acts.items():
        data = extract_act(act)
        (out / f"{doc}.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        results[doc] = data
    subprocess.run([sys.executable, str(EVAL / "score.py"), "clauses", str(EVAL / "dev.jsonl"), str(out)], check=False)
    if field:
        seen: dict[str, int] = defaultdict(int)
        for r in rows:
            units = [u for u in results[r["doc"]]["units"] if u["label"] == r["label"] and u["text"] == r["text"]]
            u = units[0] if units else {}
            g, o = r.get(field), u.get(field)
            if field == "deadlines":
                def key(d):
                    return d.get("date") or (d.get("amount"), d.get("unit"), d.get("day_type"))
                g, o = sorted(map(str, map(key, g))), sorted(map(str, map(key, o or [])))
            if field == "documents":
                if not g:
                    continue
                g, o = len(g), len(o or [])
            if field == "addressee" and r["modality"] not in ("obligation", "prohibition"):
                continue
            if g != o:
                seen[r["doc"]] += 1
                extra = u.get("documents") if field == "documents" else (u.get("modality"), u.get("addressee"))
                print(f"--- {r['doc'][:22]} [{r['label']}<{r['parent']}] gold={g} out={o} {extra}")
                print("    gold:", r.get("documents") if field == "documents" else (r["modality"], r["addressee"]))
                print("   ", r["text"][:300])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
