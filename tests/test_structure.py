"""The numbered structure of real acts, as a lawyer would cite it (TXT, Markdown, HTML)."""
from __future__ import annotations

from pathlib import Path

import pytest

from parsers import parse_file

FIX = Path(__file__).parent / "fixtures"


def _by_label(act, label: str, start: str = ""):
    hits = [u for u in act.units if u.label == label and u.text.startswith(start)]
    assert hits, f"no unit {label!r} starting {start!r}"
    return hits[0]


def _parent(act, unit):
    return next((u for u in act.units if u.id == unit.parent), None)


@pytest.fixture(scope="module")
def kz107():
    return parse_file(FIX / "kz_minjust_2020_107_pravila_vypiska_reestr_zaloga_rus.md")


def test_order_points_and_their_subparagraphs_are_top_level(kz107):
    p2 = _by_label(kz107, "2.", "Департаменту")
    assert p2.parent is None and p2.kind == "paragraph"
    sub = _by_label(kz107, "2)", "размещение настоящего приказа")
    assert _parent(kz107, sub) is p2 and sub.kind == "subparagraph"


def test_rules_appendix_holds_chapters_and_its_own_appendices(kz107):
    rules = _by_label(kz107, "Приложение 1", "к приказу")
    assert rules.kind == "appendix" and rules.parent is None
    ch2 = _by_label(kz107, "Глава 2")
    assert ch2.text == "Порядок оказания государственной услуги." and _parent(kz107, ch2) is rules
    p5 = _by_label(kz107, "5.", "Запрос передается")
    assert _parent(kz107, p5) is ch2
    form = _by_label(kz107, "Приложение 3", "к Правилам")
    assert _parent(kz107, form) is rules


def test_continuation_paragraph_is_unnumbered_text_under_its_paragraph(kz107):
    cont = next(u for u in kz107.units if u.text.startswith("После обработки запроса"))
    assert cont.kind == "text" and cont.label == ""
    assert _parent(kz107, cont).label == "6."


def test_service_standard_rows_are_cited_by_their_number(kz107):
    row = _by_label(kz107, "table:3")
    assert row.kind == "table_row"
    assert row.text.startswith("Срок оказания государственной услуги С момента подачи заявления")
    assert row.cells[0] == "3." and "20 (двадцати) минут" in row.cells[2]


def test_metadata_comes_from_the_approval_stamp(kz107):
    assert (kz107.act_type, kz107.number, kz107.date) == ("приказ", "107", "2020-06-19")
    assert kz107.issuer == "Министр юстиции Республики Казахстан"
    assert kz107.title.startswith("Об утверждении Правил оказания государственной услуги")
    assert kz107.language == "ru"


def test_numbered_fields_of_a_form_are_not_clauses():
    act = parse_file(FIX / "kz_minjust_2023_1010_pravila_aktualizaciya_naimenovaniya_yul_rus.md")
    field = next(u for u in act.units if "БИН юридического лица" in u.text)
    assert field.label == "" and field.kind == "text" and field.text.startswith("1. БИН")
    assert _parent(act, field).label == "Приложение 1"
    # while the clauses of the rules keep their numbers
    assert _by_label(act, "9.", "Для получения государственной услуги").kind == "paragraph"


def test_russian_federal_rules_with_roman_sections_and_letter_subparagraphs():
    act = parse_file(FIX / "ru_pravitelstvo_2019_146_pravila_goskontrolya.txt")
    sec = _by_label(act, "I.", "Общие положения")
    assert sec.kind == "section"
    p3 = _by_label(act, "3.", "Государственный контроль и надзор включает")
    assert _parent(act, p3) is sec
    letter = _by_label(act, "г)", "проведения мероприятий по профилактике")
    assert _parent(act, letter) is p3 and letter.kind == "subparagraph"
    # Cyrillic Х typed for the roman ten is kept as printed
    assert _by_label(act, "ХII.").kind == "section"
    assert (act.act_type, act.number, act.date) == ("постановление", "146", "2019-02-13")
    assert act.issuer == "ПРАВИТЕЛЬСТВО РОССИЙСКОЙ ФЕДЕРАЦИИ"


