"""What the PDF reader hands to the structure builder, on real acts and generated PDFs,
and how it refuses scans, garbled text layers, encrypted and damaged files."""
from __future__ import annotations

import re
from pathlib import Path

import pypdfium2 as pdfium
import pytest

from parsers import parse_bytes
from parsers.errors import ParseError
from parsers.model import Block
from parsers.read_pdf import read
from tests.pdf_builder import PdfBuilder, cyrillic_font

FIX = Path(__file__).parent / "fixtures"
KZ107 = "kz_minjust_2020_107_pravila_vypiska_reestr_zaloga_rus.pdf"     # tables across pages
KZ1010 = "kz_minjust_2023_1010_pravila_aktualizaciya_naimenovaniya_yul_rus.pdf"  # header, page numbers
RU2173 = "ru_rosstandart_2019_2173_adm_reglament_fif_oei.pdf"            # bold centred headings
SCAN = "ru_rosstandart_2016_2033_prikaz_SCAN.pdf"
GARBLED = "ru_fstek_2013_17_BROKEN_TEXT_LAYER.pdf"
ENCRYPTED = "encrypted_password_secret.pdf"   # qpdf --encrypt secret owner-secret 256


def fixture(name: str):
    return read((FIX / name).read_bytes(), name)


def texts(blocks: list[Block]) -> list[str]:
    return [b.text for b in blocks]


def starting(blocks: list[Block], prefix: str) -> list[Block]:
    return [b for b in blocks if b.text.startswith(prefix)]


@pytest.fixture(scope="module")
def kz107():
    return fixture(KZ107)


@pytest.fixture(scope="module")
def kz1010():
    return fixture(KZ1010)


@pytest.fixture(scope="module")
def ru2173():
    return fixture(RU2173)


def builder() -> PdfBuilder:
    font = cyrillic_font()
    if font is None:
        pytest.skip("no DejaVu font to write Cyrillic test PDFs (apt-get install fonts-dejavu-core)")
    return PdfBuilder(font)


# ---------------------------------------------------------------------------------------------
# real acts


def test_running_header_and_page_numbers_are_not_in_any_block(kz1010):
    header = "Приказ Министра юстиции Республики Казахстан от 10 октября 2023 года № 726"
    assert not [b for b in kz1010.blocks if header in b.text or any(header in c for c in b.cells or [])]
    assert not [b for b in kz1010.blocks if re.fullmatch(r"\d{1,3}", b.text)]
    # the page number PDFium glued to a line ending in a hyphen ("веб-" + "7") is gone too
    row = next(b for b in kz1010.blocks if b.cells and b.cells[0] == "2")
    assert "Государственная корпорация и веб-портал «электронного правительства»" in row.cells[2]


def test_paragraph_continuing_over_a_page_break_is_one_block(kz1010):
    [p7] = starting(kz1010.blocks, "7. Актуализация (корректировка) наименования юридических лиц")
    assert p7.page == 2
    assert p7.text.endswith("относящихся к коммерческим организациям, осуществляется филиалами "
                            "Государственной корпорации.")
    assert not starting(kz1010.blocks, "филиалами Государственной корпорации")


def test_each_numbered_clause_starts_its_own_block_with_its_number(kz107):
    t = texts(kz107.blocks)
    for prefix in ("1. Утвердить Правила", "2. Департаменту регистрационной службы",
                   "1) государственную регистрацию настоящего приказа;", "2) размещение настоящего приказа",
                   "13. Срок рассмотрения жалобы", "1) проведения дополнительного изучения",
                   "2) получения дополнительной информации;", "Глава 2. Порядок оказания государственной услуги."):
        assert [x for x in t if x.startswith(prefix)], prefix
    # "в соответствии с подпунктом 1) статьи 10": a reference inside a sentence is not a clause
    assert not [x for x in t if x.startswith("1) статьи 10")]


def test_a_chapter_heading_over_two_centred_lines_is_one_block(kz107):
    [head] = starting(kz107.blocks, "Глава 3.")
    assert head.text == ("Глава 3. Порядок обжалования решений, действий (бездействия) услугодателя "
                         "по вопросам оказания государственных услуг.")
    assert head.centered


def test_hyphen_of_a_compound_word_at_a_line_end_is_kept(kz107, kz1010):
    assert starting(kz107.blocks, "3. Контроль за исполнением настоящего приказа возложить на курирующего "
                                  "вице-министра юстиции Республики Казахстан.")
    assert any("информационно-коммуникационной инфраструктуры" in t for t in texts(kz107.blocks))
    assert any("Административного процедурно-процессуального кодекса" in t for t in texts(kz1010.blocks))


