"""Answers as Discord messages, inside Discord's limits, pinging no one."""

from __future__ import annotations

import re

import discord

from bot.answering.models import Answer
from bot.answering.rules import clip as clip  # re-exported: the one clip() of the project
from ingest.pipeline import IngestReport

MESSAGE_LIMIT = 2000
EMBED_TITLE = 256
EMBED_DESCRIPTION = 4096
FIELD_NAME = 256
FIELD_VALUE = 1024
EMBED_FIELDS = 25
EMBED_TOTAL = 6000
FOOTER = 2048
NO_MENTIONS = discord.AllowedMentions.none()


_MENTION_LIKE = re.compile(r"<(@[!&]?|#)(\d+)>")


def safe(text: str) -> str:
    """Neutralise @everyone/@here and user, role and channel mentions in quoted text
    (allowed_mentions=none already stops pings; this also keeps them from rendering)."""
    text = _MENTION_LIKE.sub(lambda m: f"<{m.group(1)}\u200b{m.group(2)}>", text)
    return discord.utils.escape_mentions(text)


def split_message(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Split text into messages of at most `limit` characters, at paragraph, line,
    sentence or word boundaries when there is one in the second half of a piece."""
    parts: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        window = rest[:limit]
        cut = -1
        for sep in ("\n\n", "\n", ". ", " "):
            at = window.rfind(sep, limit // 2)
            if at > 0:
                cut = at + (1 if sep == ". " else 0)
                break
        if cut <= 0:
            cut = limit
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        parts.append(rest)
    return parts


def answer_embed(answer: Answer) -> discord.Embed:
    embed = discord.Embed(
        title=clip(safe(answer.question), EMBED_TITLE),
        description=clip(safe(answer.text), EMBED_DESCRIPTION),
        colour=discord.Colour.blurple(),
    )
    for c in answer.citations[:EMBED_FIELDS]:
        link = f"[{clip(safe(c.title), 200)}]({c.url})" if c.url else clip(safe(c.title), 200)
        value = f"{link} · {c.date or 'undated'}\n> {safe(c.quote)}"
        embed.add_field(
            name=clip(f"[{c.number}] {safe(c.title)}", FIELD_NAME),
            value=clip(value, FIELD_VALUE),
            inline=False,
        )
    footer = f"as of {answer.as_of}" if answer.as_of else "newsdesk"
    embed.set_footer(text=clip(footer, FOOTER))
    while len(embed) > EMBED_TOTAL and embed.fields:  # drop the least important first
        embed.remove_field(len(embed.fields) - 1)
    if len(embed) > EMBED_TOTAL:
        embed.description = clip(embed.description or "", EMBED_DESCRIPTION - (len(embed) - EMBED_TOTAL))
    return embed


def refusal_text(answer: Answer) -> str:
    return f"{answer.text} Try other words, or ask an admin to add articles on this with `/ingest`."


def report_text(report: IngestReport) -> str:
    head = (
        f"{report.count('added')} added, {report.count('updated')} updated, "
        f"{report.count('unchanged')} unchanged, {report.count('failed')} failed"
        f" — {report.chunks_embedded} chunks embedded."
    )
    lines = [head] + [f"• {safe(o.source)}: {safe(o.reason or '')}" for o in report.failed[:10]]
    return clip("\n".join(lines), MESSAGE_LIMIT)
