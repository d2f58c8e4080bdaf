"""Act metadata where the text states it: type, number, date, issuer, title.

Only what the act prints is taken; anything not found stays None (CONTRACT.md:
unknown metadata is null, never a guess). Sources, in order: the requisites line
of the header ("от 13 февраля 2019 г. № 146"), the approval stamp of the
appendix ("Приложение 1 к приказу Министра юстиции ... от 19 июня 2020 года
№ 107"), the operative formula ("ПРИКАЗЫВАЮ:").
"""
from __future__ import annotations

import re
from datetime import date

from parsers.labels import find_label
from parsers.model import Act, Block

# Month names in the genitive as acts print them. A table of twelve words is
# simpler and faster than pulling in dateparser for this one pattern.
_MONTHS = {
    "января": 1, "февраля": 2, "марта": 3, "апреля": 4, "мая": 5, "июня": 6, "июля": 7,
    "августа": 8, "сентября": 9, "октября": 10, "ноября": 11, "декабря": 12,
    # Kazakh
    "қаңтардағы": 1, "ақпандағы": 2, "наурыздағы": 3, "сәуірдегі": 4, "мамырдағы": 5,
    "маусымдағы": 6, "шілдедегі": 7, "тамыздағы": 8, "қыркүйектегі": 9, "қазандағы": 10,
    "қарашадағы": 11, "желтоқсандағы": 12,
}
_DATE_WORDS = re.compile(r"«?(\d{1,2})»?\s+([а-яәғқңөұүһі]+)\s+(\d{4})", re.I)
_DATE_DOTS = re.compile(r"\b(\d{1,2})\.(\d{1,2})\.(\d{4})\b")
_NUMBER = re.compile(r"№\s*([\w\-/.]*\w)")

_TYPES = [  # (pattern in the text, act type)
    (r"\bПРИКАЗ(?:\b|ЫВАЮ)", "приказ"),
    (r"\bПОСТАНОВЛЕНИЕ\b|\bпостановляет\b|\bПОСТАНОВЛЯЕТ\b", "постановление"),
    (r"\bРАСПОРЯЖЕНИЕ\b", "распоряжение"),
    (r"\bРЕШЕНИЕ\b|\bРЕШИЛ\b|\bРЕШИЛО\b", "решение"),
    (r"\bУКАЗ\b", "указ"),
    (r"\bЗАКОН\b", "закон"),
    (r"\bИНСТРУКЦИЯ\b", "инструкция"),
    (r"\bБҰЙЫРАМЫН\b|\bБҰЙРЫҚ\b", "бұйрық"),
    (r"\bҚАУЛЫ\b", "қаулы"),
    (r"\bШЕШІМ\b|ШЕШІМ ҚАБЫЛДАДЫ", "шешім"),
]
_STAMP = re.compile(
    r"(?:к\s+|Утвержден[аоы]?\s+)(приказ\w*|постановлени\w*|решени\w*|распоряжени\w*|указ\w*)\s+(.*?)\s+от\s",
    re.I | re.S)
_REQUISITES = re.compile(r"(?:^|от\s+)(.{6,30}?)\s*(?:г\.|года)?\s*(?:№|N(?=\s*\d))\s*([\w\-/.]*\w)")
_SIGNATURE = re.compile(
    r"^(?:Министр|Председатель|Аким|Руководитель|Президент|Исполняющий обязанности|Первый заместитель"
    r"|Заместитель|Вице-министр|Начальник|Директор|Глава)\b[^.;:]{0,120}$")
_BODY_CAPS = re.compile(
    r"^(?:ПРАВИТЕЛЬСТВО|МИНИСТЕРСТВО|МИНИСТР|ФЕДЕРАЛЬНАЯ|ФЕДЕРАЛЬНОЕ|АДМИНИСТРАЦИЯ|КОМИТЕТ|АГЕНТСТВО|СОВЕТ|АКИМАТ"
    r"|АКИМ|МАСЛИХАТ|ПРЕЗИДЕНТ|ДЕПАРТАМЕНТ|СЛУЖБА|УПРАВЛЕНИЕ|ГУБЕРНАТОР|ЖОГОРКУ|КАБИНЕТ)\b.{0,150}$")
_TYPE_NORMAL = {"приказ": "приказ", "постановлени": "постановление", "решени": "решение",
                "распоряжени": "распоряжение", "указ": "указ"}
# issuer as printed in the genitive after "приказом/к приказу" -> nominative
_ISSUER_HEADS = {
    "Министра": "Министр", "министра": "Министр", "Правительства": "Правительство",
    "Председателя": "Председатель", "акима": "аким", "Акима": "Аким", "акимата": "акимат",
    "маслихата": "маслихат", "Руководителя": "Руководитель", "Президента": "Президент",
    "исполняющего": "исполняющий", "Исполняющего": "Исполняющий", "Министерства": "Министерство",
    "Агентства": "Агентство", "Комитета": "Комитет", "Совета": "Совет",
}
# a header in capitals naming the body in the genitive, after the act's type or on its own line
_CAPS_HEADS = {k.upper(): v.upper() for k, v in _ISSUER_HEADS.items()}
_GENITIVE_CAPS = re.compile(
    r"^(?:(?:ПРИКАЗ|ПОСТАНОВЛЕНИЕ|РЕШЕНИЕ|РАСПОРЯЖЕНИЕ|УКАЗ)\s+)?("
    + "|".join(sorted(_CAPS_HEADS, key=len, reverse=True)) + r")\s+(\S.{2,150}?)"
    r"(?:\s+(?:ОТ\s+\d|[N№]\s*\d).*)?$")  # the requisites after the name are not part of it
