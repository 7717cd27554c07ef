"""What the CLI writes: never a control or escape sequence that came with the data.

A question, a title, a file name or a reason may hold ESC, OSC or C1 sequences (a file
named "\\x1b]0;pwned\\x07.txt" retitles the terminal; "\\x1b[2J" clears it), or bidi
controls and invisible characters ("file.exe\\u202egpj." reads "file.exe.jpg"). Every
console of the CLI is made here and drops each such character from whatever it prints,
tables and error lines included (ingest/reading/cleaning.py's `shown`: bidi controls are
removed, not isolated, since terminals either ignore them or reorder a table's columns
with them and none honours isolates alike): a render hook rewrites the text of the
segments rich is about to write, and leaves rich's own styling and cursor codes alone.
Rich lays these characters out as zero cells wide, so dropping them keeps its wrapping and
tables as laid out (an escape written in their place would push text past the edge, where
rich crops it); the printable rest of a sequence still shows ("]0;pwned"). JSON output
stays JSON and keeps the text whole: json escapes C0 controls, and `json_line` escapes DEL,
the C1 range, bidi controls and invisible characters, which json writes raw when it keeps
non-ASCII text as it is.
"""

from __future__ import annotations

import json
import logging

from rich.console import Console, ConsoleOptions, ConsoleRenderable, RenderableType, RenderHook, RenderResult
from rich.segment import Segment

from ingest.reading.cleaning import UNSHOWN, shown


def printable(text: str) -> str:
    """`text` without its control, bidi and invisible characters (tab and newline kept)."""
    return shown(text)


def json_line(payload: object) -> str:
    """One JSON document on a line, non-ASCII text kept, no raw control, bidi or invisible
    character (each escaped: the data is whole)."""
    return UNSHOWN.sub(lambda m: f"\\u{ord(m.group()):04x}", json.dumps(payload, ensure_ascii=False))


class _Printable:
    """A renderable whose text segments are written `printable`."""

    def __init__(self, inner: RenderableType) -> None:
        self._inner = inner

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for segment in console.render(self._inner, options):
            text = segment.text if segment.control else printable(segment.text)
            yield segment if text == segment.text else Segment(text, segment.style)


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
