"""PDF reader: the text layer of a PDF as a flat stream of paragraph and table-row blocks.

Why pypdfium2 and not pdfplumber: PDFium (through pypdfium2's raw ctypes API)
extracts text two orders of magnitude faster than pdfminer/pdfplumber, which is
what keeps Norma within a small factor of poppler's ``pdftotext`` (see
bench/bench_pdf.py). PDFium also does two chores for us: it drops the doubled
glyphs of "fake bold" text (a string painted twice with a small offset, what
pdfplumber's ``dedupe_chars`` is for) and it marks a hyphen that ends a line
with U+FFFE. pdfplumber is not used: on every PDF of the corpus it decodes the
same text as PDFium, the garbled one included, so a fallback would buy nothing.

PDFium has no notion of paragraphs, tables, headers or footers, so this module
adds them. It works on *lines* (what PDFium puts between two line breaks), not
on characters: a handful of ctypes calls per line instead of one per character.

1. Lines: text, left and right edge, baseline, font size and weight. On pages
   that may hold a table the gaps between words are measured as well, because
   PDFium runs the cells of a table row that share a baseline into one line.
2. The text layer is checked: no text at all (a scan), text that is garbage
   (fonts without a ToUnicode map), single scanned pages inside a text PDF.
3. Running headers and footers (lines at the top or bottom of many pages that
   repeat once digits are masked) and page numbers are dropped.
4. Tables: ruled grids from thin path objects (the cell borders Word and
   LibreOffice draw), unruled tables from lines that sit side by side or run
   across wide gaps. Rows come from the horizontal rules or, without them, from
   blank bands across the whole table; one block per row with its cells.
5. The other lines become paragraphs. A new one starts at a clause number (the
   rules of parsers/labels.py: "12.", "5.1.", "1)", "а)", "Глава 2",
   "Приложение 1", "I."), a first-line indent, a gap larger than the line
   spacing, a short last line ending a sentence, a change of font size or
   weight, a centred heading or a block set on the right. A paragraph that runs
   over a page break stays one block, on the page where it starts.

PDFium is not thread-safe, so every document is read under one lock.
"""
from __future__ import annotations

import ctypes
import logging
import re
import threading
from bisect import bisect_left
from collections import Counter
from functools import lru_cache

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from parsers.api import Read
from parsers.errors import ParseError
from parsers.labels import find_label
from parsers.model import Block

log = logging.getLogger(__name__)

_LOCK = threading.Lock()   # PDFium keeps global state: one document at a time

MAX_PAGES = 5000           # a law code has a few hundred pages
MAX_PATHS_PER_PAGE = 5000  # a page with more vector paths is a drawing, not a table
BOLD_WEIGHT = 600

_HYPHEN_MARK = "\ufffe"    # PDFium's "this hyphen ends a line"
_LINE_RE = re.compile(r"[^\r\n]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\ufeff\ufffe\uffff]")
_WS = re.compile(r"\s+")


class Line:
    """One visual line of text; after splitting at table columns, one cell's piece of it."""

    __slots__ = ("text", "x0", "x1", "base", "size", "bold", "hyphen", "page", "gaps", "i0",
                 "top", "bottom", "sbs", "wide", "col", "centered", "quote", "flush")

    def __init__(self, text: str, x0: float, x1: float, base: float, size: float, bold: bool,
                 hyphen: bool, page: int, i0: int = -1):
        self.text = text
        self.x0 = x0
        self.x1 = x1
        self.base = base
        self.size = size
        self.bold = bold
        self.hyphen = hyphen         # ends with a line-break hyphen (kept as "-" in text)
        self.page = page
        self.i0 = i0                 # index of the first character in PDFium's text page
        self.gaps: list[tuple[int, float, float]] = []  # (offset in text, left end, right start)
        self.top = base + 0.78 * size
        self.bottom = base - 0.22 * size
        self.sbs = False             # overlaps another line vertically, side by side
        self.wide = False            # has a gap wider than ~2 em inside: cells run together
        self.col = 0
        self.centered = False
        self.quote = False           # set apart on the right
        self.flush = False           # ends at the right margin without starting at the left one

    def __repr__(self) -> str:
        return f"Line(p{self.page} {self.x0:.0f}-{self.x1:.0f} @{self.base:.0f} {self.text[:40]!r})"


class PageData:
    __slots__ = ("number", "width", "height", "lines", "hrules", "vrules", "scanned", "text_len", "tabular")

    def __init__(self, number: int, width: float, height: float):
        self.number = number
        self.width = width
        self.height = height
        self.lines: list[Line] = []
        self.hrules: list[tuple[float, float, float]] = []   # (y, x0, x1)
        self.vrules: list[tuple[float, float, float]] = []   # (x, y0, y1)
        self.scanned = False
        self.text_len = 0
        self.tabular = False        # may hold a table (its line gaps were measured)


# ----------------------------------------------------------------------------------------------
# entry point


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
    warnings: list[str] = []
    doc = _open(data)
    try:
        n_pages = len(doc)
        if n_pages == 0:
            raise ParseError("damaged PDF: it has no pages")
        if n_pages > MAX_PAGES:
            raise ParseError(f"too many pages: {n_pages}, the limit is {MAX_PAGES}")
        pages: list[PageData] = []
        previous_tabular = False
        for i in range(n_pages):
            try:
                pd = _extract_page(doc, i, previous_tabular)
            except pdfium.PdfiumError:
                warnings.append(f"page {i + 1}: cannot be read")
                previous_tabular = False
                continue
            previous_tabular = pd.tabular
            pages.append(pd)
    finally:
        doc.close()
    _check_text_layer(pages, n_pages, warnings)
    _drop_running_lines(pages)
    tables = _Tables(warnings)
    page_items = [tables.page_items(pd) for pd in pages]
    blocks = _Paragraphs(pages, page_items).blocks()
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


# ----------------------------------------------------------------------------------------------
# 1. lines and rules of a page

# ctypes out-parameters, reused: every call happens under _LOCK
_RECT = pdfium_c.FS_RECTF()
_OX, _OY = ctypes.c_double(), ctypes.c_double()
_FL, _FB, _FR, _FT = ctypes.c_float(), ctypes.c_float(), ctypes.c_float(), ctypes.c_float()
_FILL, _STROKE = ctypes.c_int(), ctypes.c_int()
_CR, _CG, _CB, _CA = ctypes.c_uint(), ctypes.c_uint(), ctypes.c_uint(), ctypes.c_uint()
_MATRIX = pdfium_c.FS_MATRIX()
_RL, _RT, _RR, _RB = ctypes.c_double(), ctypes.c_double(), ctypes.c_double(), ctypes.c_double()


