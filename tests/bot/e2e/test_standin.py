"""The stand-in refuses what Discord refuses (so the e2e tests can catch the bot sending
it), and speaks both gateway compressions discord.py may ask for."""

from __future__ import annotations

import json
import zlib
from typing import Any

import aiohttp
import pytest
import zstandard

from tests.bot.discord_standin import DiscordStandIn
from tests.bot.discord_standin.gateway import Session
from tests.bot.discord_standin.world import Guild, User, snowflake

pytestmark = pytest.mark.slow
FIELD = {"name": "n", "value": "v"}


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"content": "x" * 2001}, 50035),
        ({"embeds": [{"title": "t" * 257}]}, 50035),
        ({"embeds": [{"description": "d" * 4097}]}, 50035),
        ({"embeds": [{"fields": [FIELD] * 26}]}, 50035),
        ({"embeds": [{"fields": [{"name": "n", "value": "v" * 1025}]}]}, 50035),
        ({"embeds": [{"description": "d" * 4000}, {"description": "d" * 2001}]}, 50035),  # 6,000 in all
        ({"embeds": [{"title": "t"}] * 11}, 50035),
        ({"content": "hi", "allowed_mentions": {"parse": ["users"], "users": ["1"]}}, 50035),
        ({"allowed_mentions": {"parse": []}}, 50006),
    ],
)
async def test_messages_over_discords_limits_are_refused(
    discord: DiscordStandIn, guild: Guild, body: dict[str, Any], code: int
) -> None:
    general = discord.channel(guild, "general")
    async with aiohttp.ClientSession(headers={"Authorization": f"Bot {discord.state.token}"}) as http:
        response = await http.post(f"{discord.api_base}/channels/{general.id}/messages", json=body)
        assert response.status == 400 and (await response.json())["code"] == code
        ok = await http.post(
            f"{discord.api_base}/channels/{general.id}/messages", json={"content": "x" * 2000}
        )
        assert ok.status == 200


async def test_threads_permissions_and_auth_as_discord_answers(discord: DiscordStandIn, guild: Guild) -> None:
    general = discord.channel(guild, "general")
    async with aiohttp.ClientSession(headers={"Authorization": f"Bot {discord.state.token}"}) as http:
        sent = await (
            await http.post(f"{discord.api_base}/channels/{general.id}/messages", json={"content": "q"})
        ).json()
        made = await http.post(
            f"{discord.api_base}/channels/{general.id}/messages/{sent['id']}/threads", json={"name": "q"}
        )
        assert made.status == 201
        thread = await made.json()
        reply = await (
            await http.post(f"{discord.api_base}/channels/{thread['id']}/messages", json={"content": "a"})
        ).json()
        nested = await http.post(
            f"{discord.api_base}/channels/{thread['id']}/messages/{reply['id']}/threads", json={"name": "q"}
        )
        assert nested.status == 400 and (await nested.json())["code"] == 50024
        guild.bot_permissions = 0
        refused = await http.post(f"{discord.api_base}/channels/{general.id}/messages", json={"content": "q"})
        assert refused.status == 403 and (await refused.json())["code"] == 50013
    async with aiohttp.ClientSession() as anonymous:
        assert (await anonymous.get(f"{discord.api_base}/users/@me")).status == 401


async def test_an_interaction_answered_after_3_s_is_unknown(discord: DiscordStandIn, guild: Guild) -> None:
    async with discord.changing():
        discord.interactions.deadline_s = 0.0  # as if the bot took longer than Discord's 3 s
        discord.state.commands[None] = [{"id": "1", "name": "ask"}]
        discord.gateway.session = Session(id="no bot connected")
    interaction = await discord.interactions.command(
        "ask", {"question": "q"}, channel=discord.channel(guild, "general"), user=User(snowflake(), "alice")
    )
    async with aiohttp.ClientSession() as http:
        url = f"{discord.api_base}/interactions/{interaction.id}/{interaction.token}/callback"
        late = await http.post(url, json={"type": 5})
        assert late.status == 404 and (await late.json())["code"] == 10062


@pytest.mark.parametrize("compress", ["zlib-stream", "zstd-stream"])
async def test_the_gateway_compresses_as_asked(discord: DiscordStandIn, compress: str) -> None:
    decode = (
        zlib.decompressobj() if compress == "zlib-stream" else zstandard.ZstdDecompressor().decompressobj()
    )
    async with (
        aiohttp.ClientSession() as http,
        http.ws_connect(f"{discord.gateway_url}?v=10&encoding=json&compress={compress}") as ws,
    ):
        hello = await ws.receive_bytes()
        if compress == "zlib-stream":
            assert hello.endswith(b"\x00\x00\xff\xff")  # each message ends in a Z_SYNC_FLUSH
        assert json.loads(decode.decompress(hello))["op"] == 10
        await ws.send_json({"op": 2, "d": {"token": discord.state.token, "intents": 0}})
        ready = json.loads(decode.decompress(await ws.receive_bytes()))  # the same stream goes on
        assert ready["t"] == "READY" and ready["d"]["session_id"]
