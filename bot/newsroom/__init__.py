"""The newsroom: followed feeds post their new stories to Discord channels
once, developing stories update in their thread, members follow topics, daily digests.
Between the doors and the answering core: it knows no Discord (the Discord layer renders
and sends what it plans) and the core knows nothing of it."""

from bot.newsroom.config import ChannelState, Config, Digest, Follow, NewsroomError, Route
from bot.newsroom.db import NewsroomDB, newsroom_path
from bot.newsroom.messages import Body, Card, PostState
from bot.newsroom.outbox import Delivery, Outbox
from bot.newsroom.service import Newsroom, RoundResult
from bot.newsroom.stories import Story, StoryArticle

__all__ = [
    "Body",
    "Card",
    "ChannelState",
    "Config",
    "Delivery",
    "Digest",
    "Follow",
    "Newsroom",
    "NewsroomDB",
    "NewsroomError",
    "Outbox",
    "PostState",
    "RoundResult",
    "Route",
    "Story",
    "StoryArticle",
    "newsroom_path",
]
