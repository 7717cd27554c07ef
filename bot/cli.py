"""`newsdesk`: the terminal door to the answering core, and the operator's tools."""

from __future__ import annotations

import importlib
import io
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.text import Text
from typer.core import TyperGroup

from bot.answering.models import Answer, Citation
from bot.app import App, question_settings
from bot.settings import Settings
from bot.terminal import configure_logging, json_line, terminal_console
from common.errors import NewsdeskError
from ingest.limits import one_line
from ingest.settings import settings_error_line
from vectorstore.retrieval import Filters

_QUESTIONS = ("ask", "chat")  # commands that only answer, one question at a time
_JSON = "newsdesk.json"  # ctx.meta: the command was asked for JSON (errors included)


# Commands whose modules are imported only when they run (or --help lists them): `ask`
# does not pay for the feeds, the newsroom and the metrics server.
_LAZY = {
    "feeds": ("bot.cli_feeds_control", "feeds_app"),  # feeds_app with the control commands
    "watch": ("bot.cli_feeds", "watch_command"),
    "stories": ("bot.cli_stories", "stories_command"),
}


class _Commands(TyperGroup):
    """The one error path of every command: an error meant for users (NewsdeskError: the
    store, the model, a question, a feed) is one line on stderr, or with --json one JSON
    object on stdout, and exit code 2 (`_fail`); `main` does the same for any other."""

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:  # ctx: typer's (vendored) click Context
        ctx.meta[_JSON] = "--json" in args
        return super().resolve_command(ctx, args)

    def list_commands(self, ctx: Any) -> list[str]:
        return sorted({*super().list_commands(ctx), *_LAZY})

    def get_command(self, ctx: Any, name: str) -> Any:
        if name in _LAZY and name not in self.commands:
            module, attribute = _LAZY[name]
            part = getattr(importlib.import_module(module), attribute)
            holder = typer.Typer(add_completion=False)
            if isinstance(part, typer.Typer):
                holder.add_typer(part, name=name)
                self.add_command(typer.main.get_group(holder).commands[name], name)
            else:
                holder.command(name)(part)
                self.add_command(typer.main.get_command(holder), name)
        return super().get_command(ctx, name)

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except NewsdeskError as exc:
            raise _fail(exc, ctx.meta.get(_JSON, False)) from exc


app = typer.Typer(
    cls=_Commands,
    add_completion=False,
    no_args_is_help=True,
    help="newsdesk: answers questions about news articles, with citations.",
)
articles_app = typer.Typer(no_args_is_help=True, help="List and delete stored articles.")
app.add_typer(articles_app, name="articles")
feedback_app = typer.Typer(no_args_is_help=True, help="Votes given to the bot's answers on Discord.")
app.add_typer(feedback_app, name="feedback")
out = terminal_console()
err = terminal_console(stderr=True)


@app.callback()
def _main(
    ctx: typer.Context,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Debug logging.")] = False,
) -> None:
    """Settings are read once here (environment and .env); the composition root built from
    them is handed to the command, which takes the parts it needs."""
    try:
        settings = Settings()
    except ValidationError as exc:
        raise _fail(settings_error_line(exc), ctx.meta.get(_JSON, False)) from None
    configure_logging(settings.log_level if verbose else "WARNING", verbose)
    ctx.obj = App(question_settings(settings) if ctx.invoked_subcommand in _QUESTIONS else settings)


def parts(ctx: typer.Context) -> App:
    assert isinstance(ctx.obj, App)
    return ctx.obj


def _fail(exc: Exception | str, as_json: bool = False) -> typer.Exit:
    """One line on stderr, or with --json one JSON object on stdout; exit code 2. The
    message may hold data (an id, a path): it is printed as text, never as markup."""
    message = one_line(str(exc), 500)
    if as_json:
        _write_json({"error": message})
    else:
        err.print(f"[red]error:[/red] {escape(message)}", soft_wrap=True)
    return typer.Exit(2)


def _write_json(payload: object) -> None:
    sys.stdout.write(json_line(payload) + "\n")


def _argument_text(value: str) -> str:
    """A command-line string as valid text: bytes that were not UTF-8 become U+FFFD."""
    return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


