"""References a clause makes: to other acts, to appendices, to provisions.

"согласно приложению 2 к настоящим Правилам" -> {"kind": "appendix", "number": "2", "of": ...};
"Закона Республики Казахстан от 15 апреля 2013 года № 88-V «О государственных услугах»" ->
{"kind": "act", "type": "закон", "date": "2013-04-15", "number": "88-V", "title": ...};
"пунктом 33 Регламента" -> {"kind": "provision", ...}. Patterns: nlp/patterns/references.json.
"""
from __future__ import annotations

import re
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc

from nlp import morph
from nlp.pipeline import load_patterns

_P = load_patterns("references")
_APPENDIX = re.compile(_P["appendix"], re.I)
_APPENDIX_BARE = re.compile(_P["appendix_bare"], re.I)
_ACT = re.compile(_P["act"])
_PROVISION = re.compile(_P["provision"], re.I)
_MONTHS: dict[str, int] = _P["months"]
_ACT_WORDS = ("закон", "кодекс", "указ", "постановлен", "приказ", "решени", "распоряжен")
_PROV_WORDS = ("пункт", "стать", "глав", "част", "раздел", "абзац")

if not Doc.has_extension("references"):
    Doc.set_extension("references", default=None)


def _iso(date: str | None) -> str | None:
    if not date:
        return None
    parts = date.replace(".", " ").split()
    try:
        day, year = int(parts[0]), int(parts[2])
        month = int(parts[1]) if parts[1].isdigit() else _MONTHS.get(parts[1].lower())
    except (ValueError, IndexError):
        return None
    if not month or not (1 <= day <= 31 and 1 <= month <= 12):
        return None
    return f"{year:04d}-{month:02d}-{day:02d}"


def find_references(text: str) -> list[dict[str, Any]]:
    """Every reference in the text, in order of appearance."""
    out: list[tuple[int, dict[str, Any]]] = []
    taken: list[tuple[int, int]] = []
    low = text.lower()
    # cheap substring tests first: most clauses cite nothing, and the regexes are not cheap
    has_app = "прилож" in low or "прилага" in low
    has_act = any(w in low for w in _ACT_WORDS)
    has_prov = any(w in low for w in _PROV_WORDS)
    for m in _APPENDIX.finditer(text) if has_app else ():
        out.append((m.start(), {"kind": "appendix", "text": m.group(0), "number": m.group(1),
                                "of": m.group(2)}))
        taken.append(m.span())
    for m in _APPENDIX_BARE.finditer(text) if has_app else ():
        if not any(a <= m.start() < b for a, b in taken):
            out.append((m.start(), {"kind": "appendix", "text": m.group(0), "number": None, "of": m.group(1)}))
    for m in _ACT.finditer(text) if has_act else ():
        if not (m.group("date") or m.group("number") or m.group("title")):
            continue
        kind_word = m.group("type").split()[-1]
        out.append((m.start(), {"kind": "act", "text": m.group(0).strip(), "type": morph.lemma(kind_word),
                                "issuer": (m.group("issuer") or "").strip() or None,
                                "date": _iso(m.group("date")), "number": m.group("number"),
                                "title": m.group("title")}))
    for m in _PROVISION.finditer(text) if has_prov else ():
        out.append((m.start(), {"kind": "provision", "text": m.group(0),
                                "unit": morph.lemma(m.group("kind")), "number": m.group("number")}))
    out.sort(key=lambda p: p[0])
    return [r for _, r in out]


@Language.factory("norma_references")
def make_references(nlp: Language, name: str) -> NormaReferences:
    return NormaReferences()


class NormaReferences:
    """Sets doc._.references (list of dicts, see find_references)."""

    def __call__(self, doc: Doc) -> Doc:
        ext = doc._
        ext.references = find_references(ext.text)
        return doc
