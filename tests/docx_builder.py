"""Build small DOCX files for tests: python-docx for the package, raw WordprocessingML
for what python-docx cannot write (numbering definitions, w:numPr, merged cells,
content controls, text boxes)."""
from __future__ import annotations

import io
from xml.sax.saxutils import escape

import docx
from docx.enum.style import WD_STYLE_TYPE
from docx.oxml.parser import parse_xml

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NSDECL = (f'xmlns:w="{W_NS}" xmlns:v="urn:schemas-microsoft-com:vml" '
          'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"')


def lvl(ilvl: int, text: str, fmt: str = "decimal", start: int = 1, extra: str = "") -> str:
    """One ``w:lvl`` of an abstractNum."""
    return (f'<w:lvl w:ilvl="{ilvl}"><w:start w:val="{start}"/><w:numFmt w:val="{fmt}"/>{extra}'
            f'<w:lvlText w:val="{escape(text)}"/></w:lvl>')


def abstract(abstract_id: int, *levels: str, extra: str = "") -> str:
    return f'<w:abstractNum w:abstractNumId="{abstract_id}">{extra}{"".join(levels)}</w:abstractNum>'


def num(num_id: int, abstract_id: int, overrides: str = "") -> str:
    return f'<w:num w:numId="{num_id}"><w:abstractNumId w:val="{abstract_id}"/>{overrides}</w:num>'


def start_override(ilvl: int, start: int) -> str:
    return f'<w:lvlOverride w:ilvl="{ilvl}"><w:startOverride w:val="{start}"/></w:lvlOverride>'


def run(text: str, bold: bool | None = None, extra_rpr: str = "") -> str:
    rpr = "" if bold is None else ("<w:b/>" if bold else '<w:b w:val="0"/>')
    rpr += extra_rpr
    rpr = f"<w:rPr>{rpr}</w:rPr>" if rpr else ""
    return f'<w:r>{rpr}<w:t xml:space="preserve">{escape(text)}</w:t></w:r>'


def para(text: str = "", num_id: int | None = None, ilvl: int | None = None, style: str | None = None,
         jc: str | None = None, runs: str | None = None, ppr_extra: str = "") -> str:
    """A ``w:p``; ``runs`` replaces the single run made from ``text``."""
    ppr = ""
    if style:
        ppr += f'<w:pStyle w:val="{style}"/>'
    if num_id is not None or ilvl is not None:
        ppr += "<w:numPr>"
        if ilvl is not None:
            ppr += f'<w:ilvl w:val="{ilvl}"/>'
        if num_id is not None:
            ppr += f'<w:numId w:val="{num_id}"/>'
        ppr += "</w:numPr>"
    if jc:
        ppr += f'<w:jc w:val="{jc}"/>'
    ppr += ppr_extra
    body = runs if runs is not None else (run(text) if text else "")
    return f"<w:p>{'<w:pPr>' + ppr + '</w:pPr>' if ppr else ''}{body}</w:p>"


def cell(*content: str, tcpr: str = "") -> str:
    inner = "".join(content) or "<w:p/>"  # a cell must end with a paragraph
    return f"<w:tc>{'<w:tcPr>' + tcpr + '</w:tcPr>' if tcpr else ''}{inner}</w:tc>"


def table(*rows: list[str]) -> str:
    return "<w:tbl><w:tblPr/>" + "".join("<w:tr>" + "".join(r) + "</w:tr>" for r in rows) + "</w:tbl>"


class DocBuilder:
    """Accumulate body XML, numbering and styles; ``to_bytes()`` gives a DOCX."""

    def __init__(self) -> None:
        self.doc = docx.Document()
        self.body = self.doc.element.body
        self._sect = self.body[-1]  # the final w:sectPr stays last

    def numbering(self, *definitions: str) -> DocBuilder:
        """Replace numbering.xml; abstractNums must come before nums (schema order)."""
        xml = f"<w:numbering {NSDECL}>{''.join(definitions)}</w:numbering>"
        self.doc.part.numbering_part._element = parse_xml(xml)
        return self

    def style(self, name: str, num_id: int | None = None, ilvl: int | None = None,
              based_on: str | None = None, bold: bool = False, kind: str = "paragraph") -> str:
        """Add a style; returns its style id."""
        st = self.doc.styles.add_style(
            name, WD_STYLE_TYPE.PARAGRAPH if kind == "paragraph" else WD_STYLE_TYPE.CHARACTER)
        if based_on:
            st.base_style = self.doc.styles[based_on]
        if bold:
            st.font.bold = True
        if num_id is not None:
            numpr = "<w:numPr>"
            if ilvl is not None:
                numpr += f'<w:ilvl w:val="{ilvl}"/>'
            numpr += f'<w:numId w:val="{num_id}"/></w:numPr>'
            st.element.get_or_add_pPr().append(parse_xml(f"<w:wrap {NSDECL}>{numpr}</w:wrap>")[0])
        return st.style_id

    def numbering_style(self, style_id: str, num_id: int) -> None:
        """A ``w:style w:type="numbering"`` whose numPr points to ``num_id``."""
        xml = (f'<w:style {NSDECL} w:type="numbering" w:styleId="{style_id}"><w:name w:val="{style_id}"/>'
               f'<w:pPr><w:numPr><w:numId w:val="{num_id}"/></w:numPr></w:pPr></w:style>')
        self.doc.styles.element.append(parse_xml(xml))

    def add(self, *xml: str) -> DocBuilder:
        for fragment in xml:
            for el in list(parse_xml(f"<w:wrap {NSDECL}>{fragment}</w:wrap>")):
                self._sect.addprevious(el)
        return self

    def notes(self, kind: str, notes: dict[int, str]) -> DocBuilder:
        """Add footnotes.xml or endnotes.xml (kind "footnote" or "endnote"): id -> the note's body XML,
        after Word's two separator notes (ids -1 and 0)."""
        from docx.opc.constants import CONTENT_TYPE as CT
        from docx.opc.constants import RELATIONSHIP_TYPE as RT
        from docx.opc.packuri import PackURI
        from docx.opc.part import Part

        seps = "".join(f'<w:{kind} w:type="{t}" w:id="{i}"><w:p><w:r><w:separator/></w:r></w:p></w:{kind}>'
                       for i, t in ((-1, "separator"), (0, "continuationSeparator")))
        body = "".join(f'<w:{kind} w:id="{i}">{xml}</w:{kind}>' for i, xml in notes.items())
        blob = f'<w:{kind}s {NSDECL}>{seps}{body}</w:{kind}s>'.encode()
        ct, rt = (CT.WML_FOOTNOTES, RT.FOOTNOTES) if kind == "footnote" else (CT.WML_ENDNOTES, RT.ENDNOTES)
        part = Part(PackURI(f"/word/{kind}s.xml"), ct, blob, self.doc.part.package)
        self.doc.part.relate_to(part, rt)
        return self

    def to_bytes(self) -> bytes:
        out = io.BytesIO()
        self.doc.save(out)
        return out.getvalue()
