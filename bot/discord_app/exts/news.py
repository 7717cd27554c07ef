"""/news [topic] [days]: the newest stories this server can see, one line each.

The list is the answering core's overview (bot/answering/news_time/overview.py): at most six
stories, newest first, wire copies under one line; "days" counts back from today, or from
the newest article's date in a store of old news (bot/answering/news_time/timeframe.py).
"""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord_app.client import NewsBot
from bot.discord_app.exts.ask import _ask_cooldown, _channel_allowed
from bot.discord_app.inflight import DROPPED_TEXT
from bot.discord_app.rendering import NO_MENTIONS, answer_embed, clip, refusal_text, safe
from vectorstore import Filters

MAX_DAYS = 3650


class News(commands.Cog):
    def __init__(self, bot: NewsBot) -> None:
        self.bot = bot

    @app_commands.command(name="news", description="The newest stories I have, all or about a topic.")
    @app_commands.describe(
        topic="Only stories about this, e.g. floods", days="Only stories of the last N days (default: all)"
    )
    @app_commands.checks.dynamic_cooldown(_ask_cooldown, key=lambda i: i.user.id)
    @app_commands.check(_channel_allowed)
    async def news(
        self,
        interaction: discord.Interaction,
        topic: app_commands.Range[str, 1, 200] | None = None,
        days: app_commands.Range[int, 1, MAX_DAYS] | None = None,
    ) -> None:
        async def dropped() -> None:  # the stop's grace ran out before the list
            await interaction.edit_original_response(content=DROPPED_TEXT)

        async with self.bot.in_flight.track(on_drop=dropped):
            await interaction.response.defer(thinking=True)
            filters = Filters.for_guild(interaction.guild_id)
            answer = await self.bot.timed("news", self.bot.engine.latest_news, topic or "", days, filters)
            if answer.refused:
                text = clip(safe(refusal_text(answer)), 2000)  # as /ask says it
                await interaction.followup.send(content=text, allowed_mentions=NO_MENTIONS)
            else:
                await interaction.followup.send(embed=answer_embed(answer), allowed_mentions=NO_MENTIONS)


async def setup(bot: commands.Bot) -> None:
    assert isinstance(bot, NewsBot)
    await bot.add_cog(News(bot))
