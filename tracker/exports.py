"""What a campaign's verdicts become outside Norma: CSV, Excel, and the comparison table.

The comparison table ("сравнительная таблица") is the document lawyers in Kazakhstan
and Kyrgyzstan attach to every draft amendment: one row per changed clause with the
current wording, the proposed wording and the justification.
"""
from __future__ import annotations

import csv
import io
import re
from typing import Any

import sqlite_utils
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font

from tracker.campaigns import get_campaign, is_clause_sql
from tracker.dates import fmt_date, fmt_datetime
from tracker.verdicts import NEEDS_REASON, VERDICT_LABELS

# (row key, column header) of the CSV and XLSX exports, in order.
COLUMNS = (
    ("act", "Акт"),
    ("act_number", "Номер акта"),
    ("agency", "Ведомство"),
    ("label", "Структурный элемент"),
    ("text", "Текст"),
    ("verdict_label", "Решение"),
    ("reason", "Обоснование"),
    ("new_wording", "Предлагаемая редакция"),
    ("measure_ids", "Меры"),
    ("reviewer", "Проверил"),
    ("time", "Дата и время"),
)
COMPARISON_HEADERS = ("№ п/п", "Структурный элемент", "Действующая редакция", "Предлагаемая редакция",
                      "Обоснование")
REMOVE = "Исключить"


# --- rows -----------------------------------------------------------------------------------


def _measures_by_clause(db: sqlite_utils.Database, campaign: dict[str, Any]) -> dict[tuple[int, str], str]:
    """(act_id, uid) -> "M1, M14" from tracker.links' table (`measure_links`), when there is one.

    Rejected links are left out (proposed, confirmed and added ones count); when the
    campaign names its measures, only those. The table belongs to another module, so
    its shape is checked rather than assumed.
    """
    table = next((t for t in ("measure_links", "links") if t in db.table_names()), None)
    if table is None:
        return {}
    cols = set(db[table].columns_dict)
    if not {"act_id", "uid", "measure_id"} <= cols:
        return {}
    sql = f"SELECT act_id, uid, measure_id FROM {table}"
    if "status" in cols:
        sql += " WHERE COALESCE(status, '') != 'rejected'"
    wanted = set(campaign["measure_ids"])
    found: dict[tuple[int, str], list[str]] = {}
    for act_id, uid, measure in db.execute(sql + " ORDER BY act_id, uid, measure_id").fetchall():
        if not wanted or measure in wanted:
            ids = found.setdefault((act_id, uid), [])
            if measure not in ids:
                ids.append(measure)
    return {k: ", ".join(v) for k, v in found.items()}


def verdict_rows(db: sqlite_utils.Database, cid: int, *, agency_id: int | None = None,
                 include_empty: bool = False) -> list[dict[str, Any]]:
    """One row per clause with a verdict (by agency, act, document order).

    Keys: act_id, act, act_number, agency, uid, label, text, verdict, verdict_label,
    reason, new_wording, measure_ids, reviewer, time (dd.mm.yyyy HH:MM, the country's
    local time). `include_empty` adds the clauses still without a verdict.
    """
    campaign = get_campaign(db, cid)
    if campaign is None:
        raise ValueError(f"no campaign with id {cid}")
    where = "v.verdict IS NOT NULL" + (f" OR {is_clause_sql('u')}" if include_empty else "")
    sql = (f"""SELECT s.act_id, a.title AS act, a.number AS act_number, g.name AS agency,
                     u.uid, u.label, u.text, v.verdict, v.reason, v.new_wording, v.updated_at,
                     COALESCE(NULLIF(us.name, ''), us.email) AS reviewer
              FROM assignments s JOIN acts a ON a.id = s.act_id JOIN agencies g ON g.id = s.agency_id
              JOIN units u ON u.act_id = s.act_id
              LEFT JOIN verdicts v ON v.campaign_id = s.campaign_id AND v.act_id = u.act_id AND v.uid = u.uid
              LEFT JOIN users us ON us.id = v.user_id
              WHERE s.campaign_id = ? AND ({where})""")
    params: list[Any] = [cid]
    if agency_id is not None:
        sql += " AND s.agency_id = ?"
        params.append(agency_id)
    measures = _measures_by_clause(db, campaign)
    rows = []
    for r in db.query(sql + " ORDER BY g.name_key, s.act_id, u.seq", params):
        r["act"] = r["act"] or ""
        r["act_number"] = r["act_number"] or ""
        r["verdict"] = r["verdict"] or ""
        r["verdict_label"] = VERDICT_LABELS.get(r["verdict"], "")
        r["reason"] = r["reason"] or ""
        r["new_wording"] = r["new_wording"] or ""
        r["reviewer"] = r["reviewer"] or ""
        r["measure_ids"] = measures.get((r["act_id"], r["uid"]), "")
        r["time"] = fmt_datetime(r.pop("updated_at"), campaign["country"])
        rows.append(r)
    return rows


# --- CSV and Excel --------------------------------------------------------------------------


