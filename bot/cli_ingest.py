"""`newsdesk ingest`: the operator's door to ingest (progress bar, summary, exit code), and
the CPU priority every command of the CLI starts with."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from dataclasses import asdict

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from bot.terminal import json_line, terminal_console
from ingest.report import IngestReport, ProgressCallback
from ingest.report import Progress as IngestProgress

RunIngest = Callable[[ProgressCallback | None], IngestReport]

err = terminal_console(stderr=True)


def report_json(report: IngestReport) -> dict[str, object]:
    return {
        "added": report.count("added"),
        "updated": report.count("updated"),
        "unchanged": report.count("unchanged"),
        "skipped": report.count("skipped"),
        "failed": report.count("failed"),
        "chunks_embedded": report.chunks_embedded,
        "seconds": round(report.seconds, 3),
        "model_load_seconds": round(report.load_seconds, 3),
        "fetch_seconds": round(report.fetch_seconds, 3),
        "chunks_per_second": round(report.chunks_per_second, 2),
        "articles": [asdict(o) for o in report.outcomes],
    }


def print_summary(report: IngestReport, console: Console) -> None:
    console.print(
        f"[bold]{report.count('added')} added, {report.count('updated')} updated, "
        f"{report.count('unchanged')} unchanged, {report.count('failed')} failed[/bold]"
        + (f", {report.count('skipped')} skipped" if report.count("skipped") else "")
        + f" — {report.chunks_embedded} chunks embedded in {report.seconds:.1f} s"
        + (f" ({report.chunks_per_second:.1f} chunks/s)" if report.chunks_embedded else "")
        + (f"; model loaded in {report.load_seconds:.1f} s" if report.load_seconds > 1 else "")
    )
    listed = [o for o in report.outcomes if o.status in ("failed", "skipped") or o.reason]
    if listed:  # failures, skips, and articles stored with a note (a date dropped, a derived id)
        table = Table("source", "status", "reason", show_header=True, header_style="bold")
        for o in listed:
            table.add_row(Text(o.source), o.status, Text(o.reason or ""))  # data, not markup
        console.print(table)


def ingest_command(run: RunIngest, as_json: bool = False, quiet: bool = False) -> int:
    """Ingest, show progress on a terminal, print the summary; the exit code says if
    anything failed. An error that stops the run goes to the CLI's one error path (cli.py)."""
    report = _with_progress(run) if not (as_json or quiet) and err.is_terminal else run(None)
    if as_json:
        sys.stdout.write(json_line(report_json(report)) + "\n")
    elif not quiet:
        print_summary(report, terminal_console())
    return 0 if report.ok else 1


def _with_progress(run: RunIngest) -> IngestReport:
    with Progress(
        TextColumn("[bold]ingest"),
        BarColumn(),
        TextColumn("{task.fields[items]} articles"),
        TextColumn("{task.fields[chunks]} chunks"),
        TextColumn("{task.fields[rate]} chunks/s"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as bar:
        task = bar.add_task("ingest", total=None, items=0, chunks=0, rate="-")

        def update(p: IngestProgress) -> None:
            rate = f"{p.chunks_embedded / p.seconds:.1f}" if p.seconds > 0 else "-"
            bar.update(task, items=p.items, chunks=p.chunks_embedded, rate=rate)

        return run(update)


def yield_cpu(nice: int) -> None:
    """Lower this process's CPU priority by `nice` (INGEST_NICE), before it starts its
    threads (they inherit it): an ingest or a feed watcher then takes the CPU a bot on the
    same machine leaves idle, not the time its questions need (bench/live.py)."""
    if nice > 0 and hasattr(os, "nice"):
        try:
            os.nice(nice)
        except OSError as exc:
            logging.getLogger(__name__).warning("could not lower the CPU priority: %s", exc)
