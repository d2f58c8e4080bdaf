"""Modality and addressee of single clauses (nlp/modality.py); real clauses from the corpus."""
from __future__ import annotations

import pytest

from nlp.modality import analyse_clause, find_aliases
from nlp.pipeline import make_doc


def clause(text: str, aliases=None, table: bool = False) -> tuple:
    c = analyse_clause(make_doc(text), aliases, table=table)
    return c.modality, c.addressee


@pytest.mark.parametrize("text, expected", [
    # the drafting present tense binds the authority
    ("Оператор МВД проверяет поступающие заявки на корректность и в случае корректности заявки осуществляет "
     "процедуру формирования ИИН.", ("obligation", "authority")),
    ("Жалоба рассматривается органом по контролю и надзору в течение 30 дней со дня ее регистрации.",
     ("obligation", "authority")),
    # ... and the applicant when the applicant is the subject or the agent
    ("Для получения государственной услуги юридические лица (далее - услугополучатель) подают заявление по форме "
     "согласно приложению 1 к настоящим Правилам.", ("obligation", "applicant")),
    ("Обращение представляется Заявителем непосредственно в Росстандарт либо направляется почтовым "
     "отправлением.", ("obligation", "applicant")),
    ("Документы представляются в виде копий, заверенных печатью (при ее наличии) и подписью руководителя "
     "оператора.", ("obligation", "applicant")),
    ("Оператор обязан представить в орган по контролю и надзору документы и информацию, необходимые для "
     "проведения документарной проверки, в течение 5 рабочих дней со дня получения запроса.",
     ("obligation", "applicant")),
    # the passive agent beats the patient
    ("О проведении внеплановой проверки оператор уведомляется органом по контролю и надзору не менее чем за "
     "24 часа до начала ее проведения.", ("obligation", "authority")),
    # an infinitive order to a body in the dative
    ("Местным исполнительным органам в течение двух месяцев со дня введения в действие настоящего "
     "постановления разработать правила оказания социальной помощи.", ("obligation", "authority")),
    # prohibitions
    ("Росстандарт не вправе требовать от Заявителя представления документов и информации.",
     ("prohibition", "authority")),
    ("Внеплановые документарные проверки не проводятся.", ("prohibition", "authority")),
    # a time limit "не может превышать" is an obligation, not a prohibition
    ("Срок проведения плановой проверки не может превышать 20 рабочих дней.", ("obligation", "authority")),
    # permissions
    ("Оператор вправе обжаловать решения и действия (бездействие):", ("permission", "applicant")),
    ("Жалоба на решение, действия (бездействие) услугодателя может быть подана на имя руководителя "
     "услугодателя.", ("permission", "applicant")),
    # definitions
    ("В настоящих Правилах используются следующие понятия:", ("definition", None)),
    ("Государственный контроль и надзор включает в себя деятельность органа по контролю и надзору.",
     ("definition", None)),
    # statements: scope, entry into force, grounds, enactment, questions in forms
    ("Настоящий приказ вводится в действие по истечении десяти календарных дней после дня его первого "
     "официального опубликования.", ("other", None)),
    ("Настоящие Правила устанавливают порядок организации и проведения проверок.", ("other", None)),
    ("Основаниями для отказа в оказании государственной услуги являются:", ("other", None)),
    ("Утвердить Правила оказания государственной услуги согласно приложению к настоящему приказу.",
     ("other", None)),
    ("Превышает ли совокупная балансовая стоимость активов размеры, установленные законодательством",
     ("other", None)),
])
def test_modality_and_addressee(text, expected):
    assert clause(text) == expected


def test_a_later_explicit_prohibition_decides_the_clause():
    text = ("Предоставление государственной услуги осуществляется Росстандартом. При предоставлении "
            "государственной услуги запрещается требовать от Заявителя действий, в том числе согласований.")
    assert clause(text) == ("prohibition", "authority")


def test_an_acts_own_abbreviation_takes_the_role_of_what_it_abbreviates():
    defs = make_doc("Услугу оказывает государственное предприятие на праве хозяйственного ведения (далее – ГПХ).")
    aliases = find_aliases([defs])
    assert aliases[("гпх",)] == "authority"
    assert clause("ГПХ в течение трех рабочих дней направляет уведомление.", aliases) == ("obligation", "authority")


def test_a_table_row_needs_a_named_duty_bearer_for_the_present_tense():
    row = ("График работы услугодателя Прием заявлений и выдача результатов государственных услуг осуществляется "
           "через филиалы Государственной корпорации с понедельника по пятницу")
    assert clause(row, table=True) == ("other", None)
    assert clause(row, table=False)[0] == "obligation"
