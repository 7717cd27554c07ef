"""The newsroom's messages (bot/newsroom plans them) as Discord messages: within Discord's
limits, pinging no one but a role an admin chose for a feed's new posts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import discord

from bot.discord_app.rendering import (
    EMBED_DESCRIPTION,
    EMBED_TITLE,
    FOOTER,
    MESSAGE_LIMIT,
    NO_MENTIONS,
    clip,
    safe,
)
from bot.newsroom import Body, Card, PostState
from bot.newsroom.posting.templates import day_text, fill, values_of

LEAD_CHARS = 600
ITEM_LINE_CHARS = 300
MIN_TITLE_CHARS = 20  # a listed story's title keeps this much however long its link
ALSO_SHOWN = 8
PINGS_ROOM = 150  # a post's role mentions (5 roles) before its templated text


@dataclass
class Outgoing:
    """What one delivery sends (or what an edit sets)."""

    content: str | None = None
    embed: discord.Embed | None = None
    mentions: discord.AllowedMentions = field(default_factory=lambda: NO_MENTIONS)
    persona: tuple[str, str | None] | None = None  # sent through the channel's webhook as (name, avatar)

    @property
    def embeds(self) -> list[discord.Embed]:
        return [self.embed] if self.embed is not None else []


_day = day_text


def _title(text: str, limit: int) -> str:
    """A title for a markdown link, at most `limit` characters once escaped."""
    escape = discord.utils.escape_markdown
    title, cut = safe(text), limit
    while True:
        shown = escape(clip(title, cut)).replace("[", "\\[").replace("]", "\\]")
        if len(shown) <= limit or cut <= 1:
            return shown
        cut -= max(len(shown) - limit, 1)


def _item_line(n: int, card: Card, extra: str) -> str:
    """One listed story: its title shortened to fit the line, never its link (a delivery
    is found again by it), outlet and date."""
    tail = f" — {safe(card.source)}" if card.source else ""
    around = f"[](<{card.url}>)" if card.url else ""
    fixed = len(f"{n}. {around}{tail}, {_day(card.date)}")
    title = _title(card.title, max(ITEM_LINE_CHARS - fixed, MIN_TITLE_CHARS))
    link = f"[{title}](<{card.url}>)" if card.url else title
    line = f"{n}. {link}{tail}, {_day(card.date)}"
    room = ITEM_LINE_CHARS - len(line)
    return line + clip(extra, room) if extra and room > MIN_TITLE_CHARS else line


def card_embed(card: Card, notes: Sequence[str] = ()) -> discord.Embed:
    """An article: title linked to it, its lead, then notes; outlet and date below."""
    description = "\n".join([clip(safe(card.lead), LEAD_CHARS), *notes]).strip()
    embed = discord.Embed(
        title=clip(safe(card.title), EMBED_TITLE),
        url=card.url or None,
        description=clip(description, EMBED_DESCRIPTION),
        colour=discord.Colour.dark_teal(),
    )
    embed.set_footer(text=clip(safe(f"{card.source or 'newsdesk'} · {_day(card.date)}"), FOOTER))
    return embed


def post_message(state: PostState) -> Outgoing:
    """A story's top-level post, as it stands: also reported by, updated."""
    notes = []
    if state.also:
        names = ", ".join(safe(s) for s in state.also[:ALSO_SHOWN])
        more = len(state.also) - ALSO_SHOWN
        notes.append(f"*also reported by {names}{f' and {more} more' if more > 0 else ''}*")
    if state.updated_at:
        notes.append(f"*updated {discord.utils.format_dt(datetime.fromisoformat(state.updated_at), 'R')}*")
    roles = state.role_ids or ([state.role_id] if state.role_id else [])
    pings = " ".join(f"<@&{r}>" for r in roles)
    look = state.look
    if look is not None and look.template is not None:
        outgoing = templated(state, look.template, look.embed, notes)
    else:
        outgoing = Outgoing(embed=card_embed(state.card, notes))
    if look is not None and look.webhook:
        outgoing.persona = (look.name or "", look.avatar)
    if not roles:
        return outgoing
    outgoing.content = clip(f"{pings}\n{outgoing.content}" if outgoing.content else pings, MESSAGE_LIMIT)
    allowed = [discord.Object(r) for r in roles]
    outgoing.mentions = discord.AllowedMentions(everyone=False, users=False, roles=allowed)
    return outgoing


