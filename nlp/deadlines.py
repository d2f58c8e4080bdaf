"""Time limits of a clause, normalised: amount, unit, working or calendar days; fixed dates.

"в течение пяти рабочих дней" -> {"amount": 5, "unit": "day", "day_type": "working"};
"2 (двух) часов" -> 2 hours; "в 10-дневный срок" -> 10 days; "не позднее следующего рабочего
дня" -> 1 working day; "до 1 апреля" -> {"date": "--04-01"}.

Numbers are read from digits or from number words in any case: the lemma from pymorphy3
("пяти" -> "пять") is looked up in nlp/patterns/deadlines.json, which also lists the units,
the wording that opens a deadline, and the words that make a quantity of time something else
(an age, a period between inspections, a clock time).
"""
from __future__ import annotations

import re
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc

from nlp.pipeline import Tok, load_patterns

_P = load_patterns("deadlines")
_UNITS: dict[str, str] = _P["units"]
_SCALE: dict[str, float] = _P["unit_scale"]
_DAY_TYPES: dict[str, str] = _P["day_types"]
_NUMBERS: dict[str, float] = _P["numbers"]
_NUMBER_FORMS: dict[str, float] = _P["number_forms"]
_ONE = frozenset(_P["one_without_number"])
_SKIP = frozenset(_P["skip_before"]["lemmas"])
_MONTHS: dict[str, int] = _P["months"]
_MARKER = re.compile(r"(?:^|(?<=[\s(,;:]))(?:" + "|".join(_P["markers"]["regex"]) + r")\s*$")
_ONE_MARKER = re.compile(r"(?:^|(?<=\s))(?:" + "|".join(_P["one_without_number_markers"]["regex"]) + r")\s*$")
_BARE = re.compile(r"(?:" + "|".join(_P["bare_unit_markers"]["regex"]) + r")\s*$")
_COMPOUND = re.compile(
    r"^(\d+|" + "|".join(sorted((s for s in _P["compound_stems"] if s), key=len, reverse=True)) + r")?-?("
    + "|".join(u[:-2] for u in _P["compound_units"]) + r")[а-я]*$")
_COMPOUND_UNIT = {u[:-2]: v for u, v in _P["compound_units"].items()}
_DIGITS = re.compile(r"^(\d+(?:[.,]\d+)?)(?:-[а-я]+)?$")
_MONTH_GEN = {"января": 1, "февраля": 2, "марта": 3, "апреля": 4, "мая": 5, "июня": 6, "июля": 7,
              "августа": 8, "сентября": 9, "октября": 10, "ноября": 11, "декабря": 12}
_DATE = re.compile(
    r"(?<![\w])(?P<m>" + "|".join(_P["date_markers"]["regex"]) + r")\s+"
    r"(?:(?P<d>\d{1,2})\s+(?P<mon>" + "|".join(_MONTH_GEN) + r")(?:\s+(?P<y>\d{4})\s*(?:года|г\.?)?)?"
    r"|(?P<d2>\d{1,2})\.(?P<m2>\d{1,2})\.(?P<y2>\d{4})(?:\s*(?:года|г\.?))?)(?![\w])")

if not Doc.has_extension("deadlines"):
    Doc.set_extension("deadlines", default=None)


def _number(t: Tok) -> float | None:
    """The value of one number token (digits or a number word), or None."""
    m = _DIGITS.match(t.low)
    if m:
        return float(m.group(1).replace(",", "."))
    if t.low in _NUMBER_FORMS:
        return _NUMBER_FORMS[t.low]
    if t.pos == "NUMR" or (t.pos == "ADJF" and "Anum" in t.tags and t.lemma == "один"):
        return _NUMBERS.get(t.lemma)
    return None


def _words_value(toks: list[Tok], end: int) -> tuple[float | None, int]:
    """Read number words ending at index `end` backwards ('двадцати пяти'): (value, first index)."""
    total, j = 0.0, end
    found = False
    while j >= 0:
        t = toks[j]
        if _DIGITS.match(t.low):
            break
        v = _number(t)
        if v is None:
            break
        total += v
        found = True
        j -= 1
    return (total if found else None), j + 1


def _quantity(toks: list[Tok], j: int) -> tuple[float | None, int, bool]:
    """The quantity ending at token j: (value, index of its first token, is_clock_like)."""
    if j < 0:
        return None, j + 1, False
    t = toks[j]
    if t.text == ")":
        k = j - 1
        while k >= 0 and j - k <= 5 and toks[k].text != "(":
            k -= 1
        if k < 0 or toks[k].text != "(":
            return None, j + 1, False
        inner = toks[k + 1:j]
        v_in = None
        if len(inner) == 1 and _DIGITS.match(inner[0].low):
            v_in = _number(inner[0])
        elif inner:
            v_in, first = _words_value(inner, len(inner) - 1)
            if first != 0:
                v_in = None
        v_out, start, clock = _quantity(toks, k - 1)
        if v_out is not None:
            return v_out, start, clock
        return v_in, (k if v_in is not None else j + 1), False
    m = _DIGITS.match(t.low)
    if m:
        return _number(t), j, "." in t.low
    v, start = _words_value(toks, j)
    if v is not None:
        return v, start, False
    if t.lemma in _ONE:
        return 1.0, j, True  # checked against _ONE_MARKER by the caller
    return None, j + 1, False


