"""`newsdesk feeds history|pause|resume|test|template|preview`: what became of a feed's
stories, control of its posts, and how they read (the bot sends what these plan; bot/newsroom)."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.text import Text

from bot.cli_feeds import _app, _poller, _when, feeds_app, out
from bot.newsroom.config import channel_key, feed_key
from bot.newsroom.history import MAX_SHOWN
from bot.newsroom.posting.templates import (
    PLACEHOLDERS,
    Look,
    check_template,
    day_text,
    fill,
    is_off,
    values_of,
)
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


def feeds_template(
    ctx: typer.Context,
    text: Annotated[str, typer.Argument(help=f"With {' '.join(f'{{{p}}}' for p in PLACEHOLDERS)}; off.")],
    url: Annotated[str | None, typer.Option("--url", help="This feed's posts.")] = None,
    channel: Annotated[int | None, typer.Option("--channel", help="Or: this channel's feeds' posts.")] = None,
    plain: Annotated[bool, typer.Option("--plain", help="The message's text, not an embed.")] = False,
    scope: SCOPE = GLOBAL_SCOPE,
) -> None:
    """How a feed's (or a channel's) new posts read: a template with placeholders, filling
    an embed under the story's linked title, or the message's text."""
    if (url is None) == (channel is None):
        raise FeedError("Give --url or --channel, one of them.")
    off = is_off(text)
    checked = None if off else check_template(text, embed=not plain)
    if channel is not None:
        key, where = channel_key(channel), f"channel {channel}"
    else:
        key, where = feed_key(_followed(ctx, url or "", scope).url, scope), url or ""
    _app(ctx).newsroom.config.update_look(key, template=checked, embed=not plain)
    out.print(Text(f"template {'cleared' if off else 'set'} for {where}"), soft_wrap=True)


def feeds_preview(
    ctx: typer.Context,
    url: URL,
    text: Annotated[str | None, typer.Option("--text", help="Try this template instead.")] = None,
    plain: Annotated[bool, typer.Option("--plain", help="With --text: the message's text.")] = False,
    scope: SCOPE = GLOBAL_SCOPE,
) -> None:
    """The feed's newest entry as its posts look (its template, or the one given)."""
    subscription = _followed(ctx, url, scope)
    config = _app(ctx).newsroom.config
    routes = config.routes(subscription.url, scope)
    look = routes[0].look if routes else config.look(feed_key(subscription.url, scope)) or Look()
    if text is not None:
        look = look.model_copy(update={"template": check_template(text), "embed": not plain})
    card = entry_card(_poller(ctx).newest_entry(subscription.url, scope))
    text = card.lead if look.template is None else fill(look.template, values_of(card, [], look.name or ""))
    if look.template is None or look.embed:  # an embed: its linked title, text and footer
        footer = f"— {card.source or 'newsdesk'} · {day_text(card.date)}"
        text = f"[embed] {card.title} <{card.url or ''}>\n{text}\n{footer}"
    out.print(Text(text), soft_wrap=True)


def register(feeds: typer.Typer) -> None:
    """Add these commands to `newsdesk feeds`."""
    for name, command in (("history", feeds_history), ("pause", feeds_pause), ("resume", feeds_resume),
                          ("test", feeds_test), ("template", feeds_template),
                          ("preview", feeds_preview)):  # fmt: skip
        feeds.command(name)(command)


def _followed(ctx: typer.Context, url: str, scope: str) -> Subscription:
    found = _poller(ctx).registry.get(url.strip(), scope)
    if found is None:  # a FeedError: cli.py says it
        raise FeedError("No such feed is followed (see `newsdesk feeds list`).")
    return found


register(feeds_app)  # `newsdesk feeds` is imported from here, with these commands on it
