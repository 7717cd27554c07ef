"""Hostile inputs, generated (nothing large is committed): each a way a page, file or feed
can try to break an ingest.

Shared by tests/ingest/test_hostile.py and bench/hostile.py.
"""

from __future__ import annotations

import json
import random
import select
import socket
import threading
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Literal

GOOD_TEXT = (
    "The city council approved a new budget on Tuesday after a long debate. Spending on "
    "parks rises by ten percent, and the library will open on Sundays from next spring. "
    "The mayor said the plan keeps taxes flat for a third year."
)


def billion_laughs_md(levels: int = 9) -> str:
    """YAML front matter whose aliases nest nine deep: 9**9 'lol's once expanded."""
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, levels):
        refs = ",".join([f"*a{level - 1}"] * 9)
        lines.append(f"a{level}: &a{level} [{refs}]")
    lines.append(f"title: *a{levels - 1}")
    return "---\n" + "\n".join(lines) + "\n---\n" + GOOD_TEXT + "\n"


def one_line_text(size: int, seed: int = 1) -> str:
    """`size` characters of plain words on one line, no sentence ends."""
    words = [
        "council",
        "budget",
        "parks",
        "library",
        "mayor",
        "taxes",
        "spring",
        "debate",
        "plan",
        "city",
        "year",
    ]
    rng = random.Random(seed)
    out: list[str] = []
    total = 0
    while total < size:
        word = rng.choice(words)
        out.append(word)
        total += len(word) + 1
    return " ".join(out)[:size]


def random_bytes(size: int = 65_536, seed: int = 2) -> bytes:
    return random.Random(seed).randbytes(size)


def flate_bomb_pdf(megabytes: int = 300, layers: int = 1) -> bytes:
    """A one-page PDF whose content stream inflates to `megabytes` MB (about 0.3 MB packed),
    compressed `layers` times over (/Filter [/FlateDecode ...])."""
    stream = zlib_bytes((b" " * 1_000_000 for _ in range(megabytes)), 15)
    for _ in range(layers - 1):
        stream = zlib_bytes([stream], 15)
    filters = b"[" + b" ".join([b"/FlateDecode"] * layers) + b"]"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d /Filter %s >>\nstream\n" % (len(stream), filters) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def zlib_bytes(chunks: Iterable[bytes], wbits: int) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, wbits)
    return b"".join(packer.compress(c) for c in chunks) + packer.flush()


def gzip_bytes(data: bytes) -> bytes:
    return zlib_bytes([data], 31)


def zeros(megabytes: int) -> Iterator[bytes]:
    return (bytes(1 << 20) for _ in range(megabytes))


def bombs(megabytes: int) -> dict[str, tuple[bytes, str]]:
    """Responses of a few KB that expand to `megabytes` MiB of zeros: path -> (body,
    Content-Encoding). Stacked gzip is the 1,827 bytes that became 1 GiB in one decode."""
    import brotli

    gzipped = zlib_bytes(zeros(megabytes), 31)
    member = zlib_bytes(zeros(1), 31)
    packer = brotli.Compressor(quality=5)
    brotlied = b"".join(packer.process(c) for c in zeros(megabytes)) + packer.finish()
    return {
        "/gzip-gzip": (gzip_bytes(gzipped), "gzip, gzip"),
        "/gzip-deflate": (zlib_bytes([zlib_bytes([gzipped], 15)], 15), "gzip, deflate, deflate"),
        "/gzip": (gzipped, "gzip"),
        "/gzip-members": (member * megabytes, "gzip"),
        "/deflate": (zlib_bytes(zeros(megabytes), 15), "deflate"),
        "/deflate-raw": (zlib_bytes(zeros(megabytes), -15), "deflate"),
        "/br": (brotlied, "br"),
        "/br-br": (brotli.compress(brotlied), "br, br"),
    }


def bombs_refused() -> dict[str, str]:
    """What the refusal of each of `bombs` says."""
    once = "once decompressed"
    return {
        "/gzip-gzip": "coded 2 times (gzip, gzip)",
        "/gzip-deflate": "coded 3 times",
        "/br-br": "coded 2 times (br, br)",
        "/gzip": f"{once} (gzip)",
        "/gzip-members": f"{once} (gzip)",
        "/deflate": f"{once} (deflate)",
        "/deflate-raw": f"{once} (deflate)",
        "/br": f"{once} (br)",
    }


def jsonl_line(article_id: str, text: str = GOOD_TEXT, **fields: str) -> str:
    return json.dumps({"id": article_id, "title": f"Article {article_id}", "text": text, **fields})


