"""DOCX reader: a Word document's body as a flat stream of blocks.

python-docx opens the package (ZIP, relationships, parts, a hardened lxml parser
that does not resolve entities); the body is then walked on its lxml element
tree, because python-docx has no API for what matters here: Word's automatic
numbers (``parsers.numbering``), content controls (``w:sdt``), text boxes,
merged cells, nested tables and tracked changes. Reading the XML directly is
also what makes it fast: ``paragraph.style.name`` resolves the style on every
call, so styles are resolved once per style id here.

Blocks, in document order:

* one per body paragraph: ``text`` with whitespace collapsed, ``label`` = the
  automatic number Word shows ("5.1.", "а)"; never put into ``text``),
  ``list_level`` = its ``w:ilvl``, ``heading`` from "Heading N"/"Заголовок N"
  styles or outline levels, ``bold`` when every run with text is bold,
  ``centered`` when centred, ``quote`` when set apart on the right (right
  alignment, a left indent of 7.5 cm or more, or 40+ leading spaces as in
  ConsultantPlus' monospaced "УТВЕРЖДЕНО" blocks); empty paragraphs are skipped;
* one per table row: ``cells`` (a merged cell once, vertical-merge continuation
  cells as ""), ``text`` = the non-empty cells joined by a space, ``table`` and
  ``row`` indexes. A cell shows its paragraphs' automatic numbers as Word does
  ("1." in the number column of a plan), since that is the cell's visible
  text. Rows of a nested table follow the row that holds it;
* paragraphs of text boxes follow the paragraph that anchors them.

Headers and footers are not read. ConsultantPlus page furniture that sits in
the body ("Документ предоставлен КонсультантПлюс", "www.consultant.ru", "Дата
сохранения", "Страница N из M") and its editorial note boxes ("КонсультантПлюс:
примечание.") are dropped: they are the database's, not the act's.
"""
from __future__ import annotations

import io
import re
import zipfile
import zlib
from dataclasses import dataclass

from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.part import PartFactory
from docx.oxml.parser import parse_xml
from docx.package import Package
from docx.parts.document import DocumentPart
from lxml import etree

from parsers.api import Read
from parsers.errors import ParseError
from parsers.model import Block
from parsers.numbering import MC_NS, W_VAL, Numbering, w

MAX_UNCOMPRESSED = 200 * 1024 * 1024   # refuse archives that expand beyond this
MAX_RATIO = 100                        # ... or whose big members expand more than this
RATIO_MIN_SIZE = 1024 * 1024           # small members may compress extremely well
MAX_MEMBERS = 10_000
MAX_DEPTH = 40                         # nesting of tables / text boxes / content controls

# Macro-enabled documents and templates have the same body; python-docx only
# registers the plain document content type, so register these beside it.
for _ct in ("application/vnd.ms-word.document.macroEnabled.main+xml",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml",
            "application/vnd.ms-word.template.macroEnabledTemplate.main+xml"):
    PartFactory.part_type_for.setdefault(_ct, DocumentPart)

P, TBL, TR, TC, R, T = w("p"), w("tbl"), w("tr"), w("tc"), w("r"), w("t")
TAB, BR, CR, NBH, SYM = w("tab"), w("br"), w("cr"), w("noBreakHyphen"), w("sym")
SDT, SDT_CONTENT, CUSTOM_XML, TXBX = w("sdt"), w("sdtContent"), w("customXml"), w("txbxContent")
DEL, MOVE_FROM, PPR, RPR, TCPR = w("del"), w("moveFrom"), w("pPr"), w("rPr"), w("tcPr")
PSTYLE, NUMPR, NUM_ID, ILVL, JC = w("pStyle"), w("numPr"), w("numId"), w("ilvl"), w("jc")
OUTLINE, IND, B, VANISH, RSTYLE = w("outlineLvl"), w("ind"), w("b"), w("vanish"), w("rStyle")
VMERGE, HMERGE, ALT_CHUNK = w("vMerge"), w("hMerge"), w("altChunk")
FN_REF, EN_REF, FN_MARK, EN_MARK = w("footnoteReference"), w("endnoteReference"), w("footnoteRef"), w("endnoteRef")
NOTE_ID, CUSTOM_MARK, COLOR = w("id"), w("customMarkFollows"), w("color")
MC_FALLBACK = f"{{{MC_NS}}}Fallback"
CHAR = w("char")

