"""Documents a clause requires someone to submit or present, one short name each.

A document is a noun phrase headed by a document noun ("заявление", "копия", "справка", ...)
that is the object or patient of a verb of submitting ("подает заявление", "документы
прилагаются") or the genitive of a noun of submitting ("с приложением копии", "на основании
заявления"). Coordinated phrases are separate documents ("копии решения ... и план участка"),
alternatives are one ("документ, удостоверяющий личность, либо электронный документ"), and so
is a bare pair ("документы и информацию"). Mentions that point back ("указанные документы",
"следующие документы:") or stand for the rest ("других документов") are not counted; a generic
mention followed by a list in parentheses counts as that list. A message the authority sends
("направляет запрос") is not a document the clause requires.

Three modes: a clause; an item of a list of documents (no verb needed: "2) сведения о
доходах;"; an item is one document, its name listing every paper it names; "один из ...
документов: ..." is one); a row of a service-standard table, whose numbered entries are the
documents. Lemmas: nlp/patterns/documents.json.
"""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from functools import lru_cache

from spacy.tokens import Doc

from nlp import modality
from nlp.morph import analyzer
from nlp.pipeline import Tok, load_patterns, sentence_texts

_D = load_patterns("documents")
_HEADS = frozenset(_D["heads"])
_TRIGGERS = frozenset(_D["triggers"])
_TRIGGER_NOUNS = frozenset(_D["trigger_nouns"])
_ALLOWED_PREP = frozenset(_D["allowed_prepositions"])
_COMMS = frozenset(_D["communications"]["lemmas"])
_GENERIC = frozenset(_D["generic_pair_heads"])
_ANAPHORIC = frozenset(_D["anaphoric_modifiers"])
_DROP = frozenset(_D["drop_modifiers"])
_ONE_OF = frozenset(_D["one_of"])
_COMPOUND_PREP = frozenset(_D["compound_prepositions"]["before_s"])
_LIST_LEAD = frozenset(_D["list_lead_nouns"])
_ROW_HEADERS = tuple(_D["table_row_headers"])
_OBTAINED = re.compile("|".join(re.escape(x) for x in _D["obtained_by_authority"]))
_NUMBERED = re.compile(r"(?:^|(?<=[\s;:.]))\d{1,2}\)\s+")

_MOD = frozenset({"ADJF", "PRTF", "NUMR", "ADJS"})
_PRED = frozenset({"VERB", "INFN", "PRTS"})
_COORD = frozenset({"и", ",", "или", "либо", "также", "а"})
_STOP = frozenset({",", ";", ":", ".", "(", ")", "–", "—"})


@dataclass
class _Mention:
    k: int          # head index
    start: int      # first token of the phrase
    end: int        # one past the last token of its name
    key: tuple
    alt: bool = False        # joined to the previous one by "или"/"либо"
    pair: bool = False       # "документы и информацию": joined to the previous bare head
    generic: bool = False
    drop: bool = False
    depth: int = 0


@lru_cache(maxsize=50_000)
def _nominative(word: str, plural: bool = False) -> str:
    """A noun or adjective in the nominative ("копии" -> "копия"; plural when its modifiers are)."""
    parses = analyzer().parse(word.lower())
    p = parses[0]
    if p.tag.case in (None, "nomn") and not (plural and p.tag.number == "sing"):
        return word.lower()
    if not plural and any(q.tag.case == "nomn" and q.normal_form == p.normal_form for q in parses):
        return word.lower()  # "сведения", "копии": already a nominative (plural)
    num = "plur" if plural else (p.tag.number or "sing")
    form = p.inflect({"nomn", num})
    return form.word if form else word.lower()


def _depths(toks: list[Tok]) -> list[int]:
    """Parenthesis depth of each token; inside «quotes» (a title) counts as depth 100."""
    out, d, q = [], 0, 0
    for t in toks:
        if t.text == "(":
            d += 1
        elif t.text == "«":
            q += 1
        out.append(d + 100 * q)
        if t.text == ")":
            d = max(0, d - 1)
        elif t.text == "»":
            q = max(0, q - 1)
    return out


