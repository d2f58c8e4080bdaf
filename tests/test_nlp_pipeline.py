"""The spaCy pipeline: built once, lemmas and POS from pymorphy3, rule sentence bounds."""
from __future__ import annotations

import json

import pytest

from nlp.pipeline import PATTERNS, get_nlp, make_doc, sentence_texts


def test_pipeline_is_built_once_per_language_and_kazakh_goes_through_xx():
    assert get_nlp("ru") is get_nlp("ru")
    assert get_nlp("kk").lang == "xx"
    assert get_nlp("ky").lang == "ky"
    assert {"norma_morph", "norma_sentences", "norma_deadlines", "norma_fees",
            "norma_references"} <= set(get_nlp("ru").pipe_names)


def test_lemmas_and_pos_come_from_the_best_parse_with_yo_folded():
    doc = make_doc("Заявления подаются услугополучателями ещё через портал")
    assert [t.lemma_ for t in doc] == ["заявление", "подаваться", "услугополучатель", "еще", "через", "портал"]
    assert [t.pos_ for t in doc][:3] == ["NOUN", "VERB", "NOUN"]


def test_sentences_do_not_end_at_abbreviations_or_numbers():
    text = ("Согласно Указу от 26 апреля 2010 г. N 200 и пункту 10.5 перечня, ст. 5 Закона услуга "
            "оказывается. Услугодатель выдает результат.")
    assert len(sentence_texts(make_doc(text))) == 2


def test_a_lead_in_merged_with_its_list_is_split_at_the_colon():
    text = "продлевается в случае необходимости: В случае продления срока должностное лицо сообщает."
    assert len(sentence_texts(make_doc(text))) == 2


@pytest.mark.parametrize("name", ["deadlines", "modality", "roles", "documents", "fees", "references",
                                  "sentences"])
def test_rule_patterns_are_data_files(name):
    data = json.loads((PATTERNS / f"{name}.json").read_text(encoding="utf-8"))
    assert isinstance(data, dict) and data
