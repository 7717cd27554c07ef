"""YAML front matter read safely: a size limit, few aliases, shallow nesting, scalars only.

python-frontmatter finds the block; PyYAML's SafeLoader reads it, counting aliases and
depth while it composes, so that a "billion laughs" (aliases of aliases) is refused
before anything is expanded. Only scalar values are kept: a list or mapping given as a
title is ignored rather than turned into text.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import yaml

from ingest.errors import SourceError

MAX_FRONT_MATTER_CHARS = 16_384
MAX_ALIASES = 16
MAX_DEPTH = 16


class _LimitedLoader(yaml.SafeLoader):
    """SafeLoader that refuses many aliases and deep nesting while composing nodes."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._aliases = 0
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                raise SourceError(f"the front matter uses over {MAX_ALIASES} YAML aliases; refused")
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise SourceError(f"the front matter nests deeper than {MAX_DEPTH} levels; refused")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def split_front_matter(text: str) -> tuple[dict[str, object], str]:
    """(metadata, body) of a Markdown text; no front matter gives ({}, text)."""
    from frontmatter.default_handlers import YAMLHandler

    handler = YAMLHandler()
    if not handler.detect(text):
        return {}, text
    try:
        raw, body = handler.split(text)
    except ValueError:
        return {}, text
    if len(raw) > MAX_FRONT_MATTER_CHARS:
        raise SourceError(f"the front matter is over {MAX_FRONT_MATTER_CHARS:,} characters; refused")
    try:
        meta = yaml.load(raw, Loader=_LimitedLoader)  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise SourceError(f"the front matter is not valid YAML ({reason})") from exc
    if meta is None:
        return {}, body
    if not isinstance(meta, dict):
        raise SourceError("the front matter is not a YAML mapping (key: value lines)")
    return {str(k): v for k, v in meta.items() if _is_scalar(v)}, body


def _is_scalar(value: object) -> bool:
    return isinstance(value, str | int | float | bool | date)