def _extract_page(doc: pdfium.PdfDocument, index: int, previous_tabular: bool) -> PageData:
    """Lines and ruling lines of one page; PDFium's page objects are closed on return."""
    page = doc[index]
    try:
        width, height = page.get_size()
        pd = PageData(index + 1, width, height)
        textpage = page.get_textpage()
        try:
            n = textpage.count_chars()
            text = ""
            if n > 0:
                text = textpage.get_text_range()
                if len(text) != n:   # PDFium left out or added characters: read them one by one
                    text = "".join(_char(textpage.raw, k) for k in range(n))
                pd.lines = _lines(textpage.raw, text, pd.number)
            pd.text_len = sum(len(line.text) for line in pd.lines)
            if pd.lines:
                _read_rules(page.raw, pd)
                # gaps only where a table may be: ruling lines, lines side by side, lines with
                # holes in them (cells PDFium ran together), a table going on from the last page
                side_by_side = _mark_side_by_side(sorted(pd.lines, key=_reading_key))
                pd.tabular = bool(side_by_side or len(pd.hrules) >= 2 and len(pd.vrules) >= 2
                                  or _sparse_lines(pd.lines))
                if pd.tabular or previous_tabular:
                    _measure_gaps(textpage.raw, pd.lines)
                    pd.tabular = pd.tabular or any(line.wide for line in pd.lines)
        finally:
            textpage.close()
        if not pd.lines:
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


