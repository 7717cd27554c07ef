"""Answers as Discord messages, inside Discord's limits, pinging no one, and showing text
as text: every piece of data shown goes through `safe`, which drops control, bidi and
invisible characters (ingest/reading/cleaning.py's `shown`: "file.exe\u202egpj." would read
"file.exe.jpg"), and a name (a title, an outlet, a file) is shown `isolated`, wrapped in a
first-strong isolate, so that a right-to-left name cannot pull what follows it (its number,
its date) into its run. The isolates are the only bidi controls sent: `safe` keeps a first-
strong isolate and its pop when they pair up, which by Unicode's rules (UAX #9) reorder
nothing outside them, and drops any that do not."""

from __future__ import annotations

import re
from collections.abc import Sequence

import discord

from bot.answering.models import Answer, Citation
from bot.answering.rules import clip as clip  # re-exported: the one clip() of the project
from ingest.reading.cleaning import shown
from ingest.report import IngestReport

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
FSI, PDI = "\u2068", "\u2069"  # first-strong isolate, pop directional isolate
_ISOLATE = re.compile(f"([{FSI}{PDI}])")


def safe(text: str) -> str:
    """Text shown as text: control, bidi and invisible characters dropped (paired
    isolates kept), and @everyone/@here and user, role and channel mentions neutralised
    (allowed_mentions=none already stops pings; this also keeps them from rendering)."""
    text = _shown(text)
    text = _MENTION_LIKE.sub(lambda m: f"<{m.group(1)}\u200b{m.group(2)}>", text)
    return discord.utils.escape_mentions(text)


def isolated(name: str, limit: int = 200) -> str:
    """A name as members see it: safe, at most `limit` characters, in an isolate of its own."""
    return f"{FSI}{clip(safe(name), limit)}{PDI}"


def _shown(text: str) -> str:
    """`shown(text)`, but a first-strong isolate and the pop that closes it are kept."""
    if FSI not in text and PDI not in text:
        return shown(text)
    parts = [p if p in (FSI, PDI) else shown(p) for p in _ISOLATE.split(text)]
    opened: list[int] = []
    unpaired: set[int] = set()
    for at, part in enumerate(parts):
        if part == FSI:
            opened.append(at)
        elif part == PDI:
            if opened:
                opened.pop()
            else:
                unpaired.add(at)
    unpaired.update(opened)
    return "".join(p for at, p in enumerate(parts) if at not in unpaired)


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


def bold_mark(text: str, mark: tuple[int, int] | None) -> str:
    """`text` made safe, with the words at `mark` in bold (the words that answer)."""
    if mark is None or not 0 <= mark[0] < mark[1] <= len(text):
        return safe(text)
    start, end = mark
    words = discord.utils.escape_markdown(text[start:end])
    return f"{safe(text[:start])}**{safe(words)}**{safe(text[end:])}"


def answer_embed(answer: Answer) -> discord.Embed:
    embed = discord.Embed(
        title=clip(safe(answer.question), EMBED_TITLE),
        description=clip(bold_mark(answer.text, answer.mark()), EMBED_DESCRIPTION),
        colour=discord.Colour.blurple(),
    )
    for c in answer.citations[:EMBED_FIELDS]:
        value = f"{_source_line(c)}\n> {bold_mark(c.quote, c.mark)}{_also(c, answer.citations)}"
        embed.add_field(
            name=f"[{c.number}] {isolated(c.title, FIELD_NAME - 10)}",
            value=clip(value, FIELD_VALUE),
            inline=False,
        )
    footer = f"as of {answer.as_of}" if answer.as_of else "newsdesk"
    if answer.stale:  # the text opens "The newest I have on this is from ...": old news, or a
        # recent report (a preview) that does not report the outcome asked about
        footer = f"{footer} · ⚠ {'old news: ' if answer.old else ''}the newest report I have"
    embed.set_footer(text=clip(footer, FOOTER))
    while len(embed) > EMBED_TOTAL and embed.fields:  # drop the least important first
        embed.remove_field(len(embed.fields) - 1)
    if len(embed) > EMBED_TOTAL:
        embed.description = clip(embed.description or "", EMBED_DESCRIPTION - (len(embed) - EMBED_TOTAL))
    return embed


def _source_line(c: Citation, in_message: bool = False) -> str:
    """Title linked to the article, and its date. In a message the link is wrapped in <>
    so that Discord shows no preview of it."""
    title = discord.utils.escape_markdown(isolated(c.title))
    title = title.replace("[", "\\[").replace("]", "\\]")  # a bracket would end the link text
    url = f"<{c.url}>" if in_message else c.url
    return f"{f'[{title}]({url})' if c.url else title} · {c.date or 'undated'}"


def _also(c: Citation, cited: Sequence[Citation] = ()) -> str:
    """Copies of the story and the later reports that update it (`Citation.updates`
    names the citation a later report updates), after the quote."""
    notes = [f"a later report, [{x.number}], updates this" for x in cited if x.updates == c.number]
    if c.updates is not None:
        notes.append(f"a later report: it updates [{c.updates}]")
    if c.also_reported_by:
        names = ", ".join(isolated(r.source or r.title, 100) for r in c.also_reported_by[:5])
        more = len(c.also_reported_by) - 5
        notes.append(f"also reported by {names}" + (f" and {more} more" if more > 0 else ""))
    return f"\n*{'; '.join(notes)}*" if notes else ""


def refusal_text(answer: Answer) -> str:
    """A refusal; a near miss also names the article its closest quote comes from, marked
    as what the articles do say, not as the answer."""
    if answer.nearest is None:
        return f"{answer.text} Try other words, or ask an admin to add articles on this with `/ingest`."
    source = _source_line(answer.nearest, in_message=True)
    return f"{answer.text}\n-# [1] {source} — the closest the articles come, not an answer."


def report_text(report: IngestReport) -> str:
    head = (
        f"{report.count('added')} added, {report.count('updated')} updated, "
        f"{report.count('unchanged')} unchanged, {report.count('failed')} failed"
        f" — {report.chunks_embedded} chunks embedded."
    )
    lines = [head] + [f"• {isolated(o.source, 300)}: {safe(o.reason or '')}" for o in report.failed[:10]]
    return clip("\n".join(lines), MESSAGE_LIMIT)
