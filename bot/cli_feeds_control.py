"""`newsdesk feeds history|pause|resume|test`: what became of a feed's stories, and
control of its posts (the bot sends what these plan; bot/newsroom)."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.text import Text

from bot.cli_feeds import _app, _poller, _when, out
from bot.newsroom.history import MAX_SHOWN
from bot.newsroom.reading import entry_card
from bot.terminal import json_line
from ingest.feeds import FeedError, Subscription
from vectorstore import GLOBAL_SCOPE

URL = Annotated[str, typer.Argument(help="The feed's URL, as `feeds list` shows it.")]
SCOPE = Annotated[str, typer.Option(help="A Discord server's id, for a feed it added.")]


def feeds_history(
    ctx: typer.Context,
    url: Annotated[str | None, typer.Argument(help="Only this feed's stories.")] = None,
    channel: Annotated[int | None, typer.Option("--channel", help="Only this channel's.")] = None,
    scope: Annotated[str, typer.Option(help="With URL: a Discord server's id, for its feed.")] = GLOBAL_SCOPE,
    limit: Annotated[int, typer.Option("--limit", min=1, max=MAX_SHOWN)] = 50,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """What became of the newest stories, newest first: posted, edited, thread update,
    filtered, folded into "more", dropped or refused, with the reason."""
    feeds = [(url.strip(), scope)] if url else None
    entries = _app(ctx).newsroom.history([channel] if channel is not None else None, feeds, limit)
    if as_json:
        sys.stdout.write(json_line([e.to_json() for e in entries]) + "\n")
        return
    if not entries:
        out.print("Nothing delivered or filtered yet.", markup=False)
    for e in entries:
        title = f" “{e.title}”" if e.title else ""
        reason = f" — {e.reason}" if e.reason else ""
        out.print(Text(f"{_when(e.at)} channel {e.channel_id} {e.outcome}{title}{reason}"), soft_wrap=True)


def feeds_pause(ctx: typer.Context, url: URL, scope: SCOPE = GLOBAL_SCOPE) -> None:
    """Stop a feed's posts (it is still polled: its articles answer questions)."""
    subscription = _followed(ctx, url, scope)
    done = _app(ctx).newsroom.config.pause(subscription.url, scope, datetime.now(UTC))
    out.print(Text(f"{'paused' if done else 'already paused'}: {subscription.url}"), soft_wrap=True)


def feeds_resume(ctx: typer.Context, url: URL, scope: SCOPE = GLOBAL_SCOPE) -> None:
    """Post a paused feed's new stories again."""
    subscription = _followed(ctx, url, scope)
    done = _app(ctx).newsroom.config.resume(subscription.url, scope)
    out.print(Text(f"{'resumed' if done else 'not paused'}: {subscription.url}"), soft_wrap=True)


def feeds_test(
    ctx: typer.Context,
    url: URL,
    channel: Annotated[
        int | None, typer.Option("--channel", help="Where (default: the first channel the feed posts in).")
    ] = None,
    scope: SCOPE = GLOBAL_SCOPE,
) -> None:
    """Post the feed's newest entry once, marked as a test (the bot sends it)."""
    subscription = _followed(ctx, url, scope)
    newsroom = _app(ctx).newsroom
    routed = [r.channel_id for r in newsroom.config.routes(subscription.url, scope)]
    target = channel if channel is not None else next(iter(routed), None)
    if target is None:
        raise FeedError("The feed posts in no channel: say where with --channel.")
    card = entry_card(_poller(ctx).newest_entry(subscription.url, scope))
    newsroom.test_post(target, card, (subscription.url, scope))
    out.print(Text(f"a test post of “{card.title}” goes to channel {target}"), soft_wrap=True)


def register(feeds: typer.Typer) -> None:
    """Add these commands to `newsdesk feeds`."""
    for name, command in (("history", feeds_history), ("pause", feeds_pause), ("resume", feeds_resume),
                          ("test", feeds_test)):  # fmt: skip
        feeds.command(name)(command)


def _followed(ctx: typer.Context, url: str, scope: str) -> Subscription:
    found = _poller(ctx).registry.get(url.strip(), scope)
    if found is None:  # a FeedError: cli.py says it
        raise FeedError("No such feed is followed (see `newsdesk feeds list`).")
    return found