def _lines(raw, text: str, page_no: int) -> list[Line]:
    """Split PDFium's text into visual lines with their geometry.

    PDFium writes CR LF between lines, except after a line-end hyphen, which it
    turns into U+FFFE and glues to the next line: split there too (a page number
    glued to the last line then becomes a line of its own).
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
        last = len(parts) - 1
        for pi, part in enumerate(parts):
            p_start = start
            start += len(part) + 1
            stripped = part.strip()
            if not stripped:
                continue
            i0 = p_start + (len(part) - len(part.lstrip()))
            i1 = p_start + len(part.rstrip()) - 1
            hyphen = pi < last
            loose(raw, i0, rect)
            x0 = rect.left
            origin(raw, i0, ox, oy)
            base = oy.value
            size = fsize(raw, i0) or (rect.top - rect.bottom) or 10.0
            bold = fweight(raw, i0) >= BOLD_WEIGHT
            loose(raw, p_start + len(part) if hyphen else i1, rect)   # the hyphen itself, if any
            x1 = rect.right
            if x1 < x0:   # glyphs drawn right to left, or a rotated line: keep a sane box
                x0, x1 = x1, x0
            if hyphen:
                stripped += "-"
            out.append(Line(stripped, x0, x1, base, size, bold, hyphen, page_no, i0))
    return out


def _measure_gaps(raw, lines: list[Line]) -> None:
    """Record where a line changes text object across a gap; mark gaps wider than ~2 em.

    Only on pages that may hold a table: PDFium runs the cells of a row that share
    a baseline into one line, but each cell is its own text object, and PDFium's
    text rectangles (FPDFText_CountRects) break exactly there. Justified text keeps
    its words in one object, so its wide word spacing is no cell boundary.
    """
    count_rects, get_rect = pdfium_c.FPDFText_CountRects, pdfium_c.FPDFText_GetRect
    index_at = pdfium_c.FPDFText_GetCharIndexAtPos
    left, top, right, bottom = _RL, _RT, _RR, _RB
    for line in lines:
        n = len(line.text) - (1 if line.hyphen else 0)
        if n < 2 or line.i0 < 0:
            continue
        k = count_rects(raw, line.i0, n)
        if k < 2:
            continue
        prev_right = None
        wide = 1.8 * line.size
        for q in range(k):
            if not get_rect(raw, q, left, top, right, bottom):
                break
            if prev_right is not None:
                gap = left.value - prev_right
                if gap > 0.15 * line.size:
                    idx = index_at(raw, left.value + 1.0, (top.value + bottom.value) / 2, 2.0, 2.0)
                    if not line.i0 < idx < line.i0 + n:
                        idx = _first_char_from(raw, line.i0, n, left.value - 3.0)
                    off = idx - line.i0
                    if 0 < off < n:
                        line.gaps.append((off, prev_right, left.value))
                        if gap > wide:
                            line.wide = True
            prev_right = right.value


def _first_char_from(raw, i0: int, n: int, x: float) -> int:
    """Index of the first character of a line whose box starts at or right of `x` (bisection)."""
    lo, hi = i0, i0 + n
    while lo < hi:
        mid = (lo + hi) // 2
        pdfium_c.FPDFText_GetLooseCharBox(raw, mid, _RECT)
        if _RECT.left < x:
            lo = mid + 1
        else:
            hi = mid
    return lo


def _sparse_lines(lines: list[Line]) -> bool:
    """A line much wider than its characters need hides a gap: cells run together."""
    for line in lines:
        n = len(line.text)
        if n > 4 and (line.x1 - line.x0) > 0.75 * n * line.size:
            return True
    return False


def _read_rules(raw_page, pd: PageData) -> None:
    """Thin horizontal and vertical strokes and bars: candidate table borders."""
    n = pdfium_c.FPDFPage_CountObjects(raw_page)
    get_obj, get_type = pdfium_c.FPDFPage_GetObject, pdfium_c.FPDFPageObj_GetType
    bounds, mode = pdfium_c.FPDFPageObj_GetBounds, pdfium_c.FPDFPath_GetDrawMode
    PATH = pdfium_c.FPDF_PAGEOBJ_PATH
    hr, vr = pd.hrules, pd.vrules
    paths = 0
    for k in range(n):
        obj = get_obj(raw_page, k)
        if get_type(obj) != PATH:
            continue
        paths += 1
        if paths > MAX_PATHS_PER_PAGE:
            hr.clear()
            vr.clear()
            return
        if not bounds(obj, _FL, _FB, _FR, _FT):
            continue
        left, bottom, right, top = _FL.value, _FB.value, _FR.value, _FT.value
        w, h = right - left, top - bottom
        mode(obj, _FILL, _STROKE)
        filled, stroked = _FILL.value != 0, bool(_STROKE.value)
        if h <= 2.5 and w >= 4:
            if filled and not stroked and _is_white(obj):
                continue
            hr.append(((bottom + top) / 2, left, right))
        elif w <= 2.5 and h >= 4:
            if filled and not stroked and _is_white(obj):
                continue
            vr.append(((left + right) / 2, bottom, top))
        elif stroked:
            _path_segments(obj, hr, vr)


def _is_white(obj) -> bool:
    if not pdfium_c.FPDFPageObj_GetFillColor(obj, _CR, _CG, _CB, _CA):
        return False
    return _CA.value == 0 or min(_CR.value, _CG.value, _CB.value) >= 240


def _path_segments(obj, hr: list, vr: list) -> None:
    """Horizontal and vertical straight segments of a stroked path, in page space."""
    count = pdfium_c.FPDFPath_CountSegments(obj)
    if count <= 0 or count > 400:
        return
    if not pdfium_c.FPDFPageObj_GetMatrix(obj, _MATRIX):
        return
    a, b, c, d, e, f = _MATRIX.a, _MATRIX.b, _MATRIX.c, _MATRIX.d, _MATRIX.e, _MATRIX.f
    get_seg, get_point = pdfium_c.FPDFPath_GetPathSegment, pdfium_c.FPDFPathSegment_GetPoint
    seg_type, seg_close = pdfium_c.FPDFPathSegment_GetType, pdfium_c.FPDFPathSegment_GetClose
    px, py = ctypes.c_float(), ctypes.c_float()
    start = prev = None
    for i in range(count):
        seg = get_seg(obj, i)
        if not seg or not get_point(seg, px, py):
            continue
        x, y = a * px.value + c * py.value + e, b * px.value + d * py.value + f
        kind = seg_type(seg)
        if kind == pdfium_c.FPDF_SEGMENT_MOVETO:
            start = prev = (x, y)
            continue
        if kind == pdfium_c.FPDF_SEGMENT_LINETO and prev is not None:
            _add_segment(prev, (x, y), hr, vr)
        prev = (x, y)
        if seg_close(seg) and start is not None:
            _add_segment(prev, start, hr, vr)
            prev = start


def _add_segment(p: tuple[float, float], q: tuple[float, float], hr: list, vr: list) -> None:
    (x0, y0), (x1, y1) = p, q
    if abs(y1 - y0) <= 1.0 and abs(x1 - x0) >= 4:
        hr.append(((y0 + y1) / 2, min(x0, x1), max(x0, x1)))
    elif abs(x1 - x0) <= 1.0 and abs(y1 - y0) >= 4:
        vr.append(((x0 + x1) / 2, min(y0, y1), max(y0, y1)))


def _has_image(raw_page) -> bool:
    n = pdfium_c.FPDFPage_CountObjects(raw_page)
    for k in range(n):
        t = pdfium_c.FPDFPageObj_GetType(pdfium_c.FPDFPage_GetObject(raw_page, k))
        if t in (pdfium_c.FPDF_PAGEOBJ_IMAGE, pdfium_c.FPDF_PAGEOBJ_FORM):
            return True
    return False


def _reading_key(line: Line) -> tuple[float, float]:
    return (-line.base, line.x0)


def _mark_side_by_side(lines: list[Line]) -> int:
    """Mark lines that overlap another line vertically and sit beside it; return their count.

    `lines` is in reading order. PDFium breaks a line where the baseline moves,
    so two separate lines side by side at (nearly) one height are table cells,
    or a footnote mark, which sits right against its word and is not counted.
    """
    count = 0
    for line in lines:
        line.sbs = False
    n = len(lines)
    for i in range(n):
        a = lines[i]
        for j in range(i + 1, n):
            b = lines[j]
            if b.top <= a.bottom:
                break
            overlap = min(a.top, b.top) - max(a.bottom, b.bottom)
            if overlap < 0.3 * min(a.size, b.size):
                continue
            if b.x0 >= a.x1 + 4 or a.x0 >= b.x1 + 4:
                if not a.sbs:
                    count += 1
                if not b.sbs:
                    count += 1
                a.sbs = b.sbs = True
    return count


# ----------------------------------------------------------------------------------------------
# 2. is there a readable text layer?

_VOWELS = frozenset("aeiouyаеёиоуыэюяіүұөә")
_EDGE_PUNCT = "«»\"“”„'‘’()[],.;:!?…-–—*/_"
_LETTER_RUN = re.compile(r"[^\W\d_]+")
_WORD_SHAPE = re.compile(r"^(?:[^\W\d_]|\d)+(?:[-.’'/](?:[^\W\d_]|\d)+)*\.?$")


def _good_run(run: str) -> bool:
    if len(run) < 2:
        return True
    if not (run.islower() or run.isupper() or run[0].isupper() and run[1:].islower()):
        return False
    return run.isupper() and len(run) <= 4 or any(ch in _VOWELS for ch in run.lower())


_CYRILLIC = re.compile(r"[а-яёА-ЯЁәіңғүұқөһӘІҢҒҮҰҚӨҺ]")
_ANY_LETTER = re.compile(r"[^\W\d_]")


def _readable_share(text: str) -> float:
    """Share of words that look like words of some language: sane case, vowels, no symbols inside.

    A font without a ToUnicode map extracts as "ML<?J@>?GU ijbdZahf NKLWD":
    words with capitals inside, without vowels, broken by punctuation. Text that
    is mostly Cyrillic is readable at once (the check runs on every page).
    """
    text = text[:1500]
    letters = len(_ANY_LETTER.findall(text))
    if letters and len(_CYRILLIC.findall(text)) >= 0.6 * letters:
        return 1.0
    good = total = 0
    for token in text.split():
        core = token.strip(_EDGE_PUNCT)
        if not core or not any(ch.isalpha() for ch in core):
            continue
        total += 1
        if _WORD_SHAPE.match(core) and all(_good_run(r) for r in _LETTER_RUN.findall(core)):
            good += 1
    return good / total if total else 1.0


def _check_text_layer(pages: list[PageData], n_pages: int, warnings: list[str]) -> None:
    with_text = [p for p in pages if p.lines]
    scanned = [p for p in pages if p.scanned]
    if not with_text:
        if scanned:
            raise ParseError(f"scanned PDF without a text layer ({n_pages} page{'s' if n_pages != 1 else ''}): OCR is not supported, "
                             "upload a PDF with text or the DOCX")
        raise ParseError(f"PDF without any text ({n_pages} empty pages)")
    sample = " ".join(line.text for p in with_text[:10] for line in p.lines[:30])
    share = _readable_share(sample)
    if share < 0.6:
        bad = next((line.text for p in with_text for line in p.lines
                    if len(line.text) > 6 and _readable_share(line.text) < 0.5), sample[:20])
        raise ParseError("PDF text layer is unreadable (fonts without a Unicode map): it extracts as "
                         f"\u00ab{bad[:40]}\u00bb; upload the DOCX or a PDF whose text can be copied")
    if len(scanned) * 2 >= n_pages:
        raise ParseError(f"scanned PDF without a text layer ({len(scanned)} of {n_pages} pages are images): "
                         "OCR is not supported, upload a PDF with text or the DOCX")
    for p in pages:
        if p.scanned:
            warnings.append(f"page {p.number}: no text layer (a scanned image; its text is missing)")
        elif p.text_len > 200 and _readable_share(" ".join(line.text for line in p.lines[:8])[:600]) < 0.5:
            warnings.append(f"page {p.number}: the text layer is unreadable (fonts without a Unicode map)")
            p.lines = []


# ----------------------------------------------------------------------------------------------
# 3. running headers, footers and page numbers

_PAGE_NUMBER = re.compile(
    r"^(?:[-–—]\s*)?(\d{1,4})(?:\s*[-–—])?$"
    r"|^(?:стр\.?|страница|page|бет|барак)\s*(\d{1,4})(?:\s*(?:из|of|/|-тен)\s*\d{1,4})?\.?$"
    r"|^(\d{1,4})\s*(?:из|of|/)\s*\d{1,4}$", re.I)
_DIGITS = re.compile(r"\d+")


def _running_key(text: str) -> str:
    return _WS.sub(" ", _DIGITS.sub("#", text.lower())).strip()


def _drop_running_lines(pages: list[PageData]) -> None:
    """Remove repeated top/bottom lines and page numbers.

    Candidates are the three lines nearest each edge, inside a band of 12% of the
    page height. A text repeated (digits masked) on at least 3 pages, or on half
    the pages of a short document, at about the same height, is a running line.
    A lone number is a page number when it grows with the page index.
    """
    cands: dict[str, list[tuple[PageData, Line]]] = {}
    outermost: set[int] = set()
    numbers: list[tuple[PageData, Line, int]] = []
    for pd in pages:
        if not pd.lines:
            continue
        ordered = sorted(pd.lines, key=_reading_key)
        band = 0.12 * pd.height
        edge = [ln for ln in ordered[:3] if ln.base > pd.height - band]
        edge += [ln for ln in ordered[-3:] if ln.base < band and ln not in edge]
        boxes = [(g[2], g[3], g[1][-1], g[1][0]) for g in _grids(pd.hrules, pd.vrules)] if edge else []
        for ln in edge:
            if any(x0 - 2 <= ln.x0 <= x1 + 2 and y0 - 2 <= ln.base <= y1 + 2 for x0, x1, y0, y1 in boxes):
                continue   # a table row at the top of the page is not a running header
            if ln is ordered[0] or ln is ordered[-1]:
                outermost.add(id(ln))
            m = _PAGE_NUMBER.match(ln.text)
            if m:
                numbers.append((pd, ln, int(next(g for g in m.groups() if g))))
                continue
            cands.setdefault(_running_key(ln.text), []).append((pd, ln))
    n_text = sum(1 for pd in pages if pd.lines)
    drop: set[int] = set()
    for key, hits in cands.items():
        pages_hit = {pd.number for pd, _ in hits}
        if len(pages_hit) < 2 or len(key) < 2:
            continue
        # on two pages only when it is the very first or last line of both
        if len(pages_hit) >= 3 or len(pages_hit) * 2 >= n_text and all(id(ln) in outermost for _, ln in hits):
            bases = sorted(ln.base for _, ln in hits)
            mid = bases[len(bases) // 2]
            drop.update(id(ln) for _, ln in hits if abs(ln.base - mid) < 20)
    # page numbers: equal to the page index, or one more than on the previous page
    by_page = {pd.number: value for pd, _, value in numbers}
    for pd, ln, value in numbers:
        if (value == pd.number or by_page.get(pd.number - 1) == value - 1
                or by_page.get(pd.number + 1) == value + 1 or ln.text[:1] in "-–—"
                or not ln.text[:1].isdigit()):
            drop.add(id(ln))
    if drop:
        for pd in pages:
            pd.lines = [ln for ln in pd.lines if id(ln) not in drop]


# ----------------------------------------------------------------------------------------------
# 4. tables


class _Region:
    """A table on one page: column boundaries, horizontal rules, its lines."""

    def __init__(self, starts: list[float], ruled: bool, hys: list[float], top: float, bottom: float):
        self.starts = starts          # left boundary of each column (rule x or text start)
        self.ruled = ruled
        self.hys = hys                # y of horizontal rules, descending
        self.top = top
        self.bottom = bottom
        self.lines: list[Line] = []


class _Tables:
    """Finds the tables of each page and turns their rows into blocks, in page order."""

    def __init__(self, warnings: list[str]):
        self.warnings = warnings
        self.count = 0
        self.open: dict | None = None   # the table the previous page ended in

    def page_items(self, pd: PageData) -> list[tuple[float, object]]:
        """(top y, Line | Block) pairs of a page in reading order: flow lines and table rows."""
        lines = sorted(pd.lines, key=_reading_key)
        if not lines:
            self.open = None
            return []
        regions = self._regions(pd, lines)
        if not regions:
            self.open = None
            return [(ln.top, ln) for ln in lines]
        in_table = set()
        for r in regions:
            in_table.update(id(ln) for ln in r.lines)
        flow = [ln for ln in lines if id(ln) not in in_table]
        items: list[tuple[float, object]] = [(ln.top, ln) for ln in flow]
        carried = self.open
        self.open = None
        for r in sorted(regions, key=lambda r: -r.top):
            at_top = not any(ln.top > r.top + 1 for ln in flow)
            continues = carried is not None and at_top and _same_columns(carried["starts"], r.starts)
            rows = _rows(r)
            if continues:
                table = carried
                self.warnings.append(f"page {pd.number}: table continues from page {table['page']}")
            else:
                table = {"index": self.count, "starts": r.starts, "ruled": r.ruled, "rows": [],
                         "header": None, "page": 0}
                self.count += 1
            carried = None
            first_data = continues
            for i, (top, cells) in enumerate(rows):
                key = _WS.sub(" ", " ".join(cells)).strip().lower()
                if continues and i == 0 and key and key == table["header"]:
                    continue   # the header row Word repeats on every page
                if first_data and table["rows"] and not cells[0] and any(cells):
                    prev = table["rows"][-1]   # the rest of a row the page break cut in two
                    prev.cells = [_join_cell(a, b) for a, b in zip(prev.cells, cells, strict=False)]
                    prev.text = " ".join(c for c in prev.cells if c)
                    first_data = False
                    continue
                first_data = False
                block = Block(text=" ".join(c for c in cells if c), page=pd.number,
                              table=table["index"], row=len(table["rows"]), cells=cells)
                if table["header"] is None:
                    table["header"] = key
                table["rows"].append(block)
                items.append((top, block))
            table["page"] = pd.number
            table["starts"], table["ruled"] = r.starts, r.ruled
            if not any(ln.bottom < r.bottom - 1 for ln in flow):
                self.open = table
        items.sort(key=lambda it: -it[0])
        return items

    def _regions(self, pd: PageData, lines: list[Line]) -> list[_Region]:
        regions: list[_Region] = []
        _mark_side_by_side(lines)
        for starts, hys, x_left, x_right in _grids(pd.hrules, pd.vrules):
            top, bottom = hys[0], hys[-1]
            r = _Region(starts, True, hys, top + 1, bottom - 1)
            inside = [ln for ln in lines if bottom - 1 <= (ln.base + 0.3 * ln.size) <= top + 1
                      and ln.x1 > x_left and ln.x0 < x_right]
            if not inside:
                continue
            r.lines = inside
            regions.append(r)
        taken = {id(ln) for r in regions for ln in r.lines}
        free = [ln for ln in lines if id(ln) not in taken]
        # ruled grids often frame only the header row: the body below follows its columns
        for r in regions:
            self._extend(r, free, lines, down=True)
            taken.update(id(ln) for ln in r.lines)
        free = [ln for ln in lines if id(ln) not in taken]
        if free:
            _mark_side_by_side(free)
            unruled = self._unruled(free)
            if unruled is not None:
                regions.append(unruled)
        for r in regions:
            r.top = max(ln.top for ln in r.lines)
            r.bottom = min(ln.bottom for ln in r.lines)
        return regions

    def _unruled(self, free: list[Line]) -> _Region | None:
        evidence = [ln for ln in free if ln.sbs or ln.wide]
        carried = self.open
        if len({round(ln.base) for ln in evidence}) < 2:
            if not (carried and free and _fits(free[0], carried["starts"], ruled=carried["ruled"])):
                return None
        starts, ruled = _column_starts(evidence, free), False
        if carried and (len(starts) < 2 or _same_columns(carried["starts"], starts)):
            starts, ruled = carried["starts"], carried["ruled"]   # columns of the table going on
        if len(starts) < 2:
            return None
        r = _Region(starts, ruled, [], 0, 0)
        if evidence:
            top = max(ln.top for ln in evidence)
            bottom = min(ln.bottom for ln in evidence)
            x_left = min(ln.x0 for ln in evidence) - 5
            r.lines = [ln for ln in free if ln.base <= top and ln.base >= bottom and ln.x1 > x_left]
        elif carried:
            r.lines = [free[0]]
        else:
            return None
        self._extend(r, free, free, down=True)
        self._extend(r, free, free, down=False)
        return r

    @staticmethod
    def _extend(r: _Region, free: list[Line], lines: list[Line], down: bool) -> None:
        """Grow a table along the lines next to it that follow its columns."""
        mine = {id(ln) for ln in r.lines}
        if not mine:
            return
        order = lines if down else lines[::-1]
        idx = [i for i, ln in enumerate(order) if id(ln) in mine]
        pos = max(idx) + 1
        free_ids = {id(ln) for ln in free}
        while pos < len(order):
            ln = order[pos]
            if id(ln) not in free_ids or id(ln) in mine:
                if id(ln) in mine:
                    pos += 1
                    continue
                break
            if not _fits(ln, r.starts, r.ruled):
                break
            r.lines.append(ln)
            mine.add(id(ln))
            pos += 1


def _grids(hrules: list, vrules: list) -> list[tuple[list[float], list[float], float, float]]:
    """Ruled tables: connected horizontal and vertical rules with 2+ columns or 3+ rows.

    Returns (column left boundaries + right edge, rule heights descending, left, right).
    """
    if len(hrules) < 2 or len(vrules) < 2:
        return []
    hs = _merge_segments(hrules)
    vs = _merge_segments(vrules)
    nodes = [("h", s) for s in hs] + [("v", s) for s in vs]
    parent = list(range(len(nodes)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    nh = len(hs)
    for i, (hy, hx0, hx1) in enumerate(hs):
        for j, (vx, vy0, vy1) in enumerate(vs):
            if hx0 - 3 <= vx <= hx1 + 3 and vy0 - 3 <= hy <= vy1 + 3:
                parent[find(i)] = find(nh + j)
    groups: dict[int, list[int]] = {}
    for i in range(len(nodes)):
        groups.setdefault(find(i), []).append(i)
    out = []
    for members in groups.values():
        gh = [hs[i] for i in members if i < nh]
        gv = [vs[i - nh] for i in members if i >= nh]
        ys = _cluster([s[0] for s in gh], 2.0)
        xs = _cluster([s[0] for s in gv], 2.0)
        if len(ys) < 2 or len(xs) < 2 or (len(xs) < 3 and len(ys) < 3):
            continue
        left = min(min(s[1] for s in gh), xs[0])
        right = max(max(s[2] for s in gh), xs[-1])
        starts = _cluster([left, *xs, right], 3.0)
        out.append((starts, sorted(ys, reverse=True), left, right))
    return out


def _merge_segments(segs: list[tuple[float, float, float]]) -> list[tuple[float, float, float]]:
    """Join collinear pieces (Word draws a border as one bar per cell) into long rules."""
    out: list[list[float]] = []
    for pos, a, b in sorted(segs):
        for s in out[-8:]:
            if abs(s[0] - pos) <= 1.5 and a <= s[2] + 3 and b >= s[1] - 3:
                s[1], s[2] = min(s[1], a), max(s[2], b)
                break
        else:
            out.append([pos, a, b])
    return [(s[0], s[1], s[2]) for s in out]


def _cluster(values: list[float], tol: float) -> list[float]:
    out: list[list[float]] = []
    for v in sorted(values):
        if out and v - out[-1][-1] <= tol:
            out[-1].append(v)
        else:
            out.append([v])
    return [sum(c) / len(c) for c in out]


def _column_starts(evidence: list[Line], free: list[Line]) -> list[float]:
    """Left edges of the columns of an unruled table.

    A line that sits beside another starts a column. A wide gap inside a line
    starts one too, but only where some line of the page also starts: justified
    text has wide gaps too, and their last words line up on the right.
    """
    starts = _cluster([ln.x0 for ln in evidence if ln.sbs], 4.0)
    left = min((ln.x0 for ln in evidence), default=None)
    if left is not None:
        starts.append(left)
    gap_xs = [right for ln in evidence if ln.wide
              for _, g_left, right in ln.gaps if right - g_left > 1.8 * ln.size]
    clusters: list[list[float]] = []
    for v in sorted(gap_xs):
        if clusters and v - clusters[-1][-1] <= 4:
            clusters[-1].append(v)
        else:
            clusters.append([v])
    line_starts = [ln.x0 for ln in free]
    for c in clusters:
        x = min(c)
        if any(abs(x - s) <= 4 for s in line_starts):
            starts.append(x)
    return _cluster(starts, 4.0) if starts else []


def _same_columns(a: list[float], b: list[float]) -> bool:
    if not a or not b:
        return False
    if len(a) == len(b):
        return all(abs(x - y) <= 8 for x, y in zip(a, b, strict=True))
    small, big = (a, b) if len(a) < len(b) else (b, a)
    hits = sum(1 for x in small if any(abs(x - y) <= 6 for y in big))
    return hits >= max(2, len(small) - 1)


def _fits(ln: Line, starts: list[float], ruled: bool) -> bool:
    """Does a line continue a table with these columns?"""
    if ln.sbs or ln.wide:
        return True
    lo, hi = (-1.5, 10.0) if ruled else (-3.0, 3.0)
    for s in starts[1:]:
        if lo <= ln.x0 - s <= hi:
            return True
        if ln.x0 < s - 3 < ln.x1 and _split_offset(ln, s) is not None:
            return True
    return False


def _split_offset(ln: Line, boundary: float) -> tuple[int, float, float] | None:
    best = None
    for g in ln.gaps:
        off, left, right = g
        if left <= boundary + 1.5 and right >= boundary - 3:
            if best is None or abs(right - boundary) < abs(best[2] - boundary):
                best = g
    return best


def _pieces(ln: Line, starts: list[float]) -> list[Line]:
    """Cut a line at the column boundaries it runs across; give each piece its column."""
    pieces = [ln]
    for s in starts[1:]:
        cur = pieces[-1]
        if not (cur.x0 < s - 3 < cur.x1):
            continue
        g = _split_offset(cur, s)
        if g is None:
            continue
        off, left, right = g
        head, tail = cur.text[:off].rstrip(), cur.text[off:].lstrip()
        if not head or not tail:
            continue
        a = Line(head, cur.x0, left, cur.base, cur.size, cur.bold, False, cur.page)
        b = Line(tail, right, cur.x1, cur.base, cur.size, cur.bold, cur.hyphen, cur.page)
        b.gaps = [(o - off - (len(cur.text[off:]) - len(tail)), x, y) for o, x, y in cur.gaps if o > off]
        pieces[-1:] = [a, b]
    for p in pieces:
        p.col = max(0, bisect_left(starts, p.x0 + 3) - 1)
    return pieces


def _rows(r: _Region) -> list[tuple[float, list[str]]]:
    """Group a table's pieces into rows (between rules, or between blank bands) and cells."""
    n_cols = max(1, len(r.starts) - (1 if r.ruled else 0))
    pieces: list[Line] = []
    for ln in r.lines:
        pieces.extend(_pieces(ln, r.starts))
    for p in pieces:
        p.col = min(p.col, n_cols - 1)
    pieces.sort(key=lambda p: -p.top)
    hys = r.hys
    neg = [-y for y in hys]   # ascending, for bisect
    rows: list[list[Line]] = []
    cur_band = None
    cur_bottom = 0.0
    col_bottom: dict[int, float] = {}   # lowest bottom per column in the current row
    for i, p in enumerate(pieces):
        mid = p.base + 0.3 * p.size
        band = bisect_left(neg, -mid) if hys else 0
        inside = bool(hys) and 0 < band < len(hys)
        new = not rows or band != cur_band
        if not new and not inside:
            # without rules: a blank band across the table, or a new entry in the first
            # column below the previous one (rows set solid, like the lines of a cell)
            c0 = col_bottom.get(0)
            new = (cur_bottom - p.top > 0.45 * p.size
                   or p.col == 0 and c0 is not None and c0 - p.top > 0.6 * p.size
                   or p.col == 0 and c0 is None and p.top < cur_bottom + 0.1 * p.size
                   and not _continues_a_column(p, pieces[i + 1:], col_bottom))
        if new:
            rows.append([p])
            cur_band = band
            cur_bottom = p.bottom
            col_bottom = {p.col: p.bottom}
        else:
            rows[-1].append(p)
            cur_bottom = min(cur_bottom, p.bottom)
            col_bottom[p.col] = min(col_bottom.get(p.col, p.bottom), p.bottom)
    out = []
    for row in rows:
        cells: list[list[Line]] = [[] for _ in range(n_cols)]
        for p in row:
            cells[p.col].append(p)
        texts = [_join_lines(sorted(c, key=_reading_key)) for c in cells]
        out.append((max(p.top for p in row), texts))
    return out


