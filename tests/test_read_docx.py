"""What the DOCX reader hands to the structure builder, on generated and real acts,
and how it refuses hostile files."""
from __future__ import annotations

import io
import random
import struct
import zipfile
from pathlib import Path

import pytest

from parsers.errors import ParseError
from parsers.model import Block
from parsers.read_docx import read
from tests.docx_builder import DocBuilder, abstract, cell, lvl, num, para, run, table

FIX = Path(__file__).parent / "fixtures"
PLAN = "by_minenergo_2022-2024_meropriyatiya_protiv_korrupcii_PLAN.docx"
KZ107 = "kz_minjust_2020_107_pravila_vypiska_reestr_zaloga_rus.docx"
BY10 = "by_minenergo_2007_10_postanovlenie_admin_procedury.docx"


def blocks_of(b: DocBuilder) -> list[Block]:
    return read(b.to_bytes(), "t.docx").blocks


def fixture(name: str) -> list[Block]:
    return read((FIX / name).read_bytes(), name).blocks


# ------------------------------------------------------------------ paragraphs

def test_whitespace_is_collapsed_and_empty_paragraphs_are_skipped():
    b = DocBuilder().add(
        para(runs=run("  Статья\t5. ") + "<w:r><w:tab/><w:t>Срок</w:t><w:br/><w:t>рассмотрения</w:t></w:r>"),
        para(""),
        para("   "),
        para(runs=run("пере\u00adнос ") + "<w:r><w:t>вице</w:t><w:noBreakHyphen/><w:t>министр</w:t></w:r>"),
    )
    assert [x.text for x in blocks_of(b)] == ["Статья 5. Срок рассмотрения", "перенос вице-министр"]


def test_deleted_and_hidden_text_is_left_out_and_inserted_text_is_read():
    b = DocBuilder().add(para(runs=(
        run("срок ")
        + '<w:del w:id="1" w:author="a"><w:r><w:delText>десять </w:delText></w:r></w:del>'
        + '<w:ins w:id="2" w:author="a"><w:r><w:t xml:space="preserve">пять </w:t></w:r></w:ins>'
        + run("скрыто ", extra_rpr="<w:vanish/>")
        + run("дней")
    )))
    assert [x.text for x in blocks_of(b)] == ["срок пять дней"]


def test_footnotes_and_endnotes_follow_the_paragraph_that_cites_them_with_words_numbers():
    ref = '<w:r><w:rPr><w:vertAlign w:val="superscript"/></w:rPr><w:{k}Reference w:id="{i}"/></w:r>'
    mark = '<w:r><w:{k}Ref/></w:r>'
    b = DocBuilder().add(
        f'<w:p>{run("1. Заявление подается лично")}{ref.format(k="footnote", i=5)}{run(".")}</w:p>',
        f'<w:p>{run("2. Срок рассмотрения")}{ref.format(k="footnote", i=7)}{run(" – 5 рабочих дней")}'
        f'{ref.format(k="endnote", i=1)}{run(".")}</w:p>',
        para("3. Контроль."))
    b.notes("footnote", {5: f'<w:p>{mark.format(k="footnote")}{run(" Или через представителя.")}</w:p>',
                         7: f'<w:p>{mark.format(k="footnote")}{run(" Со дня регистрации.")}</w:p>'
                            f'<w:p>{run("Без выходных.")}</w:p>'})
    b.notes("endnote", {1: f'<w:p>{mark.format(k="endnote")}{run(" Пункт 2 в редакции 2024 года.")}</w:p>'})
    got = [(x.text, x.note) for x in blocks_of(b)]
    assert got == [
        ("1. Заявление подается лично [1].", False), ("[1] Или через представителя.", True),
        ("2. Срок рассмотрения [2] – 5 рабочих дней [i].", False), ("[2] Со дня регистрации.", True),
        ("Без выходных.", True), ("[i] Пункт 2 в редакции 2024 года.", True),
        ("3. Контроль.", False)]


def test_a_note_mark_never_changes_the_number_it_follows():
    b = DocBuilder().add(f'<w:p>{run("Статья 5")}<w:r><w:footnoteReference w:id="1"/></w:r>'
                         f'{run(". Сроки")}</w:p>', para("Заявление подается в течение 5 дней."))
    b.notes("footnote", {1: f'<w:p><w:r><w:footnoteRef/></w:r>{run(" В редакции Закона от 01.01.2024.")}</w:p>'})
    from parsers.structure import build_act

    act = build_act(read(b.to_bytes(), "t.docx"), file="t.docx", fmt="docx")
    assert [(u.kind, u.label, u.role) for u in act.units] == [
        ("article", "Статья 5", None), ("text", "", "note"), ("text", "", None)]