def _csv_safe(value: Any) -> str:
    """Text that Excel shows as text: a leading =, +, @ or -<digit/formula> is prefixed with '.

    Clause text and reasons are typed by other people; "=HYPERLINK(...)" in a cell would
    become a live formula when the file is opened (CSV injection). A dash followed by a
    space or a Cyrillic letter (the usual "- пункт") is left alone; "-cmd|..." is not, so ordinary legal text is untouched.
    """
    text = "" if value is None else str(value)
    head = text.lstrip(" \u00a0")  # Excel ignores leading spaces before a formula
    if text[:1] in ("\t", "\r") or head[:1] in ("=", "+", "@") or re.match(r"-(?:[^\s\w]|\d|[A-Za-z])", head):
        return "'" + text
    return text


def verdicts_csv(rows: list[dict[str, Any]], *, delimiter: str = ";") -> bytes:
    """The rows as CSV for Excel: UTF-8 with a BOM (else Excel shows Cyrillic as mojibake)
    and `;` between fields (what Excel expects under a Russian or Kazakh locale)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow([title for _key, title in COLUMNS])
    for r in rows:
        writer.writerow([_csv_safe(r.get(key, "")) for key, _title in COLUMNS])
    return out.getvalue().encode("utf-8-sig")


def _xlsx_text(value: Any) -> Any:
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)  # control characters make openpyxl refuse the file
    return value


def verdicts_xlsx(rows: list[dict[str, Any]]) -> bytes:
    """The rows as an Excel workbook: one sheet, bold frozen header, filters, wrapped text."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Решения"
    ws.append([title for _key, title in COLUMNS])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    for r in rows:
        ws.append([_xlsx_text(r.get(key, "")) for key, _title in COLUMNS])
        for cell in ws[ws.max_row]:
            cell.alignment = wrap
            if cell.data_type == "f":  # text starting with "=" is text here, never a formula
                cell.data_type = "s"
    widths = {"act": 40, "text": 60, "reason": 40, "new_wording": 60, "label": 14, "agency": 25}
    for i, (key, _title) in enumerate(COLUMNS, 1):
        ws.column_dimensions[ws.cell(row=1, column=i).column_letter].width = widths.get(key, 16)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# --- the comparison table -------------------------------------------------------------------

_KIND_NAMES = {"article": "статья", "paragraph": "пункт", "subparagraph": "подпункт", "item": "подпункт",
               "table_row": "строка", "text": "абзац", "chapter": "глава", "section": "раздел",
               "appendix": "приложение", "table": "таблица"}
_CONTAINERS = ("chapter", "section", "appendix")


def _number(label: str) -> str:
    return label.strip().rstrip(".")


def structural_element(unit: dict[str, Any], by_uid: dict[str, dict[str, Any]]) -> str:
    """How a lawyer names the clause: "подпункт 2) пункта 13 (Глава 3, Приложение)".

    The enclosing chapters, sections and appendices are added because an order and the
    Rules it approves both have a "пункт 1".
    """
    label, kind = unit.get("label") or "", unit["kind"]
    parent = by_uid.get(unit.get("parent_uid") or "")
    if kind == "table_row" and label.startswith("table:"):
        name = f"строка {label.split(':', 1)[1]} таблицы"
    elif label and label[0].isalpha() and label.split()[0].casefold() in _KIND_NAMES.values():
        name = label  # "Статья 5", "Глава 2": the label already names the kind
    elif label:
        name = f"{_KIND_NAMES.get(kind, '')} {_number(label)}".strip()
        if kind in ("subparagraph", "item") and parent and parent["kind"] == "paragraph" and parent["label"]:
            name += f" пункта {_number(parent['label'])}"
    else:
        name = _KIND_NAMES.get(kind, "")
        if parent and parent.get("label") and parent["kind"] not in _CONTAINERS:
            name += f" ({_KIND_NAMES.get(parent['kind'], '')} {_number(parent['label'])})".replace("( ", "(")
    containers, p = [], parent
    while p is not None:
        if p["kind"] in _CONTAINERS and p.get("label") and p["label"] not in containers:
            containers.append(p["label"])
        p = by_uid.get(p.get("parent_uid") or "")
    return f"{name} ({', '.join(containers)})" if containers else name


def _current_wording(unit: dict[str, Any], children: dict[str, list[dict[str, Any]]]) -> str:
    """The clause as it reads now: label, text, and its unnumbered continuation paragraphs.

    Continuation paragraphs are sentences; the first child line without closing
    punctuation ends the clause. The parser hangs the signature and approval stamp
    ("Министр юстиции ...", "«СОГЛАСОВАНО» ...") under an order's last paragraph, and
    they are not part of its wording.
    """
    label = unit.get("label") or ""
    first = " ".join(filter(None, ["" if label.startswith("table:") else label, unit.get("text")]))
    rest: list[str] = []
    if unit["kind"] != "text":
        for c in children.get(unit["uid"], []):
            if c["kind"] != "text" or c.get("role") or not c.get("text"):
                continue
            if not re.search(r"[.;:!?…»)]$", c["text"].rstrip()):
                break
            rest.append(c["text"])
    return "\n".join([first, *rest])