def _continues_a_column(p: Line, rest: list[Line], col_bottom: dict[int, float]) -> bool:
    """Is a first-column entry level with a line that goes on with another column of this row?

    A row number centred in a tall row sits below the row's first lines; the text
    beside it carries on the same cell, one line pitch down.
    """
    for q in rest:
        if q.top < p.bottom:
            break
        if q.col != 0 and abs(q.base - p.base) < 0.3 * p.size:
            above = col_bottom.get(q.col)
            if above is not None and above - q.top < 1.0 * q.size:
                return True
    return False


# ----------------------------------------------------------------------------------------------
# joining lines: line-break hyphens

# a hyphen before these stays: "вице-министр", "веб-портал", "кто-то"
_PREFIXES = frozenset("""вице экс лейб обер унтер штаб контр пол полу веб интернет онлайн офлайн бизнес медиа
мини макси микро альфа бета гамма дельта пресс пост северо юго восточно западно пи ай е смс sms web""".split())
_PARTICLES = frozenset("то либо нибудь таки ка де с".split())
_SUSPENDED = frozenset("и или либо а".split())   # "газо- и теплоснабжение"
_LETTERS_END = re.compile(r"([^\W\d_]+)-$")
_LETTERS_START = re.compile(r"^([^\W\d_]+)")


