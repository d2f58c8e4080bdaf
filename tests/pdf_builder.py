"""Build small PDF files for tests with PDFium itself (pypdfium2's raw API).

Text is set line by line at exact positions in a TrueType font (DejaVu, for
Cyrillic) or in the built-in Helvetica; table borders are thin filled
rectangles, as Word draws them; a scanned page is a page with only an image.
"""
from __future__ import annotations

import ctypes
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

FONT_DIRS = [Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu")]


def cyrillic_font() -> Path | None:
    for d in FONT_DIRS:
        p = d / "DejaVuSerif.ttf"
        if p.exists():
            return p
    return None


class PdfBuilder:
    """`page()`, then `text()` / `rule()` / `image()` on it, then `to_bytes()`."""

    def __init__(self, font: Path | None = None):
        self.pdf = pdfium.PdfDocument.new()
        if font is not None:
            data = font.read_bytes()
            self._font_buf = (ctypes.c_uint8 * len(data)).from_buffer_copy(data)
            self.font = pdfium_c.FPDFText_LoadFont(self.pdf.raw, self._font_buf, len(data),
                                                   pdfium_c.FPDF_FONT_TRUETYPE, True)
        else:
            self.font = pdfium_c.FPDFText_LoadStandardFont(self.pdf.raw, b"Helvetica")
        self.pages: list[pdfium.PdfPage] = []

    def page(self, width: float = 595, height: float = 842) -> pdfium.PdfPage:
        p = self.pdf.new_page(width, height)
        self.pages.append(p)
        return p

    def text(self, page: pdfium.PdfPage, x: float, y: float, s: str, size: float = 12) -> None:
        obj = pdfium_c.FPDFPageObj_CreateTextObj(self.pdf.raw, self.font, size)
        raw = (s + "\0").encode("utf-16-le")
        buf = (ctypes.c_ushort * (len(raw) // 2)).from_buffer_copy(raw)
        pdfium_c.FPDFText_SetText(obj, buf)
        pdfium_c.FPDFPageObj_Transform(obj, 1, 0, 0, 1, x, y)
        pdfium_c.FPDFPage_InsertObject(page.raw, obj)

    def lines(self, page: pdfium.PdfPage, x: float, y: float, lines: list[str], size: float = 12,
              leading: float = 14) -> float:
        """Set lines one under another; return the baseline below the last one."""
        for s in lines:
            self.text(page, x, y, s, size)
            y -= leading
        return y

    def rule(self, page: pdfium.PdfPage, x0: float, y0: float, x1: float, y1: float) -> None:
        """A filled black rectangle: Word's way of drawing a cell border."""
        obj = pdfium_c.FPDFPageObj_CreateNewRect(x0, y0, x1 - x0, y1 - y0)
        pdfium_c.FPDFPageObj_SetFillColor(obj, 0, 0, 0, 255)
        pdfium_c.FPDFPath_SetDrawMode(obj, pdfium_c.FPDF_FILLMODE_WINDING, False)
        pdfium_c.FPDFPage_InsertObject(page.raw, obj)

    def grid(self, page: pdfium.PdfPage, xs: list[float], ys: list[float], w: float = 0.5) -> None:
        """Borders of a table with column edges `xs` and row edges `ys`."""
        for y in ys:
            self.rule(page, xs[0], y - w / 2, xs[-1], y + w / 2)
        for x in xs:
            self.rule(page, x - w / 2, min(ys), x + w / 2, max(ys))

    def image(self, page: pdfium.PdfPage, x: float, y: float, w: float, h: float) -> None:
        """A grey bitmap, as a scanner would put on the page."""
        bitmap = pdfium.PdfBitmap.new_native(40, 40, pdfium_c.FPDFBitmap_BGR)
        bitmap.fill_rect((200, 200, 200, 255), 0, 0, 40, 40)
        obj = pdfium_c.FPDFPageObj_NewImageObj(self.pdf.raw)
        pdfium_c.FPDFImageObj_SetBitmap(None, 0, obj, bitmap.raw)
        pdfium_c.FPDFImageObj_SetMatrix(obj, w, 0, 0, h, x, y)
        pdfium_c.FPDFPage_InsertObject(page.raw, obj)
        self._keep = getattr(self, "_keep", []) + [bitmap]

    def to_bytes(self) -> bytes:
        import io  # noqa: PLC0415

        for p in self.pages:
            pdfium_c.FPDFPage_GenerateContent(p.raw)
        out = io.BytesIO()
        self.pdf.save(out)
        return out.getvalue()