def _number(t: Tok) -> str | None:
    return "plur" if "plur" in t.tags else "sing" if "sing" in t.tags else None


def _np_start(toks: list[Tok], k: int) -> int:
    """First token of the phrase headed at k: the agreeing modifiers before it."""
    j = k
    cases = toks[k].cases
    number = _number(toks[k]) if len(cases) == 1 else None  # only an unambiguous form tells its number
    while j > 0:
        p = toks[j - 1]
        if p.pos in _MOD and p.text not in _STOP:
            if p.pos != "NUMR" and not (p.cases & cases):
                break
            n = _number(p)
            if number is not None and n is not None and n != number:
                break
            number = number or n
            cases = cases & p.cases or cases
            j -= 1
        elif p.low == "и" and j >= 2 and toks[j - 2].pos in _MOD and toks[j].pos in _MOD:
            j -= 1  # "Сформированное и подписанное обращение"
        else:
            break
    return j


def _np_end(toks: list[Tok], k: int) -> int:
    """One past the last token of the phrase's name: its complements, then one participle clause."""
    n = len(toks)
    j = k + 1
    while j < n and j - k <= 10:
        t = toks[j]
        if t.text in _STOP or t.low in ("и", "или", "либо", "а") or t.pos in _PRED or t.lemma in _HEADS and \
                toks[j - 1].low in _COORD or (t.pos == "PREP" and j + 1 < n and toks[j + 1].lemma in _TRIGGER_NOUNS):
            break
        j += 1
    if j < n - 1 and toks[j].text == "," and toks[j + 1].pos == "PRTF":
        m = j + 1
        while m < n and m - j <= 8 and toks[m].text not in _STOP and toks[m].pos not in ("VERB", "INFN"):
            m += 1
        j = m
    return j


def _key(toks: list[Tok], k: int, end: int) -> tuple:
    """What tells two mentions apart: the head and its first genitive or participle complement."""
    for j in range(k + 1, min(end, k + 6)):
        t = toks[j]
        if t.pos == "PREP":
            break
        if t.pos == "NOUN" and "gent" in t.cases or t.pos == "PRTF":
            return (toks[k].lemma, t.lemma)
    return (toks[k].lemma,)


def _name(toks: list[Tok], m: _Mention) -> str:
    """The phrase as a short name, its head and modifiers in the nominative ("копии решения" ->
    "копия решения")."""
    plural = any("plur" in toks[j].tags for j in range(m.start, m.k) if toks[j].pos in ("ADJF", "PRTF"))
    words = []
    for j in range(m.start, m.end):
        t = toks[j]
        if j <= m.k and t.pos in ("NOUN", "ADJF", "PRTF"):
            words.append(_nominative(t.text, plural))
        else:
            words.append(t.text)
    text = " ".join(words)
    text = re.sub(r"\s+([,.;:)])", r"\1", text)
    return re.sub(r"\(\s+", "(", text).strip(" ,;:")


def _sender(toks: list[Tok], trig: int, mask: list[bool]) -> str | None:
    """Who sends at a verb of submitting: its subject or passive agent near the verb (main
    clause only); a verb with an applicant in the dative sends to the applicant, so not the
    applicant's document."""
    t = toks[trig]
    passive = t.lemma.endswith("ся") or t.pos == "PRTS"
    found = None
    for j in range(max(0, trig - 40), min(len(toks), trig + 7)):
        if not mask[j] or toks[j].pos not in ("NOUN", ""):
            continue
        r = modality.role_at(toks, j)
        if r is None:
            continue
        cases = toks[j].cases
        if passive and "ablt" in cases and not modality._oblique(toks, j) and j >= trig - 10:
            return r[0]
        if not passive and j < trig and "nomn" in cases and not modality._oblique(toks, j):
            found = r[0]
    if not passive and found is not None:
        return found
    for j in range(trig + 1, min(len(toks), trig + 6)):
        r = modality.role_at(toks, j)
        if r is not None and r[0] == modality.APPLICANT and "datv" in toks[j].cases:
            return modality.AUTHORITY
    return None