@lru_cache(maxsize=1)
def _morph():
    """pymorphy3's dictionary (already a Norma dependency), loaded on first need."""
    try:
        import pymorphy3  # noqa: PLC0415 - 0.1 s to load, only when a hyphen needs judging
        return pymorphy3.MorphAnalyzer(lang="ru")
    except Exception:  # noqa: BLE001 - without it the spelling rules below decide alone
        return None


@lru_cache(maxsize=4096)
def _keep_hyphen(left: str, right: str) -> bool:
    """Is the hyphen between `left-` at a line end and `right` a real one?

    Word breaks lines after the hyphen of a compound ("информационно-", "вице-",
    "интернет-"), and that is most line-end hyphens in Word-made acts; a typeset
    PDF splits words ("госу-дарственной"). pymorphy3's dictionary tells them apart:
    a known word when joined means a split word.
    """
    if not left or not right:
        return True
    if right[0].isupper() or left.isupper() and len(left) > 1:
        return True
    lo, ro = left.lower(), right.lower()
    if lo in _PREFIXES or ro in _PARTICLES:
        return True
    morph = _morph()
    if morph is not None and re.fullmatch(r"[а-яё]+", lo + ro):
        if morph.word_is_known(lo + ro):
            return False
        if morph.word_is_known(f"{lo}-{ro}"):
            return True
        if len(lo) >= 3 and len(ro) >= 3 and morph.word_is_known(lo) and morph.word_is_known(ro):
            return True
    return len(lo) >= 4 and lo[-1] in "оеo"   # "информационно-", "научно-": a compound's first part