QUOTE_INDENT = 4252          # twips (7.5 cm): approval stamps and appendix captions sit this far right
QUOTE_SPACES = 40            # leading spaces that push a monospaced line to the right

_HEADING_NAME = re.compile(r"^(?:heading|заголовок)\s*([1-9])$", re.IGNORECASE)
_FURNITURE = re.compile(
    r"^(?:документ предоставлен\s*консультантплюс|консультантплюс\s*надежная правовая поддержка"
    r"|(?:https?://)?www\.consultant\.ru|дата сохранения:?\s*\d|страница\s+\d+\s+из\s+\d+$)",
    re.IGNORECASE)
_NOTE_BOX = re.compile(r"^консультантплюс:\s*примечание", re.IGNORECASE)


def _is_furniture(text: str) -> bool:
    return len(text) < 300 and bool(_FURNITURE.match(text))


def _on(el: etree._Element | None) -> bool | None:
    """OOXML on/off element: None when absent, else its value."""
    if el is None:
        return None
    return el.get(W_VAL, "true").lower() not in ("false", "0", "off", "none")


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        try:
            return int(float(value))  # type: ignore[arg-type]
        except (TypeError, ValueError, OverflowError):
            return None


# ------------------------------------------------------------------------ styles

@dataclass(slots=True)
class _Style:
    """A paragraph style with its basedOn chain already folded in."""

    name: str = ""
    num_id: int | None = None
    ilvl: int | None = None
    outline: int | None = None
    jc: str | None = None
    indent: int | None = None
    bold: bool | None = None
    heading: int = 0


