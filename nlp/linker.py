"""Link each clause of an act to the proposed measures it bears on, with a score and a reason.

A reviewing lawyer asks of every clause: which announced measure (reduce decision times,
cut document demands, go electronic, ...) does it touch? Three offline signals answer:

- rules, kept as data in `patterns/measure_rules.json`: the clause's extracted facts (a time
  limit, a list of documents, who bears the duty) and its wording lead to a *theme*; a theme
  finds its measures through anchor phrases in the measures' own text, so the same rules work
  for another government's list of measures and no measure id is written in code;
- lexical overlap: the share of a measure's lemmas (IDF-weighted over the measures, as in BM25)
  that the clause contains;
- meaning: cosine of navec mean word vectors (the model ships inside natasha's wheel), stop
  words removed, forms not lemmatised (NOTES.md), each word weighted a/(a + p(word)) by
  navec's own word counts so that "срок" or "государственный" do not dominate.

Signals combine as a noisy-or; only links at or above the threshold are proposed, best first.
The rules carry most of the score on the annotated acts (their measures are abstract: "Цифровизация:
электронные услуги ..."); similarity alone proposes a link only for a near paraphrase of a measure,
and it is what links clauses to a plan whose rows no theme describes.
A batch is handled as numpy/scipy sparse matrices over a process-wide cache of distinct word
forms, so a million clauses are linked in seconds rather than hours (bench/bench_link.py).
"""
from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse

from nlp.morph import fold, lemmas, parse_word

RULES_PATH = Path(__file__).with_name("patterns") / "measure_rules.json"

_FUNCTION_POS = frozenset({"PREP", "CONJ", "PRCL", "INTJ", "NPRO", "PRED", "NUMR"})
_SUBJECT_WORDS = 3  # a lead-in's subject, for items that continue its sentence
CHUNK = 50_000  # units per matrix batch: bounds memory (the vector step is chunk x 300 floats)


# --- word forms ------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def _navec():
    """natasha's navec model (27 MB, inside the wheel) or None when it cannot be loaded."""
    try:
        import natasha  # noqa: PLC0415 - heavy, loaded only when vectors are used
        from navec import Navec  # noqa: PLC0415

        path = Path(natasha.__file__).parent / "data" / "emb" / "navec_news_v1_1B_250K_300d_100q.tar"
        return Navec.load(str(path))
    except Exception:  # noqa: BLE001 - vectors are one signal of three; link without them
        return None


