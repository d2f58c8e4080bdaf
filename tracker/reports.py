"""The e-mail reports: what each agency and the ministry receive, rendered from templates.

Wording lives in Jinja2 templates under `templates_mail/<lang>/` (Russian by default,
English on request), one set per report: `<name>.subject.txt`, `<name>.txt` (the
plain-text part) and `<name>.html`. This module only gathers the numbers (from
tracker.campaigns) and draws the progress chart.

The ministry's chart is a PNG drawn with Pillow (already installed): an inline
image shows in the body of every common mail client, where an SVG is stripped by
most of them, and a bar chart is a few rectangles, not worth a plotting library.
"""
from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import sqlite_utils
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from tracker.campaigns import assignments, days_left, get_campaign, progress, working_days_left
from tracker.dates import fmt_date
from tracker.mail import Attachment, InlineImage, MailSettings

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates_mail"
MAIL_LANGS = ("ru", "en")
CHART_CID = "progress-chart@norma"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Where the web app shows a campaign; an agency user sees its own acts there (its queue).
CAMPAIGN_PATH = "/campaigns/{cid}"
KINDS = ("reminder", "overdue", "weekly", "manual", "test")


def mail_lang(lang: str | None) -> str:
    """The language of a message: Russian unless English was asked for (kk/ky read Russian mail)."""
    return lang if lang in MAIL_LANGS else "ru"


def plural_ru(n: int, one: str, few: str, many: str) -> str:
    """Russian plural form for n: 1 день, 2 дня, 5 дней, 11 дней, 21 день."""
    n = abs(int(n))
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


@cache
def _env() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATE_DIR), autoescape=select_autoescape(["html"]),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                      keep_trailing_newline=True)
    env.filters["ddmmyyyy"] = fmt_date
    env.filters["plural_ru"] = plural_ru
    env.filters["cap"] = lambda s: (s[:1].upper() + s[1:]) if s else s  # "приказ" -> "Приказ"
    return env


@dataclass
class Rendered:
    """A report ready to become a message (tracker.mail.build_message) or a browser preview."""

    subject: str
    text: str
    html: str
    attachments: list[Attachment] = field(default_factory=list)
    inline: list[InlineImage] = field(default_factory=list)

    def preview_html(self) -> str:
        """The HTML part as a browser shows it: inline images as data: URIs instead of cid:."""
        html = self.html
        for img in self.inline:
            data = base64.b64encode(img.content).decode("ascii")
            html = html.replace(f"cid:{img.cid}", f"data:{img.mimetype};base64,{data}")
        return html


def _render(name: str, lang: str, context: dict[str, Any]) -> tuple[str, str, str]:
    env = _env()
    lang = mail_lang(lang)
    subject = env.get_template(f"{lang}/{name}.subject.txt").render(context)
    text = env.get_template(f"{lang}/{name}.txt").render(context)
    html = env.get_template(f"{lang}/{name}.html").render(context)
    return " ".join(subject.split()), text, html


def _require(db: sqlite_utils.Database, cid: int) -> dict[str, Any]:
    campaign = get_campaign(db, cid)
    if campaign is None:
        raise ValueError(f"no campaign with id {cid}")
    return campaign


def _deadline_context(campaign: dict[str, Any], today: date) -> dict[str, Any]:
    return {"campaign": campaign, "today": today, "days_left": days_left(campaign, today),
            "working_days_left": working_days_left(campaign, today)}


def agency_report(db: sqlite_utils.Database, cid: int, agency_id: int, *, today: date,
                  kind: str = "manual", lang: str = "ru", base_url: str = "") -> Rendered:
    """To one agency: its acts with clauses reviewed and left, days left, what is overdue, a link."""
    from tracker.users import get_agency

    campaign = _require(db, cid)
    agency = get_agency(db, agency_id)
    if agency is None:
        raise ValueError(f"no agency with id {agency_id}")
    acts = assignments(db, cid, agency_id=agency_id)
    for a in acts:
        a["clauses_left"] = max(0, a["clauses_total"] - a["clauses_reviewed"])
    late = today > campaign["deadline"]
    overdue = [a for a in acts if late and a["status"] != "reviewed"]
    totals = {
        "acts": len(acts), "acts_reviewed": sum(a["status"] == "reviewed" for a in acts),
        "clauses_total": sum(a["clauses_total"] for a in acts),
        "clauses_reviewed": sum(a["clauses_reviewed"] for a in acts),
    }
    totals["clauses_left"] = totals["clauses_total"] - totals["clauses_reviewed"]
    totals["acts_left"] = totals["acts"] - totals["acts_reviewed"]
    context = _deadline_context(campaign, today) | {
        "kind": kind, "agency": agency, "acts": acts, "totals": totals, "overdue": overdue,
        "queue_url": base_url.rstrip("/") + CAMPAIGN_PATH.format(cid=cid),
    }
    return Rendered(*_render("agency", lang, context))


