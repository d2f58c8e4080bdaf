"""PDF reader: the text layer of a PDF as a flat stream of paragraph and table-row blocks.

Why pypdfium2 and not pdfplumber: PDFium (through pypdfium2's raw ctypes API)
extracts text about 100x faster than pdfminer/pdfplumber, which is what keeps
Norma within a small factor of poppler's ``pdftotext`` (see bench/bench_pdf.py).
PDFium also does two chores for us: it drops the doubled glyphs of "fake bold"
text (a string painted twice with a small offset) and it marks a hyphen that
ends a line with U+FFFE. pdfplumber is not needed: on every PDF of the corpus it
decodes exactly what PDFium decodes (the garbled one included), so there is no
fallback to it.

PDFium has no notion of paragraphs, tables, headers or footers, so this module
adds them, working on *lines* (a run of characters PDFium puts between two line
breaks) rather than on characters: a handful of ctypes calls per line instead
of one per character is what keeps the reader fast.

1. Lines: text, the left/right edge, the baseline, font size and weight.
   On pages that may hold a table, the horizontal gaps inside a line are also
   measured, because PDFium joins the cells of one table row into one line.
2. The text layer is checked: no text at all (a scan), text that is garbage
   (fonts without a ToUnicode map), pages that are scans inside a text PDF.
3. Running headers/footers (lines at the top/bottom of many pages that repeat
   once digits are masked) and page numbers ("3", "- 3 -", "Страница 3 из 20")
   are dropped.
4. Tables: ruled grids from thin path objects (Word and LibreOffice draw cell
   borders as thin filled rectangles or stroked lines), and unruled tables from
   lines that sit side by side on one baseline. Rows come from the horizontal
   rules or, without rules, from blank bands across the whole table.
5. The remaining lines become paragraphs: a new one starts at a clause number
   ("12.", "5.1.", "1)", "а)", "Глава 2", "Приложение 1" - the rules of
   parsers/labels.py), a first-line indent, a gap larger than the line spacing,
   a change of font size, weight, centring or right alignment. A paragraph that
   runs over a page break stays one block.

PDFium is not thread-safe, so every call goes through one lock.
"""
from __future__ import annotations

import ctypes
import logging
import re
import threading
from collections import Counter
from functools import lru_cache
from statistics import median

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from parsers.api import Read
from parsers.errors import ParseError
from parsers.labels import find_label
from parsers.model import Block

log = logging.getLogger(__name__)

_LOCK = threading.Lock()   # PDFium keeps global state: one document operation at a time

MAX_PAGES = 5000           # refuse documents beyond this (a law code has a few hundred)
MAX_PATHS_PER_PAGE = 4000  # a page with more vector paths is a drawing, not a table
BOLD_WEIGHT = 600

_HYPHEN_MARK = "\ufffe"    # PDFium's "hyphen at the end of a line"
_LINE_RE = re.compile(r"[^\r\n]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\ufeff\ufffe\uffff]")
_WS = re.compile(r"\s+")


# ----------------------------------------------------------------------------------------------
# lines


class Line:
    """One visual line of text (or, after splitting at table columns, one cell piece)."""

    __slots__ = ("text", "x0", "x1", "base", "size", "bold", "hyphen", "page", "gaps",
                 "top", "bottom", "centered", "quote", "sbs")

    def __init__(self, text: str, x0: float, x1: float, base: float, size: float, bold: bool,
                 hyphen: bool, page: int, gaps: list[tuple[int, float, float]] | None = None):
        self.text = text
        self.x0 = x0
        self.x1 = x1
        self.base = base
        self.size = size
        self.bold = bold
        self.hyphen = hyphen        # ends with a line-break hyphen (PDFium's U+FFFE)
        self.page = page
        self.gaps = gaps            # (offset in text, left piece's right edge, right piece's left edge)
        self.top = base + 0.78 * size
        self.bottom = base - 0.22 * size
        self.centered = False
        self.quote = False
        self.sbs = False            # shares its baseline with another, separate line

    def __repr__(self) -> str:  # debugging aid
        return f"Line(p{self.page} {self.x0:.0f}-{self.x1:.0f} @{self.base:.0f} {self.text[:40]!r})"


class PageData:
    __slots__ = ("number", "width", "height", "lines", "hrules", "vrules", "scanned", "chars")

    def __init__(self, number: int, width: float, height: float):
        self.number = number
        self.width = width
        self.height = height
        self.lines: list[Line] = []
        self.hrules: list[tuple[float, float, float]] = []   # (y, x0, x1)
        self.vrules: list[tuple[float, float, float]] = []   # (x, y0, y1)
        self.scanned = False
        self.chars = 0


def read(data: bytes, name: str) -> Read:
    """Read a PDF's text layer into blocks; raise ParseError for what Norma cannot read."""
    with _LOCK:
        try:
            return _read(data)
        except ParseError:
            raise
        except Exception as exc:  # noqa: BLE001 - hostile input must end as a ParseError
            log.exception("PDF reader failed on %s", name)
            raise ParseError(f"damaged PDF: cannot be read ({type(exc).__name__}: {exc})") from None


