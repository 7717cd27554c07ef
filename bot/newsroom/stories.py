"""Stories as `newsdesk stories` lists them and the daily digest shows them: each event's
articles in the order they were published, the first report first, copies and updates
marked as such."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Literal

from bot.newsroom.changes import Facts, new_facts
from bot.newsroom.events import Indexed
from bot.newsroom.messages import Body, Card

ArticleRole = Literal["first", "copy", "update", "report"]
DIGEST_STORIES = 8


@dataclass(frozen=True)
class StoryArticle:
    id: str
    url: str | None
    source: str | None
    date: str | None
    title: str
    # copy: a wire copy of an earlier one; update: dated later, or adding a fact the same day;
    # report: the same day, written anew, adding none
    role: ArticleRole


@dataclass(frozen=True)
class Story:
    id: str
    title: str
    first_day: str
    newest_day: str
    articles: list[StoryArticle]

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "title": self.title,
            "first": self.first_day,
            "newest": self.newest_day,
            "articles": [asdict(a) for a in self.articles],
        }


def _roles(
    members: list[Indexed], dates: dict[str, str | None], facts: dict[str, Facts]
) -> list[StoryArticle]:
    """As a channel's plan sees them (planner.role_of): a wire copy, an update (dated
    later, or adding a fact the same day), or a report of the same day adding none."""
    out: list[StoryArticle] = []
    stories: set[str] = set()
    known, newest = Facts({}), members[0].report.day
    for i, m in enumerate(members):
        r = m.report
        mine = facts.get(r.article_id, Facts({}))
        role: ArticleRole = "first"
        if i > 0 and r.story in stories:
            role = "copy"
        elif i > 0:
            role = "update" if r.day > newest or new_facts(known, mine) else "report"
        stories.add(r.story)
        known, newest = known.joined(mine), max(newest, r.day)
        out.append(StoryArticle(r.article_id, r.url, r.source, dates.get(r.article_id), r.title, role))
    return out


def group(
    indexed: Iterable[Indexed], dates: dict[str, str | None], facts: dict[str, Facts] | None = None
) -> list[Story]:
    """Stories, newest first (by their newest report); `dates` are the articles' own dates,
    `facts` what each states (reading.Read.facts), for telling an update from a report."""
    events: dict[str, list[Indexed]] = {}
    for i in indexed:
        events.setdefault(i.event_id, []).append(i)
    stories = []
    for event_id, members in events.items():
        members.sort(key=lambda m: (m.report.day, m.seen_at, m.report.article_id))
        first = members[0].report
        roles = _roles(members, dates, facts or {})
        stories.append(Story(event_id, first.title, first.day, members[-1].report.day, roles))
    return sorted(stories, key=lambda s: (s.newest_day, s.first_day, s.id), reverse=True)


def digest_body(stories: Collection[Story], cards: dict[str, Card], local: datetime) -> Body:
    """The day's top stories (most reports first, then newest), listed newest first."""
    top = sorted(stories, key=lambda s: (len(s.articles), s.newest_day), reverse=True)[:DIGEST_STORIES]
    top.sort(key=lambda s: (s.newest_day, s.first_day), reverse=True)
    items = []
    for story in top:
        card = cards.get(story.articles[0].id)
        if card is not None:
            reports = len(story.articles)
            items.append(card.model_copy(update={"lead": f"{reports} report{'s' * (reports > 1)}"}))
    label = f"{local.day} {local:%b %Y}"
    heading = f"Today's top stories — {label}" if items else f"No new stories on {label}."
    return Body(heading=heading, items=items, marker=f"newsdesk digest · {local.date().isoformat()}")
