"""`Citation.of`, the one builder of a citation from an article's text, checked without a model."""

from __future__ import annotations

from bot.answering.models import Citation
from vectorstore.models import ArticleRecord

RECORD = ArticleRecord("a1", "Budget passed", "h", 1, url="https://news.example/a1", date="2024-05-02")
ARTICLE = "Intro. The council approved the budget of 4 million euros on Tuesday after a long debate."
SENTENCE = ARTICLE[7:]
START = 7


def test_a_whole_quote_is_cited_with_its_article_and_offsets() -> None:
    c = Citation.of(2, RECORD, SENTENCE, START)
    assert (c.number, c.article_id, c.title) == (2, "a1", "Budget passed")
    assert (c.url, c.date) == (RECORD.url, RECORD.date)
    assert c.quote == SENTENCE
    assert ARTICLE[c.start : c.end] == SENTENCE


def test_a_cut_quote_ends_where_the_quoted_article_text_ends() -> None:
    c = Citation.of(1, RECORD, SENTENCE, START, max_chars=40)
    assert len(c.quote) <= 40 and c.quote.endswith("…")
    assert ARTICLE[c.start : c.end] == c.quote.removesuffix("…")


def test_the_mark_moves_into_the_quote_while_the_quote_holds_it() -> None:
    at = ARTICLE.index("4 million euros")
    mark = (at, at + len("4 million euros"))
    whole = Citation.of(1, RECORD, SENTENCE, START, mark=mark)
    assert whole.mark is not None
    assert whole.quote[whole.mark[0] : whole.mark[1]] == "4 million euros"
    cut = Citation.of(1, RECORD, SENTENCE, START, max_chars=30, mark=mark)  # cut before the figure
    assert cut.mark is None


def test_a_given_end_and_update_are_kept() -> None:
    c = Citation.of(3, RECORD, SENTENCE, START, end=START + len(SENTENCE) + 1, updates=1)
    assert (c.end, c.updates) == (START + len(SENTENCE) + 1, 1)  # not the quote's own end