def test_a_footnote_with_the_authors_own_mark_keeps_it_and_becomes_a_note_of_its_clause():
    from parsers import parse_file

    act = parse_file(FIX / PLAN)
    cited = next(u for u in act.units if "аффилированными лицами*по отношению" in u.text)
    notes = [u for u in act.units if u.role == "note"]
    assert notes[0].text == "* Для целей настоящих Мероприятий под аффилированными лицами понимаются:"
    assert len(notes) == 3 and act.units.index(notes[0]) == act.units.index(cited) + 1
    assert all(n.kind == "text" and not n.label for n in notes)


def test_bold_only_when_every_run_with_text_is_bold():
    b = DocBuilder()
    strong = b.style("Жирный", bold=True)
    b.add(
        para(runs=run("ГЛАВА 1", bold=True) + run(" ") + run("ОБЩИЕ", bold=True)),  # the space run does not count
        para(runs=run("частично ", bold=True) + run("жирный")),
        para("через стиль", style=strong),
        para(style=strong, runs=run("стиль, но ") + run("снято", bold=False)),
    )
    assert [x.bold for x in blocks_of(b)] == [True, False, True, False]


def test_headings_from_style_names_and_outline_levels():
    b = DocBuilder()
    ru = b.style("Заголовок 3")
    chapter = b.style("Глава", based_on="Heading 2")  # outline level inherited from Heading 2
    b.add(
        para("Раздел", style="Heading1"),
        para("Подраздел", style=ru),
        para("Глава 2", style=chapter),
        para("Зарегистрировано", ppr_extra='<w:outlineLvl w:val="0"/>'),
        para("Текст"),
    )
    assert [x.heading for x in blocks_of(b)] == [1, 3, 2, 1, 0]


def test_centred_and_right_aligned_paragraphs():
    b = DocBuilder().add(
        para("ПРИКАЗ", jc="center"),
        para("Приложение 1 к приказу", jc="right"),
        para("УТВЕРЖДЕНО", ppr_extra='<w:ind w:left="5670"/>'),
        para("Текст", jc="both"),
    )
    got = [(x.centered, x.quote) for x in blocks_of(b)]
    assert got == [(True, False), (False, True), (False, True), (False, False)]


def test_content_controls_are_read_in_place():
    b = DocBuilder().add(
        para("до"),
        '<w:sdt><w:sdtPr/><w:sdtContent>' + para("в элементе управления") + "</w:sdtContent></w:sdt>",
        para(runs='<w:sdt><w:sdtContent>' + run("внутри") + "</w:sdtContent></w:sdt>" + run(" строки")),
    )
    assert [x.text for x in blocks_of(b)] == ["до", "в элементе управления", "внутри строки"]


def test_text_box_paragraphs_follow_their_anchor_once():
    box = "<w:txbxContent>" + para("текст в рамке") + "</w:txbxContent>"
    anchored = (
        run("Абзац с рамкой")
        + '<w:r><mc:AlternateContent><mc:Choice Requires="wps"><w:drawing>' + box
        + "</w:drawing></mc:Choice><mc:Fallback><w:pict><v:shape><v:textbox>" + box
        + "</v:textbox></v:shape></w:pict></mc:Fallback></mc:AlternateContent></w:r>"
    )
    b = DocBuilder().add(para(runs=anchored), para("дальше"))
    assert [x.text for x in blocks_of(b)] == ["Абзац с рамкой", "текст в рамке", "дальше"]


def test_consultantplus_page_furniture_and_note_boxes_are_dropped():
    b = DocBuilder().add(
        para(runs=run("Документ предоставлен ") + run("КонсультантПлюс") + "<w:r><w:br/></w:r>"),
        para("www.consultant.ru"),
        para("1. Настоящее постановление вступает в силу."),
        table([cell(para("КонсультантПлюс: примечание."), para("См. постановление N 432."))]),
        para("КонсультантПлюс надежная правовая поддержка www.consultant.ru Страница 2 из 40"),
        para("2. Контроль возложить на Министерство."),
    )
    texts = [x.text for x in blocks_of(b)]
    assert texts == ["1. Настоящее постановление вступает в силу.", "2. Контроль возложить на Министерство."]