def hostile_jsonl() -> bytes:
    """Good lines around the lines that used to end the run or drop the rest of the file."""
    lines = [
        jsonl_line("good-1").encode(),
        b"[" * 10_000 + b"]" * 10_000,  # nested 10,000 deep: RecursionError in json
        b'{"id": "\\ud800", "title": "lone surrogate id", "text": "' + GOOD_TEXT.encode() + b'"}',
        b'{"id": "good-2", "title": "lone \\udc00 surrogate", "text": "' + GOOD_TEXT.encode() + b' \\ud800"}',
        b'{"id": "bad-utf8", "text": "caf\xe9 ' + GOOD_TEXT.encode() + b'"}',
        jsonl_line("__generation__").encode(),
        jsonl_line("good-3").encode(),
    ]
    return b"\n".join(lines) + b"\n"


LATIN1_FRENCH = "Brûlé coûte trente euros, dit le chef.".encode("latin-1")  # was read as ISO-8859-2
UTF8_STRAY = "Café Müller reopened on Monday".encode() + b" \x92 after the storm."  # one stray byte


def dated_feed(pub_date: str) -> bytes:
    """An RSS feed of one entry (its own text, no link) dated `pub_date`."""
    item = (
        f"<item><title>Far</title><guid>far-1</guid><pubDate>{pub_date}</pubDate>"
        f"<description>{GOOD_TEXT}</description></item>"
    )
    return (
        f"<?xml version='1.0'?><rss version='2.0'><channel><title>Site</title>{item}</channel></rss>".encode()
    )


def slow_feed(base: str, entries: int) -> bytes:
    """An RSS feed whose entries link to `base`/slow/N, with their own text as fallback."""
    items = "".join(
        f"<item><title>Entry {i}</title><link>{base}/slow/{i}</link>"
        f"<description>Entry {i}: {GOOD_TEXT}</description></item>"
        for i in range(entries)
    )
    channel = f"<channel><title>Slow</title>{items}</channel>"
    return f'<?xml version="1.0"?><rss version="2.0">{channel}</rss>'.encode()


TRICKLED = (GOOD_TEXT + "\n\n") * 20  # an article long enough to be stored from its first part
Framing = Literal["headers", "close", "chunked", "length", "hang"]


@dataclass
class Trickled:
    """What a trickling server did, for a test to read: how many responses it sent to their
    end, how many it was sending at once at most, and whether it gave up (its own timer:
    a client that never stops reading ends there, and the test sees it)."""

    whole: int = 0
    sending: int = 0
    most_at_once: int = 0
    gave_up: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def started(self) -> None:
        with self._lock:
            self.sending += 1
            self.most_at_once = max(self.most_at_once, self.sending)

    def ended(self, whole: bool) -> None:
        with self._lock:
            self.sending -= 1
            self.whole += whole


def _trickle(conn: socket.socket, framing: Framing, delay_s: float, stop: threading.Event) -> bool:
    """Answer one request: with `framing` "headers" the whole response one byte every
    `delay_s`; else the headers at once, then the body so (close-delimited, chunked, with a
    Content-Length), or nothing ("hang"). True when all of it was sent."""
    body = TRICKLED.encode()
    framed = {"close": b"", "chunked": b"Transfer-Encoding: chunked\r\n", "hang": b""}
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n" + framed.get(
        framing, b"Content-Length: %d\r\n" % len(body)
    )
    head += b"Connection: close\r\n\r\n"
    pieces = [bytes([b]) for b in head + body] if framing == "headers" else [head]
    if framing in ("close", "length"):
        pieces += [bytes([b]) for b in body]
    elif framing == "chunked":
        pieces += [b"1\r\n" + bytes([b]) + b"\r\n" for b in body] + [b"0\r\n\r\n"]
    for number, piece in enumerate(pieces):
        if (number or framing == "headers") and _gone(conn, stop, delay_s):
            return False
        try:
            conn.sendall(piece)
        except OSError:
            return False
    if framing == "hang":
        while not _gone(conn, stop, 1.0):
            pass
        return False
    return True


def _gone(conn: socket.socket, stop: threading.Event, wait_s: float) -> bool:
    """Wait up to `wait_s`; True as soon as the client closed the connection (it gave up:
    seen at once, not at the next byte sent) or the server stops."""
    if stop.is_set():
        return True
    poller = select.poll()  # not select.select: a busy test process has descriptors past 1024
    poller.register(conn, select.POLLIN)
    if poller.poll(wait_s * 1000):
        try:
            if conn.recv(1, socket.MSG_PEEK) == b"":
                return True
        except OSError:
            return True
    return stop.is_set()