class _Lexicon:
    """Every distinct word form seen, once: its lemma id, whether it carries content, its vector.

    Append-only, so ids stay valid across batches and the morphology and vector look-ups are
    paid once per distinct form, not once per token.
    """

    def __init__(self, stop_lemmas: Iterable[str], use_vectors: bool = True, sif: float = 0.0) -> None:
        self.stop = {fold(s) for s in stop_lemmas}
        self.form_id: dict[str, int] = {"\n": 0}
        self.forms: list[str] = ["\n"]
        self.form_lemma: list[int] = [-1]
        self.form_content: list[bool] = [False]
        self.form_vec: list[int] = [-1]
        self.lemma_id: dict[str, int] = {}
        self.lemma_text: list[str] = []
        self.lemma_content: list[bool] = []
        self.vectors = np.zeros((0, 300), dtype=np.float32)
        self.navec = _navec() if use_vectors else None
        # SIF weights a / (a + p(word)) from navec's own word counts: frequent words ("срок",
        # "государственный") say little about which measure a clause is about
        self.sif = sif
        if self.navec is not None and sif > 0:
            counts = np.asarray(self.navec.vocab.counts, dtype=np.float64)
            self._p = counts / counts.sum()
        self._arrays: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self._hkeys = np.zeros(0, dtype=np.uint64)     # sorted hashes of known forms (tokenize)
        self._hids = np.zeros(0, dtype=np.int32)       # their form ids
        self._arange = np.zeros(0, dtype=np.uint64)

    def lemma(self, lem: str) -> int:
        i = self.lemma_id.get(lem)
        if i is None:
            i = self.lemma_id[lem] = len(self.lemma_text)
            self.lemma_text.append(lem)
            self.lemma_content.append(len(lem) > 1 and not lem.isdigit() and lem not in self.stop)
        return i

    def add_forms(self, forms: Iterable[str]) -> None:
        new = [f for f in forms if f not in self.form_id]
        if not new:
            return
        nav_rows: list[int] = []
        nav_ids: list[int] = []
        word_ids = self.navec.vocab.word_ids if self.navec is not None else {}
        base = len(self.vectors)
        for f in new:
            lem, pos = parse_word(f)
            li = self.lemma(lem)
            content = self.lemma_content[li] and pos not in _FUNCTION_POS
            self.form_id[f] = len(self.forms)
            self.forms.append(f)
            self.form_lemma.append(li)
            self.form_content.append(content)
            vid = word_ids.get(f) if content else None
            if vid is None:
                self.form_vec.append(-1)
            else:
                self.form_vec.append(base + len(nav_ids))
                nav_ids.append(vid)
                nav_rows.append(len(self.forms) - 1)
        if nav_ids:
            pq = self.navec.pq
            idx = pq.indexes[np.asarray(nav_ids)]                  # (k, qdim) centroid numbers
            vecs = pq.codes[np.arange(pq.qdim), idx].reshape(len(nav_ids), -1)
            if self.sif > 0:
                vecs = vecs * (self.sif / (self.sif + self._p[np.asarray(nav_ids)]))[:, None]
            self.vectors = np.vstack([self.vectors, vecs.astype(np.float32)])
        self._arrays = None

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if self._arrays is None:
            self._arrays = (np.asarray(self.form_lemma, dtype=np.int32),
                            np.asarray(self.form_content, dtype=bool),
                            np.asarray(self.form_vec, dtype=np.int32))
        return self._arrays

    def tokenize(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """(row of each token, form id of each token) for a batch of texts, in text order.

        Words are runs of letters and digits, joined by single hyphens ("веб-портал"), as in
        nlp.morph.words, lower-cased with ё folded to е. Hand-written with numpy instead of
        `re.findall` because a million clauses are twenty million tokens: the batch becomes one
        array of code points, words are where the letter mask changes, and each word gets a
        64-bit hash from sequential array passes (a sum over its letters of a random number per
        letter times a random number per position), so only word forms never seen before
        become Python strings.
        """
        raw = "\n".join(texts)
        cps = _LOWER[np.minimum(np.frombuffer(raw.encode("utf-32-le"), dtype=np.uint32), 0xFFFF)]
        word = np.zeros(len(cps) + 2, dtype=bool)
        word[1:-1] = _IS_WORD[cps]
        word[1:-1] |= (cps == 45) & word[:-2] & word[2:]          # a hyphen inside a word
        edges = np.diff(word.view(np.int8))
        starts = np.flatnonzero(edges == 1)
        lens = np.flatnonzero(edges == -1) - starts
        ends_of_texts = np.cumsum(np.fromiter(map(len, texts), dtype=np.int64, count=len(texts)) + 1)
        rows = np.searchsorted(ends_of_texts, starts, side="right").astype(np.int32)
        # hash: g = a random number per letter; a word's hash mixes the sum of g and the sum of g
        # times the letter's position in the word (from sums over positions in the whole batch)
        letters = cps[word[1:-1]]
        offsets = np.concatenate([[0], np.cumsum(lens)[:-1]]) if len(lens) else np.zeros(0, dtype=np.int64)
        g = _LETTER_KEY[letters]
        if len(lens):
            h1 = np.add.reduceat(g, offsets)
            g *= self._positions(len(letters))
            h2 = np.add.reduceat(g, offsets) - offsets.astype(np.uint64) * h1
            hashes = h1 * _HASH_MIX1 + h2 * _HASH_MIX2 + lens.astype(np.uint64) * _HASH_LEN
        else:
            hashes = np.zeros(0, dtype=np.uint64)
        ids = self._lookup(hashes)
        long = lens > _HASH_CAP                 # hashed on a prefix: looked up exactly below
        missing = np.flatnonzero((ids < 0) & ~long)
        if len(missing):
            new: dict[int, str] = {}
            for i in missing.tolist():
                new.setdefault(int(hashes[i]), fold(raw[starts[i]:starts[i] + lens[i]]))
            self.add_forms(new.values())
            self._remember({hv: self.form_id[f] for hv, f in new.items()})
            ids[missing] = self._lookup(hashes[missing])
        if long.any():
            idx = np.flatnonzero(long).tolist()
            forms = [fold(raw[starts[i]:starts[i] + lens[i]]) for i in idx]
            self.add_forms(forms)
            ids[idx] = [self.form_id[f] for f in forms]
        return rows, ids

    def _positions(self, n: int) -> np.ndarray:
        """0, 1, ..., n-1 as uint64, from a buffer kept between batches (fresh big arrays cost
        page faults that were a third of the tokenizer's time)."""
        if len(self._arange) < n:
            self._arange = np.arange(max(n, 2 * len(self._arange)), dtype=np.uint64)
        return self._arange[:n]

    def _lookup(self, hashes: np.ndarray) -> np.ndarray:
        pos = np.searchsorted(self._hkeys, hashes)
        pos = np.minimum(pos, len(self._hkeys) - 1)
        if not len(self._hkeys):
            return np.full(len(hashes), -1, dtype=np.int32)
        return np.where(self._hkeys[pos] == hashes, self._hids[pos], -1).astype(np.int32)

    def _remember(self, table: dict[int, int]) -> None:
        keys = np.concatenate([self._hkeys, np.fromiter(table.keys(), dtype=np.uint64, count=len(table))])
        vals = np.concatenate([self._hids, np.fromiter(table.values(), dtype=np.int32, count=len(table))])
        order = np.argsort(keys, kind="stable")
        self._hkeys, self._hids = keys[order], vals[order]


_IS_WORD = np.zeros(0x10000, dtype=bool)   # letters and digits of Russian, Kazakh, Kyrgyz, Latin
_LOWER = np.arange(0x10000, dtype=np.uint32)
for _c in "0123456789abcdefghijklmnopqrstuvwxyzабвгдежзийклмнопрстуфхцчшщъыьэюяәғқңөұүһі":
    _IS_WORD[ord(_c)] = _IS_WORD[ord(_c.upper())] = True
    _LOWER[ord(_c.upper())] = ord(_c)
_IS_WORD[[ord("ё"), ord("Ё")]] = True
_LOWER[[ord("ё"), ord("Ё")]] = ord("е")     # folded as nlp.morph.fold does
_IS_WORD[0xFFFF] = False                   # code points above the table land here
_HASH_CAP = 48                             # longer tokens are looked up exactly, not by hash
_rng = np.random.default_rng(20240601)     # fixed: hashes must not change between runs
_LETTER_KEY = _rng.integers(1, 2**63, size=0x10000, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
_HASH_MIX1, _HASH_MIX2, _HASH_LEN = (np.uint64(x) | np.uint64(1) for x in _rng.integers(1, 2**63, size=3))


# --- rules as data ---------------------------------------------------------------------------

@dataclass
class _Cond:
    groups: list[int] = field(default_factory=list)      # ids of phrase groups, each "one of"
    near: tuple[frozenset[int], frozenset[int], int] | None = None
    deadline: bool = False
    documents: bool | None = None
    fee: bool | None = None
    modality: frozenset | None = None
    addressee: frozenset | None = None
    kind: frozenset | None = None
    lead_in: bool | None = None
    listed: bool | None = None             # an item of a list under a lead-in
    parent_documents: bool | None = None   # a unit whose parent lists documents (a document item)
    regex: list[re.Pattern] = field(default_factory=list)   # on the folded text, any of them


@dataclass
class _Rule:
    id: str
    theme: str
    weight: float
    why: str
    inherit: float
    when: _Cond
    unless: _Cond | None
    lemmas: frozenset[int]       # lemmas of its `when` wording, to quote the clause's words
    lead_in_context: bool = False  # a list item also "has" the words of its lead-in


class RuleSet:
    """The compiled `measure_rules.json`: phrases as lemma-id bags, rules, themes, parameters."""

    def __init__(self, data: Mapping[str, Any], use_vectors: bool = True) -> None:
        sim = data.get("similarity", {})
        self.lexicon = _Lexicon(data.get("stop_lemmas", []), use_vectors=use_vectors,
                                sif=float(sim.get("sif", 0.0)))
        self.w_lexical = float(sim.get("lexical", 0.0))
        self.w_vector = float(sim.get("vector", 0.0)) if self.lexicon.navec is not None else 0.0
        self.vector_floor = float(sim.get("vector_floor", 0.0))
        self.threshold = float(data.get("threshold", 0.5))
        self.max_links = int(data.get("max_links", 3))
        self.deadline_not = re.compile(data.get("deadline_not") or r"(?!x)x")
        self.deadline_units = frozenset(data.get("deadline_units") or
                                        ("minute", "hour", "day", "week", "month", "year"))
        self.phrases: list[tuple[int, ...]] = []
        self._phrase_index: dict[tuple[int, ...], int] = {}
        self.groups: list[list[int]] = []
        self.themes: dict[str, list[tuple[frozenset[int], float]]] = {}
        self.theme_titles: dict[str, str] = {}
        for name, theme in data.get("themes", {}).items():
            anchors = []
            for a in theme.get("anchors", []):
                text, weight = (a[0], float(a[1]) if len(a) > 1 else 1.0) if isinstance(a, list) else (a, 1.0)
                anchors.append((frozenset(self._content_bag(text)), weight))
            self.themes[name] = anchors
            self.theme_titles[name] = theme.get("title", name)
        self.rules = [self._rule(r) for r in data.get("rules", [])]
        unknown = {r.theme for r in self.rules} - set(self.themes)
        if unknown:
            raise ValueError(f"measure rules name unknown themes: {sorted(unknown)}")

    def _bag(self, text: str) -> tuple[int, ...]:
        return tuple(sorted({self.lexicon.lemma(lem) for lem in lemmas(text)}))

    def _content_bag(self, text: str) -> tuple[int, ...]:
        lex = self.lexicon
        return tuple(i for i in self._bag(text) if lex.lemma_content[i])

    def _group(self, phrases: Sequence[str]) -> int:
        idx = []
        for p in phrases:
            bag = self._bag(p)
            if not bag:
                continue
            if bag not in self._phrase_index:
                self._phrase_index[bag] = len(self.phrases)
                self.phrases.append(bag)
            idx.append(self._phrase_index[bag])
        self.groups.append(idx)
        return len(self.groups) - 1

    def _cond(self, spec: Mapping[str, Any] | None) -> _Cond | None:
        if not spec:
            return None
        c = _Cond()
        if "any" in spec:
            c.groups.append(self._group(spec["any"]))
        for g in spec.get("all", []):
            c.groups.append(self._group(g))
        if "near" in spec:
            n = spec["near"]
            a = frozenset(i for p in n["a"] for i in self._bag(p))
            b = frozenset(i for p in n["b"] for i in self._bag(p))
            c.near = (a, b, int(n.get("window", 3)))
        c.deadline = spec.get("deadline") == "span"
        c.documents = spec.get("documents")
        c.fee = spec.get("fee")
        for key in ("modality", "addressee", "kind"):
            if key in spec:
                setattr(c, key, frozenset(spec[key]))
        c.lead_in = spec.get("lead_in")
        c.listed = spec.get("listed")
        c.parent_documents = spec.get("parent_documents")
        c.regex = [re.compile(x) for x in spec.get("regex", [])]
        return c

    def _rule(self, r: Mapping[str, Any]) -> _Rule:
        when = self._cond(r.get("when")) or _Cond()
        words: set[int] = set()
        for g in when.groups:
            for p in self.groups[g]:
                words.update(self.phrases[p])
        if when.near:
            words |= when.near[0] | when.near[1]
        lex = self.lexicon
        return _Rule(id=r["id"], theme=r["theme"], weight=float(r["weight"]), why=r.get("why", r["id"]),
                     inherit=float(r.get("inherit", 0.0)), when=when, unless=self._cond(r.get("unless")),
                     lemmas=frozenset(i for i in words if lex.lemma_content[i]),
                     lead_in_context=bool(r.get("lead_in_context", False)))

    def resolve(self, measure_lemmas: Sequence[list[int]]) -> dict[str, np.ndarray]:
        """Theme -> weight per measure: the first of the theme's anchors found in the measure's text.

        An anchor is found when its words stand together (within a few words of each other),
        so that a long plan row that merely mentions "сроки" and "услуги" somewhere is not taken
        for "сокращение сроков оказания услуг".
        """
        out = {}
        for name, anchors in self.themes.items():
            w = np.zeros(len(measure_lemmas), dtype=np.float32)
            for j, seq in enumerate(measure_lemmas):
                for anchor, weight in anchors:
                    if anchor and _together(seq, anchor):
                        w[j] = weight
                        break
            out[name] = w
        return out


def _together(seq: list[int], words: frozenset[int], slack: int = 2) -> bool:
    """All of `words` occur within a stretch of len(words) + slack consecutive lemmas of seq."""
    span = len(words) + slack
    for i, x in enumerate(seq):
        if x in words and words <= set(seq[i:i + span]):
            return True
    return False


@lru_cache(maxsize=4)
def load_rules(path: str | None = None, use_vectors: bool = True) -> RuleSet:
    """The rule set from a JSON file (default: the one beside this module), compiled once."""
    p = Path(path) if path else RULES_PATH
    return RuleSet(json.loads(p.read_text(encoding="utf-8")), use_vectors=use_vectors)


# --- the linker ------------------------------------------------------------------------------

def measure_text(m: Mapping[str, Any]) -> str:
    """The Russian text of a measure (clauses are Russian), else whatever text it has."""
    for key in ("ru", "text", "kk", "en"):
        if m.get(key):
            return str(m[key])
    return ""


@dataclass
class _Facts:
    """The extracted facts of a chunk of units, as arrays the rule masks are built from."""

    values: dict[str, tuple[np.ndarray, dict[Any, int]]]   # field -> (code per row, value -> code)
    deadline: np.ndarray
    deadline_text: list[str | None]
    documents: np.ndarray
    document_names: list[list[Any]]
    fee: np.ndarray
    lead_in: np.ndarray
    listed: np.ndarray | None = None
    parent_documents: np.ndarray | None = None


def _codes(values: list[Any]) -> tuple[np.ndarray, dict[Any, int]]:
    """Small integer codes for a column of values (None included), so rules compare arrays."""
    values = [v if isinstance(v, str | None) else str(v) for v in values] \
        if not all(isinstance(v, str | None) for v in values) else values
    table = {v: k for k, v in enumerate(set(values))}
    return np.fromiter(map(table.__getitem__, values), dtype=np.int32, count=len(values)), table


def _in(column: tuple[np.ndarray, dict[Any, int]], allowed: frozenset) -> np.ndarray:
    codes, table = column
    return np.isin(codes, [c for v, c in table.items() if v in allowed])


@dataclass
class _Run:
    """What one call of `Linker.link` carries from chunk to chunk: lead-ins and their matches."""

    parent: np.ndarray                 # row of each unit's parent, -1 if none (or not earlier)
    masks: np.ndarray                  # rows x rules: which rules each unit matched itself
    lead_in: np.ndarray                # the unit ends with ":" (a list follows)
    documents: np.ndarray              # the unit lists documents
    lead_seq: dict[int, np.ndarray] = field(default_factory=dict)     # lead-in row -> lemma ids
    lead_why: dict[tuple[int, int], str] = field(default_factory=dict)  # (lead-in row, rule) -> why


@dataclass
class _Chunk:
    """One batch of units as matrices: tokens, lemma bags, facts."""

    start: int
    texts: list[str]
    forms: np.ndarray                  # form id of every token, rows in order
    lem: np.ndarray                    # lemma id of every token
    offsets: np.ndarray                # tokens of row i: offsets[i]:offsets[i + 1]
    bag: sparse.csr_matrix             # rows x lemmas, 1 where the lemma occurs
    facts: _Facts
    item_of: np.ndarray                # lead-in row (global) of a list item, -1 otherwise


class Linker:
    """Ranks a fixed list of measures for any number of clauses."""

    def __init__(self, measures: Sequence[Mapping[str, Any]], rules: RuleSet | None = None) -> None:
        self.rules = rules or load_rules()
        self.ids = [str(m["id"]) for m in measures]
        lex = self.rules.lexicon
        rows, forms = lex.tokenize([measure_text(m) for m in measures])
        form_lemma, form_content, form_vec = lex.arrays()
        n = len(self.ids)
        bags: list[set[int]] = [set() for _ in range(n)]
        content_bags: list[set[int]] = [set() for _ in range(n)]
        for r, f in zip(rows.tolist(), forms.tolist(), strict=True):
            bags[r].add(int(form_lemma[f]))
            if form_content[f]:
                content_bags[r].add(int(form_lemma[f]))
        self.content_bags = content_bags
        # BM25's idf over the measures: a lemma in every measure tells none of them apart.
        df: dict[int, int] = {}
        for b in content_bags:
            for i in b:
                df[i] = df.get(i, 0) + 1
        w_rows, w_cols, w_vals = [], [], []
        for j, b in enumerate(content_bags):
            idf = {i: math.log(1 + (n - df[i] + 0.5) / (df[i] + 0.5)) for i in b}
            total = sum(idf.values()) or 1.0
            for i, v in idf.items():
                w_rows.append(j)
                w_cols.append(i)
                w_vals.append(v / total)
        self._w = (np.asarray(w_rows, dtype=np.int32), np.asarray(w_cols, dtype=np.int32),
                   np.asarray(w_vals, dtype=np.float32))
        # mean navec vector of each measure's content words, unit length (zeros if none)
        self.mvec = np.zeros((n, lex.vectors.shape[1]), dtype=np.float32)
        vec_rows = form_vec[forms]
        has = vec_rows >= 0
        if has.any():
            np.add.at(self.mvec, rows[has], lex.vectors[vec_rows[has]])
            norms = np.linalg.norm(self.mvec, axis=1, keepdims=True)
            self.mvec /= np.where(norms > 0, norms, 1.0)
        # rule -> measure weights; the inherited copies of rules follow the direct ones
        seqs: list[list[int]] = [[] for _ in range(n)]
        for r, f in zip(rows.tolist(), forms.tolist(), strict=True):
            seqs[r].append(int(form_lemma[f]))
        themes = self.rules.resolve(seqs)
        rs = self.rules.rules
        self.inherit_rules = [k for k, r in enumerate(rs) if r.inherit > 0]
        target = [r.weight * themes[r.theme] for r in rs]
        target += [rs[k].weight * rs[k].inherit * themes[rs[k].theme] for k in self.inherit_rules]
        t = np.clip(np.asarray(target, dtype=np.float64).reshape(len(target), n), 0.0, 0.999)
        self.target = t.astype(np.float32)
        self.log_miss = np.log1p(-t).astype(np.float32)           # noisy-or in log space
        self.needs_context = any(r.lead_in_context for r in rs)
        self.timings: dict[str, tuple[float, float]] = {}   # (wall, CPU) seconds per stage, summed

    # -- the public call
    def link(self, units: Sequence[Mapping[str, Any]]) -> list[list[dict[str, Any]]]:
        """For each unit (text plus optional facts, id, parent, kind): its proposed measures."""
        n = len(units)
        out: list[list[dict[str, Any]]] = [[] for _ in range(n)]
        if not n or not self.ids:
            return out
        index = {u.get("id"): i for i, u in enumerate(units) if u.get("id") is not None}
        parent = np.fromiter((index.get(u.get("parent"), -1) if u.get("parent") is not None else -1
                              for u in units), dtype=np.int64, count=n)
        parent = np.where(parent < np.arange(n), parent, -1)   # a parent comes before its children
        run = _Run(parent=parent, masks=np.zeros((n, len(self.rules.rules)), dtype=bool),
                   lead_in=np.zeros(n, dtype=bool), documents=np.zeros(n, dtype=bool))
        for start in range(0, n, CHUNK):
            self._link_chunk(units[start:start + CHUNK], start, run, out)
        return out

    # -- one chunk
    def _prepare(self, units: Sequence[Mapping[str, Any]], start: int, run: _Run) -> _Chunk:
        lex = self.rules.lexicon
        m = len(units)
        texts = [str(u.get("text") or "") for u in units]
        rows, forms = lex.tokenize(texts)
        form_lemma = lex.arrays()[0]
        lem = form_lemma[forms]
        offsets = np.searchsorted(rows, np.arange(m + 1))
        # tokens come in row order, so the CSR arrays are the token arrays themselves
        bag = sparse.csr_matrix((np.ones(len(lem), dtype=np.float32), lem.copy(), offsets),
                                shape=(m, len(lex.lemma_text)))
        bag.sum_duplicates()
        bag.data[:] = 1.0
        facts = self._facts(units)
        run.lead_in[start:start + m] = facts.lead_in
        for i in np.flatnonzero(facts.lead_in):
            run.lead_seq[start + int(i)] = lem[offsets[i]:offsets[i + 1]]
        par = run.parent[start:start + m]
        item_of = np.where((par >= 0) & run.lead_in[np.maximum(par, 0)], par, -1)
        run.documents[start:start + m] = facts.documents
        facts.listed = item_of >= 0
        facts.parent_documents = (par >= 0) & run.documents[np.maximum(par, 0)]
        return _Chunk(start, texts, forms, lem, offsets, bag, facts, item_of)

    def _facts(self, units: Sequence[Mapping[str, Any]]) -> _Facts:
        dn, units_ok = self.rules.deadline_not, self.rules.deadline_units
        n = len(units)
        deadline = np.zeros(n, dtype=bool)
        deadline_text: list[str | None] = [None] * n
        for i, u in enumerate(units):
            for d in u.get("deadlines") or ():
                if isinstance(d, Mapping) and d.get("amount") is not None and d.get("unit") in units_ok:
                    text = str(d.get("text") or "")
                    if not dn.search(fold(text)):
                        deadline[i] = True
                        deadline_text[i] = text
                        break
        docs = [u.get("documents") or [] for u in units]
        return _Facts(
            values={key: _codes([u.get(key) for u in units]) for key in ("modality", "addressee", "kind")},
            deadline=deadline, deadline_text=deadline_text,
            documents=np.fromiter(map(bool, docs), dtype=bool, count=n), document_names=docs,
            fee=np.array([bool(u.get("fee")) for u in units], dtype=bool),
            lead_in=np.array([(u.get("text") or "").rstrip().endswith(":") for u in units], dtype=bool))

    def _group_mask(self, bag: sparse.csr_matrix) -> np.ndarray:
        """rows x phrase groups: the row holds all lemmas of at least one phrase of the group."""
        rules = self.rules
        m, nl = bag.shape
        if not rules.phrases:
            return np.zeros((m, len(rules.groups)), dtype=bool)
        pr = [i for p in rules.phrases for i in p]
        pc = [k for k, p in enumerate(rules.phrases) for _ in p]
        incid = sparse.csr_matrix((np.ones(len(pr), dtype=np.float32), (pr, pc)),
                                  shape=(nl, len(rules.phrases)))
        hits = (bag @ incid).tocsr()
        plen = np.asarray([len(p) for p in rules.phrases], dtype=np.float32)
        hits.data = (hits.data >= plen[hits.indices] - 0.5).astype(np.float32)
        hits.eliminate_zeros()
        gr = [p for g in rules.groups for p in g]
        gc = [k for k, g in enumerate(rules.groups) for _ in g]
        gin = sparse.csr_matrix((np.ones(len(gr), dtype=np.float32), (gr, gc)),
                                shape=(len(rules.phrases), len(rules.groups)))
        return (hits @ gin).toarray() > 0

    def _near_mask(self, c: _Cond, ch: _Chunk, run: _Run, context: bool) -> np.ndarray:
        """Rows where a lemma of one side is at most `window` words from one of the other.

        Only rows holding lemmas of both sides are scanned word by word. With `context`, the
        subject of a list item's lead-in (its first words) stands just before the item:
        "местный орган ... в течение пяти дней:" + "принимает решение" is the local body's decision.
        """
        a, b, window = c.near
        m = len(ch.texts)
        res = np.zeros(m, dtype=bool)
        has_a = np.asarray(ch.bag[:, sorted(a)].sum(axis=1)).ravel() > 0
        has_b = np.asarray(ch.bag[:, sorted(b)].sum(axis=1)).ravel() > 0
        lead_a = np.zeros(m, dtype=bool)
        lead_b = np.zeros(m, dtype=bool)
        if context:
            for i in np.flatnonzero(ch.item_of >= 0):
                seq = run.lead_seq.get(int(ch.item_of[i]))
                if seq is not None:
                    s = set(seq[:_SUBJECT_WORDS].tolist())
                    lead_a[i], lead_b[i] = bool(s & a), bool(s & b)
        for i in np.flatnonzero((has_a | lead_a) & (has_b | lead_b)):
            seq = ch.lem[ch.offsets[i]:ch.offsets[i + 1]].tolist()
            pa = [k for k, x in enumerate(seq) if x in a] + ([-1] if lead_a[i] else [])
            pb = [k for k, x in enumerate(seq) if x in b] + ([-1] if lead_b[i] else [])
            res[i] = any(abs(x - y) <= window for x in pa for y in pb if x >= 0 or y >= 0)
        return res

    def _cond_mask(self, c: _Cond, facts: _Facts, gmask: np.ndarray, near: np.ndarray | None,
                   veto: bool) -> np.ndarray:
        """Rows meeting condition c: all of its parts (when), or any of them (unless, veto=True).

        Regular expressions are left to the caller, which runs them on the few rows left.
        """
        parts: list[np.ndarray] = [gmask[:, g] for g in c.groups]
        if near is not None:
            parts.append(near)
        if c.deadline:
            parts.append(facts.deadline)
        if c.documents is not None:
            parts.append(facts.documents == c.documents)
        if c.fee is not None:
            parts.append(facts.fee == c.fee)
        for key in ("modality", "addressee", "kind"):
            allowed = getattr(c, key)
            if allowed is not None:
                parts.append(_in(facts.values[key], allowed))
        if c.lead_in is not None:
            parts.append(facts.lead_in == c.lead_in)
        if c.listed is not None:
            parts.append(facts.listed == c.listed)
        if c.parent_documents is not None:
            parts.append(facts.parent_documents == c.parent_documents)
        n = len(facts.deadline)
        if not parts:
            return np.zeros(n, dtype=bool) if veto else np.ones(n, dtype=bool)
        out = parts[0].copy()
        for p in parts[1:]:
            out = (out | p) if veto else (out & p)
        return out

    def _rule_masks(self, ch: _Chunk, run: _Run) -> np.ndarray:
        rules = self.rules
        m = len(ch.texts)
        gmask = self._group_mask(ch.bag)
        gmask_ctx = gmask
        if self.needs_context and (ch.item_of >= 0).any():
            r_, c_ = [], []
            for i in np.flatnonzero(ch.item_of >= 0):
                seq = run.lead_seq.get(int(ch.item_of[i]))
                if seq is not None and len(seq):
                    r_.extend([int(i)] * len(seq))
                    c_.extend(seq.tolist())
            extra = sparse.csr_matrix((np.ones(len(r_), dtype=np.float32), (r_, c_)), shape=ch.bag.shape)
            ctx = (ch.bag + extra).tocsr()
            ctx.data[:] = 1.0
            gmask_ctx = self._group_mask(ctx)
        folded: dict[int, str] = {}

        def regex_mask(patterns: list[re.Pattern], rows: np.ndarray) -> np.ndarray:
            res = np.zeros(m, dtype=bool)
            for i in np.flatnonzero(rows):
                t = folded.get(i)
                if t is None:
                    t = folded[i] = fold(ch.texts[i])
                res[i] = any(p.search(t) for p in patterns)
            return res

        out = np.zeros((m, len(rules.rules)), dtype=bool)
        for k, r in enumerate(rules.rules):
            g = gmask_ctx if r.lead_in_context else gmask
            near = self._near_mask(r.when, ch, run, r.lead_in_context) if r.when.near else None
            ok = self._cond_mask(r.when, ch.facts, g, near, veto=False)
            if r.when.regex:
                ok &= regex_mask(r.when.regex, ok)
            if r.unless is not None:
                near = self._near_mask(r.unless, ch, run, False) if r.unless.near else None
                veto = self._cond_mask(r.unless, ch.facts, gmask, near, veto=True)
                if r.unless.regex:
                    veto |= regex_mask(r.unless.regex, ok & ~veto)
                ok &= ~veto
            out[:, k] = ok
        return out

    def _similarity(self, ch: _Chunk, rule_score: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """(weighted lexical + vector similarity, cosines or None): rows x measures.

        Vectors are computed only for rows where they can matter: a row whose best measure
        stays under the threshold even with a perfect cosine gets none (the same result,
        a fraction of the work).
        """
        rules = self.rules
        lex = rules.lexicon
        m, nl = ch.bag.shape
        wr, wc, wv = self._w
        wmat = sparse.csr_matrix((wv, (wr, wc)), shape=(len(self.ids), nl))
        sim = rules.w_lexical * (ch.bag @ wmat.T).toarray()
        if rules.w_vector <= 0:
            return sim, None
        best = 1.0 - (1.0 - rule_score) * (1.0 - np.minimum(sim + rules.w_vector, 1.0))
        need = np.flatnonzero(best.max(axis=1) >= rules.threshold)
        cos = np.zeros((m, len(self.ids)), dtype=np.float32)
        if not len(need):
            return sim, cos
        vrow = lex.arrays()[2][ch.forms]
        has = vrow >= 0
        indptr = np.concatenate([[0], np.cumsum(has)])[ch.offsets]      # vector tokens before each row
        xv = sparse.csr_matrix((np.ones(int(has.sum()), dtype=np.float32), vrow[has], indptr),
                               shape=(m, len(lex.vectors)))[need]
        v = np.asarray(xv @ lex.vectors)
        norms = np.sqrt(np.einsum("ij,ij->i", v, v))
        cos[need] = (v @ self.mvec.T) / np.where(norms > 0, norms, 1.0)[:, None]
        floor = rules.vector_floor
        sim[need] += rules.w_vector * np.clip((cos[need] - floor) / (1.0 - floor), 0.0, 1.0)
        return sim, cos

    def _link_chunk(self, units: Sequence[Mapping[str, Any]], start: int, run: _Run,
                    out: list[list[dict[str, Any]]]) -> None:
        rules = self.rules
        clock = (time.perf_counter(), time.process_time())
        ch = self._prepare(units, start, run)
        m = len(units)
        clock = self._tick("words and facts", clock)
        rmask = self._rule_masks(ch, run)
        run.masks[start:start + m] = rmask
        # list items under a matching lead-in inherit its rule (at a discount)
        inh = np.zeros((m, len(self.inherit_rules)), dtype=bool)
        items = ch.item_of >= 0
        if items.any():
            pi = np.maximum(ch.item_of, 0)
            for col, k in enumerate(self.inherit_rules):
                inh[:, col] = items & run.masks[pi, k] & ~rmask[:, k]
        full = np.hstack([rmask, inh]).astype(np.float32)
        rule_score = 1.0 - np.exp(full @ self.log_miss)
        clock = self._tick("rules", clock)
        sim, cos = self._similarity(ch, rule_score)
        score = 1.0 - (1.0 - rule_score) * (1.0 - np.clip(sim, 0.0, 1.0))
        clock = self._tick("similarity", clock)
        # remember why each lead-in matched, for its list items (in this chunk or later ones)
        for i in np.flatnonzero(ch.facts.lead_in).tolist():
            for k in self.inherit_rules:
                if rmask[i, k]:
                    run.lead_why[(start + i, k)] = self._fill(rules.rules[k], ch, self._row(ch, i), i)
        # the proposals: at or above the threshold, best first, at most max_links
        cand = score >= rules.threshold
        hit_rows = np.flatnonzero(cand.any(axis=1))
        if len(hit_rows):
            sub = np.where(cand[hit_rows], score[hit_rows], -1.0)
            order = np.argsort(-sub, axis=1, kind="stable")[:, : rules.max_links]
            top = np.take_along_axis(sub, order, axis=1)
            # the rule behind each proposal: the largest rule weight the row matched for that measure
            contrib = full[hit_rows][:, None, :] * self.target.T[order]        # rows x k x rules
            best_rule = np.where(contrib.max(axis=2) > 0, contrib.argmax(axis=2), -1)
            for i, js, ss, ks in zip(hit_rows.tolist(), order.tolist(), top.tolist(), best_rule.tolist(),
                                     strict=True):
                row = self._row(ch, i)
                out[start + i] = [{"id": self.ids[j], "score": round(sc, 3),
                                   "why": self._why(ch, run, row, i, j, k, cos)}
                                  for j, sc, k in zip(js, ss, ks, strict=True) if sc >= 0]
        self._tick("choice and reasons", clock)

    def _tick(self, stage: str, since: tuple[float, float]) -> tuple[float, float]:
        """Add the wall and CPU time since `since` to a stage's totals (bench/bench_link.py prints them)."""
        now = (time.perf_counter(), time.process_time())
        wall, cpu = self.timings.get(stage, (0.0, 0.0))
        self.timings[stage] = (wall + now[0] - since[0], cpu + now[1] - since[1])
        return now

    # -- reasons
    def _row(self, ch: _Chunk, i: int) -> tuple[list[str], list[int]]:
        """The row's word forms and their lemma ids, in text order."""
        lex = self.rules.lexicon
        fs = ch.forms[ch.offsets[i]:ch.offsets[i + 1]].tolist()
        return [lex.forms[f] for f in fs], ch.lem[ch.offsets[i]:ch.offsets[i + 1]].tolist()

    @staticmethod
    def _words(row: tuple[list[str], list[int]], wanted: set[int] | frozenset[int], limit: int = 4) -> list[str]:
        """The clause's own word forms for the wanted lemmas, in text order, each once."""
        seen: list[str] = []
        for w, lem in zip(*row, strict=True):
            if lem in wanted and w not in seen:
                seen.append(w)
                if len(seen) >= limit:
                    break
        return seen

    def _fill(self, rule: _Rule, ch: _Chunk, row: tuple[list[str], list[int]], i: int) -> str:
        """The rule's reason with the clause's own words: those of the phrases that matched, in the
        rule's order (its most telling phrases come first), then a regular expression's match."""
        rules = self.rules
        lex = rules.lexicon
        present = set(row[1])
        wanted: list[int] = []
        for g in rule.when.groups:
            for p in rules.groups[g]:
                if present.issuperset(rules.phrases[p]):
                    wanted.extend(x for x in rules.phrases[p] if lex.lemma_content[x] and x not in wanted)
        if rule.when.near:
            wanted.extend(x for x in row[1] if x in (rule.when.near[0] | rule.when.near[1]) and x not in wanted)
        first = {}
        for w, lem in zip(*row, strict=True):
            first.setdefault(lem, w)
        words = [first[x] for x in wanted if x in first][:4]
        for p in rule.when.regex:
            hit = p.search(fold(ch.texts[i]))
            if hit:
                words.append("«" + hit.group(0)[:60] + "»")
                break
        return rule.why.format(
            words=", ".join(words) or rule.id,
            deadline=ch.facts.deadline_text[i] or "",
            documents="; ".join(str(d) for d in ch.facts.document_names[i][:3]),
        )

    def _why(self, ch: _Chunk, run: _Run, row: tuple[list[str], list[int]], i: int, j: int, k: int,
             cos: np.ndarray | None) -> str:
        """The reason for linking row i to measure j, k being the rule behind it (-1: none)."""
        nr = len(self.rules.rules)
        reasons: list[str] = []
        if 0 <= k < nr:
            reasons.append(self._fill(self.rules.rules[k], ch, row, i))
        elif k >= nr:
            rk = self.inherit_rules[k - nr]
            lead = int(ch.item_of[i])
            reasons.append("из вводной части перечня: " + run.lead_why.get((lead, rk), self.rules.rules[rk].id))
        shared = self._words(row, self.content_bags[j], limit=3)
        if shared:
            reasons.append("общие слова: " + ", ".join(shared))
        if not reasons and cos is not None:
            reasons.append(f"близко по смыслу ({float(cos[i, j]):.2f})")
        return "; ".join(reasons)


# --- the convenience entry point ---------------------------------------------------------------

_LINKERS: dict[tuple, Linker] = {}
_CLAUSE_KINDS = frozenset({"article", "paragraph"})   # list items ("1)", "а)") take no continuation


def with_continuations(units: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Each numbered clause as a lawyer reads it: with its unnumbered continuation paragraphs.

    Readers return the second and later paragraphs of "27." (and an unnumbered list under a
    lead-in) as `text` units under it; a clause is "27." with all of them (eval/SCHEMA.md), so
    its text and facts (time limits, documents, fee) are joined before linking. The
    continuation units keep their own text and facts. A list item is left alone (text after
    the last item closes its lead-in's sentence), and so is anything after a paragraph that is
    not a sentence (signatures and approval stamps follow the last paragraph of an order).
    """
    out = [dict(u) for u in units]
    index = {u.get("id"): k for k, u in enumerate(out) if u.get("id") is not None}

    def ends_sentence(u: Mapping[str, Any]) -> bool:
        return str(u.get("text") or "").rstrip()[-1:] in (".", ";", ":")

    def is_list_item(u: Mapping[str, Any]) -> bool:
        p = index.get(u.get("parent")) if u.get("parent") is not None else None
        return p is not None and str(units[p].get("text") or "").rstrip().endswith(":")

    extra: dict[int, list[Mapping[str, Any]]] = {}
    closed: set[int] = set()
    for u in units:
        p = index.get(u.get("parent")) if u.get("parent") is not None else None
        if p is None or p in closed or u.get("kind") != "text" or u.get("label") \
                or units[p].get("kind") not in _CLAUSE_KINDS or is_list_item(units[p]):
            continue
        if not ends_sentence(u):      # a signature, a stamp, a heading: the clause has ended
            closed.add(p)
            continue
        extra.setdefault(p, []).append(u)
    for p, parts in extra.items():
        u = out[p]
        u["text"] = " ".join([str(u.get("text") or "")] + [str(x.get("text") or "") for x in parts])
        for key in ("deadlines", "documents"):
            u[key] = list(u.get(key) or []) + [d for x in parts for d in (x.get(key) or [])]
        u["fee"] = bool(u.get("fee")) or any(x.get("fee") for x in parts)
    return out


def link_units(units: Sequence[Mapping[str, Any]], measures: Sequence[Mapping[str, Any]],
               rules: RuleSet | None = None, continuations: bool = True) -> list[list[dict[str, Any]]]:
    """Per unit, the measures proposed for it: [{"id", "score", "why"}], best first.

    `units` are dicts with "text" and, when extracted, the facts of eval/SCHEMA.md
    (modality, addressee, deadlines, documents, fee) plus optional "id"/"parent"/"kind";
    `measures` are dicts with "id" and "ru" (or "text"). A numbered clause is linked with its
    continuation paragraphs (`with_continuations`) unless `continuations` is False. The
    compiled linker is kept per list of measures, so repeated calls pay the set-up once.
    """
    key = (id(rules), tuple((str(m.get("id")), measure_text(m)) for m in measures))
    linker = _LINKERS.get(key)
    if linker is None:
        if len(_LINKERS) > 8:
            _LINKERS.clear()
        linker = _LINKERS[key] = Linker(measures, rules)
    return linker.link(with_continuations(units) if continuations else units)
