"""A service that reports its health: `/healthz` for an orchestrator and
Prometheus `/metrics` (prometheus_client, the standard client library) on METRICS_PORT,
bound to METRICS_HOST (127.0.0.1 unless configured); off unless METRICS_PORT is set.

- `/healthz`: 200 `{"status": "ready"}` when every check passes (the bot: each of its
  shards connected to the gateway, the store open and not being reopened or migrated, and
  a Chroma server's heartbeat answered, at most 5 s old, within 2 s: vectorstore/chroma/reach.py;
  `newsdesk watch`: the store reachable), else 503 with each failing check's reason: a
  load balancer sends no question to it, and a rolling restart waits for it.
- `/metrics`: questions, answer latency (a histogram, from the question's arrival to its
  answer, queue included), refusals, LLM fallbacks, answers that failed or were turned
  away busy, the answer queue's depth, articles ingested by outcome, feed polls by result
  (failed ones are the errors), whether this process is the fleet's feed poller, and each
  shard's gateway latency.

Each process has its own registry (never the library's global one): two bots in one test
process do not collide. The server is a stdlib `ThreadingHTTPServer` on a daemon thread,
serving a copy of what the checks say at each request; it never sees the token.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Protocol

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

log = logging.getLogger(__name__)

Check = Callable[[], str | None]  # None: healthy; else why not


class Polled(Protocol):
    """A feed poll's result (ingest/feeds/poller.py's PollResult)."""

    @property
    def status(self) -> str: ...
    @property
    def added(self) -> int: ...
    @property
    def updated(self) -> int: ...
LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class _Shards(Collector):
    """Each shard's gateway latency, read when scraped."""

    def __init__(self, latencies: Callable[[], Iterable[tuple[int, float]]]) -> None:
        self._latencies = latencies

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "newsdesk_shard_latency_seconds", "Gateway heartbeat latency of each shard", labels=["shard"]
        )
        for shard, seconds in self._latencies():
            if seconds == seconds and seconds != float("inf"):  # not NaN or inf (not connected yet)
                family.add_metric([str(shard)], seconds)
        yield family


class Metrics:
    """The metrics of one process, and the checks its /healthz runs."""

    def __init__(self) -> None:
        r = self.registry = CollectorRegistry()
        self.questions = Counter("newsdesk_questions", "Questions asked", ["door"], registry=r)
        self.answer_seconds = Histogram(
            "newsdesk_answer_seconds",
            "From a question's arrival to its answer",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.refusals = Counter("newsdesk_refusals", "Answers: not in the articles", registry=r)
        self.llm_fallbacks = Counter("newsdesk_llm_fallbacks", "LLM answers given as the quote", registry=r)
        self.answer_failures = Counter("newsdesk_answer_failures", "Unanswered", ["reason"], registry=r)
        self.ingested = Counter("newsdesk_ingested_articles", "Articles ingested", ["status"], registry=r)
        self.feed_polls = Counter("newsdesk_feed_polls", "Feed polls by result", ["status"], registry=r)
        self.feed_poller = Gauge("newsdesk_feed_poller", "1: this process polls the feeds", registry=r)
        self.queue_depth = Gauge("newsdesk_answer_queue_depth", "Questions in the answer pool", registry=r)
        self.checks: dict[str, Check] = {}

    def watch_queue(self, depth: Callable[[], int]) -> None:
        self.queue_depth.set_function(depth)

    def watch_shards(self, latencies: Callable[[], Iterable[tuple[int, float]]]) -> None:
        self.registry.register(_Shards(latencies))

    def answered(self, door: str, seconds: float, refused: bool, fallback: bool) -> None:
        self.questions.labels(door).inc()
        self.answer_seconds.observe(seconds)
        if refused:
            self.refusals.inc()
        if fallback:
            self.llm_fallbacks.inc()

    def failed(self, door: str, reason: str) -> None:
        """A question that got no answer: `busy` (the queue was full) or `error`."""
        self.questions.labels(door).inc()
        self.answer_failures.labels(reason).inc()

    def ingested_counts(self, counts: dict[str, int]) -> None:
        for status, n in counts.items():
            if n:
                self.ingested.labels(status).inc(n)

    def poll_round(self, results: Iterable[Polled], leading: bool) -> None:
        """A round of feed polls (none when this process is not the poller)."""
        for result in results:
            self.feed_polls.labels(result.status).inc()
            self.ingested_counts({"added": result.added, "updated": result.updated})
        self.feed_poller.set(int(leading))

    def health(self) -> tuple[bool, dict[str, str]]:
        """(ready, each failing check's reason)."""
        failing: dict[str, str] = {}
        for name, check in self.checks.items():
            try:
                why = check()
            except Exception as exc:  # a check that cannot tell is a failing one
                why = f"{type(exc).__name__}: {exc}"
            if why is not None:
                failing[name] = why
        return not failing, failing


class HealthServer:
    """/healthz and /metrics on a daemon thread; `close()` stops it."""

    def __init__(self, metrics: Metrics, host: str, port: int) -> None:
        handler = _handler(metrics)
        self._httpd = ThreadingHTTPServer((host, port), handler)
        self._httpd.daemon_threads = True
        self.port = int(self._httpd.server_address[1])
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="newsdesk-health", daemon=True)
        self._thread.start()
        log.info("health and metrics on http://%s:%d (/healthz, /metrics)", host, self.port)

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)


def _handler(metrics: Metrics) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path == "/healthz":
                ready, failing = metrics.health()
                body = {"status": "ready"} if ready else {"status": "not ready", "failing": failing}
                self._send(200 if ready else 503, "application/json", json.dumps(body).encode())
            elif path == "/metrics":
                self._send(200, CONTENT_TYPE_LATEST, generate_latest(metrics.registry))
            else:
                self._send(404, "text/plain", b"not found: /healthz, /metrics\n")

        def _send(self, status: int, content_type: str, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            return  # a scrape every few seconds is not news

    return Handler


def start(metrics: Metrics, host: str, port: int | None) -> HealthServer | None:
    """Serve /healthz and /metrics when a port is set (METRICS_PORT); None: off."""
    return HealthServer(metrics, host, port) if port else None