def ministry_report(db: sqlite_utils.Database, cid: int, *, today: date, kind: str = "weekly",
                    lang: str = "ru", base_url: str = "", attach: bool = True) -> Rendered:
    """To the ministry: every agency's progress (overdue first), a chart, the verdicts as XLSX."""
    campaign = _require(db, cid)
    rows = progress(db, cid, today)
    dl = days_left(campaign, today)
    for r in rows:
        r["clauses_left"] = r["clauses_total"] - r["clauses_reviewed"]
        r["done"] = r["acts"] > 0 and r["acts_reviewed"] == r["acts"]
        r["days_left"] = dl
    totals = {k: sum(r[k] for r in rows) for k in ("acts", "acts_reviewed", "clauses_total", "clauses_reviewed")}
    totals["percent"] = (100 * totals["clauses_reviewed"] // totals["clauses_total"] if totals["clauses_total"]
                         else (100 * totals["acts_reviewed"] // totals["acts"] if totals["acts"] else 0))
    attachment_name = f"verdicts-campaign-{cid}-{today.isoformat()}.xlsx"
    context = _deadline_context(campaign, today) | {
        "kind": kind, "rows": rows, "totals": totals, "overdue_count": sum(r["overdue"] for r in rows),
        "chart_src": f"cid:{CHART_CID}" if rows else None, "chart_width": CHART_WIDTH,
        "attachment_name": attachment_name if attach else None,
        "campaign_url": base_url.rstrip("/") + CAMPAIGN_PATH.format(cid=cid),
    }
    subject, text, html = _render("ministry", lang, context)
    inline = [InlineImage(CHART_CID, chart_png(rows, lang=lang))] if rows else []
    attachments = [Attachment(attachment_name, verdicts_attachment(db, cid), XLSX_MIME)] if attach else []
    return Rendered(subject, text, html, attachments, inline)


def verdicts_attachment(db: sqlite_utils.Database, cid: int) -> bytes:
    """The verdicts given so far, as the XLSX the campaign's export page offers."""
    from tracker.exports import verdict_rows, verdicts_xlsx

    return verdicts_xlsx(verdict_rows(db, cid))


def render_test_message(settings: MailSettings, *, lang: str = "ru") -> Rendered:
    """The admin's test message: says where it came from, so the admin knows the path works."""
    context = {"settings": settings.describe(), "today": date.today()}
    return Rendered(*_render("test", lang, context))


# --- the chart ------------------------------------------------------------------------------

_FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/Library/Fonts/Arial Unicode.ttf",
    "C:/Windows/Fonts/arial.ttf",
)


@cache
def _font(size: int) -> tuple[Any, bool]:
    """A TrueType font with Cyrillic, and whether it has it (Pillow's built-in font is Latin only)."""
    from PIL import ImageFont

    for path in _FONT_CANDIDATES:
        if Path(path).exists():
            return ImageFont.truetype(path, size), True
    return ImageFont.load_default(size), False


def _fit(draw: Any, text: str, font: Any, width: int) -> str:
    if draw.textlength(text, font=font) <= width:
        return text
    while text and draw.textlength(text + "…", font=font) > width:
        text = text[:-1]
    return text + "…"


CHART_WIDTH = 630  # CSS pixels; the PNG is drawn at twice that for sharp text on HiDPI screens


def chart_png(rows: Sequence[dict[str, Any]], *, lang: str = "ru", scale: int = 2) -> bytes:
    """A horizontal bar per agency (percent of clauses reviewed), overdue ones in red.

    Rows are numbered like the report's table, so the chart stays readable even on a
    machine without a Cyrillic font (then the names are left out, numbers kept).
    """
    from PIL import Image, ImageDraw

    font, cyrillic = _font(13 * scale)
    row_h, top, left, bar_w, pad = 26 * scale, 34 * scale, 250 * scale, 320 * scale, 12 * scale
    width = CHART_WIDTH * scale
    height = top + row_h * max(1, len(rows)) + pad
    img = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(img)
    title = "Проверено пунктов, %" if mail_lang(lang) == "ru" else "Clauses reviewed, %"
    draw.text((pad, 8 * scale), title if cyrillic or lang == "en" else "%", fill="#222222", font=font)
    for tick in (0, 50, 100):  # a light grid at 0, 50 and 100 %
        x = left + bar_w * tick // 100
        draw.line([(x, top - 4 * scale), (x, height - pad)], fill="#dddddd", width=scale)
    for i, r in enumerate(rows):
        y = top + i * row_h
        label = f"{i + 1}. {r['agency']}" if cyrillic else f"{i + 1}."
        draw.text((pad, y + 5 * scale), _fit(draw, label, font, left - pad - 8 * scale), fill="#222222", font=font)
        pct = max(0, min(100, int(r["percent"])))
        colour = "#c0392b" if r.get("overdue") else ("#2e7d32" if pct >= 100 else "#1f6fb2")
        bar_top, bar_bottom = y + 4 * scale, y + row_h - 6 * scale
        draw.rectangle([left, bar_top, left + bar_w, bar_bottom], fill="#f0f0f0")
        if pct:
            draw.rectangle([left, bar_top, left + bar_w * pct // 100, bar_bottom], fill=colour)
        draw.text((left + bar_w + 6 * scale, y + 5 * scale), f"{pct}%", fill="#222222", font=font)
    out = io.BytesIO()
    img.save(out, format="PNG", optimize=True)
    return out.getvalue()
