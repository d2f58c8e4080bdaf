"""Per-clause facts of an act: modality, addressee, deadlines, documents, fee, references.

`annotate_act(act)` runs the pipeline over every unit once (nlp.pipe) and then uses the tree:

- a lead-in ("Должностные лица ... обязаны:") passes its modality and addressee to those of its
  items that are elliptic (no subject of their own: "проводить проверку ..."), unless its items
  are conditions, grounds or names ("в следующих случаях:", "являются:", "следующие документы:"),
  which are statements (`modality.lead_in_passes`);
- a lead-in that names only a subject ("... орган по контролю и надзору:") takes the modality of
  its items and gives them its subject;
- a lead-in to a list of documents ("прилагаются следующие документы:") counts the documents of
  its items, each item its own;
- a row of a service-standard table ("table:N") that lists documents is the applicant's
  obligation; one that sets a time limit ("Срок оказания государственной услуги ...") the
  authority's.
"""
from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

from spacy.tokens import Doc

from nlp import documents, modality
from nlp.pipeline import get_nlp

_NOT_ITEMS = frozenset({"chapter", "section", "article", "appendix", "table", "table_row", "text"})
_CLAUSES = frozenset({"article", "paragraph", "subparagraph", "item"})
_FORM = re.compile(r"_{4,}")
_TERM = re.compile(r"^\s*(?:Максимальный\s+|Общий\s+)?[Сс]рок\s+(?:оказания|рассмотрения|предоставления|выдачи|"
                   r"исполнения|осуществления|проведения|регистрации)")
_NOTE = re.compile(r"^\s*(?:Сноска|Примечание ИЗПИ|Примечание РЦПИ)\b")


def _is_table_row(u: Any) -> bool:
    return getattr(u, "kind", "") == "table_row" or (u.label or "").startswith("table:")


def _is_item(u: Any) -> bool:
    return getattr(u, "kind", "") not in _NOT_ITEMS and not _is_table_row(u)


def _row_value(u: Any) -> str:
    """A table row's text without its heading cell."""
    cells = getattr(u, "cells", None)
    if cells and len(cells) > 1:
        return " ".join(c for c in cells[1:] if c)
    return u.text or ""


def _owners(units: list[Any]) -> dict[str, str]:
    """Unnumbered paragraphs that continue a clause -> that clause's id.

    A clause's later paragraphs come out of the parser as `text` units under it; they are part
    of the clause (eval/SCHEMA.md: the clause text as printed). A capitalised paragraph under
    the last item of a list ("2) ...; В случае продления срока ...") continues the lead-in, not
    the item. Amendment notes ("Сноска. ...") belong to no clause, nor do lines that do not end
    a sentence (headings between clauses, signatures).
    """
    by_id = {u.id: u for u in units}
    owners: dict[str, str] = {}
    for n, u in enumerate(units):
        if u.kind != "text" or u.label or getattr(u, "role", None) == "note" or _NOTE.match(u.text or ""):
            continue
        p = by_id.get(u.parent)
        text = (u.text or "").rstrip()
        if p is None or p.kind not in _CLAUSES or not text:
            continue
        nxt = units[n + 1] if n + 1 < len(units) else None
        if text[-1] not in ".;:!?" and not (nxt is not None and nxt.kind == "text" and nxt.parent == u.parent):
            continue  # a heading ("Порядок, размер и основания взимания платы ...") or a signature,
            # not a line of a hard-wrapped paragraph, which the next line continues
        if (p.label or "").endswith(")") and text[:1].isupper():
            gp = by_id.get(p.parent)
            if gp is None or gp.kind not in _CLAUSES:
                continue
            p = gp
        owners[u.id] = p.id
    return owners


def _empty(**extra: Any) -> dict[str, Any]:
    return {"modality": modality.OTHER, "addressee": None, "deadlines": [], "documents": [], "fee": False,
            "fee_amounts": [], "references": [], **extra}


def annotate_act(act: Any) -> dict[str, dict[str, Any]]:
    """unit id -> {"modality", "addressee", "deadlines", "documents", "fee", "fee_amounts", "references"}.

    A paragraph that continues a clause (see `_owners`) is read as part of it and gets
    {"part_of": clause id} with empty facts of its own; an amendment note gets {"note": True}.
    """
    nlp = get_nlp(act.language or "ru")
    all_units = list(act.units)
    owners = _owners(all_units)
    extra: dict[str, list[str]] = defaultdict(list)
    for u in all_units:
        if u.id in owners:
            extra[owners[u.id]].append(u.text or "")
    notes = {u.id for u in all_units if getattr(u, "role", None) == "note" or _NOTE.match(u.text or "")}
    units = [u for u in all_units if u.id not in owners and u.id not in notes]
    texts = [" ".join([u.text or "", *extra[u.id]]) if u.id in extra else (u.text or "") for u in units]
    docs: list[Doc] = list(nlp.pipe(texts, batch_size=64))
    by_id = {u.id: (u, d) for u, d in zip(units, docs, strict=True)}
    aliases = modality.find_aliases(docs)
    kids: dict[str | None, list[Any]] = defaultdict(list)
    for u in units:
        kids[u.parent].append(u)
    clauses = {u.id: modality.analyse_clause(d, aliases, table=_is_table_row(u)) for u, d in by_id.values()}

    facts: dict[str, dict[str, Any]] = {}
    for u, d in by_id.values():
        c, ext = clauses[u.id], d._
        fee = ext.fee or {"fee": False, "amounts": []}
        facts[u.id] = {"modality": c.modality, "addressee": c.addressee, "deadlines": list(ext.deadlines or []),
                       "documents": [], "fee": fee["fee"], "fee_amounts": fee["amounts"],
                       "references": list(ext.references or [])}
    _documents(nlp, by_id, kids, facts)
    _lead_ins(units, kids, clauses, facts)
    _rows_and_forms(units, facts)
    for f in facts.values():
        if f["modality"] == modality.DEFINITION:
            f["documents"] = []  # a definition names documents, it does not ask for them
    for uid, owner in owners.items():
        facts[uid] = _empty(part_of=owner)
    for uid in notes:
        facts[uid] = _empty(note=True)
    return facts


