"""Plain-text formats: TXT, Markdown, HTML (also Word's UTF-16 "Save as HTML") and RTF.

Each becomes a flat list of `Block`s; numbering stays in the text, where
`structure.py` finds it. Decoding honours a BOM, then tries UTF-8, then lets
charset-normalizer guess (legacy cp1251/KOI8 files).
"""
from __future__ import annotations

import re

from charset_normalizer import from_bytes
from lxml import html as lxml_html

from parsers.api import Read
from parsers.errors import ParseError
from parsers.labels import starts_with_label
from parsers.model import Block

_WS = re.compile(r"[\s\u00a0\u200b\ufeff]+")
_MD_TABLE_SEP = re.compile(r"^\s*\|?\s*:?-{3,}")
# emphasis markers; runs of three or more underscores are fill-in blanks of forms and stay
_MD_EMPH = re.compile(r"\*\*|\*|(?<!_)__(?!_)")
_MD_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|>])")
_HTML_TABLE = re.compile(r"<table\b.*?</table>", re.S | re.I)


def clean(text: str) -> str:
    """Collapse whitespace (incl. no-break spaces) and drop soft hyphens."""
    return _WS.sub(" ", text.replace("\u00ad", "")).strip()


def decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace").lstrip("\ufeff")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    best = from_bytes(data).best()
    if best is None:
        raise ParseError("cannot tell the text encoding")
    return str(best)


def read(data: bytes, name: str, fmt: str) -> Read:
    text = decode(data)
    if fmt == "html":
        return read_html(text)
    if fmt == "rtf":
        from striprtf.striprtf import rtf_to_text

        try:
            text = rtf_to_text(text, errors="ignore")
        except Exception as exc:  # noqa: BLE001 - striprtf raises bare errors on broken RTF
            raise ParseError(f"damaged RTF ({exc})") from None
        return Read(blocks=text_blocks(text))
    if fmt == "md":
        return read_markdown(text)
    return Read(blocks=text_blocks(text))


# ---------------------------------------------------------------- plain text

