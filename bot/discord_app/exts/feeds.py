"""A server's admins follow feeds (/feeds: exts/feeds_setup.py, exts/feeds_control.py); the
bot polls them while it runs.

A server's feeds are its own (scope = the server's id): their articles answer there only,
and they are fetched from public addresses only. The poll loop hands due feeds to the
ingest worker pool once a tick (a minute, or a third of POLLER_LEASE_S), in the one
process of the fleet that holds the poller lease (FeedPoller's seat); a poll never raises
(failures are recorded and backed off), and a full ingest queue just skips a tick. A feed
added with a channel posts its new stories there (the newsroom: planned in the
poll round, sent by the newsroom cog, woken after each round).
"""

from __future__ import annotations

import logging

from discord.ext import commands, tasks

from bot.discord_app.client import NewsBot
from bot.discord_app.exts.feeds_looks import FeedsLooks
from bot.discord_app.exts.feeds_setup import feeds_group, subscribe
from bot.discord_app.workers import BusyError
from ingest.feeds import FeedPoller, PollResult

log = logging.getLogger(__name__)
POLL_TICK_S = 60.0  # changed to Settings.poll_tick_s when the cog is made
__all__ = ["Feeds", "subscribe"]


class Feeds(FeedsLooks):
    group = feeds_group  # its commands: exts/feeds_setup.py, feeds_control.py, feeds_looks.py

    def __init__(self, bot: NewsBot, poller: FeedPoller) -> None:
        self.bot = bot
        self.poller = poller
        # a third of the poller lease: a dead poller's lease is taken over within a tick
        self.poll_loop.change_interval(seconds=bot.settings.poll_tick_s)

    async def cog_unload(self) -> None:
        self.poll_loop.cancel()

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        if not self.poll_loop.is_running():
            self.poll_loop.start()

    @tasks.loop(seconds=POLL_TICK_S)
    async def poll_loop(self) -> None:
        await self.poll_due()

    async def poll_due(self) -> list[PollResult]:
        """One tick: the due feeds, polled in the ingest pool; never raises."""
        try:
            results = await self.bot.ingests.run(self.poller.poll_due)
            self.bot.metrics.poll_round(results, self.poller.leading)
            self.bot.newsroom_planned()
            return results
        except BusyError:
            log.info("feeds: the ingest queue is full; polling at the next tick")
        except Exception:
            log.exception("feeds: a poll round failed")
        return []


async def setup(bot: commands.Bot) -> None:
    assert isinstance(bot, NewsBot)
    await bot.add_cog(Feeds(bot, bot.feeds))
