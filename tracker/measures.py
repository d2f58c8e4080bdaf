"""Proposed measures as data: read them from JSON, CSV or a plan-of-measures table, store them.

A measure is what a government announced ("Сокращение сроков принятия решений"); the linker
ranks them for every clause. Lists arrive as the project's JSON (eval/measures.json), as a
spreadsheet saved to CSV, or as the plan itself: a DOCX/HTML/MD table with columns like
"№ / Мероприятие / Срок / Ответственные". The plan is read through `parsers.parse_file`, so
Word's automatic row numbers come back resolved, like every other act.
"""
from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import sqlite_utils

from parsers import ParseError, parse_file
from parsers.model import Act
from tracker.dates import now_utc
from tracker.db import write_transaction

MAX_BYTES = 20 * 1024 * 1024


@dataclass
class Measure:
    id: str
    ru: str = ""                    # empty for a plan printed only in Kazakh (then kk holds the text)
    en: str | None = None
    kk: str | None = None
    source: str | None = None
    deadline: str | None = None
    responsible: str | None = None
    section: str | None = None      # the plan's heading row above it, if any

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of eval/measures.json (id, ru, en, ...), without empty fields."""
        return {k: v for k, v in asdict(self).items() if v not in (None, "")}


# Column names as they appear in real files, folded; a header cell matches a field when it
# contains one of these (hand-written: header wording varies and there is no standard).
_COLUMNS: dict[str, tuple[str, ...]] = {
    "id": ("id", "№", "n п/п", "номер", "no", "nr"),
    "ru": ("ru", "text", "measure", "мероприят", "наименование", "текст", "содержание", "мера",
           "атауы", "шара"),
    "en": ("en", "english"),
    "kk": ("kk", "kz", "қазақ"),
    "source": ("source", "источник"),
    "deadline": ("deadline", "срок", "мерзім", "мерзiм", "due"),
    "responsible": ("responsible", "ответствен", "исполнител", "жауапты", "орындаушы"),
}


def _fold(s: str) -> str:
    return " ".join(str(s).lower().replace("ё", "е").split())


def _field_of(header: str) -> str | None:
    h = _fold(header)
    if not h:
        return None
    if h in _COLUMNS:                 # exact names first: "ru", "en", "id"
        return h
    for name in ("id", "deadline", "responsible", "source", "kk", "ru", "en"):
        for key in _COLUMNS[name]:
            if len(key) > 2 and key in h or h == key or (key == "№" and h.startswith("№")):
                return name
    return None


def _clean(value: Any) -> str | None:
    if value is None:
        return None
    s = " ".join(str(value).split())
    return s or None


def _number(value: str | None) -> str | None:
    """"1." -> "1", "12.3." -> "12.3"; None when the cell is not a number."""
    if not value:
        return None
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)*)\.?\)?\s*", value)
    return m.group(1) if m else None


def measures_from_records(records: Iterable[Mapping[str, Any]], source: str | None = None) -> list[Measure]:
    """Measures from dicts keyed by field names or by column headers ("Мероприятие", "Срок")."""
    out: list[Measure] = []
    seen: set[str] = set()
    for n, rec in enumerate(records, 1):
        if not isinstance(rec, Mapping):
            raise ParseError(f"measure {n} is not an object with fields")
        fields: dict[str, str | None] = {}
        for key, value in rec.items():
            name = _field_of(str(key))
            if name and not fields.get(name):
                fields[name] = _clean(value)
        text = fields.get("ru") or fields.get("en") or fields.get("kk")
        if not text:
            continue                  # an empty spreadsheet line
        mid = fields.get("id") or str(n)
        mid = _number(mid) or mid
        if mid in seen:
            raise ParseError(f"measure id {mid!r} occurs twice")
        seen.add(mid)
        out.append(Measure(id=mid, ru=fields.get("ru") or text, en=fields.get("en"), kk=fields.get("kk"),
                           source=fields.get("source") or source, deadline=fields.get("deadline"),
                           responsible=fields.get("responsible")))
    if not out:
        raise ParseError("no measures found")
    return out


def measures_from_json(data: bytes, source: str | None = None) -> list[Measure]:
    try:
        obj = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ParseError(f"not valid JSON ({exc})") from None
    if isinstance(obj, Mapping) and isinstance(obj.get("measures"), list):
        obj = obj["measures"]
    if not isinstance(obj, list):
        raise ParseError("JSON must be a list of measures (objects with id and ru)")
    return measures_from_records(obj, source)


def measures_from_csv(data: bytes, source: str | None = None) -> list[Measure]:
    """A CSV/TSV with a header row; the delimiter (, ; tab) is sniffed, Excel's BOM is dropped."""
    for enc in ("utf-8-sig", "cp1251"):
        try:
            text = data.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - cp1251 decodes any byte string
        raise ParseError("cannot decode the CSV file")
    if "\x00" in text:
        raise ParseError("not a text file")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows = list(csv.DictReader(io.StringIO(text), dialect=dialect))
    if not rows:
        raise ParseError("the CSV file has no rows under its header")
    return measures_from_records(rows, source)


