"""How fast is the linker? N clauses x M measures (default 1,000,000 x 100), timed by stage.

    .venv/bin/python bench/bench_link.py [--clauses 1000000] [--measures 100] [--repeat-real]

Clauses come from the corpus: every numbered unit of the readable acts (MD, TXT, HTML) is
parsed, then each synthetic clause joins the first half of one real clause to the second half
of another, so nearly all of the million texts are distinct (no per-text cache can help) while
the words stay real legal Russian. `--repeat-real` samples the real clauses as they are instead.
Facts are attached in the shapes the extractor produces, at rates like the dev gold's
(a time limit in ~15 % of clauses, a document list in ~6 %).

Measures: eval/measures.json plus the rows of the plan-of-measures tables in the corpus
(Minenergo, Mingas, Almaty oblast), the first M of them.

The figure that counts is "link", the time of `Linker.link` over all clauses, with a cold
word-form cache (the first call also looks up every new word form in pymorphy3 and navec).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nlp.linker import Linker, load_rules  # noqa: E402
from parsers import ParseError, parse_file  # noqa: E402
from tracker.measures import load_measures  # noqa: E402

CORPUS = Path("/work/shared/corpus")
EVAL = Path("/work/shared/eval")
PLANS = ("by_minenergo_2022-2024_meropriyatiya_protiv_korrupcii_PLAN.docx",
         "by_mingas_2023_plan_raboty_komissii_PLAN.docx",
         "kz_almaty_oblast_1997_plan_meropriyatiy_maloe_predprinimatelstvo_rus.md")


def corpus_clauses() -> list[str]:
    texts: list[str] = []
    for p in sorted(CORPUS.iterdir()):
        if p.suffix not in (".md", ".txt", ".html") or "_kaz" in p.name:
            continue
        try:
            act = parse_file(p)
        except ParseError:
            continue
        texts.extend(u.text for u in act.units if u.text and len(u.text) > 20)
    return list(dict.fromkeys(texts))


def measures(n: int) -> list[dict]:
    out = [dict(m) for m in json.loads((EVAL / "measures.json").read_text(encoding="utf-8"))]
    for name in PLANS:
        out += [{**m.to_dict(), "id": f"{name[:12]}-{m.id}"} for m in load_measures(CORPUS / name)]
    return out[:n]


FACTS = [
    {"modality": "obligation", "addressee": "authority"},
    {"modality": "obligation", "addressee": "applicant"},
    {"modality": "other", "addressee": None},
    {"modality": "permission", "addressee": "applicant"},
    {"modality": "definition", "addressee": None},
]
DEADLINE = {"text": "в течение пяти рабочих дней", "amount": 5, "unit": "day", "day_type": "working"}


def make_units(real: list[str], n: int, splice: bool, seed: int = 1) -> list[dict]:
    rnd = random.Random(seed)
    words = [t.split() for t in real]
    units = []
    for i in range(n):
        if splice:
            a, b = rnd.choice(words), rnd.choice(words)
            text = " ".join(a[: len(a) // 2] + b[len(b) // 2:])
        else:
            text = rnd.choice(real)
        u = {"id": f"u{i}", "text": text, **FACTS[i % len(FACTS)],
             "deadlines": [DEADLINE] if rnd.random() < 0.15 else [],
             "documents": ["заявление"] if rnd.random() < 0.06 else [], "fee": False}
        units.append(u)
    return units


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clauses", type=int, default=1_000_000)
    ap.add_argument("--measures", type=int, default=100)
    ap.add_argument("--repeat-real", action="store_true")
    args = ap.parse_args()

    t = time.perf_counter()
    real = corpus_clauses()
    ms = measures(args.measures)
    print(f"corpus: {len(real)} distinct real clauses; {len(ms)} measures ({time.perf_counter() - t:.1f} s)")
    t = time.perf_counter()
    units = make_units(real, args.clauses, splice=not args.repeat_real)
    distinct = len({u["text"] for u in units})
    words = sum(len(u["text"].split()) for u in units)
    print(f"generated {len(units)} clauses ({distinct} distinct, {words / len(units):.1f} words each) "
          f"({time.perf_counter() - t:.1f} s)")

    load = os.getloadavg()[0]
    t = time.perf_counter()
    rules = load_rules()
    linker = Linker(ms, rules)
    setup = time.perf_counter() - t
    t, c = time.perf_counter(), time.process_time()
    results = linker.link(units)
    cold, cold_cpu = time.perf_counter() - t, time.process_time() - c
    forms = len(rules.lexicon.forms)
    proposed = sum(len(r) for r in results)
    with_links = sum(1 for r in results if r)
    print(f"setup (rules, navec, measures): {setup:.1f} s")
    print(f"link: {len(units)} clauses x {len(ms)} measures in {cold:.1f} s wall, {cold_cpu:.1f} s CPU "
          f"({len(units) / cold:,.0f} clauses/s), cold word-form cache ({forms} forms); "
          f"load average before: {load:.1f}")
    print(f"  {proposed} links proposed, {with_links} clauses with at least one")
    print("  by stage (wall/CPU): " + ", ".join(f"{k} {w:.1f}/{c:.1f} s" for k, (w, c) in linker.timings.items()))
    linker.timings.clear()
    sample = units[: min(len(units), 200_000)]
    t, c = time.perf_counter(), time.process_time()
    linker.link(sample)
    warm, warm_cpu = time.perf_counter() - t, time.process_time() - c
    print(f"link again, warm cache: {len(sample)} clauses in {warm:.1f} s wall, {warm_cpu:.1f} s CPU "
          f"(-> {warm * len(units) / len(sample):.1f} s wall per {len(units)})")
    print("  by stage (wall/CPU): " + ", ".join(f"{k} {w:.1f}/{c:.1f} s" for k, (w, c) in linker.timings.items()))
    print(f"peak memory: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
