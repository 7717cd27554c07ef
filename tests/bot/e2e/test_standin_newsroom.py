"""What the stand-in answers for the newsroom, as Discord does: a repeated nonce with
enforce_nonce returns the first message, edits, a second thread on one message (160004),
direct message channels (and closed DMs: 50007), a channel's overwrite taking a
permission away, and the per-channel rate limit with its headers and 429."""

from __future__ import annotations

import aiohttp
import pytest

from tests.bot.discord_standin import DiscordStandIn, limits
from tests.bot.discord_standin.world import Guild, User, snowflake

pytestmark = pytest.mark.slow


def _session(discord: DiscordStandIn) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(headers={"Authorization": f"Bot {discord.state.token}"})


async def test_nonces_edits_threads_and_dms(discord: DiscordStandIn, guild: Guild) -> None:
    general = discord.channel(guild, "general")
    url = f"{discord.api_base}/channels/{general.id}/messages"
    async with _session(discord) as http:
        body = {"content": "story", "nonce": "newsdesk-1", "enforce_nonce": True}
        first = await (await http.post(url, json=body)).json()
        again = await (await http.post(url, json=body)).json()
        assert again["id"] == first["id"] and len(general.messages) == 1
        other = await (await http.post(url, json={**body, "enforce_nonce": False})).json()
        assert other["id"] != first["id"]  # without enforce_nonce Discord does not check
        edited = await (await http.patch(f"{url}/{first['id']}", json={"content": "story, updated"})).json()
        assert edited["content"] == "story, updated" and edited["edited_timestamp"]
        thread = await http.post(f"{url}/{first['id']}/threads", json={"name": "story"})
        assert thread.status == 201 and (await thread.json())["id"] == first["id"]
        twice = await http.post(f"{url}/{first['id']}/threads", json={"name": "story"})
        assert twice.status == 400 and (await twice.json())["code"] == limits.THREAD_ALREADY_CREATED
        member = User(snowflake(), "alice")
        dm = await (await http.post(f"{discord.api_base}/users/@me/channels", json={"recipient_id": str(member.id)})).json()
        same = await (await http.post(f"{discord.api_base}/users/@me/channels", json={"recipient_id": str(member.id)})).json()
        assert dm["id"] == same["id"] and dm["type"] == 1
        discord.state.closed_dms.add(member.id)
        refused = await http.post(f"{discord.api_base}/channels/{dm['id']}/messages", json={"content": "hi"})
        assert refused.status == 403 and (await refused.json())["code"] == limits.CANNOT_DM


async def test_a_channel_overwrite_and_the_channel_rate_limit() -> None:
    async with DiscordStandIn(channel_rate=(2, 60.0)) as discord:
        general = discord.channel(discord.add_guild("paced"), "general")
        url = f"{discord.api_base}/channels/{general.id}/messages"
        async with _session(discord) as http:
            first = await http.post(url, json={"content": "1"})
            assert first.headers["X-RateLimit-Remaining"] == "1" and first.headers["X-RateLimit-Limit"] == "2"
            assert (await http.post(url, json={"content": "2"})).headers["X-RateLimit-Remaining"] == "0"
            over = await http.post(url, json={"content": "3"})
            assert over.status == 429 and (await over.json())["retry_after"] > 0
            assert discord.rate.refused == [general.id]
            general.denied = limits.SEND_MESSAGES
            locked = await http.post(f"{discord.api_base}/channels/{general.id}/messages", json={"content": "4"})
            assert locked.status == 403 and (await locked.json())["code"] == limits.MISSING_PERMISSIONS
