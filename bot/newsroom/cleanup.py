"""What the newsroom forgets: a story post dropped before it was sent (so that the story's
next report posts it anew), and the routes, follows and digests of a channel or member
that stays gone (Discord answers Unknown Channel / Unknown User round after round)."""

from __future__ import annotations

import sqlite3

GONE_AFTER = 8  # failures in a row, backing off from 5 minutes: about a day of "gone"


def forget_unsent_posts(conn: sqlite3.Connection) -> None:
    """Story posts that have no message and whose post delivery was dropped (a removed
    feed, a post Discord refused), with no other post of the story under way."""
    conn.execute(
        "DELETE FROM posts WHERE message_id IS NULL AND EXISTS (SELECT 1 FROM outbox o"
        " WHERE o.kind = 'post' AND o.target = posts.channel_id AND o.event_id = posts.event_id"
        " AND o.state = 'dropped') AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.kind = 'post'"
        " AND o.target = posts.channel_id AND o.event_id = posts.event_id"
        " AND o.state IN ('pending', 'sending'))"
    )


def forget_target(conn: sqlite3.Connection, target: int) -> int:
    """A channel or member gone for good: its routes, follows and digest go, and what was
    still to be sent there is dropped. Returns the settings removed."""
    removed = 0
    for sql in (
        "DELETE FROM routes WHERE channel_id = ?",
        "DELETE FROM follows WHERE channel_id = ? OR (channel_id IS NULL AND user_id = ?)",
        "DELETE FROM digests WHERE channel_id = ?",
    ):
        removed += conn.execute(sql, (target,) * sql.count("?")).rowcount
    conn.execute(
        "UPDATE outbox SET state = 'dropped', error = 'its target is gone', claimed_by = NULL"
        " WHERE target = ? AND state IN ('pending', 'sending')",
        (target,),
    )
    forget_unsent_posts(conn)
    return removed
