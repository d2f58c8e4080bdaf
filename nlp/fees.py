"""Does a clause charge a fee, a duty or a payment? With the amounts it names.

A sentence charges when it names a duty or fee ("государственная пошлина", "сбор за",
"плата за", "оплачивает", a contract to finance works) or an amount of money next to a
charging word, unless the same sentence says the service is free or paid from a budget
("бесплатно", "не взимается", "не предусмотрены", "за счет средств местных бюджетов").
An amount alone is not a fee: "социальная помощь в размере 2,5 МРП" is a benefit.
Patterns: nlp/patterns/fees.json.
"""
from __future__ import annotations

import re
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc

from nlp.pipeline import load_patterns, sentence_texts

_P = load_patterns("fees")
_CHARGE = re.compile("|".join(_P["charge"]))
_AMOUNT = re.compile(_P["amount"])
_AMOUNT_NEEDS = re.compile("|".join(_P["amount_needs"]))
_FREE = re.compile("|".join(_P["free"]))

if not Doc.has_extension("fee"):
    Doc.set_extension("fee", default=None)


def _fold(text: str) -> str:
    return text.lower().replace("ё", "е")


_QUOTED = re.compile(r"«[^»]*»|\"[^\"]*\"|“[^”]*”")


def sentence_fee(sentence: str) -> dict[str, Any] | None:
    """{"amounts": [...]} when the sentence charges, else None. Quoted titles of other acts
    ("... и определении размера платы за их оказание") are not read."""
    s = _QUOTED.sub(" ", _fold(sentence))
    if _FREE.search(s):
        return None
    amounts = [m.group(0).strip() for m in _AMOUNT.finditer(s)]
    if _CHARGE.search(s) or (amounts and _AMOUNT_NEEDS.search(s)):
        return {"amounts": amounts}
    return None


def find_fee(sentences: list[str]) -> dict[str, Any]:
    """{"fee": bool, "amounts": [...]} over the sentences of a clause."""
    amounts: list[str] = []
    fee = False
    for s in sentences:
        hit = sentence_fee(s)
        if hit is not None:
            fee = True
            amounts.extend(hit["amounts"])
    return {"fee": fee, "amounts": amounts}


@Language.factory("norma_fees")
def make_fees(nlp: Language, name: str) -> NormaFees:
    return NormaFees()


class NormaFees:
    """Sets doc._.fee = {"fee": bool, "amounts": [...]}."""

    def __call__(self, doc: Doc) -> Doc:
        doc._.fee = find_fee(sentence_texts(doc))
        return doc