def test_appendix_stamp_set_on_the_right_is_one_block_marked_quote(kz107, kz1010, ru2173):
    [stamp] = starting(kz107.blocks, "Приложение 1 к приказу")
    assert stamp.text == "Приложение 1 к приказу Министра юстиции Республики Казахстан от 19 июня 2020 года № 107"
    assert stamp.quote
    [stamp] = starting(kz107.blocks, "Приложение 2")
    assert stamp.text == ("Приложение 2 к Правилам оказания государственной услуги «Выдача выписки из реестра "
                          "регистрации Залога движимого имущества»")
    [stamp] = starting(ru2173.blocks, "Приложение")
    assert stamp.text.startswith("Приложение к Регламенту предоставления Федеральным агентством")
    assert stamp.quote
    # a middle line almost as wide as the page stays in the stamp
    [stamp] = starting(kz1010.blocks, "Приложение 1")
    assert stamp.text == ("Приложение 1 к Правилам государственной услуги «Актуализация (корректировка) "
                          "наименования юридических лиц, филиалов и представительств»")


def test_bold_centred_headings_are_marked(ru2173):
    [head] = starting(ru2173.blocks, "Круг заявителей")
    assert head.bold and head.centered and head.text == "Круг заявителей"
    [body] = starting(ru2173.blocks, "2. Заявителями являются")
    assert not body.bold and not body.centered


def test_service_standard_table_rows_have_their_cells(kz107):
    rows = [b for b in kz107.blocks if b.table == 0]
    assert [b.cells[0] for b in rows] == [f"{i}." for i in range(1, 11)]
    assert [b.row for b in rows] == list(range(10))
    r3 = rows[2]
    assert r3.cells[:2] == ["3.", "Срок оказания государственной услуги"]
    assert r3.cells[2].startswith("С момента подачи заявления услугополучателем при обращении на портал")
    assert r3.text == " ".join(r3.cells)
    assert rows[5].cells[2] == "бесплатно"


def test_table_row_cut_by_a_page_break_stays_one_row(kz107):
    row7 = next(b for b in kz107.blocks if b.table == 0 and b.cells[0] == "7.")
    assert row7.page == 4
    assert row7.cells[1] == "График работы"
    assert row7.cells[2].endswith("за исключением технических перерывов, связанных с проведением ремонтных работ.")
    assert "page 5: table continues from page 4" in kz107.warnings
    assert next(b for b in kz107.blocks if b.table == 0 and b.cells[0] == "8.").page == 5


def test_table_text_does_not_leak_into_paragraphs(kz1010):
    # cell text "1) Министерство в отношении ..." must not become a sub-paragraph 1)
    assert not starting([b for b in kz1010.blocks if b.cells is None], "1) Министерство")
    row = next(b for b in kz1010.blocks if b.cells and b.cells[0] == "1")
    assert row.cells[1] == "Наименование услугодателя"
    assert row.cells[2].startswith("1) Министерство в отношении общественных и религиозных объединений")


def test_full_parse_finds_the_clauses_of_a_pdf_act():
    act = parse_bytes((FIX / KZ107).read_bytes(), KZ107)
    assert act.format == "pdf"
    labels = [u.label for u in act.units]
    for lab in ("1.", "4.", "Глава 1", "Глава 3", "13.", "1)", "2)"):
        assert lab in labels
    unit12 = next(u for u in act.units if u.label == "12.")
    assert unit12.text.startswith("Жалоба услугополучателя в соответствии с пунктом 2 статьи 25")
    assert unit12.page == 3


# ---------------------------------------------------------------------------------------------
# generated PDFs


def test_line_break_hyphen_inside_a_word_is_joined_and_real_hyphens_stay():
    b = builder()
    p = b.page()
    b.lines(p, 72, 760, ["1. Заявление подается в орган госу-",
                         "дарственной власти через интернет-ресурс и веб-",
                         "портал «электронного правительства»."])
    [block] = read(b.to_bytes(), "t.pdf").blocks
    assert block.text == ("1. Заявление подается в орган государственной власти через интернет-ресурс "
                          "и веб-портал «электронного правительства».")


def test_fake_bold_doubled_characters_are_read_once():
    b = builder()
    p = b.page()
    for dx in (0, 0.4):                      # a whole word painted twice
        b.text(p, 200 + dx, 760, "ПРИКАЗ", 14)
    x = 72
    for ch in "ГЛАВА":                       # ... and glyph by glyph
        b.text(p, x, 700, ch, 14)
        b.text(p, x + 0.3, 700, ch, 14)
        x += 10
    assert texts(read(b.to_bytes(), "t.pdf").blocks) == ["ПРИКАЗ", "ГЛАВА"]


def test_paragraphs_split_on_gaps_and_first_line_indents_but_not_on_line_breaks():
    b = builder()
    p = b.page()
    y = b.lines(p, 72, 760, ["Первый абзац, который занимает две строки и потому",
                             "продолжается на следующей строке."])
    b.lines(p, 72, y - 14, ["Второй абзац после пустой строки."])
    b.text(p, 107, y - 56, "Третий абзац с отступом первой строки, он тоже длинный и")
    b.text(p, 72, y - 70, "переносится на вторую строку.")
    assert texts(read(b.to_bytes(), "t.pdf").blocks) == [
        "Первый абзац, который занимает две строки и потому продолжается на следующей строке.",
        "Второй абзац после пустой строки.",
        "Третий абзац с отступом первой строки, он тоже длинный и переносится на вторую строку.",
    ]


