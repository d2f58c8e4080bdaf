"""Word's automatic numbering, rebuilt from ``word/numbering.xml``.

python-docx exposes the numbering part but never computes the numbers Word shows
("1.", "4.3.2.", "а)"), and no maintained Python library does (docx2python and
mammoth only approximate simple lists), so the rules are written here, after
ECMA-376 part 1, 17.9:

* a paragraph names a *num* (``w:numId``) and a level (``w:ilvl``); the num points
  to an *abstractNum* that defines the nine levels (``w:start``, ``w:numFmt``,
  ``w:lvlText``, ``w:lvlRestart``, ``w:isLgl``); an abstractNum with
  ``w:numStyleLink`` borrows the levels of the numbering style it names;
* a num may override levels (``w:lvlOverride`` with ``w:lvl`` and/or
  ``w:startOverride``); a num carrying a ``w:startOverride`` restarts those levels
  the first time it is used ("Restart numbering" in Word writes exactly that);
* there is one counter per (abstractNum, level), shared by every num of that
  abstractNum, counted over every numbered paragraph in document order; using a
  level resets the deeper levels unless their ``w:lvlRestart`` says otherwise,
  and instantiates shallower levels that were never used (a list that starts
  at level 2 shows "1.1." and then "2." at level 1, as Word does);
* ``w:lvlText`` is a template: ``%1.%2.`` is filled with the counters of levels
  1 and 2, each written in *its own* level's ``w:numFmt`` (all decimal when the
  displayed level has ``w:isLgl``);
* ``numId`` 0 means "numbering removed"; a bullet level has no number (label "").
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from lxml import etree

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
MC_NS = "http://schemas.openxmlformats.org/markup-compatibility/2006"
LEVELS = 9
MAX_START = 32767  # Word's own limit for a start value; also keeps hostile values from exploding "aaaa..."


def w(tag: str) -> str:
    """Clark name of a WordprocessingML tag: ``w("p")`` -> ``{ns}p``."""
    return f"{{{W_NS}}}{tag}"


W_VAL = w("val")
_PLACEHOLDER = re.compile(r"%([1-9])")


# ---------------------------------------------------------------- number formats

# Word's russianLower/russianUpper sequence: 28 letters, ё й ъ ы ь skipped
# (ECMA-376 ST_NumberFormat; the same table is used by Excel-compatible counter
# styles). LibreOffice differs: its table keeps "ы", so a LibreOffice rendering
# disagrees from the 26th item on ("ы)" where Word shows "э)").
RUSSIAN_LETTERS = "абвгдежзиклмнопрстуфхцчшщэюя"
LATIN_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_ROMAN = ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"),
          (50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i"))


def _letters(n: int, alphabet: str) -> str:
    """Word's alphabetic numbering: a..z, then aa, bb, ..., then aaa (the letter repeats)."""
    if n <= 0:
        return ""
    size = len(alphabet)
    if n > 10 * size:  # no real list gets here; a hostile one must not build huge labels
        return str(n)
    return alphabet[(n - 1) % size] * ((n - 1) // size + 1)


def _roman(n: int) -> str:
    if n <= 0 or n >= 4000:
        return str(n)
    out = []
    for value, sym in _ROMAN:
        count, n = divmod(n, value)
        out.append(sym * count)
    return "".join(out)


_FORMATTERS: dict[str, Callable[[int], str]] = {
    "decimal": str,
    "decimalHalfWidth": str,
    "decimalZero": lambda n: f"{n:02d}" if 0 <= n < 10 else str(n),
    "lowerLetter": lambda n: _letters(n, LATIN_LETTERS),
    "upperLetter": lambda n: _letters(n, LATIN_LETTERS).upper(),
    "lowerRoman": _roman,
    "upperRoman": lambda n: _roman(n).upper(),
    "russianLower": lambda n: _letters(n, RUSSIAN_LETTERS),
    "russianUpper": lambda n: _letters(n, RUSSIAN_LETTERS).upper(),
    "numberInDash": lambda n: f"-{n}-",
    "none": lambda n: "",
}


def format_number(n: int, fmt: str) -> str:
    """Write counter ``n`` in Word number format ``fmt`` (``ST_NumberFormat``).

    Formats Norma's acts never use (Chinese counting, Hebrew, ...) fall back to
    decimal, which is also what Word does for a format it cannot render.
    """
    return _FORMATTERS.get(fmt, str)(n)


# ------------------------------------------------------------------ definitions

@dataclass(slots=True)
class Level:
    """One ``w:lvl``: how a level starts, counts and shows its number."""

    start: int = 1
    fmt: str = "decimal"
    text: str | None = None       # w:lvlText/@w:val; None when absent (shows nothing)
    restart: int | None = None    # w:lvlRestart/@w:val; None = after any shallower level
    legal: bool = False           # w:isLgl
    pstyle: str | None = None     # w:pStyle: the paragraph style tied to this level


@dataclass(slots=True)
class _Abstract:
    levels: dict[int, Level] = field(default_factory=dict)
    num_style_link: str | None = None
    style_link: str | None = None


@dataclass(slots=True)
class _Num:
    abstract_id: str
    # level -> (w:startOverride, the override's w:lvl element), resolved lazily
    overrides: dict[int, tuple[int | None, etree._Element | None]] = field(default_factory=dict)


@dataclass(slots=True)
class _Resolved:
    key: str                        # the counters' identity: the abstractNum holding the levels
    levels: list[Level | None]
    start_overrides: tuple[int, ...]


def _int(el: etree._Element | None, default: int | None = None) -> int | None:
    if el is None:
        return default
    try:
        return int(el.get(W_VAL, ""))
    except ValueError:
        return default


def _on(el: etree._Element | None) -> bool:
    """An OOXML on/off property: present and not val="false"/"0"/"off"."""
    return el is not None and el.get(W_VAL, "true").lower() not in ("false", "0", "off")


def _num_fmt(lvl: etree._Element) -> str | None:
    el = lvl.find(w("numFmt"))
    if el is None:
        # Word 2010+ writes custom formats as mc:AlternateContent with a fallback
        el = lvl.find(f"{{{MC_NS}}}AlternateContent/{{{MC_NS}}}Fallback/{w('numFmt')}")
    return None if el is None else el.get(W_VAL)


def _level(lvl: etree._Element, base: Level | None = None) -> Level:
    """Read a ``w:lvl``; an override ``w:lvl`` only replaces what it states."""
    out = Level() if base is None else replace(base)
    start = _int(lvl.find(w("start")))
    if start is not None:
        out.start = min(max(start, 0), MAX_START)
    fmt = _num_fmt(lvl)
    if fmt:
        out.fmt = fmt
    text = lvl.find(w("lvlText"))
    if text is not None:
        out.text = text.get(W_VAL, "")
    restart = lvl.find(w("lvlRestart"))
    if restart is not None:
        out.restart = _int(restart)
    if lvl.find(w("isLgl")) is not None:
        out.legal = _on(lvl.find(w("isLgl")))
    pstyle = lvl.find(w("pStyle"))
    if pstyle is not None:
        out.pstyle = pstyle.get(W_VAL)
    return out


def _ilvl(lvl: etree._Element) -> int | None:
    try:
        i = int(lvl.get(w("ilvl"), ""))
    except ValueError:
        return None
    return i if 0 <= i < LEVELS else None


class Numbering:
    """The numbering definitions of one document plus the running counters.

    Call :meth:`label` once per numbered paragraph, in document order: it advances
    the counters and returns the text Word shows in front of the paragraph.
    """

    def __init__(self, root: etree._Element | None, style_nums: dict[str, int] | None = None) -> None:
        """``root`` is ``w:numbering`` (or None); ``style_nums`` maps the style id of each
        numbering style (``w:style w:type="numbering"``) to the numId in its ``w:numPr``,
        which is how ``w:numStyleLink`` is resolved."""
        self._abstracts: dict[str, _Abstract] = {}
        self._nums: dict[int, _Num] = {}
        self._style_nums = style_nums or {}
        self._resolved: dict[int, _Resolved | None] = {}
        self._counters: dict[str, list[int | None]] = {}
        self._started: set[int] = set()
        if root is not None:
            self._load(root)

    def _load(self, root: etree._Element) -> None:
        for an in root.iter(w("abstractNum")):
            a = _Abstract()
            for lvl in an.iterchildren(w("lvl")):
                i = _ilvl(lvl)
                if i is not None:
                    a.levels[i] = _level(lvl)
            link = an.find(w("numStyleLink"))
            a.num_style_link = None if link is None else link.get(W_VAL)
            link = an.find(w("styleLink"))
            a.style_link = None if link is None else link.get(W_VAL)
            self._abstracts[an.get(w("abstractNumId"), "")] = a
        for num in root.iter(w("num")):
            try:
                num_id = int(num.get(w("numId"), ""))
            except ValueError:
                continue
            ref = num.find(w("abstractNumId"))
            if ref is None:
                continue
            n = _Num(ref.get(W_VAL, ""))
            for ov in num.iterchildren(w("lvlOverride")):
                i = _ilvl(ov)
                if i is None:
                    continue
                start = _int(ov.find(w("startOverride")))
                if start is not None:
                    start = min(max(start, 0), MAX_START)
                lvl = ov.find(w("lvl"))
                n.overrides[i] = (start, lvl)
            self._nums[num_id] = n

    # ------------------------------------------------------------ resolution
    def _abstract_for(self, abstract_id: str, depth: int = 0) -> tuple[str, _Abstract] | None:
        a = self._abstracts.get(abstract_id)
        if a is None:
            return None
        if a.num_style_link and depth < 4:
            # the levels live in the abstractNum behind the numbering style
            num_id = self._style_nums.get(a.num_style_link)
            target = self._nums.get(num_id) if num_id is not None else None
            if target is not None and target.abstract_id != abstract_id:
                found = self._abstract_for(target.abstract_id, depth + 1)
                if found is not None:
                    return found
            for other_id, other in self._abstracts.items():
                if other.style_link == a.num_style_link and other_id != abstract_id:
                    return other_id, other
        return abstract_id, a

    def _resolve(self, num_id: int) -> _Resolved | None:
        if num_id in self._resolved:
            return self._resolved[num_id]
        res = None
        num = self._nums.get(num_id)
        found = self._abstract_for(num.abstract_id) if num is not None else None
        if num is not None and found is not None:
            key, a = found
            levels: list[Level | None] = [a.levels.get(i) for i in range(LEVELS)]
            starts = []
            for i, (start, lvl_el) in num.overrides.items():
                if lvl_el is not None:
                    levels[i] = _level(lvl_el, levels[i])
                if start is not None:
                    levels[i] = replace(levels[i] or Level(), start=start)
                    starts.append(i)
            res = _Resolved(key, levels, tuple(starts))
        self._resolved[num_id] = res
        return res

    def level_of_style(self, num_id: int, style_id: str) -> int | None:
        """The level whose ``w:pStyle`` is ``style_id`` (how a heading style tied to a
        multilevel list finds its level when its ``w:numPr`` names no ``w:ilvl``)."""
        res = self._resolve(num_id)
        if res is None:
            return None
        for i, lvl in enumerate(res.levels):
            if lvl is not None and lvl.pstyle == style_id:
                return i
        return None

    def is_defined(self, num_id: int) -> bool:
        return num_id != 0 and self._resolve(num_id) is not None

    # -------------------------------------------------------------- counting
    def label(self, num_id: int, ilvl: int) -> str | None:
        """Advance the counters for one paragraph and return its visible number.

        None when the paragraph is not numbered after all (numId 0, an unknown
        num or level); "" for bullets and levels that show no text.
        """
        if num_id == 0:
            return None
        res = self._resolve(num_id)
        if res is None:
            return None
        ilvl = min(max(ilvl, 0), LEVELS - 1)
        lvl = res.levels[ilvl]
        if lvl is None:
            return None
        counters = self._counters.setdefault(res.key, [None] * LEVELS)
        if num_id not in self._started:
            self._started.add(num_id)
            for i in res.start_overrides:  # this num restarts these levels
                counters[i] = None
        current = counters[ilvl]
        counters[ilvl] = lvl.start if current is None else current + 1
        for i in range(ilvl):  # shallower levels never used count as used once
            if counters[i] is None:
                shallow = res.levels[i]
                counters[i] = shallow.start if shallow is not None else 1
        for i in range(ilvl + 1, LEVELS):
            deeper = res.levels[i]
            restart = deeper.restart if deeper is not None else None
            if restart is None or (restart != 0 and ilvl < restart):
                counters[i] = None
        if lvl.fmt == "bullet" or not lvl.text:
            return ""
        return self._fill(lvl, res.levels, counters)

    @staticmethod
    def _fill(lvl: Level, levels: list[Level | None], counters: list[int | None]) -> str:
        def one(m: re.Match[str]) -> str:
            i = int(m.group(1)) - 1
            ref = levels[i]
            value = counters[i]
            if value is None:
                value = ref.start if ref is not None else 1
            fmt = "decimal" if lvl.legal else (ref.fmt if ref is not None else "decimal")
            if fmt == "bullet":  # a bullet level quoted by another level shows its counter
                fmt = "decimal"
            return format_number(value, fmt)

        return _PLACEHOLDER.sub(one, lvl.text or "").strip()