@app.command()
def ingest(
    ctx: typer.Context,
    targets: Annotated[
        list[str], typer.Argument(help="Files, folders (recursive), URLs, RSS/Atom feeds, JSONL.")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON summary.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q")] = False,
) -> None:
    """Add or update articles; unchanged ones cost nothing."""
    from bot.cli_ingest import ingest_command, yield_cpu  # progress bar and tables: not an ask's

    app_ = parts(ctx)
    yield_cpu(app_.settings.ingest_nice)
    raise typer.Exit(ingest_command(lambda progress: app_.ingest(targets, progress), as_json, quiet))


ANSWER_STYLE = "bold yellow"  # the words that answer, inside the quote
STALE_STYLE = "bold red"  # "The newest I have on this is from ...": the answer is old news


def print_answer(answer: Answer, console: Console) -> None:
    """Article text is printed as Text, never read as rich markup ("[/]" in a title)."""
    if answer.refused:
        console.print(Text(answer.text, style="yellow"))
        if answer.nearest is not None:  # a near miss: what the articles do say, not an answer
            console.print(_source(answer.nearest, "(the closest the articles come, not an answer)"))
        return
    text = Text(answer.text)
    if lead := answer.stale_lead():  # "The newest I have on this is from ...": old news
        text.stylize(STALE_STYLE, 0, len(lead))
    if (mark := answer.mark()) is not None:
        text.stylize(ANSWER_STYLE, *mark)
    console.print(text, highlight=False)
    for c in answer.citations:
        console.print(_source(c), highlight=False)
        quote = Text(f"      “{c.quote}” (characters {c.start}–{c.end})", style="dim")
        if c.mark is not None:
            quote.stylize(ANSWER_STYLE, 7 + c.mark[0], 7 + c.mark[1])
        console.print(quote, highlight=False)
        for later in (x for x in answer.citations if x.updates == c.number):
            console.print(Text(f"      a later report, [{later.number}], updates this", style="dim"))
        if c.updates is not None:
            console.print(Text(f"      a later report: it updates [{c.updates}]", style="dim"))
        if c.also_reported_by:
            names = ", ".join(r.source or r.url or r.article_id for r in c.also_reported_by)
            console.print(Text(f"      also reported by {names}", style="dim"), highlight=False)
    if answer.as_of:
        console.print(Text(f"  as of {answer.as_of}", style="dim"))


def _source(c: Citation, note: str = "") -> Text:
    line = Text(f"  [{c.number}] ")
    line.append(c.title, style="bold")
    line.append(f" ({c.date or 'undated'}) {c.url or c.article_id}" + (f" {note}" if note else ""))
    return line


def _filters(
    source: list[str] | None, since: str | None, until: str | None, as_json: bool = False
) -> Filters | None:
    if not (source or since or until):
        return None
    try:
        return Filters(sources=tuple(source or ()), since=since, until=until)
    except ValueError as exc:
        raise _fail(exc, as_json) from exc


def _passages(k: str | None, as_json: bool) -> int | None:
    """-k as given (a string, so that "-k abc" is answered like "-k 0", in JSON too)."""
    if k is None:
        return None
    if not k.strip().isdigit() or not 1 <= int(k) <= 50:
        raise _fail(f"-k must be a whole number from 1 to 50, not {k!r}", as_json)
    return int(k)


def _asked_at(raw: str | None, as_json: bool) -> date | None:
    """--asked-at: an ISO date or datetime, nothing after it."""
    if raw is None:
        return None
    try:
        return datetime.fromisoformat(raw.strip()).date()
    except ValueError:
        raise _fail(f"--asked-at must be a date like 2022-06-16, not {raw!r}", as_json) from None


@app.command()
def ask(
    ctx: typer.Context,
    question: Annotated[str, typer.Argument(help="Your question, in quotes.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the Answer as JSON.")] = False,
    k: Annotated[str | None, typer.Option("-k", help="Passages to retrieve (1-50).")] = None,
    source: Annotated[list[str] | None, typer.Option(help="Only articles from this source.")] = None,
    since: Annotated[str | None, typer.Option(help="Only articles from this date on (YYYY-MM-DD).")] = None,
    until: Annotated[str | None, typer.Option(help="Only articles up to this date.")] = None,
    asked_at: Annotated[
        str | None,
        typer.Option(help="Answer as if asked on this day (YYYY-MM-DD): time words count from it."),
    ] = None,
) -> None:
    """Answer one question from the stored articles."""
    filters = _filters(source, since, until, as_json)
    day = _asked_at(asked_at, as_json)
    answer = parts(ctx).engine.answer(
        _argument_text(question), filters=filters, k=_passages(k, as_json), asked_at=day
    )
    if as_json:
        payload = answer.to_json()
        payload["retrieved"] = [
            {
                "article_id": p.article.id,
                "title": p.article.title,
                "start": p.start,
                "end": p.end,
                "score": p.score,
            }
            for p in answer.passages
        ]
        _write_json(payload)
    else:
        print_answer(answer, out)


@app.command()
def chat(ctx: typer.Context) -> None:
    """Ask questions in a loop; follow-ups use the earlier questions. Ctrl-D to quit."""
    engine = parts(ctx).engine
    history: list[str] = []
    if isinstance(sys.stdin, io.TextIOWrapper):
        sys.stdin.reconfigure(errors="replace")  # a line that is not UTF-8 is still a question
    out.print("Ask about the articles (empty line or Ctrl-D to quit).", style="dim")
    while True:
        try:
            question = input("? ").strip()
        except (EOFError, KeyboardInterrupt):
            break
        if not question:
            break
        try:
            print_answer(engine.answer(question, history=history), out)
            history.append(question)
        except NewsdeskError as exc:
            err.print(Text(one_line(str(exc), 500), style="red"))


@articles_app.command("list")
def articles_list(ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Stored articles, newest first."""
    from rich.table import Table

    records = sorted(parts(ctx).store.records().values(), key=lambda r: (r.date or "", r.id), reverse=True)
    if as_json:
        _write_json([r.__dict__ for r in records])
        return
    table = Table("date", "title", "chunks", "id")
    for r in records:
        table.add_row(r.date or "", Text(r.title), str(r.n_chunks), Text(r.id))
    out.print(table)


@articles_app.command("delete")
def articles_delete(
    ctx: typer.Context,
    article_ids: Annotated[list[str], typer.Argument(help="Article ids (see `articles list`).")],
) -> None:
    """Remove articles and their chunks."""
    store = parts(ctx).store
    for article_id in article_ids:
        record = store.delete_article(article_id)
        out.print(Text(f"deleted {record.id} ({record.title}, {record.n_chunks} chunks)"))


@app.command()
def stats(ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """How many articles and chunks the store holds, and where."""
    figures = parts(ctx).store.stats()
    if as_json:
        _write_json(figures.__dict__)
        return
    for key, value in figures.__dict__.items():
        out.print(Text(f"{key.replace('_', ' ')}: {value}"))


@app.command("eval")
def evaluate(
    ctx: typer.Context,
    questions: Annotated[Path, typer.Option(help="Questions JSONL (shared/eval format).", exists=True)],
    out_path: Annotated[Path, typer.Option("--out", help="Where to write predictions JSONL.")],
    articles: Annotated[
        list[Path] | None, typer.Option(help="Articles JSONL; repeat for more.", exists=True)
    ] = None,
    ids: Annotated[Path | None, typer.Option(help="File of question ids to use.", exists=True)] = None,
    limit: Annotated[int | None, typer.Option(help="Use only the first N questions.")] = None,
    store: Annotated[Path | None, typer.Option(help="Reuse (or build) the store in this folder.")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Ingest articles into a fresh store, answer the questions, print the figures."""
    from rich.table import Table

    from bot.evaluation import run_eval

    try:
        run = run_eval(parts(ctx).settings, articles or [], questions, out_path, ids, limit, store)
    except (OSError, ValueError, KeyError, TypeError) as exc:  # a questions file that is not one
        raise _fail(f"cannot evaluate: {type(exc).__name__}: {exc}", as_json) from exc
    figures = run.metrics.as_dict()
    if as_json:
        _write_json(figures)
        return
    table = Table("metric", "value")
    for key, value in figures.items():
        table.add_row(key, str(value))
    out.print(table)
    out.print(Text(f"predictions: {run.out}", style="dim"))


@feedback_app.command("export")
def feedback_export(
    ctx: typer.Context,
    out_path: Annotated[Path, typer.Argument(help="JSONL file to write.")] = Path("feedback.jsonl"),
) -> None:
    """Write every vote (question, answer, cited article ids, vote) as JSONL."""
    try:
        count = parts(ctx).feedback.export_jsonl(out_path)
    except OSError as exc:
        raise _fail(f"cannot write {out_path}: {exc.strerror or exc}") from exc
    err.print(Text(f"{count} vote(s) written to {out_path}"))


@app.command()
def bot(ctx: typer.Context) -> None:
    """Start the Discord bot (needs DISCORD_TOKEN)."""
    from bot.discord_app.runner import run_bot

    raise typer.Exit(run_bot(parts(ctx).settings))


def main(args: list[str] | None = None, prog_name: str | None = None) -> None:
    """`newsdesk`: an error no command expected (a corrupt model file, a broken disk) is
    one line, or one JSON object with --json, and exit code 2; -v shows the traceback."""
    argv = sys.argv[1:] if args is None else args
    try:
        app(args, prog_name=prog_name)
    except Exception as exc:
        if "-v" in argv or "--verbose" in argv:
            raise
        _fail(f"{type(exc).__name__}: {exc} (run with -v for the traceback)", "--json" in argv)
        raise SystemExit(2) from None