_KK_LETTERS = set("әғқңөұһіӘҒҚҢӨҰҺІ")
_KY_ONLY = set("ңөүҢӨҮ")


def detect_language(text: str) -> str:
    """ru, kk or ky from the letters used (Kazakh and Kyrgyz have their own)."""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return "ru"
    kk = sum(c in _KK_LETTERS for c in letters)
    ky = sum(c in _KY_ONLY for c in letters)
    cyr = sum("а" <= c.lower() <= "я" or c in "ёЁ" for c in letters)
    if cyr + kk + ky < len(letters) * 0.3:
        return "en"
    if kk > len(letters) * 0.01:
        return "kk"
    if ky > len(letters) * 0.01:
        return "ky"
    return "ru"


def parse_date(text: str) -> str | None:
    """The first printed date as ISO yyyy-mm-dd, or None."""
    for m in _DATE_WORDS.finditer(text):
        month = _MONTHS.get(m.group(2).lower())
        if month:
            return _iso(int(m.group(3)), month, int(m.group(1)))
    m = _DATE_DOTS.search(text)
    if m:
        return _iso(int(m.group(3)), int(m.group(2)), int(m.group(1)))
    return None


def _iso(y: int, m: int, d: int) -> str | None:
    try:
        return date(y, m, d).isoformat()
    except ValueError:
        return None


def _head_blocks(blocks: list[Block]) -> list[Block]:
    """The header: blocks before the first numbered paragraph, at most 40."""
    head = []
    for b in blocks[:60]:
        lab = find_label(b.text) if b.cells is None else None
        if lab is not None and lab.kind != "appendix":
            break
        head.append(b)
    return head[:40]


def extract_metadata(act: Act, blocks: list[Block], title_hint: str | None) -> None:
    head = _head_blocks(blocks)
    head_text = "\n".join(b.text for b in head if b.cells is None)
    for pat, kind in _TYPES:
        if re.search(pat, head_text):
            act.act_type = kind
            break
    # the requisites line: short, a date and a number and little else
    for b in head:
        if b.cells is None and len(b.text) < 100:
            req = _REQUISITES.search(b.text)
            if req and parse_date(req.group(1)):
                act.date, act.number = parse_date(req.group(1)), req.group(2)
                break
    for b in head:
        if b.cells is None and _BODY_CAPS.match(b.text) and b.text.isupper():
            act.issuer = b.text
            break
    if act.issuer is None:  # "ПРИКАЗ / МИНИСТЕРСТВА СПОРТА РОССИЙСКОЙ ФЕДЕРАЦИИ": the body in the genitive
        for b in head:
            m = _GENITIVE_CAPS.match(b.text) if b.cells is None and b.text.isupper() else None
            if m:
                act.issuer = f"{_CAPS_HEADS[m.group(1)]} {m.group(2)}"
                break
    # the approval stamp of the first appendix names type, issuer, date and number
    for b in blocks:
        if b.cells is not None or not (b.quote or b.centered or len(b.text) < 300):
            continue
        m = _STAMP.search(b.text)
        if not m:
            continue
        tail = b.text[m.end():]
        d = parse_date(tail)
        n = _NUMBER.search(tail)
        if not (d or n):
            continue
        stem = next((v for k, v in _TYPE_NORMAL.items() if m.group(1).lower().startswith(k)), None)
        act.act_type = act.act_type or stem
        act.date = act.date or d
        act.number = act.number or (n.group(1) if n else None)
        act.issuer = act.issuer or _nominative_issuer(m.group(2))
        break
    if act.issuer is None:
        # the signature block names the issuer in the nominative
        for b in blocks[:200]:
            if b.cells is None and b.bold and _SIGNATURE.match(b.text):
                act.issuer = re.split(r"\s{3,}", b.text)[0].strip()
                break
    act.title = _title(head, title_hint)


def _nominative_issuer(genitive: str) -> str | None:
    words = genitive.split()
    if not words:
        return None
    head = _ISSUER_HEADS.get(words[0]) or (words[0] if words[0] in _ISSUER_HEADS.values() else None)
    if head is None:
        return None
    return " ".join([head] + words[1:]).strip(" ,")


_TITLE_START = re.compile(r"^(?:Об?|Об утверждении|О внесении|Вопросы|Порядок|Правила)\s", re.I)


def _title(head: list[Block], hint: str | None) -> str | None:
    if hint and len(hint) > 10 and not hint.lower().startswith(("решение ", "документ")):
        return hint.strip()
    for b in head:
        if b.cells is None and _TITLE_START.match(b.text) and len(b.text) < 400:
            return b.text
    return hint or None
