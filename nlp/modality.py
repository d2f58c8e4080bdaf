"""Deontic modality of a clause and who bears it.

Modality is one of obligation, prohibition, permission, definition, other (eval/SCHEMA.md).
Each sentence gets a category from its main clause (parentheses, relative and conditional
clauses are set aside):

- explicit cues: "запрещается", "не вправе", "не допускается" (prohibition); "обязан",
  "должен", "подлежит", "необходимо + infinitive" (obligation); "вправе", "может + infinitive",
  "имеет право" (permission); "понимается", "означает", "включает в себя" (definition);
- implicit cues: the drafting present tense ("Услугодатель выдает ...", "Проверка проводится
  ...") and an independent infinitive ("Департаменту ... обеспечить") are obligations; a negated
  present ("проверки не проводятся") is a prohibition. Verbs of being and scope ("является",
  "вступает в силу", "Настоящие Правила устанавливают ...") carry no duty.

The clause takes a prohibition if any sentence has an explicit one; otherwise the category of
its first sentence that has one (a permission gives way to a later explicit obligation).
The addressee is the grammatical subject of the deciding predicate (a nominative role noun),
the agent of a passive (an instrumental role noun: "Заявителем подается"), the dative of an
infinitive order ("Местным исполнительным органам ... разработать"), or, for a passive verb of
submission whose object is a document ("Документы представляются в виде копий"), the applicant;
by default the authority, which bears most duties in an act of public administration.
Role nouns are in nlp/patterns/roles.json; an act's own abbreviations ("акимат ... (далее –
МИО)") take the role of the phrase they abbreviate (`find_aliases`).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from spacy.tokens import Doc

from nlp.pipeline import Tok, load_patterns

_M = load_patterns("modality")
_R = load_patterns("roles")

PROHIBITION, OBLIGATION, PERMISSION, DEFINITION, OTHER = (
    "prohibition", "obligation", "permission", "definition", "other")
APPLICANT, AUTHORITY = "applicant", "authority"

# sentence categories, strongest first
P_STRONG, DEF, O_EXP, PERM, O_IMP, P_WEAK, NONE = "P!", "DEF", "O!", "PERM", "O", "P", ""
_CAT_MODALITY = {P_STRONG: PROHIBITION, DEF: DEFINITION, O_EXP: OBLIGATION, PERM: PERMISSION,
                 O_IMP: OBLIGATION, P_WEAK: PROHIBITION, NONE: OTHER}

_PROHIBIT = frozenset(_M["prohibition_forms"])
_PERM_OR_PROHIBIT = frozenset(_M["permission_or_prohibition_forms"])
_RIGHT_NOUNS = frozenset(_M["right_nouns"])
_LIMIT_VERBS = frozenset(_M["limit_verbs"])
_LIMIT_AFTER_BE = frozenset(_M["limit_after_be"])
_OBL_LEMMAS = frozenset(_M["obligation_lemmas"])
_OBL_SHORT = frozenset(_M["obligation_short"])
_OBL_VERBS = frozenset(_M["obligation_verbs"])
_OBL_INF = frozenset(_M["obligation_with_infinitive"])
_DEF_VERBS = frozenset(_M["definition_verbs"])
_DEF_NOUNS = frozenset(_M["definition_nouns"])
_STATEMENT = frozenset(_M["statement_verbs"])
_SCOPE = frozenset(_M["scope_verbs"])
_ACT_NOUNS = frozenset(_M["act_nouns"])
_ENACTING = frozenset(_M["enacting_infinitives"])
_SUBORD = frozenset(_M["subordinators"])
_INF_GOV = frozenset(_M["infinitive_governors"])
_ACTIVE_REFL = frozenset(_M["active_reflexive"])
_SUBMIT = frozenset(_M["submission_verbs"])
_APPLICANT_ACTS = frozenset(_M["applicant_acts"])
_PASSIVE_SUBMIT = frozenset(_M["passive_submission"]["lemmas"])
_NEED_DEST = frozenset(_M["passive_submission"]["need_destination"])
_IMPERSONAL = frozenset({"запрещается", "запрещено", "разрешается", "разрешено", "допускается", "необходимо",
                         "следует", "надлежит", "нужно", "предписывается", "рекомендуется"})
_PASSIVE_INF = frozenset({"приложить", "представить", "подать", "предъявить", "предоставить", "прикладывать", "прилагать", "представлять", "подавать", "предъявлять"})
_DOC_HEADS = frozenset(load_patterns("documents")["heads"])
_DEMAND = frozenset(_M["demand_nouns"])
_DEMAND_ACT = frozenset(_M["demand_actions"])
_CHOICE = frozenset(_M["choice"])
_LEAD = _M["lead_in"]
_PURPOSE = frozenset(tuple(p) for p in _M["purpose_after_passive"]["phrases"])
_TERM_VERBS = frozenset({"применяться", "использоваться", "употребляться", "означать"})
_TAIL_LEMMAS = frozenset(_LEAD["tail_lemmas"])
_TAIL_PHRASES = [tuple(p) for p in _LEAD["tail_phrases"]]
_LISTED_NOUNS = frozenset(_LEAD["listed_nouns"])
_LISTED_MARKERS = frozenset(_LEAD["listed_markers"])
_NAME_NOUNS = frozenset(_LEAD["name_nouns"])

_APPLICANT = frozenset(_R["applicant"])
_AUTHORITY = frozenset(_R["authority"])
_APPLICANT_STEMS = tuple(_R["applicant_stems"])
_AUTHORITY_STEMS = tuple(_R["authority_stems"])
_AUTHORITY_CAPS = tuple(_R["authority_capitalised"])
_PERSON = _R["person_nouns"]
_OWNER = frozenset(_R["owner_nouns"])
_QUALIFIED = frozenset(_R["qualified_applicant"]["lemmas"])
_ABBREV = _R["abbreviations"]

_ADJ_LIKE = frozenset({"ADJF", "PRTF", "NUMR", "NUM", "ADJS"})
_FINITE = frozenset({"pres", "futr"})

class Aliases(dict):
    """An act's abbreviations of role phrases: lemma tuple -> role (see `find_aliases`)."""

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self._first: frozenset | None = None

    @property
    def first(self) -> frozenset:
        if self._first is None:
            self._first = frozenset(k[0] for k in self)
        return self._first

    def __setitem__(self, key, value) -> None:
        self._first = None
        super().__setitem__(key, value)

    def setdefault(self, key, value=None):
        self._first = None
        return super().setdefault(key, value)


