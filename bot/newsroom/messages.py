"""What a delivery of the newsroom says: an article as a message shows it (`Card`), a
delivery's content (`Body`, rendered by the Discord layer), and a story's post in a channel
(`PostState`)."""

from __future__ import annotations

from pydantic import BaseModel

from bot.newsroom.posting.templates import Look


class Card(BaseModel):
    """One article as a message shows it."""

    article_id: str
    title: str
    url: str | None = None
    source: str | None = None
    date: str | None = None
    lead: str = ""


class Body(BaseModel):
    """What one delivery says (rendered by the Discord layer)."""

    card: Card | None = None
    change: str | None = None  # an update: "Update, 7 Mar — 58 dead (was 35) — Coastal Times"
    topic: str | None = None  # a followed topic's message
    heading: str | None = None  # the "more stories" line, a digest
    items: list[Card] = []
    marker: str = ""  # each of its lines is in the sent message's text: how it is found again


class PostState(BaseModel):
    """A story's top-level post in one channel: what it shows and what it holds."""

    card: Card
    role_id: int | None = None  # a post planned before several roles: its one role
    role_ids: list[int] = []  # the opt-in roles its feed's route pings
    look: Look | None = None  # its feed's template, name, avatar (posting/templates.py)
    also: list[str] = []  # other outlets' copies: "also reported by"
    figures: dict[str, str] = {}
    outcomes: list[str] = []  # the kinds of development its reports stated (changes.Facts)
    names: list[str] = []
    newest_day: str = ""
    updated_at: str | None = None  # the last update in its thread
    articles: list[str] = []
    stories: list[str] = []  # wire-copy story ids it holds
    thread: bool = False  # its thread of updates was started
    thread_gone: bool = False  # its thread was deleted or locked: updates go to the channel
