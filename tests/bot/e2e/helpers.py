"""What e2e tests do often: ask, wait for the answer, find the bot's messages."""

from __future__ import annotations

from typing import Any

from tests.bot.discord_standin import DiscordStandIn
from tests.bot.discord_standin.interactions import Interaction
from tests.bot.discord_standin.world import Channel, User

OPENAI = "where is OpenAI's first international office?"
BRIDGE = "when will the harbour bridge close?"
SAMPLE_QUESTIONS = (  # each answered by one of samples/
    "where is OpenAI's first international office?",
    "when will the harbour bridge close?",
    "how many reefs showed more coral?",
    "until when is the library open during exams?",
    "who broke the course record at the marathon?",
    "what pay rise did the train drivers get?",
    "how much will the bridge repairs cost?",
    "what did Sam Altman say about London?",
    "how many runners took part in the marathon?",
    "who won the men's marathon?",
)
ANSWER_S = 15.0  # generous: the machine is shared; an answer takes about 20 ms


def answered(interaction: Interaction) -> bool:
    """The user sees a final response (not the deferral's "thinking...")."""
    return bool(interaction.messages) and not interaction.loading and interaction.callback_type is not None


async def ask(discord: DiscordStandIn, channel: Channel, user: User, question: str = OPENAI) -> Interaction:
    interaction = await discord.interactions.command(
        "ask", {"question": question}, channel=channel, user=user
    )
    await discord.wait_for(lambda: answered(interaction), ANSWER_S, f"an answer to {question!r}")
    return interaction


async def bot_reply(discord: DiscordStandIn, channel: Channel, count: int = 1) -> dict[str, Any]:
    """The bot's `count`-th message in a channel, once it is there."""
    await discord.wait_for(
        lambda: len(discord.messages_by_bot(channel)) >= count, ANSWER_S, f"reply {count} in {channel.name}"
    )
    return discord.messages_by_bot(channel)[count - 1]


def text_of(message: dict[str, Any]) -> str:
    """Everything a member reads in a message: content, embed title, description, fields."""
    parts = [message.get("content") or ""]
    for embed in message.get("embeds") or []:
        parts += [embed.get("title") or "", embed.get("description") or ""]
        parts += [f"{f['name']} {f['value']}" for f in embed.get("fields") or []]
        parts.append((embed.get("footer") or {}).get("text") or "")
    return "\n".join(parts)