class _Styles:
    """Style id -> resolved properties, computed once per document."""

    def __init__(self, root: etree._Element | None) -> None:
        self.numbering_styles: dict[str, int] = {}
        self._raw: dict[str, dict] = {}
        self._char_raw: dict[str, tuple[str | None, bool | None]] = {}
        self._para: dict[str | None, _Style] = {}
        self._char: dict[str, bool | None] = {}
        self.default_id: str | None = None
        self.default_bold: bool | None = None
        if root is not None:
            self._load(root)

    def _load(self, root: etree._Element) -> None:
        rpr_default = root.find(f"{w('docDefaults')}/{w('rPrDefault')}/{RPR}")
        if rpr_default is not None:
            self.default_bold = _on(rpr_default.find(B))
        for st in root.iterchildren(w("style")):
            sid = st.get(w("styleId"))
            if sid is None:
                continue
            kind = st.get(w("type"), "paragraph")
            based = st.find(w("basedOn"))
            based_on = None if based is None else based.get(W_VAL)
            ppr, rpr = st.find(PPR), st.find(RPR)
            bold = _on(rpr.find(B)) if rpr is not None else None
            if kind == "character":
                self._char_raw[sid] = (based_on, bold)
                continue
            num_id = ilvl = outline = indent = None
            jc = None
            if ppr is not None:
                numpr = ppr.find(NUMPR)
                if numpr is not None:
                    num_id = _int(numpr.find(NUM_ID).get(W_VAL)) if numpr.find(NUM_ID) is not None else None
                    ilvl = _int(numpr.find(ILVL).get(W_VAL)) if numpr.find(ILVL) is not None else None
                el = ppr.find(OUTLINE)
                outline = _int(el.get(W_VAL)) if el is not None else None
                el = ppr.find(JC)
                jc = el.get(W_VAL) if el is not None else None
                el = ppr.find(IND)
                if el is not None:
                    indent = _int(el.get(w("left")) or el.get(w("start")))
            if kind == "numbering":
                if num_id is not None:
                    self.numbering_styles[sid] = num_id
                continue
            if kind != "paragraph":
                continue
            name_el = st.find(w("name"))
            name = name_el.get(W_VAL, "") if name_el is not None else ""
            self._raw[sid] = {"name": name, "based_on": based_on, "num_id": num_id, "ilvl": ilvl,
                              "outline": outline, "jc": jc, "indent": indent, "bold": bold}
            if st.get(w("default")) in ("1", "true", "on"):
                self.default_id = sid

    def para(self, sid: str | None) -> _Style:
        if sid not in self._raw:
            sid = self.default_id
        cached = self._para.get(sid)
        if cached is None:
            cached = self._para[sid] = self._resolve(sid)
        return cached

    def _resolve(self, sid: str | None) -> _Style:
        out = _Style()
        chain = []
        seen: set[str] = set()
        while sid is not None and sid in self._raw and sid not in seen and len(chain) < 20:
            seen.add(sid)
            chain.append(self._raw[sid])
            sid = self._raw[sid]["based_on"]
        if not chain:
            out.bold = self.default_bold
            return out
        out.name = chain[0]["name"]
        for key in ("num_id", "ilvl", "outline", "jc", "indent", "bold"):
            for raw in chain:
                if raw[key] is not None:
                    setattr(out, key, raw[key])
                    break
        if out.bold is None:
            out.bold = self.default_bold
        m = _HEADING_NAME.match(out.name.strip())
        if m:
            out.heading = int(m.group(1))
        elif out.outline is not None and 0 <= out.outline < 9:
            out.heading = out.outline + 1
        return out

    def char_bold(self, sid: str) -> bool | None:
        if sid in self._char:
            return self._char[sid]
        value = None
        seen: set[str] = set()
        cur: str | None = sid
        while cur is not None and cur in self._char_raw and cur not in seen:
            seen.add(cur)
            based_on, bold = self._char_raw[cur]
            if bold is not None:
                value = bold
                break
            cur = based_on
        self._char[sid] = value
        return value


# ------------------------------------------------------------------------ reader

@dataclass(slots=True)
class _Para:
    text: str
    label: str | None
    ilvl: int | None
    style: _Style
    bold: bool
    jc: str | None
    indent: int | None
    outline: int | None
    lead_spaces: int


