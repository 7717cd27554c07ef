"""What a feed poll costs: first poll, 304, unchanged body without validators, a few changes.

    .venv/bin/python bench/feeds_poll.py [--entries 50] [--changed 5]

A local HTTP server on 127.0.0.1 serves an RSS feed of N wikinews articles (../shared/eval)
and each article's page. The poller (App.feeds: the real registry, ingestor, store and
writer lock, in a fresh data dir) polls it four times:
  1. first poll: every page fetched and embedded;
  2. nothing changed, the server honours If-None-Match: a 304;
  3. nothing changed, the server sends no validators (the whole feed again): entries are
     skipped by fingerprint, no page fetched, nothing embedded;
  4. `--changed` entries edited and as many new ones added: only those fetched and embedded.
Prints time, requests (feed / pages), chunks embedded per poll; writes bench/results/feeds_poll.json.
"""

from __future__ import annotations

import argparse
import html
import json
import sys
import tempfile
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bot.app import App  # noqa: E402
from bot.settings import Settings  # noqa: E402
from ingest.feeds import FeedPoller  # noqa: E402
from ingest.report import IngestReport  # noqa: E402
from ingest.sources import Item  # noqa: E402
from vectorstore.models import GLOBAL_SCOPE  # noqa: E402

EVAL = REPO.parent / "shared" / "eval"


@dataclass
class Site:
    articles: list[dict[str, str]]
    etag: str = '"1"'
    validators: bool = True
    hits: dict[str, int] = field(default_factory=dict)
    port: int = 0

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def feed(self) -> bytes:
        items = "".join(
            f"<item><title>{html.escape(a['title'])}</title><link>{self.url('/a/' + a['id'])}</link>"
            f"<description>{html.escape(a['text'][:200])}</description></item>"
            for a in self.articles
        )
        channel = f"<channel><title>Bench</title>{items}</channel>"
        return f'<?xml version="1.0"?><rss version="2.0">{channel}</rss>'.encode()

    def page(self, article_id: str) -> bytes | None:
        for a in self.articles:
            if a["id"] == article_id:
                paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in a["text"].split("\n\n"))
                title = html.escape(a["title"])
                body = f"<body><article>{paragraphs}</article></body>"
                return f"<html><head><title>{title}</title></head>{body}</html>".encode()
        return None


def serve(site: Site) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            kind = "feed" if self.path == "/feed.xml" else "page"
            site.hits[kind] = site.hits.get(kind, 0) + 1
            if kind == "feed" and site.validators and self.headers.get("If-None-Match") == site.etag:
                self.send_response(304)
                self.end_headers()
                return
            body = site.feed() if kind == "feed" else site.page(self.path.removeprefix("/a/"))
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "application/rss+xml" if kind == "feed" else "text/html")
            if kind == "feed" and site.validators:
                self.send_header("ETag", site.etag)
            body = body or b"missing"
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            return

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    site.port = httpd.server_address[1]
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


def poll(
    label: str, poller: FeedPoller, site: Site, chunks: list[int], ingest_seconds: list[float]
) -> dict[str, object]:
    site.hits.clear()
    before, ingest_before = sum(chunks), sum(ingest_seconds)
    t0 = time.perf_counter()
    [result] = poller.poll_all()
    seconds = time.perf_counter() - t0
    row = {
        "poll": label,
        "seconds": round(seconds, 3),
        "status": result.status,
        "summary": result.summary(),
        "feed_requests": site.hits.get("feed", 0),
        "page_requests": site.hits.get("page", 0),
        "chunks_embedded": sum(chunks) - before,
        "ingest_seconds": round(sum(ingest_seconds) - ingest_before, 3),
    }
    print(
        f"{label:<34} {seconds:7.3f} s (ingest {row['ingest_seconds']:6.3f} s)"
        f"  feed {row['feed_requests']}  pages {row['page_requests']:>3}"
        f"  chunks {row['chunks_embedded']:>4}  {result.summary()}"
    )
    return row


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=50)
    parser.add_argument("--changed", type=int, default=5)
    args = parser.parse_args()
    rows = [json.loads(line) for line in (EVAL / "wikinews" / "articles.jsonl").open()]
    site = Site(rows[: args.entries])
    httpd = serve(site)
    with tempfile.TemporaryDirectory(prefix="newsdesk-feeds-") as tmp:
        settings = Settings(
            _env_file=None, newsdesk_data_dir=Path(tmp), feed_max_entries=args.entries + args.changed
        )  # type: ignore[call-arg]
        app = App(settings)
        app.embedder.embed(["warm up"])  # model load is not the poll
        chunks: list[int] = []
        ingest_seconds: list[float] = []

        def ingest(items: Iterable[Item]) -> IngestReport:
            t0 = time.perf_counter()
            report = app.ingestor.run(items)
            chunks.append(report.chunks_embedded)
            ingest_seconds.append(time.perf_counter() - t0)
            return report

        poller = app.feeds
        poller = FeedPoller(poller.registry, ingest, poller.options, lambda: app.store.writing("bench"))
        poller.registry.add(site.url("/feed.xml"), GLOBAL_SCOPE, 60, datetime.now(UTC))
        results = [poll("1 first poll", poller, site, chunks, ingest_seconds)]
        results.append(poll("2 unchanged, ETag -> 304", poller, site, chunks, ingest_seconds))
        site.validators = False
        results.append(poll("3 unchanged, no validators", poller, site, chunks, ingest_seconds))
        for a in site.articles[: args.changed]:
            a["text"] += "\n\nThis report was updated with a correction."
            a["title"] += " (updated)"
        site.articles.extend(rows[args.entries : args.entries + args.changed])
        results.append(
            poll(f"4 {args.changed} changed + {args.changed} new", poller, site, chunks, ingest_seconds)
        )
    httpd.shutdown()
    out = REPO / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "feeds_poll.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
