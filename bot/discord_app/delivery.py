"""Sending what the newsroom planned (bot/newsroom/outbox.py: the delivery ledger), exactly
once: intent recorded before each request, Discord's nonce on every new message, and a
delivery that may have been sent by a process that died is first looked for among the
target's recent messages. A target that refuses the bot (403, gone, DMs closed) is
blocked and backed off; a 429 is waited out by discord.py; any other failure leaves the
delivery for the next round, and the target's later deliveries wait behind it (order)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Literal

import discord

from bot.discord_app.newsroom_render import (
    Outgoing,
    list_message,
    post_message,
    test_message,
    text_of,
    topic_message,
    update_message,
)
from bot.discord_app.rendering import clip, safe
from bot.discord_app.webhooks import ChannelWebhooks, NoWebhookError
from bot.newsroom import Delivery, Outbox
from bot.newsroom.outbox import Posted

log = logging.getLogger(__name__)
UNKNOWN_CHANNEL, UNKNOWN_MESSAGE, UNKNOWN_USER = 10003, 10008, 10013
THREAD_EXISTS = 160004
THREAD_ARCHIVE_MINUTES: Literal[10080] = 10080  # a story's thread stays open a week after its last update
CANNOT_DM = 50007
RECONCILE_MESSAGES = 100  # the target's latest, read to find a delivery that may have been sent


class LaterError(Exception):
    """Not now: the delivery waits for an earlier one (its post) or for Discord."""


class BlockedError(Exception):
    """The target refuses the bot; the text says why (shown in /feeds list)."""


class GoneError(BlockedError):
    """The target does not exist (Unknown Channel / Unknown User)."""


class DroppedError(Exception):
    """The delivery can never be made (its post is gone, Discord refuses its form)."""


class ThreadGoneError(Exception):
    """A story's thread refuses the update (deleted, locked): the update goes to the
    channel instead; a thread never blocks its channel."""


def _refused(exc: discord.HTTPException) -> bool:
    """Discord said no for good: a 4xx other than a rate limit."""
    return 400 <= exc.status < 500 and exc.status != 429


def _marker_in(marker: str, text: str) -> bool:
    lines = [m.strip().rstrip("/") for m in marker.splitlines() if m.strip()]
    return bool(lines) and all(m in text or safe(m) in text for m in lines)


class Sender:
    """Sends claimed deliveries through discord.py, recording each in the ledger (in a
    thread: SQLite); receives the client, the ledger and the clock."""

    def __init__(self, client: discord.Client, outbox: Outbox, clock: Callable[[], datetime]) -> None:
        self.client = client
        self.outbox = outbox
        self.clock = clock
        self._round = asyncio.Lock()
        self.webhooks = ChannelWebhooks(client)

    async def run_once(self) -> int:
        """Claim what is due and send it, each target in order and targets side by side.
        One round at a time: the ledger counts this sender's own claims as free (a round
        that gave up), so a second round beside the first would send what the first is
        sending, and try again a target whose refusal is not recorded yet."""
        async with self._round:
            claimed = await asyncio.to_thread(self.outbox.claim, self.clock())
            by_target: dict[int, list[Delivery]] = {}
            for delivery in claimed:
                by_target.setdefault(delivery.target, []).append(delivery)
            sent = await asyncio.gather(*(self._target(rows) for rows in by_target.values()))
            return sum(sent)

    async def _target(self, rows: list[Delivery]) -> int:
        for n, delivery in enumerate(rows):
            try:
                await self._one(delivery)
            except BlockedError as why:
                gone = isinstance(why, GoneError)
                now = self.clock()
                target = delivery.target
                retry = await asyncio.to_thread(self.outbox.block, target, str(why), now, gone, delivery)
                log.warning(
                    "newsroom: %s %s blocked until %s: %s", delivery.target_kind, delivery.target, retry, why
                )
                return n
            except DroppedError as why:
                log.warning("newsroom: delivery %s dropped: %s", delivery.key, why)
                await asyncio.to_thread(self.outbox.drop, delivery, str(why), self.clock())
            except (LaterError, discord.HTTPException, OSError, TimeoutError) as why:
                log.info("newsroom: delivery %s waits for the next round (%s)", delivery.key, why)
                await asyncio.to_thread(self.outbox.release, rows[n:])
                return n
            except Exception:  # a bug: logged, and the target waits for the next round
                log.exception("newsroom: delivery %s failed", delivery.key)
                await asyncio.to_thread(self.outbox.release, rows[n:])
                return n
        return len(rows)

    async def _one(self, delivery: Delivery) -> None:
        if delivery.kind == "edit":
            await self._edit(delivery)
            return
        try:
            await self._deliver(delivery)
        except ThreadGoneError as why:
            assert delivery.event_id is not None
            log.warning("newsroom: %s: its thread refuses it (%s), posted in the channel", delivery.key, why)
            await asyncio.to_thread(self.outbox.thread_gone, delivery.target, delivery.event_id)
            await self._deliver(delivery)

    async def _deliver(self, delivery: Delivery) -> None:
        if delivery.tries > 0:  # perhaps sent by a process that died before recording it
            found = await self._find(delivery)
            if found is not None:
                log.info("newsroom: delivery %s was already sent (message %s)", delivery.key, found)
                await asyncio.to_thread(self.outbox.sent, delivery, found, self.clock())
                return
        destination, outgoing, in_thread = await self._prepare(delivery)
        await asyncio.to_thread(self.outbox.begin, delivery)
        message = await self._send(destination, outgoing, delivery, in_thread)
        await asyncio.to_thread(self.outbox.sent, delivery, message.id, self.clock())

    async def _prepare(self, delivery: Delivery) -> tuple[discord.abc.Messageable, Outgoing, bool]:
        """Where the delivery goes, what it says, and whether that is a story's thread."""
        body = delivery.body
        if delivery.kind == "post":
            posted = await self._posted(delivery, need_message=False)
            return await self._channel(delivery), post_message(posted.state), False
        if delivery.kind == "update":
            destination, in_thread = await self._updates(delivery)
            return destination, update_message(body), in_thread
        if delivery.kind == "dm":
            return await self._channel(delivery), topic_message(body), False
        if delivery.kind == "test":
            return await self._channel(delivery), test_message(body), False
        return await self._channel(delivery), list_message(body), False  # "more", digest

    async def _send(
        self, destination: discord.abc.Messageable, outgoing: Outgoing, delivery: Delivery, in_thread: bool
    ) -> discord.Message:
        try:
            if outgoing.persona is not None:  # the feed's own name and avatar
                try:
                    return await self.webhooks.send(delivery.target, outgoing)
                except NoWebhookError as why:  # posted by the bot instead: nothing is lost
                    log.warning("newsroom: %s posted as the bot: %s", delivery.key, why)
            return await destination.send(
                content=outgoing.content,
                embeds=outgoing.embeds,
                allowed_mentions=outgoing.mentions,
                nonce=delivery.nonce,
            )
        except discord.HTTPException as exc:
            if not _refused(exc):
                raise
            if in_thread:  # a thread deleted or locked never blocks its channel
                raise ThreadGoneError(f"{exc.status} {clip(exc.text, 100)}") from exc
            if isinstance(exc, (discord.Forbidden, discord.NotFound)):
                raise self._refusal(exc) from exc
            raise DroppedError(f"Discord refused it: {exc.status} {clip(exc.text, 200)}") from exc

    def _refusal(self, exc: discord.HTTPException) -> Exception:
        if exc.code == UNKNOWN_MESSAGE:
            return DroppedError("its message is gone")
        if exc.code == CANNOT_DM:
            return BlockedError("this member does not accept direct messages")
        if exc.code in (UNKNOWN_CHANNEL, UNKNOWN_USER):
            return GoneError("the channel is gone")
        return BlockedError(f"cannot post there ({exc.status} {clip(exc.text, 100)})")

    async def _channel(self, delivery: Delivery) -> discord.abc.Messageable:
        if delivery.target_kind == "user":
            try:
                return await self.client.create_dm(discord.Object(delivery.target))
            except discord.HTTPException as exc:
                raise self._refusal(exc) from exc
        return self.client.get_partial_messageable(delivery.target)

    async def _posted(self, delivery: Delivery, need_message: bool = True) -> Posted:
        assert delivery.event_id is not None
        posted = await asyncio.to_thread(self.outbox.posted, delivery.target, delivery.event_id)
        if posted is None:
            raise DroppedError("its story has no post in this channel")
        if need_message and posted.dropped:
            raise DroppedError("its story's post was dropped")
        if need_message and posted.message_id is None:
            raise LaterError("its story's post is not sent yet")
        return posted

    async def _updates(self, delivery: Delivery) -> tuple[discord.abc.Messageable, bool]:
        """Where the story's updates go, and whether that is its thread: the thread, or
        the channel once the thread is gone."""
        posted = await self._posted(delivery)
        if posted.state.thread_gone:
            return await self._channel(delivery), False
        return await self._thread(delivery, posted), True

    async def _thread(self, delivery: Delivery, posted: Posted) -> discord.abc.Messageable:
        """The story's thread (a thread started from a message has the message's id)."""
        assert posted.message_id is not None and delivery.event_id is not None
        if not posted.state.thread:
            name = clip(posted.state.card.title, 100) or "Updates"
            try:  # the ledger knows the channel by id only: discord.py's own route to start it
                await self.client.http.start_thread_with_message(
                    delivery.target,
                    posted.message_id,
                    name=name,
                    auto_archive_duration=THREAD_ARCHIVE_MINUTES,
                )
            except discord.HTTPException as exc:
                refusal = None if exc.code == THREAD_EXISTS else self._thread_refusal(exc)
                if refusal is not None:
                    raise refusal from exc
                if exc.code != THREAD_EXISTS:
                    raise
            await asyncio.to_thread(self.outbox.thread_started, delivery.target, delivery.event_id)
        return self.client.get_partial_messageable(posted.message_id)

    def _thread_refusal(self, exc: discord.HTTPException) -> Exception | None:
        """Why a story's thread could not be started: its post is gone (dropped), its
        channel is (blocked), or only the thread is refused (updates go to the channel)."""
        if exc.code in (UNKNOWN_MESSAGE, UNKNOWN_CHANNEL):
            return self._refusal(exc)
        if _refused(exc):
            return ThreadGoneError(f"cannot start its thread ({exc.status} {clip(exc.text, 100)})")
        return None  # a server error, a rate limit: the next round

    async def _edit(self, delivery: Delivery) -> None:
        """A post shown as it stands now (idempotent: done again if in doubt)."""
        posted = await self._posted(delivery)
        assert posted.message_id is not None
        outgoing = post_message(posted.state)
        message = self.client.get_partial_messageable(delivery.target).get_partial_message(posted.message_id)
        try:
            if outgoing.persona is not None:  # a webhook's message: edited through it
                await self.webhooks.edit(delivery.target, posted.message_id, outgoing)
            else:
                o = outgoing
                await message.edit(content=o.content, embeds=o.embeds, allowed_mentions=o.mentions)
        except NoWebhookError as why:
            raise DroppedError(f"cannot edit the feed's post: {why}") from why
        except (discord.Forbidden, discord.NotFound) as exc:
            raise self._refusal(exc) from exc
        except discord.HTTPException as exc:
            if _refused(exc):
                raise DroppedError(f"Discord refused the edit: {exc.status} {clip(exc.text, 200)}") from exc
            raise
        await asyncio.to_thread(self.outbox.sent, delivery, posted.message_id, self.clock())

    async def _find(self, delivery: Delivery) -> int | None:
        """The delivery's message among the target's recent ones, if it was sent."""
        if delivery.kind == "update":
            destination, in_thread = await self._updates(delivery)
        else:
            destination, in_thread = await self._channel(delivery), False
        me = self.client.user
        if delivery.kind == "post":  # perhaps sent through the channel's webhook
            with contextlib.suppress(NoWebhookError, discord.HTTPException):
                await self.webhooks.get(delivery.target)
        try:
            async for message in destination.history(limit=RECONCILE_MESSAGES):
                mine = (me is not None and message.author.id == me.id) or self.webhooks.ours(message)
                if mine and _marker_in(delivery.body.marker, text_of(message)):
                    return message.id
        except (discord.Forbidden, discord.NotFound) as exc:
            raise ThreadGoneError(str(exc)) if in_thread else self._refusal(exc) from exc
        return None