class _Reader:
    def __init__(self, styles: _Styles, numbering: Numbering,
                 notes: dict[tuple[str, str], etree._Element] | None = None) -> None:
        self.styles = styles
        self.numbering = numbering
        self.tables = 0
        self.alt_chunk = False
        self.warnings: list[str] = []
        # footnotes and endnotes: ("footnote" | "endnote", w:id) -> the w:footnote / w:endnote
        self.notes = notes or {}
        self.pending: list[tuple[str, str, str]] = []  # referenced by the block being read: kind, id, mark
        self.counters = {"footnote": 0, "endnote": 0}
        self.note_mark: str | None = None  # the mark of the note being read (its w:footnoteRef)
        self.notes_read: set[tuple[str, str]] = set()

    # ------------------------------------------------------------ containers
    def walk(self, parent: etree._Element, out: list[Block], depth: int = 0) -> None:
        """Body-level content: paragraphs, tables and the containers around them."""
        if depth > MAX_DEPTH:
            raise ParseError("damaged Word document: content nested too deeply")
        for el in parent:
            tag = el.tag
            if tag == P:
                self.body_paragraph(el, out, depth)
            elif tag == TBL:
                self.table(el, out, depth + 1)
            elif tag == SDT:
                content = el.find(SDT_CONTENT)
                if content is not None:
                    self.walk(content, out, depth + 1)
            elif tag == CUSTOM_XML:
                self.walk(el, out, depth + 1)
            elif tag == ALT_CHUNK and not self.alt_chunk:
                self.alt_chunk = True
                self.warnings.append("an embedded document part (altChunk) was not read")

    @staticmethod
    def _children(el: etree._Element, tag: str) -> list[etree._Element]:
        """Children with ``tag``, looking through content controls and custom XML."""
        out = []
        for child in el:
            if child.tag == tag:
                out.append(child)
            elif child.tag == SDT:
                content = child.find(SDT_CONTENT)
                if content is not None:
                    out.extend(_Reader._children(content, tag))
            elif child.tag == CUSTOM_XML:
                out.extend(_Reader._children(child, tag))
        return out

    # ------------------------------------------------------------ paragraphs
    def body_paragraph(self, p: etree._Element, out: list[Block], depth: int) -> None:
        boxes: list[etree._Element] = []
        para = self.paragraph(p, boxes)
        text = para.text
        if text and not _is_furniture(text) and not _NOTE_BOX.match(text):
            style = para.style
            jc = para.jc
            heading = style.heading
            if para.outline is not None:
                heading = para.outline + 1 if 0 <= para.outline < 9 else 0
            out.append(Block(
                text=text,
                label=para.label or "",
                heading=min(heading, 6),
                bold=para.bold,
                centered=jc == "center",
                quote=(jc in ("right", "end") or (para.indent or 0) >= QUOTE_INDENT
                       or para.lead_spaces >= QUOTE_SPACES),
                list_level=para.ilvl if para.label is not None else None,
            ))
        self.flush_notes(out, depth)  # this paragraph's notes, before the text boxes anchored in it
        for box in boxes:
            self.walk(box, out, depth + 1)

    def flush_notes(self, out: list[Block], depth: int) -> None:
        """The footnotes and endnotes referenced by what was just read, as note blocks after it.

        Word keeps them in their own parts (footnotes.xml, endnotes.xml); a lawyer reads one
        where its mark is, so each follows the paragraph or table row that cites it. Their
        numbers are Word's default ones, in brackets: footnotes 1, 2, 3 and endnotes i, ii, iii
        counted in document order (a numbering format set in the document's settings is not
        read), or the custom mark ("*") the author typed.
        """
        cited, self.pending = self.pending, []  # taken at once: reading a note flushes too
        for kind, nid, mark in cited:
            el = self.notes.get((kind, nid))
            if el is None or (kind, nid) in self.notes_read:
                continue
            self.notes_read.add((kind, nid))
            blocks: list[Block] = []
            self.note_mark = mark
            try:
                self.walk(el, blocks, depth + 1)
            finally:
                self.note_mark = None
            for b in blocks:
                b.note, b.label, b.list_level = True, "", None
            out.extend(blocks)

    def paragraph(self, p: etree._Element, boxes: list[etree._Element]) -> _Para:
        """Text, number and style hints of one ``w:p``; text boxes anchored in it
        are appended to ``boxes`` (read by the caller, after the paragraph)."""
        sid = num_id = ilvl = outline = indent = None
        jc = None
        ppr = p.find(PPR)
        if ppr is not None:
            for el in ppr:
                tag = el.tag
                if tag == PSTYLE:
                    sid = el.get(W_VAL)
                elif tag == NUMPR:
                    for sub in el:
                        if sub.tag == NUM_ID:
                            num_id = _int(sub.get(W_VAL))
                        elif sub.tag == ILVL:
                            ilvl = _int(sub.get(W_VAL))
                elif tag == JC:
                    jc = el.get(W_VAL)
                elif tag == OUTLINE:
                    outline = _int(el.get(W_VAL))
                elif tag == IND:
                    indent = _int(el.get(w("left")) or el.get(w("start")))
        style = self.styles.para(sid)

        # numbering: direct w:numPr, else the style's (through basedOn)
        label = None
        if num_id is None:
            num_id = style.num_id
            if ilvl is None:
                ilvl = style.ilvl
        if num_id is not None and num_id != 0:
            if ilvl is None and sid is not None:
                ilvl = self.numbering.level_of_style(num_id, sid)
            if ilvl is None:
                ilvl = 0
            label = self.numbering.label(num_id, ilvl)

        # text boxes: their runs are descendants of this paragraph but not its text
        skip: set[etree._Element] | None = None
        found = list(p.iter(TXBX))
        if found:
            skip = set()
            for box in found:
                outer = True
                for anc in box.iterancestors():
                    if anc is p:
                        break
                    if anc.tag == TXBX or anc.tag == MC_FALLBACK:
                        outer = False  # nested (read with its box) or a duplicate VML fallback
                        break
                if outer:
                    boxes.append(box)
                skip.update(box.iter(R))

        parts: list[str] = []
        all_bold = True
        any_text = False
        para_bold = style.bold
        for r in p.iter(R):
            if skip is not None and r in skip:
                continue
            parent_tag = r.getparent().tag
            if parent_tag == DEL or parent_tag == MOVE_FROM:
                continue
            rpr = None
            chunks: list[str] = []
            for ch in r:
                tag = ch.tag
                if tag == T:
                    if ch.text:
                        chunks.append(ch.text)
                elif tag == RPR:
                    rpr = ch
                elif tag == TAB or tag == BR or tag == CR:
                    chunks.append(" ")
                elif tag == NBH:
                    chunks.append("-")
                elif tag == SYM:
                    code = _sym(ch.get(CHAR))
                    if code:
                        chunks.append(code)
                elif tag == FN_REF or tag == EN_REF:
                    kind = "footnote" if tag == FN_REF else "endnote"
                    mark = ""
                    if (ch.get(CUSTOM_MARK) or "").lower() not in ("1", "true", "on"):  # else the author's mark follows as text
                        self.counters[kind] += 1
                        n = self.counters[kind]
                        if not _white(rpr if rpr is not None else r.find(RPR)):
                            # in brackets, set apart: "Статья 5" + note 1 must not read "Статья 51"
                            mark = f"[{n if kind == 'footnote' else _roman(n)}]"
                            chunks.append(" " + mark)
                    self.pending.append((kind, ch.get(NOTE_ID, ""), mark))
                elif (tag == FN_MARK or tag == EN_MARK) and self.note_mark:
                    chunks.append(self.note_mark + " ")
            if not chunks:
                continue
            bold = None
            if rpr is not None:
                if _on(rpr.find(VANISH)):
                    continue  # hidden text is not shown
                bold = _on(rpr.find(B))
                if bold is None:
                    rs = rpr.find(RSTYLE)
                    if rs is not None:
                        bold = self.styles.char_bold(rs.get(W_VAL, ""))
            s = "".join(chunks)
            parts.append(s)
            if all_bold and not s.isspace():
                any_text = True
                if not (para_bold if bold is None else bold):
                    all_bold = False
        raw = "".join(parts).replace("\u00ad", "")
        text = " ".join(raw.split())
        lead = len(raw) - len(raw.lstrip(" ")) if text else 0
        return _Para(text, label, ilvl if label is not None else None, style,
                     any_text and all_bold, jc or style.jc, indent if indent is not None else style.indent,
                     outline, lead)

    # ---------------------------------------------------------------- tables
    def table(self, tbl: etree._Element, out: list[Block], depth: int) -> None:
        if depth > MAX_DEPTH:
            raise ParseError("damaged Word document: tables nested too deeply")
        index = self.tables
        self.tables += 1
        rows = self._children(tbl, TR)
        if len(rows) == 1 and self._is_note_box(rows[0]):
            return
        for ri, tr in enumerate(rows):
            cells: list[str] = []
            after: list[Block] = []
            for tc in self._children(tr, TC):
                continuation = False
                tcpr = tc.find(TCPR)
                if tcpr is not None:
                    hm = tcpr.find(HMERGE)
                    if hm is not None and hm.get(W_VAL, "continue") != "restart":
                        continue  # legacy horizontal merge: the text is in the first cell
                    vm = tcpr.find(VMERGE)
                    continuation = vm is not None and vm.get(W_VAL, "continue") != "restart"
                texts = []
                for el in tc:
                    self._cell_content(el, texts, after, depth)
                cells.append("" if continuation else " ".join(texts))
            if any(cells):
                out.append(Block(text=" ".join(c for c in cells if c), table=index, row=ri, cells=cells))
            out.extend(after)
            self.flush_notes(out, depth)

    def _cell_content(self, el: etree._Element, texts: list[str], after: list[Block], depth: int) -> None:
        if depth > MAX_DEPTH:
            raise ParseError("damaged Word document: content nested too deeply")
        tag = el.tag
        if tag == P:
            boxes: list[etree._Element] = []
            para = self.paragraph(el, boxes)
            text = para.text
            if text and (_is_furniture(text) or _NOTE_BOX.match(text)):
                text = ""
            if para.label:
                text = f"{para.label} {text}".strip()
            if text:
                texts.append(text)
            for box in boxes:
                self.walk(box, after, depth + 1)
        elif tag == TBL:
            self.table(el, after, depth + 1)
        elif tag == SDT:
            content = el.find(SDT_CONTENT)
            if content is not None:
                for sub in content:
                    self._cell_content(sub, texts, after, depth + 1)
        elif tag == CUSTOM_XML:
            for sub in el:
                self._cell_content(sub, texts, after, depth + 1)

    def _is_note_box(self, tr: etree._Element) -> bool:
        """ConsultantPlus' editorial note: a one-cell table starting "КонсультантПлюс: примечание"."""
        if len(self._children(tr, TC)) != 1:
            return False
        head = []
        size = 0
        for t in tr.iter(T):
            head.append(t.text or "")
            size += len(t.text or "")
            if size > 40:
                break
        return bool(_NOTE_BOX.match("".join(head).strip()))