_ROLE_CACHE: dict[tuple, str | None] = {}


# ---------------------------------------------------------------- roles

def _word_role(t: Tok) -> str | None:
    """Role of one word by its lemma, its stem, or (for a capitalised "Рос..." name) its form."""
    if t.pos not in ("NOUN", ""):
        return None
    key = (t.text, t.lemma, t.pos)
    if key in _ROLE_CACHE:
        return _ROLE_CACHE[key]
    role = _word_role_uncached(t)
    if len(_ROLE_CACHE) < 200_000:
        _ROLE_CACHE[key] = role
    return role


def _word_role_uncached(t: Tok) -> str | None:
    if t.lemma in _APPLICANT or t.low.startswith(_APPLICANT_STEMS):
        return APPLICANT
    if t.lemma in _AUTHORITY or t.low.startswith(_AUTHORITY_STEMS):
        return AUTHORITY
    if t.text.startswith(_AUTHORITY_CAPS) and not t.low.startswith("росси"):
        return AUTHORITY
    return _ABBREV.get(t.low)


def role_at(toks: list[Tok], k: int, aliases: Aliases | None = None) -> tuple[str, int] | None:
    """(role, number of tokens) of a role mention starting at token k, or None."""
    t = toks[k]
    if t.pos not in ("NOUN", ""):
        return None
    if aliases and t.lemma in aliases.first:
        for n in (4, 3, 2, 1):
            key = tuple(x.lemma for x in toks[k:k + n])
            if len(key) == n and key in aliases:
                return aliases[key], n
    if t.lemma in _PERSON and t.pos == "NOUN":
        rule = _PERSON[t.lemma]
        prev = toks[k - 1].lemma if k > 0 else ""
        role = rule.get(prev, rule["default"])
        if role:
            return role, 1
    role = _word_role(t)
    if role is None:
        if t.pos == "NOUN" and k + 3 < len(toks) and toks[k + 1].text == "(" and toks[k + 2].low == "далее":
            # "физические лица (далее – услугополучатели)": the role of the name it is given
            for j in range(k + 3, min(len(toks), k + 7)):
                if toks[j].text == ")":
                    break
                r = _word_role(toks[j])
                if r is not None:
                    return r, 1
        return None
    nxt = toks[k + 1] if k + 1 < len(toks) else None
    if t.lemma in _OWNER and nxt is not None:
        # "руководитель оператора", "представитель заявителя": the side of the one represented
        for j in range(k + 1, min(k + 4, len(toks))):
            r = _word_role(toks[j]) if toks[j].lemma not in _OWNER else None
            if r is not None and "gent" in toks[j].cases:
                return r, j - k + 1
            if toks[j].pos not in _ADJ_LIKE:
                break
    if t.lemma in _QUALIFIED and nxt is not None and (
            (nxt.pos in ("ADJF", "NOUN") and "gent" in nxt.cases and _word_role(nxt) is None)
            or (nxt.pos == "" and nxt.text.isupper() and nxt.text.isalpha())):
        return AUTHORITY, 2  # "оператор информационно-коммуникационной инфраструктуры", "Оператор ФИФ"
    return role, 1