# ---------------------------------------------------------------------- tables

def test_table_rows_keep_cells_merged_cells_once_and_vertical_merges_empty():
    b = DocBuilder().add(
        para("до таблицы"),
        table(
            [cell(para("N")), cell(para("Наименование")), cell(para("Срок"))],
            [cell(para("Требования"), tcpr='<w:gridSpan w:val="2"/>'), cell(para("5 дней"), tcpr="<w:vMerge w:val=\"restart\"/>")],
            [cell(para("1.")), cell(para("Заявление"), para("с приложением")), cell(tcpr="<w:vMerge/>")],
            [cell(), cell(), cell()],  # an empty row carries nothing
            [cell(para("2.")), cell(para("Копия")), cell(para("бесплатно"))],
        ),
        para("после таблицы"),
        table([cell(para("вторая"))]),
    )
    got = [(x.table, x.row, x.cells, x.text) for x in blocks_of(b)]
    assert got == [
        (None, None, None, "до таблицы"),
        (0, 0, ["N", "Наименование", "Срок"], "N Наименование Срок"),
        (0, 1, ["Требования", "5 дней"], "Требования 5 дней"),
        (0, 2, ["1.", "Заявление с приложением", ""], "1. Заявление с приложением"),
        (0, 4, ["2.", "Копия", "бесплатно"], "2. Копия бесплатно"),
        (None, None, None, "после таблицы"),
        (1, 0, ["вторая"], "вторая"),
    ]


def test_nested_table_rows_follow_the_outer_row():
    inner = table([cell(para("а")), cell(para("б"))], [cell(para("в")), cell(para("г"))])
    b = DocBuilder().add(table(
        [cell(para("1.")), cell(para("Документы:"), inner)],
        [cell(para("2.")), cell(para("Срок"))],
    ))
    got = [(x.table, x.row, x.cells) for x in blocks_of(b)]
    assert got == [(0, 0, ["1.", "Документы:"]), (1, 0, ["а", "б"]), (1, 1, ["в", "г"]), (0, 1, ["2.", "Срок"])]


def test_automatic_numbers_show_in_table_cells():
    b = DocBuilder().numbering(abstract(0, lvl(0, "%1.")), num(1, 0)).add(table(
        [cell(para("", 1, 0)), cell(para("Мониторинг"))],
        [cell(para("Раздел"), tcpr='<w:gridSpan w:val="2"/>')],
        [cell(para("", 1, 0)), cell(para("Анализ"))],
    ))
    assert [x.cells for x in blocks_of(b)] == [["1.", "Мониторинг"], ["Раздел"], ["2.", "Анализ"]]


# ------------------------------------------------------------------ real acts

def test_plan_items_numbered_by_word_show_their_numbers():
    """The plan's item numbers exist only as Word numbering (numId 1, "%1."), 49 of
    them; LibreOffice 7.4 renders the same numbers."""
    rows = [x for x in fixture(PLAN) if x.table == 0]
    numbered = [x for x in rows if x.cells[0].endswith(".")]
    assert [x.cells[0] for x in numbered] == [f"{i}." for i in range(1, 50)]
    by_text = {x.cells[1][:40]: x.cells[0] for x in numbered}
    assert by_text["Поведение мониторинга практической реали"] == "45."
    assert by_text["Разработка на основании типовых карт кор"] == "25."
    sections = [x.cells for x in rows if not x.cells[0].endswith(".")]
    assert sections[0] == ["№ п/п", "Наименование мероприятий", "Срок исполнения", "Исполнители"]
    assert [s[0] for s in sections[1:]] == ["Мероприятия общего системного характера",
                                            "Мероприятия в сфере закупок товаров (работ, услуг)",
                                            "Отчеты о выполнении настоящих Мероприятий"]
    first = numbered[0]
    assert first.cells[2:] == ["один раз в полугодие (до 1 июля и до 1 января)", "Руководители организаций Минэнерго"]
    assert first.text.startswith("1. Проведение мониторинга поддержания в актуальном состоянии")


def test_plan_title_block():
    top = [x for x in fixture(PLAN) if x.table is None]
    assert [x.text for x in top[:3]] == ["УТВЕРЖДЕНО", "Протокол заседания комиссии по противодействию коррупции",
                                         "30.12.2021 № 4"]
    assert top[3].text == "МЕРОПРИЯТИЯ" and top[3].bold and top[3].centered