def _year_agrees(n: int, form: str) -> bool:
    """Does the noun agree with the number as a length of time: 1 год, 2 года, 5 лет, 21 год?"""
    if n % 100 in (11, 12, 13, 14) or n % 10 in (0, 5, 6, 7, 8, 9):
        return form == "лет"
    if n % 10 == 1:
        return form in ("год", "года", "году", "годом")
    return form in ("года", "лет")


def _skipped(toks: list[Tok], start: int) -> bool:
    return any(t.lemma in _SKIP for t in toks[max(0, start - 3):start])


def _amount(v: float) -> int | float:
    return int(v) if float(v).is_integer() else v


def find_in_tokens(toks: list[Tok], text: str, offsets: list[int]) -> list[dict[str, Any]]:
    """Every time limit in a token list of `text` (`offsets`: each token's character offset),
    in text order (see module docstring)."""
    out: list[tuple[int, dict[str, Any]]] = []
    n = len(toks)
    for k, t in enumerate(toks):
        unit = _UNITS.get(t.lemma)
        if unit is None and k + 1 < n and toks[k + 1].lemma in _P["compound_needs"]:
            m = _COMPOUND.match(t.low)
            if m and (m.group(1) or t.low.startswith(m.group(2))):
                stem = m.group(1) or ""
                value = float(stem) if stem.isdigit() else _P["compound_stems"].get(stem)
                if value:
                    start = k
                    window = text[max(0, offsets[k] - 60):offsets[k]].lower().replace("ё", "е")
                    mk = _MARKER.search(window)
                    begin = offsets[k] - (len(window) - mk.start()) if mk else offsets[k]
                    end = offsets[k + 1] + len(toks[k + 1].text)
                    out.append((begin, {"text": text[begin:end], "amount": _amount(value),
                                        "unit": _COMPOUND_UNIT[m.group(2)], "day_type": None}))
            continue
        if unit is None:
            continue
        j = k - 1
        day_type = None
        if j >= 0 and toks[j].lemma in _DAY_TYPES:
            day_type = _DAY_TYPES[toks[j].lemma]
            j -= 1
        value, start, clock = _quantity(toks, j)
        if value is not None and toks[start].lemma in _ONE:
            window = text[max(0, offsets[start] - 30):offsets[start]].lower().replace("ё", "е")
            if not _ONE_MARKER.search(window):
                continue
            clock = False
        if value is None:
            anchor = offsets[j + 1] if j + 1 < n else offsets[k]
            window = text[max(0, anchor - 40):anchor].lower().replace("ё", "е")
            if not _BARE.search(window):
                continue
            value, start = 1.0, j + 1
        if clock or _skipped(toks, start) or (unit == "year" and value >= 1000) or value <= 0:
            continue
        if start >= 2 and toks[start - 1].text in ("-", ":", ".") and toks[start - 2].low.isdigit():
            continue  # a clock time: "с 9-00 до 18-30 часов"
        if unit == "year" and toks[start].low.isdigit() and not _year_agrees(int(value), t.low):
            continue  # "«___» ______ 20 года": a date left blank in a form, not twenty years
        value *= _SCALE.get(t.lemma, 1)
        s_idx = offsets[start]
        window = text[max(0, s_idx - 60):s_idx].lower().replace("ё", "е")
        mk = _MARKER.search(window)
        begin = s_idx - (len(window) - mk.start()) if mk else s_idx
        end = offsets[k] + len(t.text)
        out.append((begin, {"text": text[begin:end], "amount": _amount(value), "unit": unit,
                            "day_type": day_type if unit == "day" else None}))
    for m in _DATE.finditer(text.lower().replace("ё", "е")):
        if m.group("d"):
            day, month, year = int(m.group("d")), _MONTH_GEN[m.group("mon")], m.group("y")
        else:
            day, month, year = int(m.group("d2")), int(m.group("m2")), m.group("y2")
        if not (1 <= day <= 31 and 1 <= month <= 12):
            continue
        date = f"{year}-{month:02d}-{day:02d}" if year else f"--{month:02d}-{day:02d}"
        out.append((m.start(), {"text": text[m.start():m.end()], "date": date}))
    out.sort(key=lambda p: p[0])
    return [d for _, d in out]


@Language.factory("norma_deadlines")
def make_deadlines(nlp: Language, name: str) -> NormaDeadlines:
    return NormaDeadlines()


class NormaDeadlines:
    """Sets doc._.deadlines (list of dicts as in eval/SCHEMA.md)."""

    def __call__(self, doc: Doc) -> Doc:
        ext = doc._
        ext.deadlines = find_in_tokens(ext.morph, ext.text, ext.idx)
        return doc


def find_deadlines(text: str, language: str = "ru") -> list[dict[str, Any]]:
    """Every time limit of a text (runs the pipeline)."""
    from nlp.pipeline import make_doc  # noqa: PLC0415

    return make_doc(text, language)._.deadlines