def test_repeated_header_and_page_numbers_of_a_generated_pdf_are_dropped():
    b = builder()
    for n in range(1, 4):
        p = b.page()
        b.text(p, 200, 810, "Проект приказа № 15 от 01.02.2024")
        b.text(p, 290, 30, f"- {n} -")
        b.text(p, 72, 700, f"{n}. Пункт номер {n} настоящих Правил.")
    assert texts(read(b.to_bytes(), "t.pdf").blocks) == [
        "1. Пункт номер 1 настоящих Правил.", "2. Пункт номер 2 настоящих Правил.",
        "3. Пункт номер 3 настоящих Правил."]


def test_ruled_table_becomes_rows_of_cells_and_keeps_its_index_on_the_next_page():
    b = builder()
    for page_no in range(2):
        p = b.page()
        b.text(p, 72, 780, "Таблица показателей" if page_no == 0 else "продолжение таблицы")
        b.grid(p, [72, 110, 300, 520], [760, 740, 720])
        first = 1 + 2 * page_no
        for i, y in enumerate((746, 726)):
            b.text(p, 76, y, f"{first + i}.")
            b.text(p, 114, y, f"Показатель {first + i}")
            b.text(p, 304, y, f"Значение {first + i}")
    r = read(b.to_bytes(), "t.pdf")
    rows = [blk for blk in r.blocks if blk.cells is not None]
    assert [blk.cells for blk in rows] == [[f"{i}.", f"Показатель {i}", f"Значение {i}"] for i in range(1, 5)]
    assert [blk.table for blk in rows] == [0, 0, 1, 1]   # text between them: two tables
    assert rows[0].text == "1. Показатель 1 Значение 1"


def test_table_running_over_a_page_break_keeps_its_index_and_warns():
    b = builder()
    for page_no in range(2):
        p = b.page()
        b.grid(p, [72, 110, 300, 520], [800, 780, 760])
        for i, y in enumerate((786, 766)):
            n = 1 + 2 * page_no + i
            b.text(p, 76, y, f"{n}.")
            b.text(p, 114, y, f"Показатель {n}")
            b.text(p, 304, y, f"Значение {n}")
    r = read(b.to_bytes(), "t.pdf")
    assert [(blk.table, blk.row, blk.page) for blk in r.blocks] == [(0, 0, 1), (0, 1, 1), (0, 2, 2), (0, 3, 2)]
    assert "page 2: table continues from page 1" in r.warnings


def test_a_scanned_page_inside_a_text_pdf_is_a_warning():
    b = builder()
    b.text(b.page(), 72, 760, "1. Первая страница с текстом.")
    b.image(b.page(), 0, 0, 595, 842)
    b.text(b.page(), 72, 760, "2. Третья страница с текстом.")
    r = read(b.to_bytes(), "t.pdf")
    assert texts(r.blocks) == ["1. Первая страница с текстом.", "2. Третья страница с текстом."]
    assert [w for w in r.warnings if w.startswith("page 2: no text layer")]


# ---------------------------------------------------------------------------------------------
# refusals


def test_scanned_pdf_is_refused_with_a_reason():
    with pytest.raises(ParseError, match=r"^scanned PDF without a text layer \(1 page\): OCR is not supported"):
        fixture(SCAN)


def test_mostly_scanned_pdf_is_refused():
    b = builder()
    b.text(b.page(), 72, 760, "Сопроводительное письмо.")
    for _ in range(3):
        b.image(b.page(), 0, 0, 595, 842)
    with pytest.raises(ParseError, match=r"^scanned PDF without a text layer \(3 of 4 pages"):
        read(b.to_bytes(), "t.pdf")


def test_garbled_text_layer_is_refused_with_a_reason():
    with pytest.raises(ParseError, match=r"^PDF text layer is unreadable \(fonts without a Unicode map\)"):
        fixture(GARBLED)


def test_encrypted_pdf_asks_for_a_password():
    data = (FIX / ENCRYPTED).read_bytes()
    pdfium.PdfDocument(data, password="secret").close()   # the fixture is sound, only locked
    with pytest.raises(ParseError, match=r"^encrypted PDF: a password is required$"):
        read(data, ENCRYPTED)


@pytest.mark.parametrize("damage", ["truncated", "garbage", "header_only", "no_pages"])
def test_damaged_pdf_is_refused_with_a_reason(damage):
    good = (FIX / KZ107).read_bytes()
    data = {
        "truncated": good[: len(good) // 3],
        "garbage": b"%PDF-1.7\n" + bytes(range(256)) * 40,
        "header_only": b"%PDF-1.4\n%%EOF\n",
        "no_pages": b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
                    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n",
    }[damage]
    with pytest.raises(ParseError, match=r"^damaged PDF: "):
        read(data, "bad.pdf")


def test_empty_text_pdf_without_images_is_refused():
    b = builder()
    b.page()
    with pytest.raises(ParseError, match="PDF without any text"):
        read(b.to_bytes(), "blank.pdf")
