"""A stand-in of Anthropic's Messages API on 127.0.0.1: `POST /v1/messages`, answered from a
script of replies — a text (streamed as Anthropic's server-sent events when the request asks
for a stream, else one JSON message), a 429 with `retry-after`, or a 500, each with
Anthropic's error body. It records every request (headers, body, when it came)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Request:
    headers: dict[str, str]
    body: dict[str, Any]
    at: float


@dataclass
class Script:
    """What the next requests get: a str is a reply's text, an int an error status."""

    replies: list[str | int]
    retry_after_s: int = 1
    requests: list[Request] = field(default_factory=list)

    def next(self) -> str | int:
        return self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]


ERRORS = {
    429: ("rate_limit_error", "Number of requests has exceeded your rate limit."),
    500: ("api_error", "Internal server error"),
}


def _events(text: str, model: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """A reply as the events Anthropic streams: the message, one text block in word deltas, the
    stop."""
    message = {
        "id": "msg_standin",
        "type": "message",
        "role": "assistant",
        "content": [],
        "model": model,
        "stop_reason": None,
        "stop_sequence": None,
        "usage": {"input_tokens": 50, "output_tokens": 1},
    }
    yield "message_start", {"type": "message_start", "message": message}
    yield (
        "content_block_start",
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
    )
    yield "ping", {"type": "ping"}
    for word in text.split(" "):
        delta = {"type": "text_delta", "text": word + " "}
        yield "content_block_delta", {"type": "content_block_delta", "index": 0, "delta": delta}
    yield "content_block_stop", {"type": "content_block_stop", "index": 0}
    yield (
        "message_delta",
        {
            "type": "message_delta",
            "delta": {"stop_reason": "end_turn", "stop_sequence": None},
            "usage": {"output_tokens": len(text.split())},
        },
    )
    yield "message_stop", {"type": "message_stop"}


class _Handler(BaseHTTPRequestHandler):
    script: Script

    def do_POST(self) -> None:
        size = int(self.headers.get("content-length", "0"))
        body = json.loads(self.rfile.read(size))
        self.script.requests.append(
            Request({k.lower(): v for k, v in self.headers.items()}, body, time.monotonic())
        )
        if self.path != "/v1/messages":
            return self._json(
                404, {"type": "error", "error": {"type": "not_found_error", "message": self.path}}
            )
        reply = self.script.next()
        if isinstance(reply, int):
            kind, message = ERRORS[reply]
            extra = {"retry-after": str(self.script.retry_after_s)} if reply == 429 else {}
            return self._json(reply, {"type": "error", "error": {"type": kind, "message": message}}, extra)
        if body.get("stream"):
            return self._stream(reply, body["model"])
        content = [{"type": "text", "text": reply}]
        return self._json(
            200,
            {
                "id": "msg_standin",
                "type": "message",
                "role": "assistant",
                "model": body["model"],
                "content": content,
                "stop_reason": "end_turn",
                "stop_sequence": None,
                "usage": {"input_tokens": 50, "output_tokens": len(reply.split())},
            },
        )

    def _json(self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _stream(self, text: str, model: str) -> None:
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("cache-control", "no-cache")
        self.end_headers()  # HTTP/1.0: the stream ends when the connection closes
        for name, data in _events(text, model):
            self.wfile.write(f"event: {name}\ndata: {json.dumps(data)}\n\n".encode())
            self.wfile.flush()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def anthropic_standin(script: Script) -> Iterator[str]:
    """Serve the script on 127.0.0.1 (a free port); yields the base URL."""
    handler = type("Handler", (_Handler,), {"script": script})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