def _inflect(word: str, case: str) -> str:
    """One Russian word in `case` (pymorphy3 via nlp.morph), keeping its capital; as is if unknown."""
    from nlp.morph import analyzer

    parsed = analyzer().parse(word)
    form = parsed[0].inflect({case}) if parsed else None
    if form is None:
        return word
    out = form.word
    return out[:1].upper() + out[1:] if word[:1].isupper() else out


def _act_description(act: dict[str, Any]) -> str:
    """"приказ Министра юстиции Республики Казахстан от 19.06.2020 № 107 «Об утверждении ...»"."""
    act_type = (act.get("act_type") or "акт").strip()
    words = act_type.split()
    parts = [_inflect(words[0].lower(), "accs") + (" " + " ".join(words[1:]) if len(words) > 1 else "")]
    issuer = (act.get("issuer") or "").split()
    if issuer:
        parts.append(" ".join([_inflect(issuer[0], "gent"), *issuer[1:]]))
    if act.get("date"):
        parts.append(f"от {fmt_date(act['date'])}")
    if act.get("number"):
        parts.append(f"№ {act['number']}")
    title = (act.get("title") or "").strip()
    if title.startswith("«") and title.endswith("»"):
        title = title[1:-1]  # already quoted; a title ending in a quoted name keeps its own »
    if title:
        parts.append(f"«{title}»")
    return " ".join(parts)


def comparison_title(act: dict[str, Any]) -> str:
    return f"Сравнительная таблица к проекту изменений в {_act_description(act)}"


def _repeat_header(row) -> None:
    """Mark a table row as the header Word repeats on every page (python-docx has no API for it)."""
    tr_pr = row._tr.get_or_add_trPr()
    flag = OxmlElement("w:tblHeader")
    flag.set(qn("w:val"), "true")
    tr_pr.append(flag)


def comparison_rows(db: sqlite_utils.Database, cid: int, act_id: int) -> list[dict[str, str]]:
    """The comparison table's rows for one act: its amend/repeal/duplicative clauses in order."""
    from tracker.acts import get_units
    from tracker.verdicts import get_verdicts

    verdicts = get_verdicts(db, cid, act_id)
    units = get_units(db, act_id)
    by_uid = {u["uid"]: u for u in units}
    children: dict[str, list[dict[str, Any]]] = {}
    for u in units:
        if u.get("parent_uid"):
            children.setdefault(u["parent_uid"], []).append(u)
    rows = []
    for u in units:
        v = verdicts.get(u["uid"])
        if not v or v["verdict"] not in NEEDS_REASON:
            continue
        rows.append({"element": structural_element(u, by_uid), "current": _current_wording(u, children),
                     "proposed": v["new_wording"] if v["verdict"] == "amend" else REMOVE,
                     "reason": v["reason"]})
    return rows


def comparison_docx(db: sqlite_utils.Database, cid: int, *, act_id: int | None = None,
                    agency_id: int | None = None) -> bytes:
    """The comparison table(s) as a landscape Word document: one titled table per act that
    has clauses to amend or remove (repeal and duplicative become "Исключить")."""
    from tracker.acts import get_act
    from tracker.campaigns import assignments

    if get_campaign(db, cid) is None:
        raise ValueError(f"no campaign with id {cid}")
    acts = [a["act_id"] for a in assignments(db, cid, agency_id=agency_id)
            if act_id is None or a["act_id"] == act_id]
    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Cm(29.7), Cm(21.0)
    section.left_margin = section.right_margin = Cm(2.0)
    section.top_margin = section.bottom_margin = Cm(1.5)
    normal = doc.styles["Normal"]
    normal.font.name = "Times New Roman"
    normal.font.size = Pt(12)
    widths = (Cm(1.2), Cm(3.6), Cm(7.6), Cm(7.6), Cm(5.7))  # 25.7 cm: A4 landscape less margins
    written = 0
    for aid in acts:
        rows = comparison_rows(db, cid, aid)
        if not rows:
            continue
        if written:
            doc.add_page_break()
        written += 1
        title = doc.add_paragraph()
        title.alignment = WD_ALIGN_PARAGRAPH.CENTER
        title.add_run(comparison_title(get_act(db, aid) or {})).bold = True
        table = doc.add_table(rows=1, cols=len(COMPARISON_HEADERS))
        table.style = "Table Grid"
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        for cell, text in zip(table.rows[0].cells, COMPARISON_HEADERS, strict=True):
            cell.text = ""
            cell.paragraphs[0].add_run(text).bold = True
            cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
        _repeat_header(table.rows[0])
        for n, r in enumerate(rows, 1):
            cells = table.add_row().cells
            for cell, text in zip(cells, (str(n), r["element"], r["current"], r["proposed"], r["reason"]),
                                  strict=True):
                cell.text = _xlsx_text(text)  # the same control characters break Word's XML
        table.autofit = False
        for column, width in zip(table.columns, widths, strict=True):
            column.width = width  # the grid: what LibreOffice reads
            for cell in column.cells:
                cell.width = width  # each cell: what Word reads
    if not written:
        doc.add_paragraph("Сравнительная таблица: предложений об изменении или исключении норм нет.")
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
