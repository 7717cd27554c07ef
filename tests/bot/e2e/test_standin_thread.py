"""The stand-in on its own thread (tests/bot/discord_standin/thread.py) never blocks the
caller's event loop (the bot's, in the e2e tests): a wait for the stand-in's loop to stop
between two steps is awaited, and a stop nobody claims does not stall the stand-in."""

from __future__ import annotations

import asyncio
import threading
import time

import aiohttp
import pytest

from tests.bot.discord_standin import thread as thread_module
from tests.bot.discord_standin.thread import CLAIM_S, START_S, StandInThread
from tests.bot.discord_standin.world import GUILD_TEXT

pytestmark = pytest.mark.slow
GONE_ON_S = 10 * CLAIM_S  # generous: an unclaimed stop lasts CLAIM_S


async def test_a_wait_lets_the_callers_loop_run_while_the_standin_is_in_a_slow_step() -> None:
    """The stand-in's loop is in a step that only the caller's loop can end: a `wait_for`
    polled meanwhile must leave the caller's loop free to end it."""
    thread = StandInThread()
    async with thread as discord:
        in_step, release = threading.Event(), threading.Event()
        ended_by_caller: list[bool] = []

        def slow_step() -> None:
            in_step.set()
            ended_by_caller.append(release.wait(START_S / 2))

        thread.loop.call_soon_threadsafe(slow_step)
        assert await asyncio.to_thread(in_step.wait, START_S), "the stand-in ran the step"
        asyncio.get_running_loop().call_later(0.05, release.set)  # only this loop ends the step
        await discord.wait_for(lambda: ended_by_caller, START_S, "the slow step's end")
        assert ended_by_caller == [True], "the caller's loop was blocked while the stand-in was busy"
        # a change made between two steps is one the stand-in sees
        async with discord.changing():
            discord.state.shard_count = 3
        async with aiohttp.ClientSession(headers={"Authorization": f"Bot {discord.state.token}"}) as http:
            assert (await (await http.get(f"{discord.api_base}/gateway/bot")).json())["shards"] == 3


async def test_a_stop_its_caller_does_not_claim_does_not_stall_the_standin() -> None:
    """The caller asks the stand-in to stop, then its loop is blocked (a busy bot): the
    stand-in goes on after CLAIM_S, and the caller, once free, asks again and gets its stop."""
    thread = StandInThread()
    async with thread as discord:
        asked = asyncio.create_task(discord.between_steps(lambda: "claimed"))
        await asyncio.sleep(0)  # the task asks the stand-in's loop to stop, and awaits it
        went_on = threading.Event()

        def probe() -> None:  # one more step of the stand-in's, awaited from a third thread
            asyncio.run_coroutine_threadsafe(asyncio.sleep(0), thread.loop).result(START_S)
            went_on.set()

        helper = threading.Thread(target=probe)
        helper.start()
        went_on.wait(GONE_ON_S)  # blocks this loop on purpose: nobody can claim the stop
        helper.join(START_S)
        assert went_on.is_set(), f"the stand-in stalled over {GONE_ON_S} s on a stop nobody claimed"
        assert await asyncio.wait_for(asyncio.shield(asked), START_S) == "claimed"


async def test_a_caller_that_gives_up_its_wait_leaves_the_standin_running(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A wait cancelled before the stand-in's loop came to its stop: the stop is over when
    the stand-in comes to it (it would otherwise wait CLAIM_S, made a minute here)."""
    monkeypatch.setattr(thread_module, "CLAIM_S", START_S)
    thread = StandInThread()
    async with thread as discord:
        in_step, release = threading.Event(), threading.Event()
        thread.loop.call_soon_threadsafe(lambda: (in_step.set(), release.wait(START_S)))
        assert await asyncio.to_thread(in_step.wait, START_S), "the stand-in ran the step"
        waiting = asyncio.create_task(discord.wait_for(lambda: False, START_S, "nothing"))
        await asyncio.sleep(0.05)  # the wait asks the busy stand-in to stop, and awaits it
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        release.set()
        went_on = asyncio.wrap_future(asyncio.run_coroutine_threadsafe(asyncio.sleep(0), thread.loop))
        await asyncio.wait_for(went_on, START_S / 2)  # not stalled for the minute
        assert discord.channel(discord.add_guild("after"), "general").name == "general"


async def test_a_call_from_the_callers_thread_borrows_the_stop_its_loop_awaits(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One task of the caller awaits a stop while another calls a stand-in method, which
    blocks the caller's thread (so the awaited stop cannot be claimed): the call borrows the
    stop instead of waiting for the stand-in to give it up (after CLAIM_S, a minute here)."""
    monkeypatch.setattr(thread_module, "CLAIM_S", START_S)
    thread = StandInThread()
    async with thread as discord:
        guild = discord.add_guild("newsroom")
        in_step, release = threading.Event(), threading.Event()
        thread.loop.call_soon_threadsafe(lambda: (in_step.set(), release.wait(START_S)))
        assert await asyncio.to_thread(in_step.wait, START_S), "the stand-in ran the step"
        asked = asyncio.create_task(discord.between_steps(lambda: "claimed"))
        await asyncio.sleep(0.05)  # the task asks the busy stand-in to stop, and awaits it
        release.set()  # the stand-in stops for the task; this thread blocks in the call below
        started = time.monotonic()
        channel = discord.add_channel(guild, "later", GUILD_TEXT)
        took = time.monotonic() - started
        assert took < START_S / 2, f"the call waited {took:.1f} s behind the stop its own loop awaited"
        assert discord.channel(guild, "later").id == channel.id
        assert await asyncio.wait_for(asyncio.shield(asked), START_S) == "claimed"