def test_kazakh_chapters_tarau_and_language():
    act = parse_file(FIX / "kz_almaty_obl_maslihat_2019_0828_pravila_pogrebeniya_kaz.md")
    assert act.language == "kk"
    ch = _by_label(act, "1-тарау", "Жалпы ережелер")
    assert ch.kind == "chapter"
    sub = _by_label(act, "5)", "қайтыс болу фактісін")
    assert _parent(act, sub).label == "2." and _parent(act, _parent(act, sub)) is ch


def test_amendment_notes_are_kept_apart_from_clause_text():
    act = parse_file(FIX / "kz_government_2023_0630_tipovye_pravila_socpomoschi_mio_rus.md")
    notes = [u for u in act.units if u.role == "note"]
    assert notes and all(u.text.startswith("Сноска.") for u in notes)
    p3 = _by_label(act, "3.", "")
    assert "Сноска" not in p3.text
    note = next(u for u in notes if u.text.startswith("Сноска. Пункт 5 в редакции"))
    assert _parent(act, note).label == "5."


def test_kyrgyz_law_articles_inside_sections_and_edition_notes():
    act = parse_file(FIX / "kg_zakon_o_dorozhnom_dvizhenii.txt")
    sec = _by_label(act, "Раздел I", "ОБЩИЕ ПОЛОЖЕНИЯ")
    art = _by_label(act, "Статья 2", "Основные термины")
    assert art.kind == "article" and _parent(act, art) is sec
    assert any(u.role == "note" and u.text.startswith("(В редакции Закона") for u in act.units)


def test_utf16_word_html_is_decoded_and_structured():
    act = parse_file(FIX / "ru_pravitelstvo_proekt_pp_vred_vodnym_obektam_utf16.html")
    assert act.format == "html"
    sec = _by_label(act, "I.", "Общие положения")
    p2 = _by_label(act, "2.", "Вред водному объекту подлежит возмещению")
    assert _parent(act, p2) is sec


def test_html_letter_subparagraphs_and_consultant_notes():
    act = parse_file(FIX / "eaeu_eek_2016_161_poryadok_vzaimnogo_predostavleniya.html")
    p5 = _by_label(act, "5.", "Предоставление сведений осуществляется следующими способами")
    b = _by_label(act, "б)", "в электронном виде")
    assert _parent(act, b) is p5
    assert any(u.role == "note" and u.text.startswith("КонсультантПлюс") for u in act.units)


def test_units_cover_the_whole_text_in_document_order(kz107):
    ids = [u.id for u in kz107.units]
    assert ids == [f"u{i}" for i in range(1, len(ids) + 1)]
    seen = set()
    for u in kz107.units:
        assert u.parent is None or u.parent in seen, "a parent comes before its children"
        seen.add(u.id)
    body = " ".join(u.text for u in kz107.units)
    for phrase in ("ПРИКАЗЫВАЮ", "М. Бекетаев", "в течение пятнадцати рабочих дней со дня ее регистрации"):
        assert phrase in body


def test_signature_and_approval_stamp_do_not_belong_to_the_last_point(kz107):
    sign = next(u for u in kz107.units if u.text == "М. Бекетаев")
    assert sign.parent is None
    agreed = next(u for u in kz107.units if u.text.startswith("«СОГЛАСОВАН»"))
    assert agreed.parent is None


def test_signature_table_of_a_belarusian_resolution_closes_the_points():
    act = parse_file(FIX / "by_minenergo_2007_10_postanovlenie_admin_procedury.docx")
    sign = next(u for u in act.units if "Озерец" in u.text)
    assert sign.parent is None