def find_aliases(docs: list[Doc]) -> Aliases:
    """An act's abbreviations of role phrases: "акимат ... (далее – МИО)" -> {("мио",): authority}."""
    aliases = Aliases()
    for doc in docs:
        toks: list[Tok] = doc._.morph
        for k, t in enumerate(toks):
            if t.low != "далее" or k == 0 or toks[k - 1].text != "(":
                continue
            j = k + 1
            while j < len(toks) and toks[j].text in ("-", "–", "—", "соответственно", ","):
                j += 1
            end = j
            while end < len(toks) and toks[end].text not in (")", ",", ";"):
                end += 1
            alias = tuple(x.lemma for x in toks[j:end] if x.pos or x.text.isalnum())
            if not alias or len(alias) > 4:
                continue
            role = None
            own = role_at(toks, j, None)
            if own is not None and len(alias) == 1:
                continue  # the alias names its own role ("(далее – услугодатель)")
            for b in range(k - 2, max(-1, k - 26), -1):
                if toks[b].text in (".", ";", "(", ")") and b < k - 2:
                    break
                r = role_at(toks, b, None)
                if r is not None:
                    role = r[0]
            if role is None and own is not None:
                role = own[0]
            if role is not None:
                aliases.setdefault(alias, role)
    return aliases


# ---------------------------------------------------------------- sentences

@dataclass
class Sentence:
    cat: str = NONE
    cue: int = -1               # index (in the sentence) of the deciding predicate
    passive: bool = False
    addressee: str | None = None
    has_subject: bool = False   # the addressee was found in the sentence itself
    has_predicate: bool = False  # a finite verb, infinitive or modal word in the main clause
    roles: list[tuple[int, str, bool]] = field(default_factory=list)  # (index, role, not after a preposition)
    toks: list[Tok] = field(default_factory=list, repr=False)


def _main_mask(toks: list[Tok]) -> list[bool]:
    """False for tokens inside parentheses and inside relative or conditional clauses."""
    mask = [True] * len(toks)
    depth = 0
    sub = False
    for i, t in enumerate(toks):
        if t.text in ("(", "["):
            depth += 1
        if depth > 0:
            mask[i] = False
        if t.text in (")", "]"):
            depth = max(0, depth - 1)
            continue
        if depth:
            continue
        if t.lemma in _SUBORD:
            sub = True
        elif sub and t.text in (",", ";", ":", "–", "—"):
            sub = False
            continue
        if sub:
            mask[i] = False
    return mask


