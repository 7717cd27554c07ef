"""Real things for tests to use: a local HTTP server, PDFs, and a spy on the embedder."""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from vectorstore.embedding import Embedder

if TYPE_CHECKING:
    from bot.app import App
    from vectorstore.chroma.store import ChromaStore
    from vectorstore.models import Article, Chunk

REPO_SAMPLE_QUESTION = "where is OpenAI's first international office?"


@dataclass
class Route:
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


class LocalServer:
    """A real HTTP server on 127.0.0.1 serving fixed routes; counts requests per path."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.routes: dict[str, Route] = {}
        self.hits: dict[str, int] = {}
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.hits[self.path] = server.hits.get(self.path, 0) + 1
                route = server.routes.get(self.path)
                if route is None:
                    self.send_response(404)
                    self.send_header("Content-Type", "text/plain")
                    self.end_headers()
                    self.wfile.write(b"not found")
                    return
                self.send_response(route.status)
                self.send_header("Content-Type", route.content_type)
                self.send_header("Content-Length", str(len(route.body)))
                for key, value in route.headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(route.body)

            def log_message(self, *args: object) -> None:
                return

        self._httpd = ThreadingHTTPServer((host, 0), Handler)
        self.host = host
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://{self.host}:{self.port}{path}"

    def __enter__(self) -> LocalServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


@contextmanager
def closed_port(host: str = "127.0.0.1") -> Iterator[int]:
    """A port nothing listens on for as long as the block lasts: bound here (port 0, the
    kernel's choice) and never listened on, so a connection to it is refused, and no other
    process can take it meanwhile."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        yield int(sock.getsockname()[1])


def make_pdf(paragraphs: Sequence[str], title: str | None = None) -> bytes:
    """A minimal, valid one-page PDF whose text pypdf can extract."""
    lines = []
    for para in paragraphs:
        escaped = para.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        lines.append(f"({escaped}) Tj T*")
    stream = ("BT /F1 10 Tf 14 TL 40 800 Td " + " ".join(lines) + " ET").encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    if title:
        objects.append(b"<< /Title (" + title.encode("latin-1") + b") >>")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    trailer = f"<< /Size {len(objects) + 1} /Root 1 0 R"
    if title:
        trailer += f" /Info {len(objects)} 0 R"
    out += f"trailer\n{trailer} >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


class SpyEmbedder:
    """The real embedder, with a record of every call (how many texts each)."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.calls: list[int] = []

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def dimension(self) -> int:
        return self.inner.dimension

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.calls.append(len(texts))
        return self.inner.embed(texts)

    def embed_with_spans(
        self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        self.calls.append(len(texts))
        return self.inner.embed_with_spans(texts, spans)


@contextmanager
def serving(routes: dict[str, Route], host: str = "127.0.0.1") -> Iterator[LocalServer]:
    with LocalServer(host) as server:
        server.routes.update(routes)
        yield server


def ingested_app(data: Path, articles: Path, embedder: Embedder, onnx_dir: Path, added: int) -> App:
    """An App over a fresh store in `data` holding the fixture `articles` (all `added`)."""
    from bot.app import App
    from bot.settings import Settings

    settings = Settings(_env_file=None, newsdesk_data_dir=data, embedding_onnx_dir=onnx_dir)  # type: ignore[call-arg]
    app = App(settings, embedder=embedder, chat=None)
    report = app.ingest([str(articles)])
    assert report.ok and report.count("added") == added
    return app


def write_article(
    store: ChromaStore,
    article: Article,
    chunks: Sequence[Chunk],
    vectors: np.ndarray,
    sentence_vectors: Sequence[np.ndarray] = (),
) -> None:
    """One article written alone (the pipeline writes them in batches)."""
    from vectorstore.chroma.metadata import ArticleWrite

    store.write_articles([ArticleWrite(article, chunks, vectors, sentence_vectors)])


def written_elsewhere(store: ChromaStore) -> None:
    """The store's generation moved, as another process's write moves it (through Chroma,
    vectorstore/inspection.py): this process finds it at its next sync or question."""
    import uuid

    from vectorstore.chroma.metadata import GENERATION_ID
    from vectorstore.inspection import collections

    meta = {"value": uuid.uuid4().hex, "kind": "marker"}
    collections(store).articles.upsert(
        ids=[GENERATION_ID], embeddings=np.ones((1, 1), np.float32), metadatas=[meta]
    )


# Python source for a child process: `count_arenas(path)` has eight threads allocate at
# once (none hands its arena on to another) and writes glibc's malloc_info to `path`;
# `arenas_in(path)` counts the arenas there. With few_malloc_arenas (vectorstore/system.py)
# called before, they share at most MALLOC_ARENAS; otherwise each gets one.
ARENA_PROBE = """
import ctypes, threading
def count_arenas(path):
    together = threading.Barrier(8)
    def allocate():
        kept = [bytearray(2000) for _ in range(2000)]
        together.wait()
    threads = [threading.Thread(target=allocate) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    libc = ctypes.CDLL("libc.so.6")
    libc.fopen.restype = ctypes.c_void_p
    out = ctypes.c_void_p(libc.fopen(path.encode(), b"w"))
    libc.malloc_info(0, out)
    libc.fclose(out)
"""


def arenas_in(path: Path) -> int:
    """The malloc arenas in a malloc_info report (ARENA_PROBE)."""
    return len(re.findall(r"<heap nr=", path.read_text()))