def text_blocks(text: str) -> list[Block]:
    """Paragraphs of a plain-text act.

    Three layouts are told apart. Lines of one paragraph each (long lines): every line is a
    paragraph. Paragraphs separated by blank lines: consecutive lines are one paragraph (a
    wrapped title, an OCR'd page). Lines wrapped at a fixed width with each paragraph's first
    line indented and the rest at the margin (the text exports of legal reference systems,
    ~67 characters wide): an indented line starts a paragraph, a line at the margin continues
    it, and so does an indented line that goes on with a heading set on several lines. In the
    other layouts a line that starts with a clause number, or a centred line, starts a new
    paragraph.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").expandtabs(8).split("\n")
    nonblank = [ln for ln in lines if clean(ln)]
    blank_ratio = (len(lines) - len(nonblank)) / max(1, len(nonblank))
    wrapped = _is_wrapped(nonblank)
    indented = wrapped and _indent_marks_paragraphs(lines, nonblank)
    blank_separated = bool(nonblank) and (blank_ratio >= 0.4 or (wrapped and not indented and blank_ratio >= 0.1))
    blocks: list[Block] = []
    buf: list[str] = []
    prev = ""  # the previous line as written ("" after a blank line)

    def flush() -> None:
        if buf:
            blocks.append(Block(text=clean(" ".join(buf))))
            buf.clear()

    for ln in lines:
        t = clean(ln)
        if not t:
            flush()
            prev = ""
            continue
        if indented:
            margin = not ln[:1].isspace()
            if margin:
                # a list item at the margin ("а) ...;", "- ...;") after a lead-in or another item
                item = (starts_with_label(t) or t[:2] in ("- ", "– ", "— ")) and clean(prev)[-1:] in (";", ":", ".")
                goes_on = bool(prev) and not _looks_centered(prev) and not item
            else:
                goes_on = _continues_heading(prev, t)
            if not goes_on:
                flush()
        elif not blank_separated or starts_with_label(t) or _looks_centered(ln):
            flush()
        buf.append(t)
        if not blank_separated and not indented:
            flush()
        prev = ln
    flush()
    return blocks


def _continues_heading(prev: str, t: str) -> bool:
    """An indented or centred line that goes on with the one above: a title or heading set on
    several lines ("II. Процедуры, направленные на выявление" / "нарушений законодательства").
    It starts in lower case (or both lines are in capitals) and the line above ends no sentence."""
    above = clean(prev)
    if not above or above[-1] in ".;:!?" or starts_with_label(t):
        return False
    if t[:1].islower():
        return True
    letters = [c for c in above + t if c.isalpha()]
    return bool(letters) and all(c.isupper() for c in letters)


def _is_wrapped(nonblank: list[str]) -> bool:
    """Lines cut at a fixed width: short lines, most of them close to the longest usual one, and
    many of them cut in the middle of a sentence (no closing punctuation, the next line goes on
    in lower case). Short lines that each end a sentence or an item are a paragraph per line."""
    lengths = sorted(len(ln.rstrip()) for ln in nonblank)
    if len(lengths) < 10:
        return False
    width = lengths[int(0.9 * (len(lengths) - 1))]
    if width > 100:
        return False  # a paragraph per line
    full = sum(1 for n in lengths if n >= width - 12)
    cut = sum(1 for a, b in zip(nonblank, nonblank[1:], strict=False)
              if a.rstrip()[-1:] not in ".;:!?" and b.strip()[:1].islower())
    return full >= 0.4 * len(lengths) and cut >= 0.25 * len(lengths)


def _indent_marks_paragraphs(lines: list[str], nonblank: list[str]) -> bool:
    """Paragraphs begin with an indented line and go on at the margin (reference-system exports)."""
    starts = sum(1 for ln in nonblank if ln[:1] == " " and not _looks_centered(ln))
    follows = sum(1 for a, b in zip(lines, lines[1:], strict=False)
                  if a.strip() and b.strip() and not b[:1].isspace())
    return starts >= 0.05 * len(nonblank) and follows >= 0.2 * len(nonblank)


def _looks_centered(line: str) -> bool:
    return len(line) - len(line.lstrip(" ")) >= 20


# ---------------------------------------------------------------- markdown

def read_markdown(text: str) -> Read:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    blocks: list[Block] = []
    title: str | None = None
    tables = 0
    pos = 0
    # HTML tables embedded in Markdown are read as tables; text around them as Markdown
    for m in _HTML_TABLE.finditer(text):
        blocks += _md_paragraphs(text[pos:m.start()])
        rows = _html_table_rows(lxml_html.fragment_fromstring(m.group(0)), tables)
        blocks += rows
        tables += 1
        pos = m.end()
    blocks += _md_paragraphs(text[pos:])
    for b in blocks:
        if b.heading == 1:
            title = b.text
            break
    _number_pipe_tables(blocks, tables)
    return Read(blocks=blocks, title_hint=title)


def _md_inline(s: str) -> str:
    s = _MD_ESCAPE.sub(r"\1", s)
    s = _MD_EMPH.sub("", s)
    return clean(s)


def _md_paragraphs(text: str) -> list[Block]:
    blocks: list[Block] = []
    buf: list[str] = []
    quote = False

    def flush() -> None:
        nonlocal quote
        if buf:
            raw = " ".join(buf).strip()
            t = _md_inline(raw)
            if t:
                bold = raw.startswith("**") and raw.endswith("**")
                blocks.append(Block(text=t, quote=quote, bold=bold))
            buf.clear()
        quote = False

    for raw in text.split("\n"):
        line = raw.rstrip()
        stripped = line.strip()
        if not stripped or stripped == ">":
            flush()
            continue
        h = re.match(r"^(#{1,6})\s+(.*)$", stripped)
        if h:
            flush()
            blocks.append(Block(text=_md_inline(h.group(2)), heading=len(h.group(1))))
            continue
        if stripped.startswith("|") and stripped.endswith("|"):
            flush()
            if _MD_TABLE_SEP.match(stripped):
                continue
            cells = [_md_inline(c) for c in stripped.strip("|").split("|")]
            blocks.append(Block(text=" ".join(c for c in cells if c), cells=cells, table=-1))
            continue
        is_quote = stripped.startswith(">")
        if is_quote:
            stripped = stripped.lstrip(">").strip()
        if buf and (is_quote != quote or starts_with_label(_md_inline(stripped))):
            flush()
        quote = is_quote
        buf.append(stripped)
    flush()
    return blocks


def _number_pipe_tables(blocks: list[Block], first_index: int) -> None:
    """Give consecutive pipe-table rows one table index and row numbers."""
    index, row, prev = first_index - 1, 0, False
    for b in blocks:
        if b.table == -1:
            if not prev:
                index, row = index + 1, 0
            b.table, b.row = index, row
            row += 1
            prev = True
        else:
            prev = False


# ---------------------------------------------------------------- HTML

_BLOCK_TAGS = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre",
               "center", "section", "article", "header", "footer", "dd", "dt", "body"}
_SKIP_TAGS = {"script", "style", "head", "title", "noscript", "template", "xml"}


def read_html(text: str) -> Read:
    text = re.sub(r"^\s*<\?xml[^>]*>", "", text)
    try:
        root = lxml_html.document_fromstring(text)
    except (ValueError, lxml_html.etree.ParserError) as exc:
        raise ParseError(f"damaged HTML ({exc})") from None
    title_el = root.find(".//title")
    title = clean(title_el.text_content()) if title_el is not None else None
    blocks: list[Block] = []
    state = {"tables": 0}
    body = root.find("body")
    _walk(body if body is not None else root, blocks, state)
    return Read(blocks=blocks, title_hint=title or None)


def _walk(el, blocks: list[Block], state: dict) -> None:
    """Emit one block per innermost block element; tables become rows."""
    buf: list[str] = []

    def flush() -> None:
        t = clean("".join(buf))
        if t:
            blocks.append(Block(text=t, heading=_heading_level(el), centered=_centered(el)))
        buf.clear()

    if el.text:
        buf.append(el.text)
    for child in el:
        tag = child.tag if isinstance(child.tag, str) else ""
        tag = tag.lower().split("}")[-1]
        if tag in _SKIP_TAGS or not tag:
            if child.tail:
                buf.append(child.tail)
            continue
        if tag == "table":
            flush()
            blocks.extend(_html_table_rows(child, state["tables"]))
            state["tables"] += 1
        elif tag == "br":
            buf.append("\n")
            if _br_splits(el):
                flush()
        elif tag in _BLOCK_TAGS:
            flush()
            _walk(child, blocks, state)
        else:
            buf.append(_inline_text(child))
        if child.tail:
            buf.append(child.tail)
    flush()


def _br_splits(el) -> bool:
    # a <br> inside a big container (legacy exports put a whole act in one <div>)
    # separates paragraphs; inside a normal <p> it is only a line break
    return (el.tag or "").lower() not in ("p", "h1", "h2", "h3", "h4", "h5", "h6", "li")


def _inline_text(el) -> str:
    parts: list[str] = []
    for node in el.iter():
        tag = node.tag.lower() if isinstance(node.tag, str) else ""
        if tag in _SKIP_TAGS:
            continue
        if tag == "br":
            parts.append(" ")
        if node.text and tag not in _SKIP_TAGS:
            parts.append(node.text)
        if node is not el and node.tail:
            parts.append(node.tail)
    return "".join(parts)


def _heading_level(el) -> int:
    tag = (el.tag or "").lower() if isinstance(el.tag, str) else ""
    return int(tag[1]) if len(tag) == 2 and tag[0] == "h" and tag[1].isdigit() else 0


def _centered(el) -> bool:
    style = (el.get("style") or "").replace(" ", "").lower()
    return (el.get("align") or "").lower() == "center" or "text-align:center" in style


def _html_table_rows(table, index: int) -> list[Block]:
    rows: list[Block] = []
    for tr in table.iter("tr"):
        # only this table's own rows, not those of a nested table
        owner = next((a for a in tr.iterancestors("table")), None)
        if owner is not table:
            continue
        cells = [clean(_cell_text(td)) for td in tr if isinstance(td.tag, str) and td.tag.lower() in ("td", "th")]
        if not any(cells):
            continue
        rows.append(Block(text=" ".join(c for c in cells if c), cells=cells, table=index, row=len(rows)))
    return rows


def _cell_text(td) -> str:
    parts: list[str] = []
    for node in td.iter():
        tag = node.tag.lower() if isinstance(node.tag, str) else ""
        if tag in ("p", "div", "br", "li", "tr") and parts:
            parts.append(" ")
        if node.text and tag not in _SKIP_TAGS:
            parts.append(node.text)
        if node is not td and node.tail:
            parts.append(node.tail)
    return "".join(parts)
