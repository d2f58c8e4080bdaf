"""Fees and references of a clause (nlp/fees.py, nlp/references.py)."""
from __future__ import annotations

import pytest

from nlp.fees import find_fee
from nlp.pipeline import make_doc
from nlp.references import find_references


def fee(text: str) -> dict:
    return make_doc(text)._.fee


@pytest.mark.parametrize("text, charged", [
    ("Размер оплаты, взимаемой с услугополучателя при оказании государственной услуги Оплата за государственную "
     "регистрацию взимается в соответствии с установленными тарифами.", True),
    ("заключает с гражданином договор на финансирование работ (проектных, изыскательских, строительно-монтажных) "
     "по газификации одноквартирного жилого дома;", True),
    ("За выдачу лицензии взимается государственная пошлина в размере 6 МРП.", True),
    ("Размер оплаты, взимаемой с услугополучателя при оказании государственной услуги, и способы ее взимания в "
     "случаях, предусмотренных законодательством Республики Казахстан бесплатно", False),
    ("Основания для взимания государственной пошлины или иной платы в целях предоставления государственной "
     "услуги законодательством Российской Федерации не предусмотрены.", False),
    # a benefit of a given size is not a fee
    ("Социальная помощь к праздничным дням и памятным датам устанавливается в размере не менее 2,5-кратного "
     "месячного расчетного показателя и назначается один раз в календарном году.", False),
    # paid from a budget
    ("Оплата банковских услуг, связанных с выплатой социальной помощи, осуществляется за счет средств местных "
     "бюджетов на основании договора.", False),
    # "сбор" as collection of data
    ("оператор осуществляет сбор биометрических и специальных категорий персональных данных;", False),
    # a fee named only in the quoted title of another act
    ("утвержденный постановлением Правительства «Об утверждении перечня услуг и определении размера платы за их "
     "оказание»", False),
])
def test_a_clause_charges_a_fee(text, charged):
    assert fee(text)["fee"] is charged


def test_amounts_are_kept():
    assert find_fee(["уплачивает сбор в размере 2 МРП и 500 тенге"])["amounts"] == ["2 мрп", "500 тенге"]


def test_references_to_appendices_acts_and_provisions():
    text = ("Для получения государственной услуги услугополучатель подает запрос в форме согласно приложению 1 к "
            "настоящим Правилам в соответствии с подпунктом 1) статьи 10 Закона Республики Казахстан от 15 апреля "
            "2013 года № 88-V «О государственных услугах».")
    refs = find_references(text)
    kinds = [r["kind"] for r in refs]
    assert "appendix" in kinds and "act" in kinds and "provision" in kinds
    app = next(r for r in refs if r["kind"] == "appendix")
    assert app["number"] == "1" and app["of"].startswith("настоящим")
    act = next(r for r in refs if r["kind"] == "act")
    assert (act["type"], act["date"], act["number"], act["title"]) == (
        "закон", "2013-04-15", "88-V", "О государственных услугах")


def test_a_bare_mention_of_a_law_is_not_a_reference():
    assert [r for r in find_references("в соответствии с законодательством и законом") if r["kind"] == "act"] == []
