"""What the CLI writes: never a control or escape sequence that came with the data.

A question, a title, a file name or a reason may hold ESC, OSC or C1 sequences (a file
named "\\x1b]0;pwned\\x07.txt" retitles the terminal; "\\x1b[2J" clears it). Every
console of the CLI is made here and drops each such character from whatever it prints,
tables and error lines included: a render hook rewrites the text of the segments rich is
about to write, and leaves rich's own styling and cursor codes alone. Rich lays these
characters out as zero cells wide, so dropping them keeps its wrapping and tables as
laid out (an escape written in their place would push text past the edge, where rich
crops it); the printable rest of a sequence still shows ("]0;pwned"). JSON output
stays JSON: json escapes C0 controls, and `json_line` escapes DEL and the C1 range,
which json writes raw when it keeps non-ASCII text as it is.
"""

from __future__ import annotations

import json
import logging
import re

from rich.console import Console, ConsoleOptions, ConsoleRenderable, RenderableType, RenderHook, RenderResult
from rich.segment import Segment

# C0 controls but tab and newline, DEL, and C1 controls (U+009B is a CSI on its own)
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """`text` without its control characters (tab and newline kept)."""
    return _CONTROL.sub("", text)


def json_line(payload: object) -> str:
    """One JSON document on a line, non-ASCII text kept, no raw control character."""
    return _CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", json.dumps(payload, ensure_ascii=False))


class _Printable:
    """A renderable whose text segments are written `printable`."""

    def __init__(self, inner: RenderableType) -> None:
        self._inner = inner

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for segment in console.render(self._inner, options):
            if segment.control or not _CONTROL.search(segment.text):
                yield segment
            else:
                yield Segment(printable(segment.text), segment.style)


class _PrintableHook(RenderHook):
    def process_renderables(self, renderables: list[ConsoleRenderable]) -> list[ConsoleRenderable]:
        return [_Printable(r) for r in renderables]


def terminal_console(stderr: bool = False, **options: object) -> Console:
    """A rich Console that never writes a control character of the data it prints."""
    console = Console(stderr=stderr, **options)  # type: ignore[arg-type]
    console.push_render_hook(_PrintableHook())
    return console


class PrintableFormatter(logging.Formatter):
    """Log lines on a terminal: a URL or title logged holds no escape sequence."""

    def format(self, record: logging.LogRecord) -> str:
        return printable(super().format(record))