def _oblique(toks: list[Tok], k: int) -> bool:
    """Is the noun at k governed by a preposition (walking back over its modifiers)?"""
    j = k - 1
    while j >= 0 and j >= k - 6:
        t = toks[j]
        if t.pos == "PREP":
            return True
        if t.pos in _ADJ_LIKE or t.low in ("и", ",", "или", "либо", "«", "\""):
            j -= 1
            continue
        return False
    return False


def _infinitive_after(toks: list[Tok], k: int, span: int = 5) -> int:
    for j in range(k + 1, min(len(toks), k + 1 + span)):
        if toks[j].pos == "INFN":
            return j
        if toks[j].text in (".", ";", ":"):
            break
    return -1


def _purpose_after(toks: list[Tok], i: int) -> bool:
    lemmas = tuple(t.lemma for t in toks[i + 1:i + 3])
    return lemmas in _PURPOSE


def _is_limit(toks: list[Tok], inf: int) -> bool:
    if inf < 0:
        return False
    if toks[inf].lemma in ("превышать", "превысить", "составлять"):
        return True
    return toks[inf].lemma == "быть" and inf + 1 < len(toks) and toks[inf + 1].low in _LIMIT_AFTER_BE


def analyse_sentence(toks: list[Tok], aliases: Aliases | None = None, table: bool = False) -> Sentence:
    """The category and addressee of one sentence (see module docstring)."""
    s = Sentence(toks=toks)
    if not toks:
        return s
    mask = _main_mask(toks)
    colon = next((i for i, t in enumerate(toks[:-1]) if t.text == ":" and mask[i]), -1)
    if colon > 0 and not _tail_passes(toks[:colon]):
        # "Основаниями ... являются: текст обращения не поддается прочтению; ...": a list of names
        for i in range(colon + 1, len(toks)):
            mask[i] = False
    words = [t for t in toks if t.pos or t.text.isalnum()]
    first_words = [t.lemma for t in words[:3]]
    if words and words[0].low.startswith("настоящ") and any(w in _ACT_NOUNS for w in first_words[1:3]):
        return s  # "Настоящие Правила устанавливают ...", "Настоящий приказ вводится в действие ..."
    first_noun = next((t for t in toks if t.pos == "NOUN"), None)
    act_subject = first_noun is not None and first_noun.lemma in _ACT_NOUNS and "nomn" in first_noun.cases

    # roles of the sentence
    k = 0
    n_toks = len(toks)
    while k < n_toks:
        r = role_at(toks, k, aliases) if mask[k] and toks[k].pos in ("NOUN", "") else None
        if r is None:
            k += 1
            continue
        role, n = r
        s.roles.append((k, role, not _oblique(toks, k)))
        k += n

    found: dict[str, int] = {}
    implicit: tuple[str, int] | None = None
    governed = False  # has an infinitive's governor (a verb, a modal word, "право") been seen yet?
    for i, t in enumerate(toks):
        if i > 0 and mask[i - 1] and not governed:
            p = toks[i - 1]
            governed = p.lemma in _INF_GOV or p.pos in ("VERB", "PRED", "ADJS", "PRTS", "GRND")
        if not mask[i]:
            continue
        neg = i > 0 and toks[i - 1].low == "не"
        low, lemma = t.low, t.lemma
        if low in _PROHIBIT or (lemma == "запрещаться"):
            found.setdefault(P_STRONG, i)
        elif low in _PERM_OR_PROHIBIT:
            found.setdefault(P_STRONG if neg else PERM, i)
        elif lemma == "иметь" and i + 1 < len(toks) and toks[i + 1].low in _RIGHT_NOUNS:
            found.setdefault(P_STRONG if neg else PERM, i)
        elif lemma == "мочь" and t.pos == "VERB":
            inf = _infinitive_after(toks, i)
            if _is_limit(toks, inf):
                found.setdefault(O_EXP, i)
            elif neg:
                implicit = implicit or (P_WEAK, i)
            elif inf >= 0:
                found.setdefault(PERM, i)
        elif lemma in _OBL_SHORT and t.pos == "PRTS" or lemma == "должный" and t.pos == "ADJS":
            inf = _infinitive_after(toks, i)
            if _is_limit(toks, inf):
                found.setdefault(O_EXP, i)
            elif neg:
                found.setdefault(P_STRONG if lemma == "должный" else NONE, i)
            else:
                found.setdefault(O_EXP, i)
        elif lemma in _OBL_LEMMAS and not neg and (
                t.pos in ("ADJS", "ADVB", "PRED") or i > 0 and toks[i - 1].lemma in ("являться", "быть")):
            found.setdefault(O_EXP, i)  # "обязательны", "является обязательным"; not "обязательного страхования"
        elif lemma in _OBL_VERBS and t.pos == "VERB":
            if neg:
                implicit = implicit or (P_WEAK, i)
            else:
                found.setdefault(O_EXP, i)
        elif low in _OBL_INF and _infinitive_after(toks, i, 4) >= 0 and not neg:
            found.setdefault(O_EXP, i)
        elif lemma in _DEF_VERBS and t.pos == "VERB":
            found.setdefault(DEF, i)
        elif lemma == "включать" and i + 2 < len(toks) and toks[i + 1].low == "в" and toks[i + 2].low == "себя":
            found.setdefault(DEF, i)
        elif lemma == "относиться" and words and words[0].low == "к" and t.pos == "VERB":
            found.setdefault(DEF, i)
        elif lemma == "являться" and t.pos == "VERB" and words and _word_role(words[0]) and \
                "ablt" in words[0].cases:
            found.setdefault(DEF, i)
        elif t.pos == "VERB" and _FINITE & t.tags and "indc" in t.tags and "3per" in t.tags:
            if lemma in _STATEMENT:
                continue
            if act_subject and lemma in _SCOPE and not lemma.endswith("ся"):
                continue
            if lemma.endswith("ся") and _purpose_after(toks, i) and not any(
                    "ablt" in toks[k].cases and free for k, _, free in s.roles):
                continue  # "Мероприятия ... проводятся в целях предупреждения ...": what they are for
            if implicit is None:
                implicit = (P_WEAK if neg else O_IMP, i)
        elif t.pos == "INFN" and implicit is None:
            if not governed:
                implicit = (NONE if lemma in _ENACTING else (P_WEAK if neg else O_IMP), i)
    if DEF not in found and any(t.lemma in _DEF_NOUNS for t in toks) and (
            toks[-1].text == ":" or any(t.lemma in _TERM_VERBS and t.pos == "VERB" for t in toks)):
        found[DEF] = len(toks) - 1  # "Основные понятия ...:", "применяются термины и их определения"
    if any(t.low == "ли" for t in toks) and toks[-1].text != ":":
        found.clear()  # a question ("Превышает ли ...?"), as in the forms of an appendix
        implicit = None
    for cat in (P_STRONG, DEF, O_EXP, PERM):
        if cat in found:
            s.cat, s.cue = cat, found[cat]
            break
    else:
        if implicit is not None:
            s.cat, s.cue = implicit
    s.has_predicate = s.cue >= 0 or implicit is not None
    if s.cat in (NONE, DEF):
        return s
    cue = toks[s.cue]
    s.passive = cue.pos == "PRTS" and cue.lemma not in _OBL_SHORT or (
        cue.lemma.endswith("ся") and cue.lemma not in _ACTIVE_REFL)
    if cue.lemma in ("мочь", "должный") or cue.lemma in _OBL_SHORT:
        inf = _infinitive_after(toks, s.cue)
        if inf >= 0 and toks[inf].lemma == "быть":
            s.passive = True
    s.addressee, s.has_subject = _addressee(toks, s, table)
    if table and s.cat == O_IMP and not s.has_subject:
        s.cat, s.cue = NONE, -1
        s.addressee = None
    return s


