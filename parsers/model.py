"""The document model shared by every reader: an act with ordered units.

Readers produce `Block`s (a flat stream: text with layout hints); `structure.py`
turns blocks into `Unit`s with ids and parent ids. The JSON shape of `Act.to_dict`
is fixed by ../shared/CONTRACT.md.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# kinds fixed by the contract
KINDS = (
    "chapter", "section", "article", "paragraph", "subparagraph", "item",
    "appendix", "table", "table_row", "text",
)


@dataclass
class Block:
    """One paragraph-like piece of a file, before structure is known.

    `label` is set only when the format itself carries the number outside the
    text (Word's automatic numbering); otherwise structure finds it in `text`.
    """

    text: str
    label: str = ""
    page: int | None = None
    heading: int = 0            # 1..6 when the format marks a heading (md '#', Word Heading N)
    bold: bool = False
    centered: bool = False
    quote: bool = False         # set apart on the right/in a quote: appendix stamps, approvals
    table: int | None = None    # index of the table this row belongs to
    row: int | None = None      # 0-based row index inside that table
    cells: list[str] | None = None  # the row's cell texts, for table rows
    list_level: int | None = None   # Word numbering level (ilvl) if any
    note: bool = False              # a footnote or endnote of the block before it (DOCX)


@dataclass
class Unit:
    id: str
    parent: str | None
    kind: str
    label: str
    text: str
    page: int | None = None
    cells: list[str] | None = None
    role: str | None = None     # "note" for amendment notes kept apart from clause text

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "id": self.id, "parent": self.parent, "kind": self.kind,
            "label": self.label, "text": self.text, "page": self.page,
        }
        if self.cells is not None:
            d["cells"] = self.cells
        if self.role:
            d["role"] = self.role
        return d


@dataclass
class Act:
    file: str
    format: str
    language: str = "ru"
    title: str | None = None
    act_type: str | None = None
    number: str | None = None
    date: str | None = None     # ISO yyyy-mm-dd
    issuer: str | None = None
    units: list[Unit] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file, "format": self.format, "language": self.language,
            "title": self.title, "act_type": self.act_type, "number": self.number,
            "date": self.date, "issuer": self.issuer,
            "units": [u.to_dict() for u in self.units],
            "warnings": list(self.warnings),
        }
