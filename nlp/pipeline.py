"""The spaCy pipeline, built once per process and language.

spaCy's pretrained Russian pipelines cannot be installed here (NOTES.md), so Norma starts
from `spacy.blank("ru")` (or "ky"; Kazakh goes through "xx") and adds its own components:

- ``norma_morph``: lemma, POS and grammemes from pymorphy3's best parse (nlp/morph.py,
  cached per word form, ё folded to е). spaCy's pymorphy3 lemmatizer needs POS tags a blank
  pipeline lacks, hence this component.
- ``norma_sentences``: sentence boundaries by rule (abbreviations such as "г." and "ст." and
  numbers such as "10.5" do not end a sentence); a blank pipeline has no parser.
- rule components, one per extractor, registered by name with ``@Language.factory`` in their
  own modules (``norma_deadlines``, ``norma_fees``, ``norma_references``): their patterns live
  in ``nlp/patterns/*.json``.

Extractors read the per-token analysis from ``doc._.morph`` (a list of `Tok`), which is cheaper
than Python-level token extensions and keeps the pymorphy3 case ambiguity that spaCy's
``token.morph`` would flatten.
"""
from __future__ import annotations

import json
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, NamedTuple

import numpy
import spacy
from spacy.attrs import IDX, LEMMA, ORTH, POS, SPACY
from spacy.language import Language
from spacy.tokens import Doc

from nlp import morph

PATTERNS = Path(__file__).with_name("patterns")

# OpenCorpora POS -> Universal Dependencies POS, for token.pos_
_UPOS = {
    "NOUN": "NOUN", "ADJF": "ADJ", "ADJS": "ADJ", "COMP": "ADJ", "VERB": "VERB", "INFN": "VERB",
    "PRTF": "VERB", "PRTS": "VERB", "GRND": "VERB", "NUMR": "NUM", "NUM": "NUM", "ADVB": "ADV",
    "NPRO": "PRON", "PRED": "ADV", "PREP": "ADP", "CONJ": "CCONJ", "PRCL": "PART", "INTJ": "INTJ",
}


class Tok(NamedTuple):
    """One word form as the extractors see it (shared by every occurrence of the form; the
    character offsets of a doc's tokens are in doc._.idx)."""

    text: str
    low: str                # lower-cased, ё folded
    lemma: str
    pos: str                # OpenCorpora POS ('' for punctuation, 'NUM' for digits)
    tags: frozenset         # grammemes of the best parse
    cases: frozenset        # every case pymorphy3 allows for this form


def load_patterns(name: str) -> dict[str, Any]:
    """A pattern file of nlp/patterns/ (JSON), read once."""
    return _load(name)


@cache
def _load(name: str) -> dict[str, Any]:
    return json.loads((PATTERNS / f"{name}.json").read_text(encoding="utf-8"))


if not Doc.has_extension("morph"):
    Doc.set_extension("morph", default=None)
if not Doc.has_extension("idx"):
    Doc.set_extension("idx", default=None)
if not Doc.has_extension("sents"):
    Doc.set_extension("sents", default=None)
if not Doc.has_extension("text"):
    Doc.set_extension("text", default=None)  # doc.text, which spaCy rebuilds on every access


@Language.factory("norma_morph")
def make_morph(nlp: Language, name: str) -> NormaMorph:
    return NormaMorph(nlp.vocab)


class NormaMorph:
    """Sets LEMMA and POS (in bulk, through doc arrays) and doc._.morph from pymorphy3's best
    parse, cached per word form."""

    def __init__(self, vocab) -> None:
        self.vocab = vocab
        self.cache: dict[int, tuple] = {}

    def _entry(self, orth: int) -> tuple:
        text = self.vocab.strings[orth]
        low = text.lower().replace("ё", "е")
        lemma, pos, tags, cases = morph.analyse(low)
        upos = _UPOS.get(pos, "X") if pos else ("PUNCT" if not any(c.isalnum() for c in text) else "X")
        entry = (Tok(text, low, lemma, pos, tags, cases), self.vocab.strings.add(lemma),
                 self.vocab.strings.add(upos))
        if len(self.cache) < 500_000:
            self.cache[orth] = entry
        return entry

    def __call__(self, doc: Doc) -> Doc:
        ext = doc._
        if not len(doc):
            ext.morph, ext.idx, ext.text = [], [], ""
            return doc
        toks = []
        pairs = []
        pieces = []
        offsets = []
        cache, entry = self.cache, self._entry
        for orth, idx, space in doc.to_array([ORTH, IDX, SPACY]).tolist():
            e = cache.get(orth) or entry(orth)
            tok = e[0]
            toks.append(tok)
            offsets.append(idx)
            pairs.append((e[1], e[2]))
            pieces.append(tok.text + " " if space else tok.text)
        doc.from_array([LEMMA, POS], numpy.array(pairs, dtype="uint64"))
        ext.morph, ext.idx = toks, offsets
        ext.text = "".join(pieces)  # doc.text rebuilds itself from Token objects on every access
        return doc


