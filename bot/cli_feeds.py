"""`newsdesk feeds add|list|remove` and `newsdesk watch`: feeds followed by themselves
(`feeds history|pause|resume|test`: cli_feeds_control.py).

The subscriptions live in NEWSDESK_DATA_DIR/feeds.sqlite3 (ingest/feeds/registry.py);
`watch` polls each feed when it is due, until SIGINT or SIGTERM, and `watch --once` polls
every feed now and exits (1 when one failed). Adding, listing and removing never load
the model or open the store; a poll loads them only when a feed has something new.
`feeds add URL --channel ID` also posts the feed's new stories in that Discord channel
(the bot sends them; `watch` plans them when it polls: bot/newsroom).
"""

from __future__ import annotations

import sys
import threading
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.text import Text

from bot.app import App
from bot.cli_ingest import yield_cpu
from bot.health import start as start_health
from bot.newsroom import Route
from bot.newsroom.backfill import backfill_text, parse_backfill
from bot.terminal import json_line, terminal_console
from common.signals import on_stop_signals
from ingest.feeds import DEFAULT_EVERY_MINUTES, FeedError, FeedPoller, PollResult, Subscription, watch
from vectorstore import GLOBAL_SCOPE
from vectorstore.system import few_malloc_arenas

feeds_app = typer.Typer(no_args_is_help=True, help="Feeds polled by `newsdesk watch` and by the bot.")
out = terminal_console()
err = terminal_console(stderr=True)


def _app(ctx: typer.Context) -> App:
    app = ctx.find_root().obj
    assert isinstance(app, App)
    return app


def _poller(ctx: typer.Context) -> FeedPoller:
    return _app(ctx).feeds


def _when(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if moment else "never"


@feeds_app.command("add")
def feeds_add(
    ctx: typer.Context,
    url: Annotated[str, typer.Argument(help="An RSS or Atom feed's URL.")],
    every: Annotated[int, typer.Option("--every", help="Minutes between polls.")] = DEFAULT_EVERY_MINUTES,
    channel: Annotated[
        int | None,
        typer.Option("--channel", help="A Discord channel's id: the bot posts each new story there."),
    ] = None,
    role: Annotated[
        list[int] | None,
        typer.Option("--role", help="With --channel: a role to ping at each new post (repeat for several)."),
    ] = None,
    backfill: Annotated[
        str | None,
        typer.Option(
            "--backfill",
            help="With --channel: also post what the feed holds now: its N newest entries (5), or those "
            "of the last days or hours (2d, 12h). Default: nothing older than the feed's addition.",
        ),
    ] = None,
) -> None:
    """Follow a feed (for every server); `newsdesk watch` or the bot polls it."""
    if (role or backfill is not None) and channel is None:  # a FeedError: cli.py says it
        raise FeedError("--role and --backfill need --channel: they are about a channel's posts.")
    spec = parse_backfill(backfill)
    poller = _poller(ctx)
    subscription, new = poller.follow(url, GLOBAL_SCOPE, every)
    if channel is not None:
        route = Route(subscription.url, GLOBAL_SCOPE, channel, tuple(role or ()), spec)
        _app(ctx).newsroom.config.route(route, datetime.now(UTC), primed=poller.read_before(subscription))
    verb = "following" if new else "already following; now polled"
    where = f", posting new stories in channel {channel}" if channel is not None else ""
    if channel is not None:
        where += f" ({backfill_text(spec)})"
    out.print(
        Text(f"{verb} {subscription.url} every {subscription.every_minutes} min{where}"), soft_wrap=True
    )


@feeds_app.command("list")
def feeds_list(ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Every followed feed: last poll, its result or error, articles added, next poll."""
    subscriptions = _poller(ctx).subscriptions()
    routes = _app(ctx).newsroom.config.routes()
    channels: dict[tuple[str, str], list[int]] = {}
    for r in routes:
        channels.setdefault((r.url, r.scope), []).append(r.channel_id)
    if as_json:
        rows = [s.to_json() | {"channels": channels.get((s.url, s.scope), [])} for s in subscriptions]
        sys.stdout.write(json_line(rows) + "\n")
        return
    if not subscriptions:
        out.print("No feeds followed: add one with `newsdesk feeds add URL`.", markup=False)
        return
    for s in subscriptions:
        posting = channels.get((s.url, s.scope), [])
        extra = [f"  posts in channel(s) {', '.join(map(str, posting))}"] if posting else []
        for line in [*_lines(s), *extra]:
            out.print(Text(line), soft_wrap=True)


def _lines(s: Subscription) -> list[str]:
    """One feed as `feeds list` shows it: URLs are never wrapped or cut."""
    where = "every server" if s.scope == GLOBAL_SCOPE else f"server {s.scope}"
    if s.last_error:
        result = f"error ({s.failures} in a row): {s.last_error}"
    else:
        result = s.last_result or "not polled yet"
    return [
        s.url,
        f"  for {where}, every {s.every_minutes} min; {s.articles_added} article(s) added",
        f"  last poll: {_when(s.last_poll)}: {result}" if s.last_poll else "  last poll: never",
        f"  next poll: {_when(s.next_due)}",
    ]


@feeds_app.command("remove")
def feeds_remove(
    ctx: typer.Context,
    url: Annotated[str, typer.Argument(help="The feed's URL, as `feeds list` shows it.")],
    scope: Annotated[str, typer.Option(help="A Discord server's id, for a feed it added.")] = GLOBAL_SCOPE,
) -> None:
    """Stop following a feed (the articles it brought stay; `articles delete` removes them)."""
    removed = _poller(ctx).unfollow(url, scope)
    _app(ctx).newsroom.config.unroute(removed.url, removed.scope)
    text = f"no longer following {removed.url} ({removed.articles_added} articles were added)"
    out.print(Text(text), soft_wrap=True)


def _print_result(result: PollResult) -> None:
    where = "" if result.scope == GLOBAL_SCOPE else f" (server {result.scope})"
    style = "red" if result.status == "failed" else ""
    line = f"{_when(datetime.now(UTC))} {result.url}{where}: {result.summary()}"
    err.print(Text(line, style=style), soft_wrap=True)


def watch_command(
    ctx: typer.Context,
    once: Annotated[bool, typer.Option("--once", help="Poll every feed now, once, and exit.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="With --once: the results as JSON.")] = False,
) -> None:
    """Poll each followed feed when it is due, until Ctrl-C or SIGTERM."""
    few_malloc_arenas()  # before the poller's threads start, as for the bot
    yield_cpu(_app(ctx).settings.ingest_nice)
    poller = _poller(ctx)
    if once:
        results = poller.poll_all()
        if as_json:
            sys.stdout.write(json_line([r.__dict__ for r in results]) + "\n")
        else:
            for result in results:
                _print_result(result)
        raise typer.Exit(1 if any(r.status == "failed" for r in results) else 0)
    count = len(poller.subscriptions())
    err.print(Text(f"watching {count} feed(s); Ctrl-C to stop", style="dim"))
    stop = threading.Event()
    app = _app(ctx)
    metrics, settings = app.metrics, app.settings
    server = start_health(metrics, settings.metrics_host, settings.metrics_port)

    def on_result(result: PollResult) -> None:
        _print_result(result)
        metrics.poll_round([result], poller.leading)

    with on_stop_signals(lambda _signal: stop.set()):  # the watch ends after the poll under way
        try:
            polls = watch(poller, stop, on_result, lambda: metrics.poll_round([], poller.leading))
        finally:
            app.stand_down()  # another process of the fleet polls at once
            if server is not None:
                server.close()
    err.print(Text(f"stopped after {polls} poll(s)", style="dim"))
