"""Answers rendered inside Discord's limits."""

from __future__ import annotations

from bot.answering.models import AlsoReported, Answer, Citation
from bot.discord_app.rendering import EMBED_TOTAL, answer_embed, refusal_text, split_message


def test_long_answers_fit_discord_limits() -> None:
    citations = [
        Citation(i, f"id-{i}", "T" * 400, "https://x.example/" + "p" * 100, "2024-01-01", "q" * 3000, 0, 10)
        for i in range(1, 40)
    ]
    answer = Answer("Q" * 1000, "A" * 10_000, False, "extractive", citations, "2024-01-01")
    embed = answer_embed(answer)
    assert len(embed) <= EMBED_TOTAL and len(embed.fields) <= 25
    assert len(embed.title or "") <= 256 and len(embed.description or "") <= 4096
    assert all(len(f.name or "") <= 256 and len(f.value or "") <= 1024 for f in embed.fields)

    text = ("Sentence number one is here. " * 300).strip()
    parts = split_message(text)
    assert all(len(p) <= 2000 for p in parts) and all(p.endswith(".") for p in parts)
    assert " ".join(parts) == text
    assert split_message("x" * 4001) == ["x" * 2000, "x" * 2000, "x"]
    assert split_message("y" * 2000) == ["y" * 2000]


def _citation(**extra: object) -> Citation:
    base: dict[str, object] = {
        "number": 1,
        "article_id": "a1",
        "title": "Prize [update] for *Maathai*",
        "url": "https://news.example/2004-prize",
        "date": "2004-10-08",
        "quote": "The 2004 Nobel Peace Prize was awarded to Wangari Maathai.",
        "start": 0,
        "end": 57,
    }
    return Citation(**{**base, **extra})  # type: ignore[arg-type]


def test_a_near_miss_shows_its_source_as_what_the_articles_say_not_as_the_answer() -> None:
    nearest = _citation()
    answer = Answer(
        "Who won the 2005 Nobel Peace Prize?",
        "I could not find anything on “2005” in the articles I have. The closest they come: "
        "The 2004 Nobel Peace Prize was awarded to Wangari Maathai. [1]",
        True,
        "refused",
        nearest=nearest,
    )
    text = refusal_text(answer)
    assert text.startswith(answer.text) and "not an answer" in text
    assert "(<https://news.example/2004-prize>)" in text, "the link shows no preview"
    assert "\\[update\\]" in text and "\\*Maathai\\*" in text, "the title's markdown is shown as text"
    plain = Answer("q", "I could not find this in the articles I have.", True, "refused")
    assert "not an answer" not in refusal_text(plain) and "/ingest" in refusal_text(plain)


def test_copies_and_later_reports_are_named_under_the_quote() -> None:
    copies = tuple(AlsoReported(f"c{i}", f"Copy {i}", None, f"Outlet {i}", "2004-10-08") for i in range(7))
    answer = Answer("q", "a [1]", False, "extractive", [_citation(also_reported_by=copies, updates=2)])
    [field] = answer_embed(answer).fields
    assert "also reported by Outlet 0, Outlet 1, Outlet 2, Outlet 3, Outlet 4 and 2 more" in (field.value or "")
    assert "a later report, [2], updates this" in (field.value or "")


def test_the_words_that_answer_are_bold_and_nothing_else_changes_meaning() -> None:
    from bot.discord_app.rendering import bold_mark

    text = "The *Glass Harbor* show, says @everyone, returns."
    assert bold_mark("Glass Harbor is back.", (0, 12)) == "**Glass Harbor** is back."
    shown = bold_mark(text, (4, 18))
    assert shown.startswith("The **\\*Glass Harbor\\*** show") and "@\u200beveryone" in shown
    assert bold_mark("short", (3, 99)) == "short", "a mark outside the text is ignored"
    assert bold_mark("plain", None) == "plain"


def test_the_bold_is_placed_only_in_the_quote_it_was_found_in() -> None:
    """The mark is found in the first citation's quote: shown in bold in the answer only
    when the answer's text is that quote (the extractive answer), in the source's quote
    always. An LLM's own words are shown as written: the quote's offsets would fall in the
    middle of other words ("going to o**pen it**s first office")."""
    quote = "OpenAI will open its first international office in London, the company said."
    at = quote.index("London")
    cited = _citation(quote=quote, end=len(quote), mark=(at, at + len("London")))
    quoted = Answer("where?", f"{quote} [1]", False, "extractive", [cited])
    written = Answer("where?", "OpenAI is going to open its first international office in London [1].", False, "llm", [cited])
    assert quoted.mark() == (at, at + 6) and "office in **London**," in (answer_embed(quoted).description or "")
    assert written.mark() is None
    assert answer_embed(written).description == written.text, "the LLM's words as written, no bold"
    for answer in (quoted, written):
        [field] = answer_embed(answer).fields
        assert "office in **London**, the company" in (field.value or ""), "the source's quote shows the words"


def test_a_listed_storys_title_is_shortened_never_its_link() -> None:
    from bot.discord_app.newsroom_render import ITEM_LINE_CHARS, list_message
    from bot.newsroom import Body, Card

    url = (
        "https://www.coastal-times.example/world/europe/2026/03/07/valdoria-floods-death-toll-rises-rescuers-"
        "search-missing-northern-provinces-dam-breach-and-more-words-in-the-slug?utm_source=rss&utm_medium=feed"
    )
    title = (
        "Valdoria floods: death toll rises to 58 as rescuers search for missing in the northern provinces"
        " after [dam] breach, officials say"
    )
    long = Card(article_id="x", title=title, url=url, source="Coastal Times", date="2026-03-07")
    short = Card(article_id="y", title="Bridge opens", url="https://h.example/b", source="Herald", date="2026-03-06")
    message = list_message(Body(heading="…and 2 more stories", items=[long, short], marker=url))
    assert message.embed is not None and message.embed.description is not None
    first, second = message.embed.description.split("\n")
    assert f"(<{url}>) — Coastal Times, 7 Mar 2026" in first  # the link whole: the sender finds it by it
    assert first.startswith("1. [Valdoria floods: death toll") and "…" in first
    assert len(first) <= ITEM_LINE_CHARS
    assert second == "2. [Bridge opens](<https://h.example/b>) — Herald, 6 Mar 2026"
