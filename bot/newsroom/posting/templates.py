"""A feed's (or a channel's) message template: how its new stories' posts read.

A template is text with placeholders, plain (the message's text) or an embed (the embed's
description, under the story's linked title):

    {title} {link} {outlet} {outlets} {date} {summary} {feed}

`{outlets}`: the story's outlet and those that also reported it; `{summary}`: its lead
sentence; `{feed}`: the feed's name (its look's name, else its host). A template is
checked when it is set: an unknown placeholder, or one with a format spec, conversion,
index or attribute (`{title!r}`, `{title[0]}`), is a TemplateError naming it. What the
values hold is never read as a placeholder. The Discord layer makes the values safe to
show and holds Discord's limits (2,000 characters a message, 4,096 an embed's
description).
"""

from __future__ import annotations

import string
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Protocol
from urllib.parse import urlsplit

from pydantic import BaseModel

from common.errors import NewsdeskError

PLACEHOLDERS = ("title", "link", "outlet", "outlets", "date", "summary", "feed")
MAX_TEMPLATE_CHARS = 1500
MAX_NAME_CHARS = 80  # Discord's limit on a webhook's name
_FORMATTER = string.Formatter()


class TemplateError(NewsdeskError):
    """A template that cannot be used; the text is shown to the admin."""


class Look(BaseModel):
    """How a feed's posts look (or a channel's, for feeds without their own template)."""

    template: str | None = None
    embed: bool = True  # the template fills an embed's description; False: the message's text
    name: str | None = None  # the feed's name: {feed}, and its webhook's name
    avatar: str | None = None  # an https URL: its webhook's avatar
    webhook: bool = False  # posted through a channel webhook with the name and avatar


OFF = ("off", "default", "none")  # words that set a feed's or channel's template back to the default


def is_off(text: str) -> bool:
    """Whether a template given by an admin asks for the default look."""
    return text.strip().lower() in OFF


def check_template(text: str, embed: bool = True) -> str:
    """The template, checked: a TemplateError names the first unknown placeholder. A plain
    text template (`embed` False) must name {link}: the ledger finds a sent post again by
    its link, and each post links its story."""
    text = text.strip()
    if not text or len(text) > MAX_TEMPLATE_CHARS:
        raise TemplateError(f"A template is 1 to {MAX_TEMPLATE_CHARS} characters.")
    try:
        fields = [(name, spec, conv) for _, name, spec, conv in _FORMATTER.parse(text) if name is not None]
    except ValueError as why:  # a lone { or }
        raise TemplateError(f"The template cannot be read ({why}): write {{{{ and }}}} for braces.") from None
    for name, spec, conv in fields:
        if name not in PLACEHOLDERS:
            known = " ".join(f"{{{p}}}" for p in PLACEHOLDERS)
            raise TemplateError(f"Unknown placeholder {{{name[:40]}}}: use {known}.")
        if spec or conv:
            raise TemplateError(f"Write {{{name}}} as it is (no format, conversion or index).")
    if not embed and "link" not in {name for name, _, _ in fields}:
        raise TemplateError("A plain-text template names {link}: each post links its story.")
    return text


class Story(Protocol):
    """What a template shows of a story (outbox.Card)."""

    @property
    def title(self) -> str: ...
    @property
    def url(self) -> str | None: ...
    @property
    def source(self) -> str | None: ...
    @property
    def date(self) -> str | None: ...
    @property
    def lead(self) -> str: ...


def day_text(iso: str | None) -> str:
    """ "2026-03-05" -> "5 Mar 2026"; "undated" for none."""
    if not iso:
        return "undated"
    d = date.fromisoformat(iso)
    return f"{d.day} {d:%b %Y}"


def values_of(
    story: Story, also: Sequence[str], feed: str, clean: Callable[[str], str] = lambda s: s, lead: int = 600
) -> dict[str, str]:
    """The placeholders' values for a story (`clean`: what makes a text safe where it is
    shown; the lead cut to `lead` characters)."""
    outlets = dict.fromkeys(s for s in [story.source, *also] if s)
    summary = story.lead if len(story.lead) <= lead else story.lead[: lead - 1] + "…"
    return {
        "title": clean(story.title),
        "link": story.url or "",
        "outlet": clean(story.source or ""),
        "outlets": clean(", ".join(outlets)),
        "date": day_text(story.date),
        "summary": clean(summary),
        "feed": clean(feed),
    }


def check_persona(name: str | None, avatar: str | None) -> dict[str, str]:
    """A webhook's name and avatar as Discord takes them: a name of 1 to 80 characters
    without "discord" or "clyde", an https image address; only those given."""
    out: dict[str, str] = {}
    if name is not None:
        name = " ".join(name.split())
        if not 1 <= len(name) <= MAX_NAME_CHARS or any(w in name.lower() for w in ("discord", "clyde")):
            raise TemplateError(f'A name is 1 to {MAX_NAME_CHARS} characters, without "discord" or "clyde".')
        out["name"] = name
    if avatar is not None:
        parts = urlsplit(avatar.strip())
        if parts.scheme != "https" or not parts.hostname or len(avatar) > 500:
            raise TemplateError("An avatar is an https address of an image (at most 500 characters).")
        out["avatar"] = avatar.strip()
    return out


def fill(text: str, values: Mapping[str, str]) -> str:
    """The template with its placeholders replaced (a checked template: check_template)."""
    out = []
    for literal, name, _, _ in _FORMATTER.parse(text):
        out.append(literal)
        if name is not None:
            out.append(values.get(name, ""))
    return "".join(out)