_ABBREV = frozenset(load_patterns("sentences")["abbreviations"])
MAX_SENTENCE = 300  # tokens; longer runs are cut at ';' or ',' so that no rule works on thousands at once


@Language.factory("norma_sentences")
def make_sentences(nlp: Language, name: str) -> NormaSentences:
    return NormaSentences()


class NormaSentences:
    """Sentence bounds (token index ranges) in doc._.sents: a sentence starts after '.', '!' or
    '?' (not after an abbreviation such as "г." or "ст.", nor inside a number such as "10.5"),
    and after ':' when the next word is capitalised (a lead-in whose list was merged into the
    text). Kept as plain ranges: setting spaCy's is_sent_start token by token costs more than
    the rest of the pipeline."""

    def __call__(self, doc: Doc) -> Doc:
        ext = doc._
        toks: list[Tok] = ext.morph
        bounds = []
        start = 0
        n = len(toks)
        for i in range(n - 1):
            t, nxt = toks[i], toks[i + 1]
            if i + 1 - start >= MAX_SENTENCE and t.text in (";", ",") or i + 1 - start >= 2 * MAX_SENTENCE:
                bounds.append((start, i + 1))  # an endless "sentence" (a table dumped as text) is cut
                start = i + 1
                continue
            first = nxt.text[:1]
            if not (first.isupper() or first in "«\"("):
                continue
            text = t.text
            if text in (":", "!", "?"):
                pass
            elif text == "." or (len(text) > 1 and text[-1] == "." and not text[0].isdigit()):
                word = text[:-1].lower() if text != "." else (toks[i - 1].low if i > 0 else "")
                if word in _ABBREV or (len(word) == 1 and word.isalpha()):
                    continue
            else:
                continue
            bounds.append((start, i + 1))
            start = i + 1
        if start < n:
            bounds.append((start, n))
        ext.sents = bounds
        return doc


def lang_code(language: str | None) -> str:
    """spaCy language for an act's language: ru, ky; Kazakh (and anything else) through xx."""
    if language in ("ru", "ky"):
        return language
    return "xx" if language else "ru"


@lru_cache(maxsize=4)
def get_nlp(language: str = "ru") -> Language:
    """The pipeline for a language code of the document model ('ru', 'kk', 'ky', ...), built once."""
    import nlp.deadlines  # noqa: F401, PLC0415 - registers the rule factories
    import nlp.fees  # noqa: F401, PLC0415
    import nlp.references  # noqa: F401, PLC0415

    pipe = spacy.blank(lang_code(language))
    # "(бездействие):" and "8)" come out of the default rules as one token; split them so that a
    # lead-in's final ':' and a closing parenthesis are always tokens of their own
    # (emoticon exceptions such as "):" and "8)")
    pipe.tokenizer.rules = {k: v for k, v in (pipe.tokenizer.rules or {}).items()
                            if not any(c in k for c in "():;")}
    pipe.add_pipe("norma_morph")
    pipe.add_pipe("norma_sentences")
    pipe.add_pipe("norma_deadlines")
    pipe.add_pipe("norma_fees")
    pipe.add_pipe("norma_references")
    return pipe


def make_doc(text: str, language: str = "ru") -> Doc:
    """Run the whole pipeline on one text."""
    return get_nlp(language)(text)


def sentences(doc: Doc) -> list[list[Tok]]:
    """The doc's sentences as lists of `Tok`."""
    toks = doc._.morph
    return [toks[a:b] for a, b in doc._.sents]


def sentence_texts(doc: Doc) -> list[str]:
    """The doc's sentences as strings."""
    ext = doc._
    toks, text, idx = ext.morph, ext.text, ext.idx
    return [text[idx[a]:idx[b - 1] + len(toks[b - 1].text)] for a, b in ext.sents]