def _join_text(a: str, b: str) -> str:
    """Append line `b` to text `a`: a space, or across a line-break hyphen."""
    if not a:
        return b
    if not b:
        return a
    if a.endswith("\u00ad"):
        return a[:-1] + b
    if a.endswith("-") and len(a) > 1 and not a[-2].isspace():
        m = _LETTERS_END.search(a)
        n = _LETTERS_START.match(b)
        if m and n:
            right = n.group(1)
            if right.lower() in _SUSPENDED:
                return a + " " + b
            if _keep_hyphen(m.group(1), right):
                return a + b
            return a[:-1] + b
        if m or a[-2].isdigit():   # "5HT3-" + "рецепторов", "N-" + "метил": a compound
            return a + b
    return a + " " + b


def _join_cell(a: str, b: str) -> str:
    return _clean(_join_text(a, b)) if a and b else a or b


def _join_lines(lines: list[Line]) -> str:
    text = ""
    for ln in lines:
        text = _join_text(text, ln.text)
    return _clean(text)


def _clean(text: str) -> str:
    if _CONTROL.search(text):
        text = _CONTROL.sub("", text)
    return " ".join(text.split())


# ----------------------------------------------------------------------------------------------
# 5. paragraphs

# a clause number at a line start is only a reference when the line before ends like this
_REFERENCE_END = re.compile(r"(?:(?:под)?пункт\w*|стать\w*|част\w*|глав\w*|раздел\w*|приложени\w*|"
                            r"абзац\w*|№|N|от|и|или|,)$", re.I)