@contextmanager
def trickling_server(
    delay_s: float,
    feed_entries: int = 0,
    framing: Framing = "headers",
    log: Trickled | None = None,
    give_up_s: float | None = None,
) -> Iterator[str]:
    """A raw HTTP server on 127.0.0.1 that sends each response slowly (see `_trickle`),
    except /feed (with `feed_entries`): a feed of its own slow pages, at once. `log`
    records what it sent; after `give_up_s` it stops sending. Yields its base URL."""
    listener = socket.create_server(("127.0.0.1", 0))
    base = f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop = threading.Event()
    seen = log if log is not None else Trickled()

    def answer(conn: socket.socket) -> None:
        with conn:
            request_line = conn.recv(4096).split(b"\r\n", 1)[0]
            if feed_entries and b" /feed" in request_line:
                head = b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n\r\n"
                conn.sendall(head + slow_feed(base, feed_entries))
                return
            seen.started()
            seen.ended(_trickle(conn, framing, delay_s, stop))

    def serve() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            threading.Thread(target=answer, args=(conn,), daemon=True).start()

    def give_up() -> None:
        seen.gave_up = not stop.is_set()
        stop.set()

    server = threading.Thread(target=serve, daemon=True)
    server.start()
    timer = threading.Timer(give_up_s, give_up) if give_up_s is not None else None
    if timer is not None:
        timer.daemon = True
        timer.start()
    try:
        yield base
    finally:
        if timer is not None:
            timer.cancel()
        stop.set()
        server.join()
        listener.close()


SPOOF = "file.exe\u202egpj.\u202c"  # a right-to-left override: reads "file.exe.jpg"
BIDI_AND_INVISIBLE = frozenset(
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c\u200b\u2060\ufeff"
)
METADATA_URL = "http://169.254.169.254/latest/meta-data/iam/security-credentials/"


def spoofed_jsonl() -> bytes:
    """Names and text holding bidi overrides, isolates, invisible characters and NUL."""
    rows = [
        jsonl_line(
            "spoof-1",
            f"{GOOD_TEXT} \u202e{SPOOF}\u2066x\u2069\u0000",
            title=f"{SPOOF} pay\u200dpal\u200b\u0000",
            author="\u2067Ann\u2069\ufeff",
            source="Ravel\u200f\u061c News\u0000",
            url="https://x.example/a\u0000b",
        ),
        jsonl_line("nul-1", f"{GOOD_TEXT}\u0000 The end.", title="Nul\u0000title"),
    ]
    return ("\n".join(rows) + "\n").encode()


def billion_laughs_feed(levels: int = 9) -> bytes:
    """An RSS feed whose DTD nests entities ten deep: 10**9 'lol's once expanded."""
    entities = '<!ENTITY a0 "lol">' + "".join(
        f'<!ENTITY a{n} "{f"&a{n - 1};" * 10}">' for n in range(1, levels + 1)
    )
    item = f"<item><title>&a{levels};</title><description>&a{levels};</description></item>"
    channel = f"<channel><title>&a{levels};</title>{item}</channel>"
    return f'<?xml version="1.0"?><!DOCTYPE rss [{entities}]><rss version="2.0">{channel}</rss>'.encode()


def entity_feed() -> bytes:
    """A feed whose channel and entry titles are HTML-escaped twice, as some feeds are."""
    item = f"<item><title>Ravel &amp;amp; Sons</title><guid>e1</guid><description>{GOOD_TEXT}</description></item>"
    channel = f"<channel><title>Ravel &amp;amp; Sons Daily</title>{item}</channel>"
    return f"<?xml version='1.0'?><rss version='2.0'>{channel}</rss>".encode()


def linking_feed(links: list[str]) -> bytes:
    """A feed whose entries link to `links`, each with its own text as fallback."""
    items = "".join(
        f"<item><title>Entry {i}</title><link>{link}</link><description>Entry {i}: {GOOD_TEXT}</description></item>"
        for i, link in enumerate(links)
    )
    return f"<?xml version='1.0'?><rss version='2.0'><channel><title>Harbour</title>{items}</channel></rss>".encode()


@contextmanager
def late_page_server(delay_s: float) -> Iterator[str]:
    """A server on 127.0.0.1 whose one page answers `delay_s` seconds after it is asked."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    page = f"<html><head><title>Late</title></head><body><article><p>{GOOD_TEXT}</p></article></body></html>"

    class Late(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            threading.Event().wait(delay_s)
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page.encode())))
            self.end_headers()
            self.wfile.write(page.encode())

        def log_message(self, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Late)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/late"
    finally:
        server.shutdown()
        server.server_close()
