"""Clause numbers as lawyers print them, for Russian, Kazakh and Kyrgyz acts.

One table of patterns serves every format: a reader that knows no structure
(TXT, PDF) and Word's resolved numbering both end up here. Each pattern yields
the kind of unit, the label exactly as cited ("12.", "5.1.", "3)", "а)",
"Глава 2", "1-тарау", "Приложение 1") and the text after it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

ROMAN = "IVXLCХ"  # Cyrillic Х is typed for the Latin X in many Russian acts
_DASH = "-‐‑–—"


@dataclass(frozen=True)
class Label:
    kind: str       # chapter, section, article, paragraph, subparagraph, appendix
    label: str
    rest: str
    rank: int       # nesting rank: smaller encloses larger
    depth: int = 1  # components of a dotted number ("4.3.1." -> 3)
    letter: bool = False


# heading-like units: a word and a number, in either order
_HEADINGS: list[tuple[re.Pattern[str], str, int, str]] = [
    (re.compile(rf"^(?:РАЗДЕЛ|Раздел)\s+([\d{ROMAN}]+(?:[{_DASH}]\d+)?)\.?(?=\s|$)"), "section", 20, "Раздел {}"),
    (re.compile(rf"^(\d+)[{_DASH}](?:бөлім|БӨЛІМ|бөлүм|БӨЛҮМ)\.?(?=\s|$)"), "section", 20, "{}-бөлім"),
    (re.compile(rf"^(?:ГЛАВА|Глава)\s+([\d{ROMAN}]+(?:[{_DASH}]\d+)?)\.?(?=\s|$)"), "chapter", 30, "Глава {}"),
    (re.compile(rf"^(\d+(?:[{_DASH}]\d+)?)[{_DASH}](?:тарау|ТАРАУ)\.?(?=\s|$)"), "chapter", 30, "{}-тарау"),
    (re.compile(rf"^(\d+)[{_DASH}](?:глава|ГЛАВА)\.?(?=\s|$)"), "chapter", 30, "{}-глава"),
    (re.compile(rf"^(?:СТАТЬЯ|Статья)\s+(\d+(?:[{_DASH}.]\d+)*)\.?(?=\s|$)"), "article", 40, "Статья {}"),
    (re.compile(rf"^(\d+(?:[{_DASH}]\d+)?)[{_DASH}](?:бап|БАП|берене|БЕРЕНЕ)\.?(?=\s|$)"), "article", 40, "{}-бап"),
]
_ROMAN_SECTION = re.compile(rf"^([{ROMAN}]{{1,6}})\.\s+(?=\S)")
_APPENDIX = re.compile(
    rf"^(?:ПРИЛОЖЕНИЕ|Приложение)(?:(?:\s*(?:№|N(?=\s*\d))\s*|\s+)(\d+(?:[{_DASH}.]\d+)*))?\.?(?=\s|$)")
_APPENDIX_KK = re.compile(rf"^(?:(\d+(?:[{_DASH}]\d+)?)[{_DASH}])?(?:қосымша|Қосымша|ҚОСЫМША|тиркеме|Тиркеме|ТИРКЕМЕ)\.?(?=\s|$)")
_DOTTED = re.compile(r"^(\d{1,3}(?:-\d{1,2})?(?:\.\d{1,3}(?:-\d{1,2})?)*)(\.)?(?=\s|$)")
_PAREN_NUM = re.compile(r"^(\d{1,3}(?:-\d{1,2})?)\)(?=\s|$)")
_PAREN_LETTER = re.compile(r"^([а-яёa-z])\)(?=\s|$)")


def _word_number_label(template: str, num: str) -> str:
    return template.format(re.sub(f"[{_DASH}]", "-", num))


def find_label(text: str, *, heading_hint: bool = False) -> Label | None:
    """The clause number at the start of `text`, or None.

    `heading_hint` is set when the format marks the line as a heading or centred:
    only then does a bare roman numeral ("IV. ...") count as a section.
    """
    t = text.lstrip()
    for pat, kind, rank, template in _HEADINGS:
        m = pat.match(t)
        if m:
            return Label(kind, _word_number_label(template, m.group(1)), t[m.end():].lstrip(" .–—-"), rank)
    m = _APPENDIX.match(t) or _APPENDIX_KK.match(t)
    if m:
        num = m.group(1)
        if m.re is _APPENDIX:
            lab = f"Приложение {num}" if num else "Приложение"
        else:
            word = t[m.start():m.end()].split("-")[-1].rstrip(".").lower()
            lab = f"{num}-{word}" if num else word.capitalize()
        return Label("appendix", re.sub(f"[{_DASH}]", "-", lab), t[m.end():].strip(), 10)
    m = _ROMAN_SECTION.match(t)
    if m and (heading_hint or len(t) < 250) and not t.rstrip().endswith((";", ",")):
        return Label("section", m.group(1) + ".", t[m.end():].strip(), 20)
    m = _PAREN_NUM.match(t)
    if m:
        return Label("subparagraph", m.group(1) + ")", t[m.end():].strip(), 70)
    m = _PAREN_LETTER.match(t)
    if m:
        return Label("subparagraph", m.group(1) + ")", t[m.end():].strip(), 80, letter=True)
    m = _DOTTED.match(t)
    if m:
        num = m.group(1)
        parts = num.split(".")
        if len(parts) == 1 and not m.group(2):
            return None  # a bare number ("2023 год", "5 рабочих дней") is not a label
        depth = len(parts)
        kind = "paragraph" if depth == 1 else "subparagraph" if depth == 2 else "item"
        return Label(kind, num + ".", t[m.end():].strip(), 50 + depth, depth=depth)
    return None


def starts_with_label(text: str) -> bool:
    lab = find_label(text)
    return lab is not None and lab.kind != "section"


def parse_given_label(label: str) -> Label | None:
    """Classify a label that the format supplied (Word's automatic numbering)."""
    lab = find_label(label.strip() + " x")
    if lab is None:
        return None
    return Label(lab.kind, label.strip(), "", lab.rank, lab.depth, lab.letter)
