"""Blocks to the numbered tree of an act, the same rules for every format.

A stack of open units: each numbered block closes every open unit of the same
or a deeper rank and becomes the child of what stays open. Ranks, outermost
first: appendix to the order, appendix to the rules, section, chapter,
article, paragraph ("12.", then "5.1.", "5.1.1."), sub-paragraph ("1)"),
lettered sub-paragraph ("а)"). Unnumbered text, amendment notes and table rows
hang under the innermost open unit.
"""
from __future__ import annotations

import re

from parsers.api import Read
from parsers.labels import Label, find_label, parse_given_label
from parsers.meta import detect_language, extract_metadata
from parsers.model import Act, Block, Unit

_ORDER_APPENDIX = re.compile(
    r"^(?:к\s+(?:совместному\s+)?(?:приказу|постановлению|решению|распоряжению|указу|протоколу)"
    r"|.{0,80}(?:бұйрығына|бұйрыққа|қаулысына|қаулыға|шешіміне|шешімге|токтомуна|буйругуна))",
    re.I | re.S)
_NOTE = re.compile(
    r"^(?:(?:Сноска|Ескерту|Примечание ИЗПИ|ИЗПИ назары|Примечание РЦПИ|КонсультантПлюс: примечание)\s*[.:!]"
    # "(В редакции Закона ...)", "(в ред. постановлений ...)", "(п. 1 в ред. ...)", "(преамбула в ред. ...)"
    r"|\((?:[^()]{0,40}\s)?(?:В редакции|в редакции|в ред\.|Утратил|утратил|Исключен|исключен|Дополнен|дополнен)"
    r"[^)]*\)$)")
_CLOSER = re.compile(
    r"^(?:«?СОГЛАСОВАН[ОАЫ]?»?|«?УТВЕРЖДЕН[ОАЫ]?»?|Утвержден[аоы]?\s|Министр\s+[А-ЯЁ]\.|Председатель\b"
    r"|Министр\b.{0,60}\s[А-ЯЁ]\.\s?[А-ЯЁ]\.)")
_APPENDIX_RANK_ORDER = 5
_PARAGRAPH_RANK = 50


def build_act(read: Read, *, file: str, fmt: str) -> Act:
    units: list[Unit] = []
    stack: list[tuple[int, Unit]] = []

    def add(kind: str, label: str, text: str, block: Block, parent: Unit | None, **kw) -> Unit:
        u = Unit(id=f"u{len(units) + 1}", parent=parent.id if parent else None, kind=kind,
                 label=label, text=text, page=block.page, **kw)
        units.append(u)
        return u

    def close_paragraphs() -> Unit | None:
        while stack and stack[-1][0] >= _PARAGRAPH_RANK:
            stack.pop()
        return stack[-1][1] if stack else None

    for block in read.blocks:
        top = stack[-1][1] if stack else None
        if block.note:  # a footnote or endnote (its paragraphs and table rows alike)
            if block.text:
                add("text", "", block.text, block, top, role="note")
            continue
        if block.cells is not None:
            filled = [c for c in block.cells if c.strip()]
            if len(filled) != 1:
                label, text, cells = _table_row(block.cells)
                if not label and _CLOSER.match(text):  # a signature or approval table
                    top = close_paragraphs()
                if text or label:
                    add("table_row", label, text, block, top, cells=cells)
                continue
            # a one-cell table is a framed paragraph (ConsultantPlus notes, boxed headings)
            block = Block(text=filled[0].strip(), page=block.page)
        text = block.text
        if not text:
            continue
        if _NOTE.match(text):
            add("text", "", text, block, top, role="note")
            continue
        lab = _label_of(block)
        if lab is None:
            if block.heading or block.quote or (block.bold and len(text) < 200) or _CLOSER.match(text):
                # a heading, a stamp set apart or a signature closes the open paragraphs:
                # it belongs to the act or the appendix, not to the last clause
                top = close_paragraphs()
            add("text", "", text, block, top)
            continue
        rank = lab.rank
        if lab.kind == "appendix" and _ORDER_APPENDIX.match(lab.rest):
            rank = _APPENDIX_RANK_ORDER
        while stack and stack[-1][0] >= rank:
            stack.pop()
        parent = stack[-1][1] if stack else None
        kind = lab.kind
        if kind == "subparagraph" and not lab.depth > 1 and parent is not None \
                and parent.kind in ("subparagraph", "item") and parent.label.endswith(")"):
            kind = "item"
        unit = add(kind, lab.label, lab.rest, block, parent)
        stack.append((rank, unit))

    _demote_form_fields(units)
    act = Act(file=file, format=fmt, units=units, warnings=list(read.warnings))
    act.language = detect_language(" ".join(u.text for u in units[:200]))
    extract_metadata(act, read.blocks, read.title_hint)
    return act


def _label_of(block: Block) -> Label | None:
    if block.label:
        given = parse_given_label(block.label)
        if given is not None:
            return Label(given.kind, given.label, block.text, given.rank, given.depth, given.letter)
        # an unusual Word number ("Статья 1" from a template) is kept as printed
        return Label("paragraph", block.label.strip(), block.text, _PARAGRAPH_RANK + 1)
    lab = find_label(block.text, heading_hint=bool(block.heading or block.centered or block.bold))
    if lab is None:
        return None
    if lab.kind == "appendix" and not _is_appendix_stamp(block, lab):
        return None
    return lab


def _is_appendix_stamp(block: Block, lab: Label) -> bool:
    """"Приложение 1 к Правилам" set apart, not a sentence that starts with the word."""
    rest = lab.rest
    return (block.quote or block.centered or bool(block.heading) or not rest
            or rest[:2].lower() == "к " or len(block.text) < 120 and not rest.endswith((".", ";")))


_BLANK = re.compile(r"_{5,}|\.{10,}")


def _demote_form_fields(units: list[Unit]) -> None:
    """Numbers inside a form (an appendix with fill-in blanks) number its fields, not clauses.

    "1. БИН юридического лица ______" in an application form is not a paragraph a
    lawyer cites; its number goes back into its text and it hangs under the appendix.
    """
    starts = [i for i, u in enumerate(units) if u.kind == "appendix"] + [len(units)]
    for a, b in zip(starts, starts[1:], strict=False):
        scope = units[a + 1:b]
        if sum(bool(_BLANK.search(u.text)) for u in scope) < 3:
            continue
        appendix = units[a]
        for u in scope:
            if u.kind in ("paragraph", "subparagraph", "item"):
                u.text = f"{u.label} {u.text}".strip()
                u.label, u.kind = "", "text"
            u.parent = appendix.id


_ROW_NUMBER = re.compile(r"^(\d{1,3})(?:\.\d{1,3})*\.?$")


def _table_row(cells: list[str]) -> tuple[str, str, list[str]]:
    """A service-standard table row is cited by its number cell: "table:8"."""
    cells = [c.strip() for c in cells]
    nonempty = [i for i, c in enumerate(cells) if c]
    if nonempty:
        first = nonempty[0]
        m = _ROW_NUMBER.match(cells[first])
        if m and len(nonempty) > 1:
            rest = [c for c in cells[first + 1:] if c]
            return f"table:{cells[first].rstrip('.')}", " ".join(rest), cells
    return "", " ".join(c for c in cells if c), cells
