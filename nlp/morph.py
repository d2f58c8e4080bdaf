"""Lemmas from pymorphy3's best parse, cached per word form.

spaCy's own pymorphy3 lemmatizer needs POS tags that a blank pipeline lacks and
returns ambiguous forms unchanged (NOTES.md), so Norma asks pymorphy3 directly.
One analyzer per process; ё is folded to е before lookup and in every lemma.
"""
from __future__ import annotations

import re
from functools import lru_cache

import pymorphy3

_WORD = re.compile(r"[0-9A-Za-zА-Яа-яЁёӘәҒғҚқҢңӨөҰұҮүҺһІі]+(?:-[А-Яа-яЁёA-Za-z]+)*")


@lru_cache(maxsize=1)
def analyzer() -> pymorphy3.MorphAnalyzer:
    return pymorphy3.MorphAnalyzer(lang="ru")


def fold(text: str) -> str:
    """Lower-case and fold ё to е: the form every comparison in Norma uses."""
    return text.lower().replace("ё", "е")


@lru_cache(maxsize=500_000)
def parse_word(word: str) -> tuple[str, str]:
    """(lemma, POS) of one lower-cased, ё-folded word form; POS '' when unknown."""
    if not word.isalpha():
        return word, "NUM" if word.isdigit() else ""
    p = analyzer().parse(word)[0]
    return p.normal_form.replace("ё", "е"), str(p.tag.POS or "")


def lemma(word: str) -> str:
    return parse_word(fold(word))[0]


def words(text: str) -> list[str]:
    """The word forms of a text, folded."""
    return _WORD.findall(fold(text))


def lemmas(text: str) -> list[str]:
    """The lemmas of every word of a text, in order."""
    return [parse_word(w)[0] for w in words(text)]


@lru_cache(maxsize=500_000)
def analyse(word: str) -> tuple[str, str, frozenset[str], frozenset[str]]:
    """(lemma, POS, grammemes of the best parse, cases of every parse) of one folded word form.

    Added for nlp/ extractors (modality, addressee): they need tense, person, voice and the
    possible cases of a noun (pymorphy3's nom/acc ambiguity is kept, not guessed away).
    """
    if not word.replace("-", "").isalpha():
        return word, "NUM" if word.isdigit() else "", frozenset(), frozenset()
    parses = analyzer().parse(word)
    p = parses[0]
    cases = frozenset(q.tag.case for q in parses if q.tag.case and q.normal_form == p.normal_form)
    return (p.normal_form.replace("ё", "е"), str(p.tag.POS or ""),
            frozenset(p.tag.grammemes), cases)