def _in_phrase(toks: list[Tok], k: int) -> bool:
    """Is the noun at k the complement of a noun inside a prepositional phrase ("после заполнения
    Заявителем", "с момента подачи заявления услугополучателем")?"""
    j = k - 1
    seen_noun = False
    while j >= 0 and j >= k - 6:
        t = toks[j]
        if t.pos == "PREP":
            return seen_noun
        if t.pos == "NOUN":
            seen_noun = True
        elif t.pos not in _ADJ_LIKE:
            return False
        j -= 1
    return False


def _near(toks: list[Tok], k: int, cue: int, n: int) -> bool:
    """Is the noun phrase headed at k within n words of the verb at cue (its modifiers not counted)?"""
    if k > cue:
        return k - cue <= n + sum(1 for t in toks[cue + 1:k] if t.pos in _ADJ_LIKE)
    return cue - k <= n


def _destination_authority(toks: list[Tok], cue: int) -> bool:
    """Does a verb of sending go to an authority ("направляются в Росстандарт", "услугодателю")?"""
    for j in range(max(0, cue - 8), min(len(toks), cue + 9)):
        r = role_at(toks, j)
        if r is None or r[0] != AUTHORITY:
            continue
        if "datv" in toks[j].cases and not _oblique(toks, j):
            return True
        b = j - 1
        while b >= 0 and toks[b].pos in _ADJ_LIKE:
            b -= 1
        if b >= 0 and toks[b].low in ("в", "во") and "accs" in toks[j].cases:
            return True
    return False


