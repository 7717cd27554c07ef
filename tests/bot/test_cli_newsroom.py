"""The newsroom from the terminal: `newsdesk feeds add URL --channel ID [--role ID]`, the
channels `feeds list` shows, `feeds remove` stopping the posts, `newsdesk stories`."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from bot.app import App
from bot.cli import app
from bot.settings import Settings

runner = CliRunner()
URL = "https://coastal.example/rss.xml"


def test_feeds_add_with_a_channel_list_and_remove(settings: Settings) -> None:
    added = runner.invoke(app, ["feeds", "add", URL, "--channel", "123", "--role", "456", "--role", "457"])
    assert added.exit_code == 0 and "posting new stories in channel 123" in added.output
    assert runner.invoke(app, ["feeds", "add", URL, "--channel", "789"]).exit_code == 0
    listed = json.loads(runner.invoke(app, ["feeds", "list", "--json"]).output)
    assert [(f["url"], f["channels"]) for f in listed] == [(URL, [123, 789])]
    assert "posts in channel(s) 123, 789" in runner.invoke(app, ["feeds", "list"]).output
    routes = App(settings).newsroom.config.routes()
    assert [(r.channel_id, r.roles) for r in routes] == [(123, (456, 457)), (789, ())]  # several roles
    assert runner.invoke(app, ["feeds", "remove", URL]).exit_code == 0
    assert App(settings).newsroom.config.routes() == []


def test_a_role_needs_a_channel(settings: Settings) -> None:
    for extra in (["--role", "456"], ["--backfill", "5"]):
        refused = runner.invoke(app, ["feeds", "add", URL, *extra])
        assert refused.exit_code == 2 and "--role and --backfill need --channel" in refused.output
    bad = runner.invoke(app, ["feeds", "add", URL, "--channel", "123", "--backfill", "a week"])
    assert (
        bad.exit_code == 2 and "Backfill is a number of entries (e.g. 5) or a time such as 2d" in bad.output
    )
    assert App(settings).feeds.subscriptions() == []


def test_stories_of_an_empty_store_and_a_bad_date(settings: Settings) -> None:
    assert "No stories" in runner.invoke(app, ["stories"]).output
    bad = runner.invoke(app, ["stories", "--since", "last week"])
    assert bad.exit_code == 2 and "--since must be a date" in bad.output
    as_json = runner.invoke(app, ["stories", "--since", "last week", "--json"])
    assert as_json.exit_code == 2  # the CLI's one error path: with --json, one JSON object
    assert "--since must be a date" in json.loads(as_json.stdout)["error"]


def test_feeds_history_pause_and_resume_from_the_terminal(settings: Settings) -> None:
    assert "Nothing delivered" in runner.invoke(app, ["feeds", "history"]).output
    assert json.loads(runner.invoke(app, ["feeds", "history", "--json"]).output) == []
    unknown = runner.invoke(app, ["feeds", "pause", URL])
    assert unknown.exit_code == 2 and "No such feed is followed" in unknown.output
    assert runner.invoke(app, ["feeds", "add", URL, "--channel", "123"]).exit_code == 0
    assert "paused: " in runner.invoke(app, ["feeds", "pause", URL]).output
    assert "already paused" in runner.invoke(app, ["feeds", "pause", URL]).output
    assert App(settings).newsroom.config.paused() == {(URL, "global")}
    assert "resumed: " in runner.invoke(app, ["feeds", "resume", URL]).output
    assert App(settings).newsroom.config.paused() == set()