def templated(state: PostState, template: str, embed: bool, notes: Sequence[str] = ()) -> Outgoing:
    """A post written by its feed's template (posting/templates.py): the values made safe
    to show, the text within Discord's limits (a message's 2,000 characters with room for
    the roles it pings; an embed's description)."""
    card = state.card
    values = values_of(card, state.also, state.look.name or "" if state.look else "", safe, LEAD_CHARS)
    text = "\n".join([fill(template, values), *notes]).strip()
    if not embed:  # its link stays in it: a delivery is found again by it
        room = MESSAGE_LIMIT - PINGS_ROOM
        shown = clip(text, room)
        if card.url and card.url not in shown:
            shown = f"{clip(text, room - len(card.url) - 1)}\n{card.url}"
        return Outgoing(content=shown)
    box = discord.Embed(
        title=clip(safe(card.title), EMBED_TITLE),
        url=card.url or None,
        description=clip(text, EMBED_DESCRIPTION),
        colour=discord.Colour.dark_teal(),
    )
    box.set_footer(text=clip(safe(f"{card.source or 'newsdesk'} · {_day(card.date)}"), FOOTER))
    return Outgoing(embed=box)


def update_message(body: Body) -> Outgoing:
    assert body.card is not None
    return Outgoing(content=clip(safe(body.change or "Update"), MESSAGE_LIMIT), embed=card_embed(body.card))


def test_message(body: Body) -> Outgoing:
    """A `/feeds test` post: the feed's newest entry as its posts look, said to be a test."""
    assert body.card is not None
    return Outgoing(content="🧪 Test post (`/feeds test`): the feed's newest entry, as its posts look.",
                    embed=card_embed(body.card))  # fmt: skip


def topic_message(body: Body) -> Outgoing:
    """A story a member's followed topic matched (a direct message, or an admin's channel)."""
    assert body.card is not None
    quote = body.change or ""
    said = " ".join(body.card.lead.split()).casefold()
    shown = " ".join(quote.split()).casefold()
    repeated = not shown or shown in said or (said and said in shown)  # the matched sentence is the lead
    embed = card_embed(body.card, [] if repeated else [f"> {clip(safe(quote), 300)}"])
    embed.set_author(name=clip(safe(f"Following “{body.topic}”"), 256))
    return Outgoing(embed=embed)


def list_message(body: Body) -> Outgoing:
    """The "and N more stories" line, or a digest: one line per story, its citation linked."""
    lines: list[str] = []
    size = len(body.heading or "") + 40
    for n, card in enumerate(body.items, start=1):
        extra = f" · {safe(card.lead)}" if body.marker.startswith("newsdesk digest") and card.lead else ""
        line = _item_line(n, card, extra)
        if size + len(line) + 1 > EMBED_DESCRIPTION - 100:
            lines.append(f"… and {len(body.items) - n + 1} more")
            break
        lines.append(line)
        size += len(line) + 1
    embed = discord.Embed(
        title=clip(safe(body.heading or ""), EMBED_TITLE),
        description="\n".join(lines) or None,
        colour=discord.Colour.dark_teal(),
    )
    if body.marker.startswith("newsdesk digest"):
        embed.set_footer(text=body.marker)
    return Outgoing(embed=embed)


def text_of(message: discord.Message) -> str:
    """Everything a message says, for finding a delivery's marker in it."""
    parts = [message.content or ""]
    for embed in message.embeds:
        parts += [embed.url or "", embed.title or "", embed.description or "", embed.footer.text or ""]
        parts.append(embed.author.name or "")
    return "\n".join(parts)