def _header(cells: list[str]) -> dict[str, int] | None:
    """Column positions when the row is a plan's header (a text column plus one more known one)."""
    cols: dict[str, int] = {}
    for k, c in enumerate(cells):
        name = _field_of(c)
        if name and name not in cols:
            cols[name] = k
    if "ru" in cols and ({"deadline", "responsible", "id"} & cols.keys()):
        return cols
    return None


def measures_from_act(act: Act, source: str | None = None) -> list[Measure]:
    """The rows of the plan-like tables of a parsed act (DOCX, HTML, MD ...).

    A table starts at a header row (a text column plus a number, deadline or responsible
    column). Rows that span the whole table, or short paragraphs between rows (how some
    readers return a merged row), are section headings; a long paragraph ends the table.
    """
    kazakh = act.language == "kk"
    out: list[Measure] = []
    cols: dict[str, int] | None = None
    section: str | None = None
    seen: set[str] = set()
    for unit in act.units:
        if unit.kind != "table_row":
            if cols is not None and unit.text and len(unit.text) <= 200 and not unit.label:
                section = _clean(unit.text)
            elif cols is not None:
                cols, section = None, None
            continue
        cells = [_clean(c) or "" for c in (unit.cells or [unit.text])]
        header = _header(cells)
        if header:
            cols = header             # a table's header, or the header repeated on a new page
            continue
        if cols is None:
            continue
        filled = [c for c in cells if c]
        if not filled or len(set(filled)) == 1 and not _number(filled[0]):
            section = filled[0] if filled else section   # a heading across the row
            continue
        if all(re.fullmatch(r"\d+", c) for c in filled):
            continue                  # the "1 2 3 4" row that numbers the columns

        def cell(name: str, cells: list[str] = cells, cols: dict[str, int] = cols) -> str | None:
            k = cols.get(name)
            return _clean(cells[k]) if k is not None and k < len(cells) else None

        text = cell("ru")
        if not text:
            continue
        mid = _number(cell("id")) or _number(unit.label.replace("table:", "")) or str(len(out) + 1)
        base, k = mid, 2
        while mid in seen:
            mid, k = f"{base}-{k}", k + 1
        seen.add(mid)
        out.append(Measure(id=mid, ru="" if kazakh else text, kk=text if kazakh else None,
                           source=source or act.file, deadline=cell("deadline"),
                           responsible=cell("responsible"), section=section))
    if not out:
        raise ParseError("no table of measures found (expected columns like № / Мероприятие / Срок / Ответственные)")
    return out


def load_measures(path: str | Path, source: str | None = None) -> list[Measure]:
    """Measures from a .json or .csv/.tsv file, or from a plan table in any format Norma parses.

    Bad input raises ParseError with a reason a user can act on.
    """
    p = Path(path)
    try:
        if p.is_dir():
            raise ParseError("is a folder, not a file")
        size = p.stat().st_size
    except OSError as exc:
        raise ParseError(f"cannot read file ({exc.strerror})") from None
    if size > MAX_BYTES:
        raise ParseError(f"too large: {size} bytes, the limit is {MAX_BYTES} bytes")
    suffix = p.suffix.lower()
    if suffix in (".json", ".csv", ".tsv"):
        data = p.read_bytes()
        if not data.strip():
            raise ParseError("empty file")
        return measures_from_json(data, source) if suffix == ".json" else measures_from_csv(data, source)
    return measures_from_act(parse_file(p), source)


# --- storage -----------------------------------------------------------------------------------

def save_measures(db: sqlite_utils.Database, measures: Iterable[Measure]) -> int:
    """Insert or replace measures by id (a re-import updates their text); return how many."""
    rows = [{**asdict(m), "imported_at": now_utc()} for m in measures]
    with write_transaction(db):
        db["measures"].upsert_all(rows, pk="id")
    return len(rows)


def list_measures(db: sqlite_utils.Database, ids: Iterable[str] | None = None) -> list[Measure]:
    """Stored measures in id order (all, or those with the given ids)."""
    wanted = list(ids) if ids is not None else None
    rows = db.query("SELECT id, ru, en, kk, source, deadline, responsible, section FROM measures ORDER BY id")
    out = [Measure(**r) for r in rows]
    return out if wanted is None else [m for m in out if m.id in set(wanted)]
