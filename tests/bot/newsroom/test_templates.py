"""Message templates: checked when set (an unknown placeholder is named), filled without
reading the values as placeholders, and held within Discord's limits when rendered."""

from __future__ import annotations

import pytest

from bot.discord_app.newsroom_render import post_message
from bot.discord_app.rendering import EMBED_DESCRIPTION, EMBED_TITLE, MESSAGE_LIMIT
from bot.newsroom import Card, PostState
from bot.newsroom.posting.templates import Look, TemplateError, check_template, fill

CARD = Card(
    article_id="a1",
    title="Floods in Valdoria kill 35",
    url="https://coastal.example/floods",
    source="Coastal Times",
    date="2026-03-05",
    lead="The Arven burst its banks on Thursday.",
)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "{title} — {headline}",
            "Unknown placeholder {headline}: use {title} {link} {outlet} {outlets} {date}",
        ),
        ("{title!r}", "Write {title} as it is"),
        ("{title:>40}", "Write {title} as it is"),
        ("{title[0]}", "Unknown placeholder {title[0]}"),
        ("{0}", "Unknown placeholder {0}"),
        ("a { lone brace", "The template cannot be read"),
        ("", "A template is 1 to 1500 characters"),
        ("x" * 1501, "A template is 1 to 1500 characters"),
    ],
)
def test_a_bad_template_is_refused_naming_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(TemplateError) as refused:
        check_template(text)
    assert message in str(refused.value)


def test_a_plain_template_must_link_its_story() -> None:
    """A plain-text post is found again after a crash by its link: {link} is required, and an
    escaped {{link}} is text, not the placeholder."""
    for text in ("{title} by {outlet}", "{title} {{link}}"):
        with pytest.raises(TemplateError, match=r"names \{link\}"):
            check_template(text, embed=False)
        assert check_template(text) == text  # an embed links its story in its title
    assert check_template("{title} {link}", embed=False) == "{title} {link}"


def test_values_are_never_read_as_placeholders() -> None:
    text = check_template("**{title}** {{literal}} {link}")
    assert fill(text, {"title": "{link} {0.__class__}", "link": "https://x.example"}) == (
        "**{link} {0.__class__}** {literal} https://x.example"
    )


def test_a_plain_template_fills_the_message_and_pings_every_role() -> None:
    look = Look(
        template="📰 {title} ({outlets}, {date})\n{summary}\n{link} via {feed}", embed=False, name="Wire"
    )
    state = PostState(card=CARD, look=look, role_ids=[5, 6], also=["Herald", "Coastal Times"])
    shown = post_message(state)
    assert shown.embed is None
    assert shown.content == (
        "<@&5> <@&6>\n📰 Floods in Valdoria kill 35 (Coastal Times, Herald, 5 Mar 2026)\n"
        "The Arven burst its banks on Thursday.\nhttps://coastal.example/floods via Wire\n"
        "*also reported by Herald, Coastal Times*"
    )
    assert [r.id for r in shown.mentions.roles] == [5, 6] and shown.mentions.everyone is False  # type: ignore[union-attr]


def test_an_embed_template_and_discords_limits_hold_whatever_the_story_says() -> None:
    huge = CARD.model_copy(update={"title": "@everyone " + "T" * 400, "lead": "L " * 3000})
    plain = post_message(PostState(card=huge, look=Look(template="{summary} {summary} {link}", embed=False)))
    assert plain.content is not None and len(plain.content) <= MESSAGE_LIMIT
    assert plain.content.endswith(CARD.url or "")  # its link kept: a delivery is found again by it
    long = Look(template="{title}\n" + "{summary}\n" * 10, embed=True)
    boxed = post_message(PostState(card=huge, look=long, role_ids=[5]))
    assert boxed.embed is not None and boxed.content == "<@&5>"
    assert (
        len(boxed.embed.title or "") <= EMBED_TITLE
        and len(boxed.embed.description or "") <= EMBED_DESCRIPTION
    )
    assert boxed.embed.url == CARD.url and len(boxed.embed) <= 6000
    assert "@everyone" not in (boxed.embed.description or "")  # neutralised