_SENTENCE_END = re.compile(r"[.;:!?]\W{0,2}$")
# what parsers.labels.find_label can recognise at all: a cheap test before the full one
_MAYBE_LABEL = re.compile(r"\d|[IVXLCХ]{1,6}\.|[а-яёa-z]\)|(?:глав|раздел|стать|приложени|параграф|подраздел|"
                          r"қосымша|тиркеме)", re.I)


class _Geometry:
    """Text margins per page size, the usual line pitch per font size."""

    def __init__(self, flows: list[tuple[PageData, list[Line]]]):
        by_shape: dict[tuple[int, int], list[list[Line]]] = {}
        for pd, lines in flows:
            by_shape.setdefault((round(pd.width), round(pd.height)), []).append(lines)
        self.shapes: dict[tuple[int, int], tuple[float, float, float | None, float]] = {}
        for shape, groups in by_shape.items():
            xs = Counter(round(ln.x0) for lines in groups for ln in lines)
            left = float(xs.most_common(1)[0][0]) if xs else 0.0
            left = min((ln.x0 for lines in groups for ln in lines if abs(ln.x0 - left) <= 0.6), default=left)
            rights = sorted(ln.x1 for lines in groups for ln in lines
                            if abs(ln.x0 - left) <= 2 and ln.x1 < shape[0] - 12)
            ends = Counter(round(x) for x in rights)
            common = ends.most_common(1)
            if common and common[0][1] >= 0.25 * len(rights) and len(rights) >= 4:
                right = float(common[0][0])   # justified text: most lines end at the margin
            elif len(rights) >= 3:
                right = rights[int(0.95 * (len(rights) - 1))]   # ragged: near the longest lines
            else:
                right = float(shape[0]) - left
            # a first-line indent: an indented line followed by one at the margin
            indents = Counter(round(a.x0) for lines in groups for a, b in zip(lines, lines[1:], strict=False)
                              if left + 6 <= a.x0 <= left + 80 and abs(b.x0 - left) <= 2)
            top = indents.most_common(1)
            indent = float(top[0][0]) if top else None
            right = max(right, left + 50)
            flush = sum(1 for x in rights if x >= right - 2)
            # justified text: a line well short of the right margin ends a paragraph;
            # ragged text: only a line much shorter than the rest does
            short = (0.15 if flush >= 0.4 * len(rights) else 0.3) * (right - left)
            self.shapes[shape] = (left, right, indent, short)
        deltas: dict[float, Counter] = {}
        for _, lines in flows:
            for a, b in zip(lines, lines[1:], strict=False):
                d = a.base - b.base
                if abs(a.size - b.size) < 0.5 and 0.9 * a.size <= d <= 2.6 * a.size:
                    deltas.setdefault(round(a.size), Counter())[round(d, 0)] += 1
        self.pitch = {size: float(c.most_common(1)[0][0]) for size, c in deltas.items()}

    def margins(self, pd: PageData) -> tuple[float, float, float | None, float]:
        """Left and right text margin, first-line indent position, "short line" distance."""
        return self.shapes.get((round(pd.width), round(pd.height)), (0.0, pd.width, None, 0.15 * pd.width))

    def line_pitch(self, size: float) -> float:
        return self.pitch.get(round(size), 1.2 * size)