def _documents(nlp: Any, by_id: dict[str, tuple[Any, Doc]], kids: dict, facts: dict) -> None:
    """Documents of every clause; a lead-in to a list of documents also counts its items'."""
    for u, d in by_id.values():
        f = facts[u.id]
        if _is_table_row(u):
            # in a service standard only the "Перечень документов" row lists what to submit
            if documents.is_document_row(u.text or ""):
                value = _row_value(u)
                if not getattr(u, "cells", None):
                    value = _strip_row_heading(value)
                f["documents"] = documents.table_documents(value, nlp)
        else:
            f["documents"] = documents.find_documents(d)
    for u, d in by_id.values():
        items = [k for k in kids[u.id] if _is_item(k)]
        if items and documents.list_lead_in(d):
            for k in items:
                facts[k.id]["documents"] = documents.find_documents(by_id[k.id][1], item=True)
                facts[u.id]["documents"].extend(facts[k.id]["documents"])


_DEONTIC = (modality.OBLIGATION, modality.PERMISSION, modality.PROHIBITION)


def _lead_ins(units: list[Any], kids: dict, clauses: dict, facts: dict) -> None:
    """Items take the modality and addressee of their lead-in where they are elliptic (see the
    module docstring); document order puts a lead-in before its items, so nested lists work."""
    for u in units:
        c = clauses[u.id]
        items = [k for k in kids[u.id] if _is_item(k)]
        if not items or c.lead_in is None:
            continue
        lead = c.lead_in
        subject = modality.subject_lead_in(lead)
        if subject is not None:
            first = clauses[items[0].id]
            if first.modality in _DEONTIC:
                if c.cat == modality.NONE:
                    facts[u.id]["modality"], facts[u.id]["addressee"] = first.modality, subject
                    c.cat, c.modality, c.addressee = first.cat, first.modality, subject
                lead = modality.Sentence(cat=first.cat, addressee=subject, toks=lead.toks, roles=lead.roles)
        passes = modality.lead_in_passes(lead)
        lead_mod = modality.modality_of(lead.cat)
        lead_addr = lead.addressee if lead_mod in _DEONTIC else None
        for k in items:
            own, f = clauses[k.id], facts[k.id]
            if not passes:
                if own.cat in (modality.P_STRONG, modality.O_EXP, modality.PERM):
                    f["modality"], f["addressee"] = own.modality, own.addressee
                else:
                    f["modality"], f["addressee"] = modality.OTHER, None
            elif own.explicit or own.cat == modality.P_WEAK or (
                    own.cat == modality.O_IMP and (own.has_subject or lead_mod not in _DEONTIC)):
                f["modality"] = own.modality
                if own.modality not in _DEONTIC:
                    f["addressee"] = None
                else:
                    f["addressee"] = own.addressee if own.has_subject or lead_addr is None else lead_addr
            else:
                f["modality"], f["addressee"] = lead_mod, lead_addr
            own.modality, own.addressee = f["modality"], f["addressee"]


def _rows_and_forms(units: list[Any], facts: dict) -> None:
    """Service-standard table rows; forms to fill in; "Срок оказания ... – N рабочих дней"."""
    for u in units:
        f = facts[u.id]
        if _FORM.search(u.text or ""):
            f["modality"], f["addressee"], f["documents"] = modality.OTHER, None, []
            continue  # a form to fill in ("Прилагается _____ листов.") states no duty
        if _is_table_row(u):
            kind = documents.standard_row_kind(u.text or "")
            if kind == "fact":
                f["modality"], f["addressee"] = modality.OTHER, None
            if f["documents"] and kind == "documents":
                f["modality"], f["addressee"] = modality.OBLIGATION, modality.APPLICANT
            elif f["deadlines"] and f["modality"] == modality.OTHER:
                f["modality"], f["addressee"] = modality.OBLIGATION, modality.AUTHORITY
        elif f["deadlines"] and f["modality"] == modality.OTHER and _TERM.match(u.text or ""):
            f["modality"], f["addressee"] = modality.OBLIGATION, modality.AUTHORITY


def _strip_row_heading(text: str) -> str:
    """Without cells, a document row's text starts with its heading; the entries start at "1)"
    or after "При подаче ...:"; keep from the first of them."""
    m = re.search(r"(?:^|\s)(?:1\)|При\s+(?:подаче|обращении))", text)
    return text[m.start():].strip() if m else text


def merge_facts(act: Any, facts: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The act as CONTRACT.md's JSON, every unit with its facts."""
    out = act.to_dict()
    for unit in out["units"]:
        f = facts.get(unit["id"], {})
        unit.update({"modality": f.get("modality", modality.OTHER), "addressee": f.get("addressee"),
                     "deadlines": f.get("deadlines", []), "documents": f.get("documents", []),
                     "fee": f.get("fee", False), "references": f.get("references", [])})
        if f.get("fee_amounts"):
            unit["fee_amounts"] = f["fee_amounts"]
    return out


def extract_act(act: Any) -> dict[str, Any]:
    """`python -m tracker extract FILE --json`: the act with every unit's facts."""
    return merge_facts(act, annotate_act(act))