def test_kz_rules_chapters_points_and_service_standard_rows():
    blocks = fixture(KZ107)
    texts = [x.text for x in blocks]
    chapter = blocks[texts.index("Глава 1. Общие положения.")]
    assert chapter.heading == 3 and chapter.bold
    appendix = next(x for x in blocks if x.text.startswith("Приложение 1 к приказу"))
    assert appendix.text == "Приложение 1 к приказу Министра юстиции Республики Казахстан от 19 июня 2020 года № 107"
    assert appendix.quote
    assert "2) размещение настоящего приказа на официальном интернет-ресурсе Министерства юстиции " \
           "Республики Казахстан." in texts
    standard = [x for x in blocks if x.table == 0]
    assert [x.cells[0] for x in standard[1:]] == [f"{i}." for i in range(1, 11)]
    assert standard[1].cells == ["1.", "Наименование услугодателя",
                                 "Некоммерческое акционерное общество «Государственная корпорация "
                                 "«Правительство для граждан»"]
    assert standard[6].cells[2] == "бесплатно"


def test_consultantplus_act_without_its_banner():
    blocks = fixture(BY10)
    assert not any("КонсультантПлюс" in x.text for x in blocks)
    assert blocks[0].text == "Зарегистрировано в Национальном реестре правовых актов"
    texts = [x.text for x in blocks]
    assert "1. Утвердить:" in texts
    assert any(t.startswith("4.3.1. принимает решение о строительстве новых объектов") for t in texts)
    signature = next(x for x in blocks if x.table is not None and "Озерец" in x.text)
    assert signature.cells == ["Министр", "А.В.Озерец"]
    assert all(x.label == "" for x in blocks)  # its numbers are typed, not Word numbering


# ---------------------------------------------------------------- hostile input

def docx_with(member: str, content: bytes, base: bytes | None = None) -> bytes:
    """A copy of a valid DOCX with one member replaced (or added)."""
    base = base if base is not None else DocBuilder().add(para("текст")).to_bytes()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(base)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename != member:
                dst.writestr(info, src.read(info))
        dst.writestr(member, content)
    return out.getvalue()


def test_highly_compressed_member_is_refused_as_zip_bomb():
    bomb = docx_with("word/media/image1.png", b"\0" * (8 * 1024 * 1024))
    with pytest.raises(ParseError, match="ZIP bomb"):
        read(bomb, "bomb.docx")


def test_archive_declaring_more_than_200_mb_is_refused_before_opening():
    data = bytearray(DocBuilder().add(para("текст")).to_bytes())
    at = data.find(b"PK\x01\x02")  # first central directory entry: patch its uncompressed size
    struct.pack_into("<I", data, at + 24, 250 * 1024 * 1024)
    with pytest.raises(ParseError, match="ZIP bomb"):
        read(bytes(data), "bomb.docx")


def test_damaged_xml_is_refused():
    broken = docx_with("word/document.xml", b'<?xml version="1.0"?><w:document xmlns:w="x"><w:body><w:p>')
    with pytest.raises(ParseError, match="damaged"):
        read(broken, "broken.docx")


def test_zip_without_a_word_document_is_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("hello.txt", "not word")
    with pytest.raises(ParseError, match="not a Word document"):
        read(out.getvalue(), "x.docx")


def test_encrypted_ooxml_is_refused():
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 2000
    with pytest.raises(ParseError, match="password-protected"):
        read(ole, "secret.docx")


def test_tables_nested_absurdly_deep_are_refused():
    xml = para("x")
    for _ in range(60):
        xml = table([cell(xml)])
    with pytest.raises(ParseError, match="nested too deeply"):
        read(DocBuilder().add(xml).to_bytes(), "deep.docx")


def test_truncated_or_corrupted_files_only_ever_raise_parse_error():
    data = (FIX / KZ107).read_bytes()
    rng = random.Random(7)
    variants = [data[:n] for n in (0, 10, 100, len(data) // 2, len(data) - 30)]
    for _ in range(40):
        mutated = bytearray(data)
        for _ in range(rng.randint(1, 20)):
            mutated[rng.randrange(len(mutated))] = rng.randrange(256)
        variants.append(bytes(mutated))
    for v in variants:
        try:
            result = read(v, "fuzz.docx")
        except ParseError as exc:
            assert str(exc)
        else:
            assert all(isinstance(x, Block) for x in result.blocks)
