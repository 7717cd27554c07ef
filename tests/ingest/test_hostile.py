"""Hostile inputs fail alone, fast, with a one-line reason; the rest is stored.

Inputs are generated here (tests/ingest/hostile_inputs.py); bench/hostile.py runs the
same set in child processes and prints time and peak memory.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.app import App
from bot.settings import Settings
from ingest.errors import FetchError
from ingest.fetching import AllowList, FetchPolicy, fetch
from ingest.pipeline import Ingestor
from ingest.report import IngestReport
from ingest.runner import run_ingest
from ingest.settings import settings_error_line
from ingest.sources import Failure, SourceOptions, iter_items
from tests.ingest import hostile_inputs as hostile
from vectorstore.embedding import Embedder
from vectorstore.models import Article


def _good(folder: Path, name: str = "good.txt") -> Path:
    path = folder / name
    path.write_text(hostile.GOOD_TEXT)
    return path


def _reasons(report: IngestReport) -> dict[str, str]:
    return {o.source.rsplit("/", 1)[-1]: o.reason or "" for o in report.failed}


def _ids(settings: Settings) -> set[str]:
    return set(App(settings).store.records())


def test_billion_laughs_front_matter_is_refused_at_once(
    settings: Settings, ingestor: Ingestor, tmp_path: Path
) -> None:
    bomb = tmp_path / "laughs.md"
    bomb.write_text(hostile.billion_laughs_md())
    good = _good(tmp_path)

    report = run_ingest(settings, [str(bomb), str(good)], ingestor=ingestor)

    assert "YAML aliases" in _reasons(report)["laughs.md"]  # was 97 s, 15 GB, a 312M-char title
    assert _ids(settings) == {str(good.resolve())}


def test_a_front_matter_list_is_not_turned_into_a_title(tmp_path: Path) -> None:
    doc = tmp_path / "listy.md"
    doc.write_text("---\ntitle: [a, b]\nauthor: {x: 1}\n---\n" + hostile.GOOD_TEXT)
    [article] = iter_items([str(doc)], SourceOptions(fetch=FetchPolicy()))
    assert isinstance(article, Article)
    assert article.title == "listy" and article.author is None


@pytest.mark.parametrize("size", [1_000_000, 5_000_000])
def test_a_text_over_max_article_chars_is_refused_not_ingested(
    settings: Settings, ingestor: Ingestor, tmp_path: Path, size: int
) -> None:
    huge = tmp_path / "huge.txt"
    huge.write_text(hostile.one_line_text(size))

    report = run_ingest(settings, [str(huge), str(_good(tmp_path))], ingestor=ingestor)

    reason = _reasons(report)["huge.txt"]
    assert "MAX_ARTICLE_CHARS=200,000" in reason and "refused" in reason
    assert report.count("added") == 1 and report.chunks_embedded < 10


def test_an_article_over_the_cap_after_cleaning_is_refused(tmp_path: Path) -> None:
    rows = tmp_path / "long.jsonl"
    rows.write_text(hostile.jsonl_line("long", hostile.one_line_text(250_000)) + "\n")
    [failure] = iter_items([str(rows)], SourceOptions(fetch=FetchPolicy()))
    assert isinstance(failure, Failure) and "250,000 characters" in failure.reason


@pytest.mark.parametrize(
    ("name", "body", "expected"),
    [
        ("noise.txt", hostile.random_bytes(), "binary data"),
        ("image.md", b"\x89PNG\r\n\x1a\n" + hostile.random_bytes(4096), "PNG image"),
        ("controls.txt", bytes(range(1, 32)) * 200, "control characters"),
    ],
)
def test_binary_data_named_as_text_is_refused(
    settings: Settings, ingestor: Ingestor, tmp_path: Path, name: str, body: bytes, expected: str
) -> None:
    path = tmp_path / name
    path.write_bytes(body)
    report = run_ingest(settings, [str(path)], ingestor=ingestor)
    assert expected in _reasons(report)[name]
    assert report.chunks_embedded == 0 and _ids(settings) == set()


def test_a_pdf_bomb_fails_alone_and_the_good_file_is_stored(
    settings: Settings, ingestor: Ingestor, tmp_path: Path
) -> None:
    bomb = tmp_path / "bomb.pdf"
    bomb.write_bytes(hostile.flate_bomb_pdf(300))
    good = _good(tmp_path)

    report = run_ingest(settings, [str(bomb), str(good)], ingestor=ingestor)

    assert "LimitReachedError" in _reasons(report)["bomb.pdf"]
    assert _ids(settings) == {str(good.resolve())}


def test_each_bad_jsonl_line_fails_alone_with_its_line_number(
    settings: Settings, ingestor: Ingestor, tmp_path: Path
) -> None:
    rows = tmp_path / "rows.jsonl"
    rows.write_bytes(hostile.hostile_jsonl())

    report = run_ingest(settings, [str(rows)], ingestor=ingestor)

    reasons = _reasons(report)
    assert "nested too deeply" in reasons["rows.jsonl:2"]
    assert "invalid characters" in reasons["rows.jsonl:3"]
    assert "not valid UTF-8" in reasons["rows.jsonl:5"]
    assert "reserved" in reasons["rows.jsonl:6"]
    assert _ids(settings) == {"good-1", "good-2", "good-3"}  # lines after each bad one too
    title = App(settings).store.records()["good-2"].title
    assert title == "Article good-2" or "\ufffd" in title


def test_a_reserved_id_is_refused_whoever_supplies_it(settings: Settings, ingestor: Ingestor) -> None:
    article = Article(id="__generation__", title="t", text=hostile.GOOD_TEXT)
    report = ingestor.run([article])
    [failure] = report.failed
    assert "reserved" in (failure.reason or "") and _ids(settings) == set()


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("http://x.example/" + "a" * 100_000, "100,017 characters"),
        ("http://256.256.256.256/", "Cannot fetch"),
        ("http://[::1/", "not a valid URL"),
        ("http://127.0.0.1:99999/", "not a valid URL"),
        ("", "empty path"),
        ("   ", "empty path"),
    ],
)
def test_bad_targets_fail_alone(
    settings: Settings, ingestor: Ingestor, tmp_path: Path, target: str, expected: str
) -> None:
    good = _good(tmp_path)
    report = run_ingest(settings, [target, str(good)], ingestor=ingestor)
    [failure] = report.failed
    assert expected in (failure.reason or "") and len(failure.reason or "") <= 300
    assert _ids(settings) == {str(good.resolve())}


def test_a_server_trickling_its_headers_is_cut_at_the_fetch_deadline() -> None:
    sent = hostile.Trickled()
    with hostile.trickling_server(0.2, log=sent, give_up_s=120) as base:  # all of it: minutes
        started = time.monotonic()
        with pytest.raises(FetchError, match="longer than 1 s"):
            fetch(base + "/slow", FetchPolicy(timeout_s=1.0))
        elapsed = time.monotonic() - started
        cut = sent.whole == 0 and not sent.gave_up
    assert cut, f"the fetch ended after {elapsed:.1f} s, when the server had ended ({sent})"


def test_a_feed_of_slow_pages_is_bounded_in_total(settings: Settings, ingestor: Ingestor) -> None:
    """20 slow pages, each cut at its deadline, fetched FETCH_WORKERS at a time, not one
    after another (20 deadlines in a row)."""
    sent = hostile.Trickled()
    with hostile.trickling_server(0.5, feed_entries=20, log=sent, give_up_s=600) as base:
        # the entries' pages are on 127.0.0.1: an intranet the operator names (FETCH_ALLOW_PRIVATE)
        policy = FetchPolicy(timeout_s=1.0, allow_private=AllowList.parse("127.0.0.1"))
        options = SourceOptions(fetch=policy, fetch_workers=4)
        items = list(iter_items([base + "/feed"], options))
        cut = sent.whole == 0 and not sent.gave_up
    assert len(items) == 20 and all(isinstance(i, Article) for i in items)  # the entries' own text
    assert cut, f"a page was read to its end: {sent}"
    assert sent.most_at_once == 4, f"pages fetched {sent.most_at_once} at a time, not FETCH_WORKERS (4)"


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"TOP_K": "abc"}, "TOP_K"),
        ({"FETCH_TIMEOUT_S": "-1"}, "FETCH_TIMEOUT_S"),
        ({"CHUNK_TOKENS": "64", "CHUNK_OVERLAP_TOKENS": "64"}, "must be smaller than CHUNK_TOKENS"),
    ],
)
def test_bad_settings_are_one_clear_line(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: str
) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(ValidationError) as caught:
        Settings(_env_file=None)  # type: ignore[call-arg]
    line = settings_error_line(caught.value)
    assert expected in line and "\n" not in line


def test_max_article_chars_is_a_setting(
    monkeypatch: pytest.MonkeyPatch, embedder: Embedder, tmp_path: Path
) -> None:
    monkeypatch.setenv("MAX_ARTICLE_CHARS", "1000")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    doc = tmp_path / "medium.txt"
    doc.write_text(" ".join([hostile.GOOD_TEXT] * 8))  # about 1,700 characters
    report = run_ingest(settings, [str(doc)], ingestor=App(settings, embedder=embedder).ingestor)
    assert "MAX_ARTICLE_CHARS=1,000" in _reasons(report)["medium.txt"]


def test_stored_names_hold_no_bidi_control_invisible_or_control_character(tmp_path: Path) -> None:
    """Titles, authors, outlets and URLs are names: every bidi control, invisible and
    control character leaves them. The text keeps the marks and joiners that right-to-left
    and Persian writing need, and loses the overrides, isolates and NUL that reorder or hide."""
    spoof = "file.exe\u202egpj.\u202c"
    rows = tmp_path / "rows.jsonl"
    rows.write_text(
        hostile.jsonl_line(
            "s1",
            f"{hostile.GOOD_TEXT} \u202e{spoof}\u2066x\u2069\u0000 \u05e9\u05dc\u05d5\u05dd\u200f. \u0645\u06cc\u200c\u062e",
            title=f"{spoof} pay\u200dpal\u200b\u0000",
            author="\u2067Ann\u2069\ufeff",
            source="Ravel\u200f\u061c News\u0000",
            url="https://x.example/a\u0000b",
        )
        + "\n"
    )
    [article] = iter_items([str(rows)], SourceOptions(fetch=FetchPolicy()))
    assert isinstance(article, Article)
    assert (article.title, article.author, article.source) == ("file.exegpj. paypal", "Ann", "Ravel News")
    assert article.url is None  # a URL holding a NUL is no URL
    unshown = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200b\u2060\ufeff\u0000")
    assert not unshown & set(article.text)
    assert "\u05e9\u05dc\u05d5\u05dd\u200f." in article.text and "\u0645\u06cc\u200c\u062e" in article.text


def test_a_file_whose_name_the_id_check_refuses_is_stored_under_a_derived_id(
    settings: Settings, ingestor: Ingestor, tmp_path: Path
) -> None:
    """A tab, a newline, a byte that is not UTF-8: the id is the name made readable plus a
    digest of it (two names that read alike stay two articles), with a note; the same file
    finds its article again."""
    folder = tmp_path / "names"
    folder.mkdir()
    names = [b"tab\there.txt", b"new\nline.txt", b"caf\xe9.txt", b"caf\xe8.txt"]
    for number, name in enumerate(names):
        (Path(os.fsdecode(bytes(folder))) / os.fsdecode(name)).write_text(
            f"{hostile.GOOD_TEXT} Item {number}."
        )

    report = run_ingest(settings, [str(folder)], ingestor=ingestor)

    assert report.count("added") == 4 and not report.failed
    assert all("derived id" in (o.reason or "") for o in report.outcomes)
    stored = _ids(settings)
    assert len(stored) == 4 and all("\ufffd" in i and "~" in i for i in stored)
    assert {i.rsplit("/", 1)[-1].split("~")[0] for i in stored} == {
        "tab\ufffdhere.txt",
        "new\ufffdline.txt",
        "caf\ufffd.txt",
    }
    again = run_ingest(settings, [str(folder)], ingestor=ingestor)
    assert again.count("unchanged") == 4 and _ids(settings) == stored