def _white(rpr: etree._Element | None) -> bool:
    """White text: how authors hide Word's footnote number when they type their own mark ("*")."""
    color = rpr.find(COLOR) if rpr is not None else None
    return color is not None and (color.get(W_VAL, "").upper() == "FFFFFF"
                                  or color.get(w("themeColor")) in ("background1", "light1"))


def _roman(n: int) -> str:
    """Word's default endnote numbers: i, ii, iii, iv ..."""
    out = ""
    for value, letters in ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"),
                           (50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")):
        while n >= value:
            out += letters
            n -= value
    return out


def _sym(code: str | None) -> str:
    """``w:sym`` character; Symbol-font private-use codes (F0xx) map to their ASCII position."""
    try:
        value = int(code or "", 16)
    except ValueError:
        return ""
    if 0xF020 <= value <= 0xF0FF:
        value -= 0xF000
    if value < 0x20 or 0xE000 <= value <= 0xF8FF or value > 0x10FFFF:
        return ""
    return chr(value)


# ------------------------------------------------------------------- container

def _check_container(data: bytes) -> zipfile.ZipFile:
    """Refuse what python-docx should never open: not a ZIP, a ZIP bomb, encryption."""
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise ParseError("password-protected (encrypted) or Word 97-2003 document: save it as DOCX")
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise ParseError(f"damaged DOCX: not a readable ZIP container ({exc})") from None
    if len(infos) > MAX_MEMBERS:
        raise ParseError(f"ZIP bomb: {len(infos)} members in the archive")
    total = sum(i.file_size for i in infos)
    if total > MAX_UNCOMPRESSED:
        raise ParseError(f"ZIP bomb: {total} bytes uncompressed, the limit is {MAX_UNCOMPRESSED} bytes")
    for i in infos:
        if i.file_size > RATIO_MIN_SIZE and i.file_size > MAX_RATIO * max(i.compress_size, 1):
            raise ParseError(f"ZIP bomb: {i.filename} expands {i.file_size // max(i.compress_size, 1)} "
                             f"times (limit {MAX_RATIO})")
        if i.flag_bits & 0x1:
            raise ParseError("password-protected ZIP archive")
    names = {i.filename for i in infos}
    if "[Content_Types].xml" not in names:
        raise ParseError("not a Word document: the ZIP has no [Content_Types].xml")
    if "word/document.xml" not in names:
        rels = zf.read("_rels/.rels") if "_rels/.rels" in names else b""
        if b"purl.oclc.org/ooxml" in rels:
            raise ParseError("Strict Open XML document is not supported: save it as an ordinary DOCX")
        if b"/officeDocument" not in rels:
            raise ParseError("not a Word document: word/document.xml is missing")
    return zf


def _xml(part: object) -> etree._Element | None:
    element = getattr(part, "element", None)
    if element is not None:
        return element
    blob = getattr(part, "blob", None)
    return parse_xml(blob) if blob else None


def _open(data: bytes) -> tuple[etree._Element, etree._Element | None, etree._Element | None,
                                dict[tuple[str, str], etree._Element]]:
    """The ``w:document``, ``w:styles`` and ``w:numbering`` elements, and the footnotes and
    endnotes by (kind, id)."""
    _check_container(data)
    try:
        package = Package.open(io.BytesIO(data))
        main = package.main_document_part
    except KeyError:
        raise ParseError("not a Word document: the package has no main document") from None
    except etree.XMLSyntaxError as exc:
        raise ParseError(f"damaged Word document: broken XML ({exc.msg})") from None
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
        raise ParseError(f"damaged DOCX: a ZIP member cannot be read ({exc})") from None
    document = getattr(main, "element", None)
    if document is None or document.tag != w("document"):
        raise ParseError("not a Word document: the main part is not WordprocessingML")
    parts = []
    for reltype in (RT.STYLES, RT.NUMBERING, RT.FOOTNOTES, RT.ENDNOTES):
        try:
            parts.append(_xml(main.part_related_by(reltype)))
        except KeyError:
            parts.append(None)
    notes: dict[tuple[str, str], etree._Element] = {}
    for kind, root in (("footnote", parts[2]), ("endnote", parts[3])):
        if root is not None:
            for el in root.iterchildren(w(kind)):
                if el.get(w("type")) in (None, "normal"):  # not the separator lines
                    notes[(kind, el.get(NOTE_ID, ""))] = el
    return document, parts[0], parts[1], notes


# ------------------------------------------------------------------------- entry

def read(data: bytes, name: str) -> Read:
    """Read a DOCX file's body into blocks; ParseError for anything unreadable."""
    try:
        document, styles_el, numbering_el, notes = _open(data)
        styles = _Styles(styles_el)
        numbering = Numbering(numbering_el, styles.numbering_styles)
        body = document.find(w("body"))
        if body is None:
            raise ParseError("damaged Word document: it has no body")
        reader = _Reader(styles, numbering, notes)
        blocks: list[Block] = []
        reader.walk(body, blocks)
        return Read(blocks=blocks, warnings=reader.warnings)
    except ParseError:
        raise
    except etree.XMLSyntaxError as exc:
        raise ParseError(f"damaged Word document: broken XML ({exc.msg})") from None
    except RecursionError:
        raise ParseError("damaged Word document: content nested too deeply") from None
    except MemoryError:
        raise ParseError("the document is too large to read") from None
    except Exception as exc:  # noqa: BLE001 - hostile input must end as a ParseError
        raise ParseError(f"damaged Word document ({type(exc).__name__}: {exc})") from None