def _read(data: bytes) -> Read:
    doc = _open(data)
    warnings: list[str] = []
    try:
        n_pages = len(doc)
        if n_pages == 0:
            raise ParseError("damaged PDF: it has no pages")
        if n_pages > MAX_PAGES:
            raise ParseError(f"too many pages: {n_pages}, the limit is {MAX_PAGES}")
        pages: list[PageData] = []
        gap_pages = False
        for i in range(n_pages):
            try:
                pd = _extract_page(doc, i, measure_gaps=gap_pages)
            except pdfium.PdfiumError:
                warnings.append(f"page {i + 1}: cannot be read")
                continue
            gap_pages = pd.lines and _may_hold_table(pd)
            pages.append(pd)
    finally:
        doc.close()
    _check_text_layer(pages, n_pages, warnings)
    _drop_running_lines(pages)
    tables = _Tables(warnings)
    items_by_page = [tables.page_items(pd) for pd in pages]
    blocks = _Assembler(pages, items_by_page).blocks()
    return Read(blocks=blocks, warnings=warnings)


def _open(data: bytes) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        code = getattr(exc, "err_code", None)
        if code == pdfium_c.FPDF_ERR_PASSWORD:
            raise ParseError("encrypted PDF: a password is required") from None
        if code == pdfium_c.FPDF_ERR_SECURITY:
            raise ParseError("encrypted PDF: its security handler is not supported") from None
        if code == pdfium_c.FPDF_ERR_FORMAT:
            raise ParseError("damaged PDF: the file structure is broken (truncated or corrupted)") from None
        raise ParseError(f"damaged PDF: cannot be opened ({exc})") from None


def _extract_page(doc: pdfium.PdfDocument, index: int, measure_gaps: bool) -> PageData:
    """Lines and ruling lines of one page; the text page is closed before returning."""
    page = doc[index]
    try:
        width, height = page.get_size()
        pd = PageData(index + 1, width, height)
        textpage = page.get_textpage()
        try:
            n = textpage.count_chars()
            pd.chars = n
            if n > 0:
                text = textpage.get_text_range()
                if len(text) != n:   # PDFium left out or added characters: read them one by one
                    text = "".join(_char(textpage.raw, k) for k in range(n))
                pd.lines = _lines(textpage.raw, text, pd.number)
            _read_rules(page.raw, pd)
            if pd.lines and (measure_gaps or _may_hold_table(pd)):
                for line_ in pd.lines:
                    pass
                _measure_gaps(textpage.raw, text, pd)
        finally:
            textpage.close()
        if not any(line.text for line in pd.lines):
            pd.scanned = _has_image(page.raw)
        return pd
    finally:
        page.close()


def _char(raw, k: int) -> str:
    code = pdfium_c.FPDFText_GetUnicode(raw, k)
    try:
        return chr(code) if code else " "
    except (ValueError, OverflowError):
        return "\ufffd"


# ctypes out-parameters, reused (all calls happen under _LOCK)
_RECT = pdfium_c.FS_RECTF()
_OX = ctypes.c_double()
_OY = ctypes.c_double()


def _lines(raw, text: str, page_no: int) -> list[Line]:
    """Split PDFium's text into visual lines with their geometry.

    PDFium writes CR LF between lines, except after a line-end hyphen, which it
    turns into U+FFFE and glues to the next line: split there too, so that a
    page number glued to the last line becomes a line of its own.
    """
    loose = pdfium_c.FPDFText_GetLooseCharBox
    origin = pdfium_c.FPDFText_GetCharOrigin
    fsize = pdfium_c.FPDFText_GetFontSize
    fweight = pdfium_c.FPDFText_GetFontWeight
    rect, ox, oy = _RECT, _OX, _OY
    out: list[Line] = []
    for m in _LINE_RE.finditer(text):
        seg = m.group()
        start = m.start()
        parts = seg.split(_HYPHEN_MARK) if _HYPHEN_MARK in seg else (seg,)
        last_part = len(parts) - 1
        for pi, part in enumerate(parts):
            hyphen = pi < last_part
            stripped = part.strip()
            if not stripped:
                start += len(part) + 1
                continue
            i0 = start + (len(part) - len(part.lstrip()))
            i1 = start + len(part.rstrip()) - 1
            start += len(part) + 1
            loose(raw, i0, rect)
            x0 = rect.left
            origin(raw, i0, ox, oy)
            base = oy.value
            size = fsize(raw, i0) or (rect.top - rect.bottom) or 10.0
            bold = fweight(raw, i0) >= BOLD_WEIGHT
            if hyphen:
                loose(raw, i1 + len(part) - len(part.rstrip()) + 1 if False else i1, rect)
                x1 = rect.right
                stripped += "-"
            else:
                loose(raw, i1, rect)
                x1 = rect.right
            if x1 < x0:   # right-to-left glyph order or a rotated line: keep a sane box
                x0, x1 = x1, x0
            out.append(Line(stripped, x0, x1, base, size, bold, hyphen, page_no))
    return out