def _governor(toks: list[Tok], start: int) -> tuple[str, int]:
    """What the phrase starting at `start` hangs on: ('one_of', i), ('doc', i) (a genitive of
    another document: "копии документа"), ('trig_noun', i), ('prep', i), ('coord', i),
    ('noun', i), ('pred', i) or ('start', i)."""
    j = start - 1
    if j < 0:
        return "start", -1
    p = toks[j]
    if p.low == "из" and j > 0 and toks[j - 1].low in _ONE_OF:
        return "one_of", j - 1
    if p.pos == "NOUN" and p.lemma in _HEADS:
        return "doc", j
    if p.text == ")" and j >= 3 and toks[j - 1].low in ("или", "и") and toks[j - 2].text == "(" and \
            toks[j - 3].low in ("и", "или"):
        return "coord", j - 3  # "документов и (или) сведений"
    # "с приложением копии", "поступление в Росстандарт письма", "с приложением к нему документов"
    for b in range(j, max(-1, j - 5), -1):
        if toks[b].text in _STOP or toks[b].pos in _PRED or toks[b].low in _COORD:
            break
        if toks[b].pos == "NOUN" and toks[b].lemma not in _TRIGGER_NOUNS and "gent" in toks[b].cases \
                and not (b > 0 and toks[b - 1].pos in ("PREP", "ADJF")):
            break  # "пакета документов": the genitive hangs on this noun
        if toks[b].lemma in _TRIGGER_NOUNS and toks[b].pos == "NOUN":
            if b > 0 and toks[b - 1].lemma in _ANCHORS:
                return "noun", b  # "со дня подачи заявления": a starting point, not a requirement
            return "trig_noun", b
    if p.pos == "PREP":
        return "prep", j
    if p.low in _COORD or p.text in (",", "–", "—"):
        return "coord", j
    if p.pos == "NOUN":
        return "noun", j
    if p.pos in _PRED:
        return "pred", j
    if p.pos in ("PRTF", "GRND"):
        return "noun", j  # the complement of a participle: "касающиеся принятого решения"
    return "start", j


def _np_cases(toks: list[Tok], start: int, k: int) -> frozenset:
    """Cases the whole phrase can be in: the noun's, narrowed by its agreeing modifiers."""
    cases = toks[k].cases
    for j in range(start, k):
        if toks[j].pos in ("ADJF", "PRTF") and toks[j].cases & cases:
            cases = cases & toks[j].cases
    return cases


def _coordinated(toks: list[Tok], mask: list[bool], prev: _Mention, start: int) -> bool:
    """Is the phrase at `start` a conjunct of `prev` (nothing but commas, conjunctions and
    set-aside clauses between them)?"""
    if start - prev.end > 40:
        return False
    for j in range(prev.end, start):
        t = toks[j]
        if not mask[j]:
            continue
        if t.pos in ("VERB", "INFN") or t.text in (";", ":", "."):
            return False
    return True


def _predicates(toks: list[Tok]) -> list[int]:
    return [j for j, t in enumerate(toks)
            if t.pos in ("VERB", "INFN") or (t.pos == "PRTS" and t.lemma not in ("обязать", "должный"))]


def _nearest_predicate(preds: list[int], k: int) -> int:
    """The predicate nearest to token k (one before it wins a tie), from the sorted `preds`."""
    i = bisect.bisect_left(preds, k)
    best, dist = -1, 10**9
    for j in preds[max(0, i - 1):i + 1]:
        d = abs(j - k) + (0 if j < k else 1)
        if d < dist:
            best, dist = j, d
    return best


