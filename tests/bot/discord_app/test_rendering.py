"""Answers rendered inside Discord's limits."""

from __future__ import annotations

from bot.answering.models import AlsoReported, Answer, Citation
from bot.discord_app.rendering import (
    EMBED_TOTAL,
    FSI,
    PDI,
    answer_embed,
    refusal_text,
    report_text,
    safe,
    split_message,
)
from ingest.report import IngestReport, Outcome

SPOOFS = {  # what a stranger writes -> what members read
    "file.exe\u202egpj.\u202c": "file.exegpj.",  # right-to-left override: read "file.exe.jpg"
    "invoice\u2067fdp.exe\u2069": "invoicefdp.exe",  # an isolate the data opened
    "abc\u202dxyz\u202a\u202b": "abcxyz",  # overrides and embeddings left open
    "pay\u200dpal\u200b \ufeffbank\u2060": "paypal bank",  # invisible joiners inside Latin words
    "\u200fnews\u200e\u061c": "news",  # marks
}
BIDI_AND_INVISIBLE = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u200e\u200f\u061c\u200b\u2060\ufeff")


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
    later = _citation(number=2, article_id="a2", date="2004-10-09", updates=1)
    answer = Answer("q", "a [1] b [2]", False, "extractive", [_citation(also_reported_by=copies), later])
    first, second = answer_embed(answer).fields
    names = ", ".join(f"{FSI}Outlet {i}{PDI}" for i in range(5))  # each name in an isolate of its own
    assert f"also reported by {names} and 2 more" in (first.value or "")
    assert "a later report, [2], updates this" in (first.value or ""), "under the citation it updates"
    assert "updates this" not in (second.value or "") and "it updates [1]" in (second.value or "")


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
    written = Answer(
        "where?",
        "OpenAI is going to open its first international office in London [1].",
        False,
        "llm",
        [cited],
    )
    assert quoted.mark() == (at, at + 6) and "office in **London**," in (
        answer_embed(quoted).description or ""
    )
    assert written.mark() is None
    assert answer_embed(written).description == written.text, "the LLM's words as written, no bold"
    for answer in (quoted, written):
        [field] = answer_embed(answer).fields
        assert "office in **London**, the company" in (field.value or ""), (
            "the source's quote shows the words"
        )


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
    short = Card(
        article_id="y", title="Bridge opens", url="https://h.example/b", source="Herald", date="2026-03-06"
    )
    message = list_message(Body(heading="…and 2 more stories", items=[long, short], marker=url))
    assert message.embed is not None and message.embed.description is not None
    first, second = message.embed.description.split("\n")
    assert f"(<{url}>) — Coastal Times, 7 Mar 2026" in first  # the link whole: the sender finds it by it
    assert first.startswith("1. [Valdoria floods: death toll") and "…" in first
    assert len(first) <= ITEM_LINE_CHARS
    assert second == "2. [Bridge opens](<https://h.example/b>) — Herald, 6 Mar 2026"


def test_spoofing_shapes_reach_discord_without_their_controls_and_names_are_isolated() -> None:
    for spoof, plain in SPOOFS.items():
        assert safe(spoof) == plain
        cited = _citation(title=spoof, quote=f"{spoof} was sent.", also_reported_by=())
        embed = answer_embed(Answer(f"What is {spoof}?", f"{spoof} [1]", False, "extractive", [cited]))
        [field] = embed.fields
        assert field.name == f"[1] {FSI}{plain}{PDI}"
        for shown_text in (embed.title or "", embed.description or "", field.value or ""):
            assert not BIDI_AND_INVISIBLE & set(shown_text), repr(shown_text)
            assert shown_text.count(FSI) == shown_text.count(PDI)
        assert f"[{FSI}{plain}{PDI}](https://news.example/2004-prize)" in (field.value or "")
        failed = IngestReport([Outcome(f"/uploads/{spoof}", "failed", reason=f"{spoof} is broken")])
        line = report_text(failed).splitlines()[1]
        assert line == f"• {FSI}/uploads/{plain}{PDI}: {plain} is broken"


def test_writing_that_needs_joiners_and_paired_isolates_is_kept() -> None:
    persian, family = (
        "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",
        "\U0001f468\u200d\U0001f469\u200d\U0001f467",
    )
    assert safe(persian) == persian and safe(family) == family  # ZWNJ, ZWJ as spelling
    assert safe(f"{FSI}\u0633\u0644\u0627\u0645{PDI} 2024") == f"{FSI}\u0633\u0644\u0627\u0645{PDI} 2024"
    assert safe(f"{PDI}a{FSI}b{FSI}c{PDI}") == f"ab{FSI}c{PDI}"  # an unpaired isolate or pop is dropped


def test_the_footer_calls_only_an_old_report_old_news() -> None:
    cited = [
        Citation(1, "a", "Preview", "https://x.example/a", "2026-01-09", "The final is on Saturday.", 0, 25)
    ]
    text = "The newest I have on this is from 9 January 2026: The final is on Saturday. [1]"
    recent = Answer("who won the cup", text, False, "extractive", cited, "2026-01-09", stale="2026-01-09")
    assert answer_embed(recent).footer.text == "as of 2026-01-09 · ⚠ the newest report I have"
    old = Answer(
        "who won the cup", text, False, "extractive", cited, "2026-01-09", stale="2026-01-09", old=True
    )
    assert answer_embed(old).footer.text == "as of 2026-01-09 · ⚠ old news: the newest report I have"