def test_rtf_with_unicode_and_cp1251_escapes_is_read(tmp_path):
    f = tmp_path / "prikaz.rtf"
    f.write_text("{\\rtf1\\ansi\\ansicpg1251{\\fonttbl{\\f0 Times New Roman;}}\\f0 "
                 "\\u1055?\\u1056?\\u1048?\\u1050?\\u1040?\\u1047?\\par\n"
                 "1. \\'d3\\'f2\\'e2\\'e5\\'f0\\'e4\\'e8\\'f2\\'fc \\'cf\\'f0\\'e0\\'e2\\'e8\\'eb\\'e0.\\par\n"
                 "2. Контроль.\\par}", encoding="utf-8")
    act = parse_file(f)
    assert act.format == "rtf" and act.act_type == "приказ"
    assert [(u.label, u.text) for u in act.units if u.label] == [("1.", "Утвердить Правила."), ("2.", "Контроль.")]


def test_reference_system_text_wrapped_at_67_columns_gives_whole_paragraphs_and_headings():
    """Garant/Consultant text export: each paragraph's first line indented, the rest at the margin."""
    act = parse_file(FIX / "ru_minvostokrazvitiya_2018_222_prikaz_personalnye_dannye.txt")
    by_label = {}  # the first appendix's points (every appendix has its own "1.")
    for u in act.units:
        if u.kind in ("paragraph", "subparagraph"):
            by_label.setdefault(u.label, u)
    first = by_label["1."]
    assert first.text.startswith("Правила обработки персональных данных в Министерстве Российской Федерации по")
    assert first.text.endswith("при наступлении иных законных оснований в Министерстве.")
    assert by_label["4.3."].parent == by_label["4."].id
    sections = {u.label: u.text for u in act.units if u.kind == "section"}
    assert sections["II."] == ("Процедуры, направленные на выявление и предотвращение нарушений "
                               "законодательства Российской Федерации в сфере персональных данных")
    # the title and the issuer are set on several centred lines
    assert act.title == ("Об организации работы с персональными данными в Министерстве "
                         "Российской Федерации по развитию Дальнего Востока")
    assert act.issuer == "МИНИСТЕРСТВО РОССИЙСКОЙ ФЕДЕРАЦИИ ПО РАЗВИТИЮ ДАЛЬНЕГО ВОСТОКА"
    assert not any(u.kind == "text" and u.text[:1].islower() and u.parent == first.id for u in act.units)


def test_wrapped_text_with_blank_lines_between_paragraphs_joins_each_paragraphs_lines():
    act = parse_file(FIX / "ru_ivanovskaya_obl_2015_571p_postanovlenie_subsidii.txt")
    one = next(u for u in act.units if u.label == "1.")
    assert one.text == ("Предоставить из областного бюджета в 2015 году средства на софинансирование "
                        "расходных обязательств муниципальных образований Ивановской области на "
                        "организацию обеспечения водоснабжения и водоотведения потребителей в условиях "
                        "проведения отопительного периода.")
    assert act.title.endswith("в условиях проведения отопительного периода")


def test_a_text_with_one_paragraph_per_line_keeps_its_lines_apart():
    path = FIX / "kg_zakon_o_dorozhnom_dvizhenii.txt"
    act = parse_file(path)
    lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]
    assert len(act.units) == len(lines) == 303  # a unit per line: none joined to its neighbour
    assert sum(1 for u in act.units if u.kind == "article") == 36


@pytest.mark.parametrize("stamp, label", [("Приложение N 1", "Приложение 1"), ("Приложение №2", "Приложение 2"),
                                          ("ПРИЛОЖЕНИЕ N 3 к приказу", "Приложение 3")])
def test_appendix_numbers_written_with_a_latin_n_or_without_a_space(tmp_path, stamp, label):
    f = tmp_path / "act.txt"
    f.write_text(f"ПРИКАЗ\n\n1. Утвердить Правила.\n\n{stamp}\n\n1. Общие положения.\n", encoding="utf-8")
    assert [u.label for u in parse_file(f).units if u.kind == "appendix"] == [label]