def _mentions(toks: list[Tok], item: bool) -> list[_Mention]:
    """The document phrases of one sentence (see module docstring)."""
    depth = _depths(toks)
    mask = modality._main_mask(toks)
    preds = _predicates(toks)
    out: list[_Mention] = []
    owner: _Mention | None = None  # a generic mention whose list in parentheses is being read
    for k, t in enumerate(toks):
        if t.lemma not in _HEADS or t.pos != "NOUN":
            continue
        start = _np_start(toks, k)
        mods = {toks[j].lemma for j in range(start, k)}
        cases = _np_cases(toks, start, k)
        kind, g = _governor(toks, start)
        direct = bool(cases & {"nomn", "accs"})
        alt = pair = one = False
        prev = out[-1] if out else None
        if owner is not None and depth[k] <= owner.depth and k > owner.end:
            owner = None
        in_list = owner is not None and depth[k] > owner.depth
        if kind == "doc" or depth[k] >= 100:
            include = False
        elif in_list:
            include = True
        elif depth[k] and not item:
            include = False
        elif kind == "one_of":
            include = one = True
        elif kind == "trig_noun":
            include = "gent" in cases or direct
        elif kind == "prep":
            include = toks[g].low in _ALLOWED_PREP and "ablt" in cases and not (
                g > 0 and toks[g - 1].low in _COMPOUND_PREP)
        elif kind == "coord" and prev is not None and _coordinated(toks, mask, prev, start) and (
                cases - _OBLIQUE_CASES) and (cases & toks[prev.k].cases or direct):
            include = True
            between = [toks[x].low for x in range(prev.k + 1, start)]
            alt = any(w in ("или", "либо") for w in between) and "и" not in between
            pair = toks[prev.k].lemma in _GENERIC and t.lemma in _GENERIC and prev.depth == depth[k] and \
                not prev.drop and \
                all(w in ("и", "или", "(", ")") for w in between)
        elif kind == "noun" and direct and toks[g].pos == "NOUN" and modality._oblique(toks, g):
            # "запрашивают от местных ... органов копии решения": the object after a phrase
            include = _trigger_bound(toks, preds, k)
        elif kind in ("noun", "pred", "start", "coord"):
            if kind == "coord" and toks[g].low in ("и", "или", "либо"):
                conj = _conjunct_before(toks, g)
                if conj is not None:
                    cases = cases & toks[conj].cases
                    direct = bool(cases & {"nomn", "accs"})
            include = direct and "gent" not in cases or direct and kind != "noun"
            include = include and (item or _trigger_bound(toks, preds, k))
        else:
            include = False
        if not include:
            continue
        end = _np_end(toks, k)
        m = _Mention(k, start, end, _key(toks, k, end), alt=alt, pair=pair, depth=depth[k])
        nxt_paren = m.end < len(toks) and toks[m.end].text == "("
        if pair and prev is not None:
            m.generic = prev.generic = prev.generic or nxt_paren and bool(mods & {"необходимый", "соответствующий"}
                                                                         | set(_GENERIC))
        else:
            m.generic = nxt_paren and t.lemma in _GENERIC and not one and bool(mods & _GENERIC_MODS)
        if not one:
            m.drop = bool(mods & _DROP) or bool(mods & _ANAPHORIC)
        if not item and t.lemma in _COMMS and not m.drop:
            trig = _nearest_predicate(preds, k)
            if trig >= 0 and _sender(toks, trig, mask) == modality.AUTHORITY:
                m.drop = True
        out.append(m)
        if m.generic:
            owner = m
        if one:
            break
    return out


_GENERIC_MODS = frozenset({"необходимый", "соответствующий", "требуемый", "следующий", "иной", "другой"})
_ANCHORS = frozenset({"день", "дата", "момент", "время", "срок"})
_OBLIQUE_CASES = frozenset({"datv", "loct", "ablt", "loc2", "gen2"})


def _conjunct_before(toks: list[Tok], g: int) -> int | None:
    """The noun of the phrase before a conjunction at g ("документах и информации" -> "документах")."""
    j = g - 1
    if j >= 0 and toks[j].text == ")":
        while j >= 0 and toks[j].text != "(":
            j -= 1
        j -= 1
    return j if j >= 0 and toks[j].pos == "NOUN" else None


def _trigger_bound(toks: list[Tok], preds: list[int], k: int) -> bool:
    p = _nearest_predicate(preds, k)
    return p >= 0 and toks[p].lemma in _TRIGGERS


