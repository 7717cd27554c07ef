"""JSON Lines: one article a line, each line failing alone with its number."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from ingest.errors import SourceError
from ingest.identity.ids import file_origin, readable_id
from ingest.reading.drafts import Draft, article_of
from ingest.reading.items import Failure, Item, SourceOptions, reason
from vectorstore import Article


def jsonl_items(path: Path, options: SourceOptions) -> Iterator[Item]:
    """One article a line; each line fails alone, with its number."""
    origin = file_origin(path)
    with path.open("rb") as lines:
        for number, raw in enumerate(lines, start=1):
            where = f"{path}:{number}"
            try:
                article = _jsonl_article(raw, path, number, options)
            except Exception as exc:  # this line's reason; the next line is read
                yield Failure(where, reason(exc))
                continue
            if article is not None:
                yield options.stamp(article, origin)


def _jsonl_article(raw: bytes, path: Path, number: int, options: SourceOptions) -> Article | None:
    options.limits.check_raw(len(raw), html=True, what="line")  # escapes make a line longer than its text
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SourceError(f"not valid UTF-8 (byte {exc.start + 1} of the line)") from exc
    if not line.strip():
        return None
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        raise SourceError(f"not valid JSON ({exc.msg})") from exc
    except RecursionError as exc:
        raise SourceError("not valid JSON here (nested too deeply)") from exc
    if not isinstance(row, dict) or not isinstance(row.get("text"), str) or not row["text"]:
        raise SourceError("a JSONL line needs at least a 'text' field")
    draft = Draft(
        text=row["text"],
        title=_opt(row.get("title")),
        url=_opt(row.get("url")),
        date=_opt(row.get("date")),
        author=_opt(row.get("author")),
        source=_opt(row.get("source")),
    )
    fallback = readable_id(f"{path.stem} line {number}")[0]
    return article_of(draft, _opt(row.get("id")), fallback, limits=options.limits)


def _opt(value: object) -> str | None:
    if value is None or value == "" or isinstance(value, dict | list):
        return None
    return str(value)