@pytest.mark.parametrize("name, issuer", [
    ("ru_minsport_2013_1112_prikaz_personalnye_dannye.txt", "МИНИСТЕРСТВО СПОРТА РОССИЙСКОЙ ФЕДЕРАЦИИ"),
    ("by_minenergo_2007_10_postanovlenie_admin_procedury.docx", "МИНИСТЕРСТВО ЭНЕРГЕТИКИ РЕСПУБЛИКИ БЕЛАРУСЬ"),
])
def test_issuer_printed_in_the_genitive_under_the_acts_type_is_named_in_the_nominative(name, issuer):
    assert parse_file(FIX / name).issuer == issuer


SHORT_LINES = """ПРИКАЗ от 1 января 2020 г. N 5
Об утверждении перечня документов

В соответствии с пунктом 5 Положения о министерстве приказываю:
1. Утвердить прилагаемый перечень документов заявителя.
2. Контроль за исполнением приказа оставляю за собой.
Министр                                           И.И. Иванов

ПЕРЕЧЕНЬ документов, представляемых заявителем
Заявитель представляет в министерство следующие документы:
паспорт гражданина Российской Федерации или иной документ;
документ, подтверждающий полномочия представителя заявителя;
справка о доходах членов семьи за последние шесть месяцев;
выписка из Единого государственного реестра недвижимости;
копия трудовой книжки, заверенная работодателем заявителя;
согласие на обработку персональных данных по форме приложения.
Документы представляются лично или направляются почтой.
Министерство не вправе требовать иные документы от заявителя.
"""

INDENTED_WITH_ITEMS = """   Заявитель представляет в министерство следующие документы:
а) паспорт гражданина Российской Федерации или иной документ;
б) документ, подтверждающий полномочия представителя заявителя;
в) справка о доходах членов семьи за последние шесть месяцев;
г) выписка из Единого государственного реестра недвижимости;
   Министерство рассматривает заявление в течение десяти дней.
   Основаниями для отказа в предоставлении услуги являются:
- непредставление документов, указанных в пункте 5 Порядка;
- представление документов, содержащих недостоверные сведения;
- несоответствие заявителя требованиям пункта 3 Порядка.
   Решение об отказе направляется заявителю в течение 5 дней.
"""


def test_short_lines_that_each_end_a_sentence_or_an_item_stay_apart(tmp_path):
    f = tmp_path / "perechen.txt"
    f.write_text(SHORT_LINES, encoding="utf-8")
    texts = [u.text for u in parse_file(f).units]
    assert "паспорт гражданина Российской Федерации или иной документ;" in texts
    assert "Министерство не вправе требовать иные документы от заявителя." in texts


def test_in_the_indented_layout_list_items_at_the_margin_start_their_own_paragraphs(tmp_path):
    f = tmp_path / "poryadok.txt"
    f.write_text(INDENTED_WITH_ITEMS, encoding="utf-8")
    units = parse_file(f).units
    assert [u.label for u in units if u.label][:4] == ["а)", "б)", "в)", "г)"]
    assert "- непредставление документов, указанных в пункте 5 Порядка;" in [u.text for u in units]


def test_the_requisites_after_a_genitive_issuer_are_not_part_of_its_name(tmp_path):
    f = tmp_path / "prikaz.txt"
    f.write_text("ПРИКАЗ МИНИСТЕРСТВА СПОРТА РОССИЙСКОЙ ФЕДЕРАЦИИ ОТ 21 ДЕКАБРЯ 2013 Г. N 1112\n"
                 "1. Утвердить Правила.\n", encoding="utf-8")
    assert parse_file(f).issuer == "МИНИСТЕРСТВО СПОРТА РОССИЙСКОЙ ФЕДЕРАЦИИ"