def _group(toks: list[Tok], mentions: list[_Mention], seen: set, first_generic_ok: bool) -> list[str]:
    names: list[str] = []
    i = 0
    while i < len(mentions):
        m = mentions[i]
        # a generic mention with its list in parentheses: the list instead
        if m.generic:
            inner = [x for x in mentions[i + 1:] if x.depth > m.depth]
            j = i + 1
            while j < len(mentions) and (mentions[j].pair or mentions[j].depth > m.depth):
                j += 1
            if inner:
                names.extend(_group(toks, [x for x in inner if not x.drop], seen, False))
                i = j
                continue
        if m.drop or m.alt or m.pair:
            i += 1
            continue
        bare = m.end == m.k + 1 or m.end == len(toks) or (i + 1 < len(mentions) and mentions[i + 1].pair)
        key = ("*generic*",) if toks[m.k].lemma in _GENERIC and bare else m.key
        if key in seen:
            i += 1
            continue
        if key == ("*generic*",) and not first_generic_ok:
            i += 1
            continue
        seen.add(key)
        names.append(_name(toks, m))
        i += 1
    return names


def find_documents(doc: Doc, item: bool = False) -> list[str]:
    """Documents of a clause (`item`: an entry of a list of documents, no verb needed)."""
    ext = doc._
    toks: list[Tok] = ext.morph
    names: list[str] = []
    seen: set = set()
    for (a, b), text in zip(ext.sents, sentence_texts(doc), strict=True):
        st = toks[a:b]
        if _OBTAINED.search(text.lower()):
            continue
        ms = _mentions(st, item)
        names.extend(_group(st, ms, seen, first_generic_ok=not names))
        if item and names:
            # an entry of a list is one document, however many papers it names
            # ("удостоверение личности и паспорт ..., свидетельства о рождении детей")
            return [", ".join(names)]
    return names


def is_document_row(text: str) -> bool:
    """Is this the "Перечень документов ..." row of a service-standard table?"""
    head = text[:160].lower().replace("ё", "е")
    return any(h in head for h in _ROW_HEADERS)


def table_documents(value: str, analyse) -> list[str]:
    """Documents of a service-standard table's document row: its numbered (or ';'-separated)
    entries that name a document, without sentences about what the authority obtains itself."""
    parts = [p for p in _NUMBERED.split(value) if p.strip()]
    if len(parts) < 2:
        parts = [p for p in re.split(r";\s*", value) if p.strip()]
    names: list[str] = []
    for i, part in enumerate(parts):
        if i == 0 and len(parts) > 1 and _NUMBERED.search(value) and not value.lstrip().startswith("1)"):
            continue  # the text before "1)" is the row's heading
        kept = [s for s in re.split(r"(?<=[.])\s+(?=[А-ЯЁ])", part) if not _OBTAINED.search(s.lower())]
        text = " ".join(kept).strip()
        if not text:
            continue
        doc = analyse(text)
        names.extend(find_documents(doc, item=True))
    return names


_STANDARD_ROWS = tuple(_D["standard_rows"]["analysed"])
_STANDARD_HEADINGS = ("наименование услугодателя", "способы предоставления", "срок оказания", "форма оказания",
                      "результат оказания", "размер оплаты", "размер платы", "график работы",
                      "основания для отказа", "наименование государственной услуги")


def standard_row_kind(text: str) -> str | None:
    """'documents', 'analysed' (a row of further requirements, read as sentences), 'fact' (the
    other rows of a service standard) or None when the row is not one of a service standard."""
    head = text[:160].lower().replace("ё", "е")
    if any(h in head for h in _ROW_HEADERS):
        return "documents"
    if any(h in head for h in _STANDARD_ROWS):
        return "analysed"
    if any(head.startswith(h) for h in _STANDARD_HEADINGS):
        return "fact"
    return None


def list_lead_in(doc: Doc) -> bool:
    """Does the clause have a lead-in to a list of documents ("... прилагаются следующие
    документы:")? Any ':' of a sentence with a verb of submitting may open it."""
    ext = doc._
    toks: list[Tok] = ext.morph
    for a, b in ext.sents:
        st = toks[a:b]
        if not any(t.lemma in _TRIGGERS for t in st):
            continue
        for i, t in enumerate(st):
            if t.text == ":" and any(x.lemma in _LIST_LEAD for x in st[max(0, i - 4):i] if x.pos):
                return True
    return False