def _addressee(toks: list[Tok], s: Sentence, table: bool) -> tuple[str, bool]:
    cue = s.cue
    cue_tok = toks[cue]
    lemmas = [t.lemma for t in toks]
    # a demand sent to the applicant to present something: "направляется оператору ... с требованием представить"
    if any(x in _DEMAND for x in lemmas) and any(x in _DEMAND_ACT for x in lemmas):
        for k, role, _ in s.roles:
            if role == APPLICANT and "datv" in toks[k].cases:
                return APPLICANT, True
    # "по выбору Заявителя ... может быть представлен"
    if s.cat == PERM:
        for k, t in enumerate(toks[:-1]):
            if t.lemma in _CHOICE:
                for j in range(k + 1, min(k + 4, len(toks))):
                    r = role_at(toks, j)
                    if r is not None:
                        return r[0], True
    if cue_tok.low in _OBL_INF and s.cat == O_EXP:
        inf = _infinitive_after(toks, cue, 4)
        if inf >= 0 and toks[inf].lemma in _PASSIVE_INF and not any(
                free and k < cue and toks[k].cases & {"nomn", "datv"} for k, _, free in s.roles):
            return APPLICANT, False  # "необходимо приложить копию перевода"
    if cue_tok.low in _IMPERSONAL:
        # "Юридическим и физическим лицам запрещается ...", "Заявителю необходимо ..."
        for k, role, free in s.roles:
            if k < cue and free and "datv" in toks[k].cases:
                return role, True
    if cue_tok.pos == "INFN" and s.cat in (O_IMP, P_WEAK):
        for k, role, free in s.roles:
            if k < cue and "datv" in toks[k].cases and free:
                return role, True
    if s.passive:
        for k, role, free in s.roles:
            if free and "ablt" in toks[k].cases and _near(toks, k, cue, 3) and not _in_phrase(toks, k):
                return role, True
        recipient = any(role == APPLICANT and "datv" in toks[k].cases and free for k, role, free in s.roles)
        verbs = [j for j in range(cue, min(len(toks), cue + 4)) if toks[j].lemma in _PASSIVE_SUBMIT]
        if verbs and not recipient:
            v = toks[verbs[0]]
            patient = any((t.lemma in _DOC_HEADS or t.lemma in _APPLICANT_ACTS) and t.cases & {"nomn"}
                          for t in toks)
            if patient and (v.lemma not in _NEED_DEST or _destination_authority(toks, verbs[0])):
                return APPLICANT, False
        if s.cat == PERM:
            # "Граждане ... могут быть допущены к экзаменам": a permission is its subject's
            for k, role, free in s.roles:
                if free and k < cue and "nomn" in toks[k].cases:
                    return role, True
        if any(t.lemma in _APPLICANT_ACTS and "nomn" in t.cases for t in toks[:cue]) and \
                s.cat in (PERM, O_EXP) and any(t.lemma in _SUBMIT for t in toks[cue:cue + 5]):
            return APPLICANT, False
    else:
        before = [(k, role) for k, role, free in s.roles if free and k < cue and "nomn" in toks[k].cases]
        if before:
            return before[0][1], True
        after = [(k, role) for k, role, free in s.roles if free and k > cue and "nomn" in toks[k].cases]
        if after and cue_tok.pos != "INFN":
            return after[0][1], True
    return AUTHORITY, False