class _Paragraphs:
    """Join flow lines into paragraph blocks; table-row blocks pass through in place."""

    def __init__(self, pages: list[PageData], page_items: list[list[tuple[float, object]]]):
        self.pages = pages
        self.seqs: list[list[Line | Block]] = []
        flows = []
        for pd, items in zip(pages, page_items, strict=True):
            seq: list[Line | Block] = []
            run: list[Line] = []
            for _, it in items:
                if isinstance(it, Line):
                    run.append(it)
                    continue
                seq.extend(_merge_same_height(run))
                run = []
                seq.append(it)
            seq.extend(_merge_same_height(run))
            self.seqs.append(seq)
            flows.append((pd, [it for it in seq if isinstance(it, Line)]))
        self.geo = _Geometry(flows)
        for pd, lines in flows:
            left, right, indent, _ = self.geo.margins(pd)
            centre = (left + right) / 2
            for ln in lines:
                mid = (ln.x0 + ln.x1) / 2
                ln.centered = abs(mid - centre) <= 6 and ln.x0 >= left + 2.5 and ln.x1 <= right + 3
                # set apart on the right: "УТВЕРЖДЕНО ...", "Приложение 1 к приказу ..."
                ln.flush = ln.x1 >= right - 4 and ln.x0 >= left + 2.5 and (indent is None or abs(ln.x0 - indent) > 2)
                ln.quote = not ln.centered and (ln.x0 >= left + 0.45 * (right - left) or ln.flush)

    def blocks(self) -> list[Block]:
        out: list[Block] = []
        cur: list[Line] = []
        for pd, seq in zip(self.pages, self.seqs, strict=True):
            margins = self.geo.margins(pd)
            for it in seq:
                if isinstance(it, Block):
                    if cur:
                        out.append(self._block(cur))
                        cur = []
                    out.append(it)
                    continue
                if cur and self._breaks(cur, it, margins):
                    out.append(self._block(cur))
                    cur = []
                cur.append(it)
        if cur:
            out.append(self._block(cur))
        return [b for b in out if b.text or b.cells]

    @staticmethod
    def _block(lines: list[Line]) -> Block:
        first = lines[0]
        return Block(text=_join_lines(lines), page=first.page, bold=first.bold,
                     centered=all(ln.centered for ln in lines), quote=first.quote)

    def _breaks(self, cur: list[Line], ln: Line, margins: tuple[float, float, float | None, float]) -> bool:
        """Does `ln` start a new paragraph after the lines in `cur`?"""
        p = cur[-1]
        if p.hyphen:
            return False
        if self._starts_clause(p, ln):
            return True
        if abs(ln.size - p.size) > 0.6 or ln.bold != p.bold:
            return True
        left, right, _, short_by = margins
        if cur[0].quote:   # a block set on the right goes on while its lines keep to the right
            if not (ln.quote or ln.flush):
                return True
            return ln.page == p.page and not (
                0.3 * ln.size < p.base - ln.base <= self.geo.line_pitch(ln.size) + max(2.0, 0.25 * ln.size))
        if ln.centered != p.centered:
            # a heading's first line may fill the width: "Глава 3. ..." + its centred tail
            if not (ln.centered and abs((p.x0 + p.x1) / 2 - (left + right) / 2) <= 4 and p.x0 > left + 0.5):
                return True
        if ln.quote and ln.x0 > left + 0.3 * (right - left):
            return True
        short = p.x1 < right - short_by and not p.centered and not p.quote
        if short and _SENTENCE_END.search(p.text):
            return True
        if ln.page != p.page:
            if ln.x0 >= left + 6 and not ln.centered and not ln.quote:
                return True   # a first-line indent at the top of the page
            full = p.x1 >= right - 0.04 * (right - left)
            return bool(_SENTENCE_END.search(p.text)) and not full and not ln.text[:1].islower()
        delta = p.base - ln.base
        if delta <= 0.3 * ln.size:
            return True   # back up the page: another column or a displaced line
        if delta > self.geo.line_pitch(ln.size) + max(2.0, 0.25 * ln.size):
            return True
        if ln.centered or ln.quote:
            return False
        if ln.x0 >= p.x0 + 6 and ln.x0 >= left + 6:
            return True   # first-line indent
        if p.x0 >= left + 6 and abs(ln.x0 - p.x0) <= 2 and len(cur) == 1:
            return True   # two indented first lines in a row: one-line paragraphs
        return False

    @staticmethod
    def _starts_clause(p: Line, ln: Line) -> bool:
        t = ln.text
        if not _MAYBE_LABEL.match(t):
            return False
        lab = find_label(t, heading_hint=ln.centered or ln.bold)
        if lab is None:
            return False
        if lab.kind in ("paragraph", "subparagraph", "item") and _REFERENCE_END.search(p.text):
            return False   # "... в соответствии с подпунктом" + "1) статьи 10"
        return True


def _merge_same_height(lines: list[Line]) -> list[Line]:
    """Join fragments PDFium split off one visual line (a signature's name, a footnote mark)."""
    out: list[Line] = []
    for ln in lines:
        if out:
            p = out[-1]
            overlap = min(p.top, ln.top) - max(p.bottom, ln.bottom)
            if p.page == ln.page and overlap > 0.5 * min(p.size, ln.size) and not p.hyphen:
                a, b = (p, ln) if p.x0 <= ln.x0 else (ln, p)
                gap = b.x0 - a.x1
                sep = "" if gap < 0.15 * min(a.size, b.size) else " "
                big = p if p.size >= ln.size else ln
                merged = Line(a.text + sep + b.text, min(a.x0, b.x0), max(a.x1, b.x1), big.base,
                              big.size, big.bold, b.hyphen, p.page)
                out[-1] = merged
                continue
        out.append(ln)
    return out
