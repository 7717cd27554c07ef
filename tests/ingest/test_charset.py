"""Text is decoded by the charset it declares (header, meta, BOM), else detected."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.fetching import FetchPolicy
from ingest.sources import SourceOptions, iter_items
from tests.helpers import Route, serving
from vectorstore.models import Article

OPTIONS = SourceOptions(fetch=FetchPolicy(timeout_s=5))
RUSSIAN = (
    "Городской совет утвердил новый бюджет во вторник после долгих споров. "
    "Расходы на парки вырастут на десять процентов, а библиотека будет открыта по воскресеньям."
)
JAPANESE = "東京都は火曜日、新しい予算を承認しました。公園への支出は一割増え、図書館は日曜日も開館します。"


def _page(text: str, head: str = "") -> str:
    paragraphs = "".join(f"<p>{text}</p>" for _ in range(3))
    return f"<html><head>{head}<title>T</title></head><body><article>{paragraphs}</article></body></html>"


def _only(items: list[Article | object]) -> Article:
    [item] = items
    assert isinstance(item, Article), item
    return item


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        (_page(RUSSIAN).encode("cp1251"), "text/html; charset=windows-1251", RUSSIAN),
        (
            _page(JAPANESE, '<meta charset="shift_jis">').encode("shift_jis"),
            "text/html",
            JAPANESE,
        ),
        (
            _page(RUSSIAN, '<meta http-equiv="Content-Type" content="text/html; charset=koi8-r">').encode(
                "koi8-r"
            ),
            "text/html",
            RUSSIAN,
        ),
        (b"\xff\xfe" + _page(JAPANESE).encode("utf-16-le"), "text/html", JAPANESE),
        (RUSSIAN.encode("cp1251"), "text/plain", RUSSIAN),  # undeclared: detected
    ],
)
def test_a_page_is_decoded_by_its_declared_or_detected_charset(
    body: bytes, content_type: str, expected: str
) -> None:
    with serving({"/a": Route(body, content_type)}) as server:
        article = _only(list(iter_items([server.url("/a")], OPTIONS)))
    assert expected.split()[0] in article.text and "\ufffd" not in article.text


def test_one_stray_byte_does_not_make_utf8_latin1(tmp_path: Path) -> None:
    doc = tmp_path / "stray.txt"
    text = "Zürich und München: der Bürgermeister sprach am Montag über die Brücke in Köln."
    doc.write_bytes(text.encode() + b" \xff " + text.encode())
    article = _only(list(iter_items([str(doc)], OPTIONS)))
    assert article.text.count("Zürich") == 2 and "Ã" not in article.text


def test_a_utf8_bom_does_not_hide_the_front_matter(tmp_path: Path) -> None:
    doc = tmp_path / "bom.md"
    doc.write_bytes(
        b"\xef\xbb\xbf---\ntitle: With a BOM\nurl: https://x.example/bom\n---\n"
        + b"The council met on Tuesday to approve the budget for parks."
    )
    article = _only(list(iter_items([str(doc)], OPTIONS)))
    assert article.title == "With a BOM" and article.id == "https://x.example/bom"
    assert "---" not in article.text


def test_an_undeclared_legacy_file_is_detected(tmp_path: Path) -> None:
    doc = tmp_path / "ru.txt"
    doc.write_bytes((RUSSIAN + " " + RUSSIAN).encode("cp1251"))
    article = _only(list(iter_items([str(doc)], OPTIONS)))
    assert article.text.startswith("Городской совет")


FRENCH = (
    "Le chef a préparé une crème brûlée pour le dîner. Le Brûlé coûte trente euros et il est servi à midi."
)


def test_an_undeclared_latin1_file_is_western_not_central_european(tmp_path: Path) -> None:
    doc = tmp_path / "fr.txt"
    doc.write_bytes(FRENCH.encode("latin-1"))
    article = _only(list(iter_items([str(doc)], OPTIONS)))
    assert "Brûlé" in article.text and "coûte" in article.text  # was "Brűlé", "coűte" (ISO-8859-2)


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        ("Brûlé coûte trente euros, dit le chef.", "latin-1"),
        ("El niño llegó tarde: ¿qué pasó, señor?", "cp1252"),  # a detector's guess: ISO-8859-10
        ("Zażółć gęślą jaźń: rada miasta przyjęła we wtorek nowy budżet po długiej dyskusji.", "iso-8859-2"),
        ("Městská rada ve čtvrtek schválila nový rozpočet, řekl starosta.", "cp1250"),
    ],
)
def test_short_undeclared_text_keeps_its_letters(tmp_path: Path, text: str, encoding: str) -> None:
    doc = tmp_path / "short.txt"
    doc.write_bytes(text.encode(encoding))
    assert _only(list(iter_items([str(doc)], OPTIONS))).text == text


def test_utf8_with_one_stray_byte_is_not_redetected(tmp_path: Path) -> None:
    doc = tmp_path / "stray.txt"
    doc.write_bytes("Café Müller opened its doors again on Monday".encode() + b" \x92 " + b"after the storm.")
    article = _only(list(iter_items([str(doc)], OPTIONS)))
    assert article.text.startswith("Café Müller opened")  # was "CafĂŠ MĂźller"
    assert "\ufffd" in article.text  # the stray byte, replaced


@pytest.mark.parametrize(
    ("head", "content_type"),
    [
        ('<meta charset="iso-8859-1">', "text/html"),
        ("", "text/html; charset=iso-8859-1"),
        ('<meta http-equiv="Content-Type" content="text/html; charset=windows-1252">', "text/html"),
    ],
)
def test_a_valid_utf8_page_wins_over_its_label(head: str, content_type: str) -> None:
    text = "Café Müller reopened on Monday. Its crème brûlée costs eight euros, the owner said."
    with serving({"/a": Route(_page(text, head).encode(), content_type)}) as server:
        article = _only(list(iter_items([server.url("/a")], OPTIONS)))
    assert "Café Müller" in article.text and "Ã" not in article.text  # was "CafÃ©"


def test_a_latin1_page_labelled_latin1_stays_latin1() -> None:
    with serving({"/a": Route(_page(FRENCH).encode("latin-1"), "text/html; charset=iso-8859-1")}) as server:
        article = _only(list(iter_items([server.url("/a")], OPTIONS)))
    assert "Brûlé" in article.text and "\ufffd" not in article.text