# ---------------------------------------------------------------- clauses

@dataclass
class Clause:
    modality: str = OTHER
    addressee: str | None = None
    explicit: bool = False       # decided by an explicit cue (not by the present tense)
    has_subject: bool = False
    has_predicate: bool = False
    cat: str = NONE
    sentences: list[Sentence] = field(default_factory=list)
    lead_in: Sentence | None = None   # the sentence that ends with ':' (if any)


def analyse_clause(doc: Doc, aliases: Aliases | None = None, table: bool = False) -> Clause:
    """Modality and addressee of a clause from its own text (the tree is extract.py's business)."""
    ext = doc._
    toks: list[Tok] = ext.morph
    sents = [toks[a:b] for a, b in ext.sents]
    infos = [analyse_sentence(st, aliases, table) for st in sents]
    c = Clause(sentences=infos)
    for st, info in zip(sents, infos, strict=True):
        if st and st[-1].text == ":":
            c.lead_in = info
    c.has_predicate = any(i.has_predicate for i in infos)
    deciding = next((i for i in infos if i.cat == P_STRONG), None)
    if deciding is None:
        deciding = next((i for i in infos if i.cat != NONE), None)
        if deciding is not None and deciding.cat == PERM:
            later = next((i for i in infos if i.cat == O_EXP), None)
            if later is not None:
                deciding = later
    if deciding is None:
        return c
    c.cat = deciding.cat
    c.modality = _CAT_MODALITY[deciding.cat]
    c.explicit = deciding.cat in (P_STRONG, O_EXP, PERM, DEF)
    c.has_subject = deciding.has_subject
    if c.modality not in (DEFINITION, OTHER):
        c.addressee = deciding.addressee
    return c


def _tail_passes(toks: list[Tok]) -> bool:
    """The words before a ':' do not end like a list of conditions, grounds or names."""
    words = [t for t in toks if t.pos or t.text.isalnum()]
    if not words:
        return True
    tail = words[-5:]
    lemmas = [t.lemma for t in tail]
    if any(x in _TAIL_LEMMAS for x in lemmas) or any(t.lemma in _NAME_NOUNS for t in words[-4:]):
        return False
    for phrase in _TAIL_PHRASES:
        n = len(phrase)
        if tuple(lemmas[-n:]) == phrase:
            return False
    for i, t in enumerate(words[:-1]):
        if t.lemma in _LISTED_MARKERS and any(x.lemma in _LISTED_NOUNS for x in words[i + 1:i + 4]):
            return False  # "следующие документы и сведения, ...:" - a list of names
    return words[-1].pos != "PRTF"


def modality_of(cat: str) -> str:
    """The modality a sentence category stands for."""
    return _CAT_MODALITY[cat]


def lead_in_passes(s: Sentence) -> bool:
    """Do the items of this lead-in continue its predicate ("обязаны:", "вправе:", "обеспечивает:"),
    or are they conditions, grounds and names ("в следующих случаях:", "являются:", "следующие
    документы:", "изданного:") that are statements of their own?"""
    if not _tail_passes(s.toks):
        return False
    if s.cat == DEF:
        return any(t.lemma in _DEF_NOUNS for t in s.toks)
    return True


def subject_lead_in(s: Sentence) -> str | None:
    """The role of a lead-in that names only its subject and leaves the predicate to its items
    ("В целях профилактики ... орган по контролю и надзору:"), else None."""
    if s.cat != NONE or any(t.pos in ("VERB", "INFN", "PRTS", "PRED") for t in s.toks):
        return None
    for k, role, free in s.roles:
        if free and "nomn" in s.toks[k].cases:
            return role
    return None
