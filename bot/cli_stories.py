"""`newsdesk stories [--since DATE] [--json]`: the stories of the store, newest first, each
with its articles in the order they were published (the first report first; copies and
updates marked as such) — the view the Discord deliveries and the digest are built on
(bot/newsroom). Articles not grouped yet are grouped first (their headlines and openings
embedded, about 10 ms an article)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.text import Text

from bot.app import App
from bot.newsroom import Story
from bot.terminal import json_line, terminal_console
from common.errors import NewsdeskError
from vectorstore.models import parse_day

out = terminal_console()
MARK = {"first": "", "copy": "copy", "update": "update", "report": "report"}


def _lines(story: Story) -> list[str]:
    span = (
        story.first_day if story.first_day == story.newest_day else f"{story.first_day} – {story.newest_day}"
    )
    lines = [f"{story.title} ({span}, {len(story.articles)} article(s))"]
    for a in story.articles:
        role = f"[{MARK[a.role]}] " if MARK[a.role] else ""
        lines.append(f"  {a.date or 'undated'} {role}{a.source or '?'}: {a.title}")
        if a.url:
            lines.append(f"      {a.url}")
    return lines


def stories_command(
    ctx: typer.Context,
    since: Annotated[
        str | None, typer.Option("--since", help="Only stories with a report on or after this date.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON list of stories.")] = False,
) -> None:
    """The stories (one event, however many reports), newest first."""
    day = parse_day(since) if since else None
    if since and day is None:  # the CLI's one error path: a line on stderr, or JSON with --json
        raise NewsdeskError(f"--since must be a date like 2026-03-07, not {since!r}")
    app = ctx.find_root().obj
    assert isinstance(app, App)
    stories = app.newsroom.stories(since=day)
    if as_json:
        sys.stdout.write(json_line([s.to_json() for s in stories]) + "\n")
        return
    if not stories:
        out.print("No stories" + (f" since {day}" if day else "") + ".", markup=False)
        return
    for story in stories:
        for line in _lines(story):
            out.print(Text(line), soft_wrap=True, highlight=False)
