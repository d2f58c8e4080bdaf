"""Every act with hand-made structure gold parses to its numbered units, as lawyers cite them.

The gold files (tests/fixtures/gold/, copied from ../shared/eval/structure) list each
numbered unit with its label, the start of its text and its parent's label. The
matching mirrors ../shared/eval/score.py: same label, same first 40 characters of
normalised text; table rows are clauses, not structure, and are left out.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from parsers import parse_file

FIX = Path(__file__).parent / "fixtures"
GOLD = sorted((FIX / "gold").glob("*.jsonl"))


def _norm_text(s: str) -> str:
    s = (s or "").lower().replace("ё", "е").replace("\u00ad", "").replace("|", " ")
    s = re.sub(r"[«»\"“”„'’`]", "", s)
    s = re.sub(r"[‐‑‒–—―−]", "-", s)
    return re.sub(r"\s+", " ", s).strip(" .;:,")[:40]


def _norm_label(s: str) -> str:
    return re.sub(r"\s+", "", (s or "").lower().replace("ё", "е")).rstrip(".")


def _same_start(a: str, b: str) -> bool:
    n = min(len(a), len(b))
    return a == b if n < 8 else a[:n] == b[:n]


@pytest.mark.parametrize("gold_path", GOLD, ids=[g.stem for g in GOLD])
def test_numbered_units_and_parents_match_the_gold(gold_path: Path):
    act = parse_file(FIX / gold_path.stem)
    by_id = {u.id: u for u in act.units}
    ours = [(u, _norm_label(u.label), _norm_text(u.text)) for u in act.units
            if u.label and not u.label.startswith("table:")]
    gold = [json.loads(line) for line in gold_path.read_text(encoding="utf-8").splitlines() if line.strip()]
    used: set[int] = set()
    missing, wrong_parent = [], []
    for g in gold:
        gl, gs = _norm_label(g["label"]), _norm_text(g["start"])
        hit = next((i for i, (_, lab, start) in enumerate(ours)
                    if i not in used and lab == gl and _same_start(gs, start)), None)
        if hit is None:
            missing.append(f"{g['label']} {g['start'][:40]}")
            continue
        used.add(hit)
        parent = by_id.get(ours[hit][0].parent)
        if _norm_label(parent.label if parent else "") != _norm_label(g["parent"]):
            wrong_parent.append(g["label"])
    extra = [f"{ours[i][0].label} {ours[i][0].text[:40]}" for i in range(len(ours)) if i not in used]
    assert not missing, f"gold units not found: {missing[:5]}"
    assert not extra, f"numbered units the gold does not have: {extra[:5]}"
    assert not wrong_parent, f"wrong parents: {wrong_parent[:5]}"
