"""The administrative burden of one act, in the spirit of the Standard Cost Model.

The SCM counts the information obligations a regulation puts on business and citizens, what
each requires them to hand in, and how long they wait. From the per-clause facts of
`nlp.extract.annotate_act` this gives, per act:

- requirements: binding norms (obligations and prohibitions), split by who bears them;
- documents: the distinct documents the applicant must submit or present;
- decision time: the authority's time limits, the longest and the total. The total adds up the
  longest limit of each clause that binds the authority, so steps that run one after another
  add up; a limit restated in a service-standard table is counted once per clause that states
  it. Times are in calendar days: a working day counts 7/5 days, an hour 1/24, a month 30, a
  year 365;
- fees: the clauses that charge, with the amounts they name.
"""
from __future__ import annotations

from typing import Any

_DAYS = {"minute": 1 / 1440, "hour": 1 / 24, "day": 1.0, "week": 7.0, "month": 30.0, "year": 365.0}
WORKING_DAY = 7 / 5


def days(deadline: dict[str, Any]) -> float | None:
    """A time limit in calendar days, or None for a fixed date or an unknown unit."""
    try:
        amount = float(deadline.get("amount"))
    except (TypeError, ValueError):
        return None
    per = _DAYS.get(str(deadline.get("unit") or ""))
    if per is None:
        return None
    if deadline.get("unit") == "day" and deadline.get("day_type") == "working":
        per = WORKING_DAY
    return amount * per


def _norm(name: str) -> str:
    return " ".join(name.lower().replace("ё", "е").split())


def summarise(act: Any, facts: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Burden summary of an act from its per-unit facts (unit id -> facts)."""
    by_id = {u.id: u for u in act.units}
    req = {"total": 0, "applicant": 0, "authority": 0, "other": 0}
    permissions = 0
    docs: dict[str, dict[str, Any]] = {}
    steps: list[dict[str, Any]] = []
    fees: list[dict[str, Any]] = []
    for uid, f in facts.items():
        if f.get("part_of"):
            continue
        u = by_id.get(uid)
        label = getattr(u, "label", "") if u is not None else ""
        mod, addr = f.get("modality"), f.get("addressee")
        if mod in ("obligation", "prohibition"):
            req["total"] += 1
            req[addr if addr in ("applicant", "authority") else "other"] += 1
        elif mod == "permission":
            permissions += 1
        if f.get("documents") and (addr == "applicant" or mod == "other"):
            for name in f["documents"]:
                docs.setdefault(_norm(name), {"name": name, "units": []})["units"].append(label or uid)
        if mod in ("obligation", "prohibition") and addr == "authority":
            limits = [(days(d), d) for d in f.get("deadlines") or []]
            limits = [(n, d) for n, d in limits if n is not None]
            if limits:
                n, d = max(limits, key=lambda p: p[0])
                steps.append({"unit": uid, "label": label, "days": round(n, 3), "deadline": d})
        if f.get("fee"):
            fees.append({"unit": uid, "label": label, "amounts": f.get("fee_amounts") or []})
    longest = max(steps, key=lambda s: s["days"]) if steps else None
    return {
        "file": getattr(act, "file", None),
        "requirements": req,
        "permissions": permissions,
        "documents": [v["name"] for v in docs.values()],
        "documents_count": len(docs),
        "decision_time": {
            "longest": longest,
            "total_days": round(sum(s["days"] for s in steps), 3),
            "steps": len(steps),
        },
        "fees": fees,
        "fee_count": len(fees),
    }
