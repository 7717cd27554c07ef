"""A response's content coding (gzip, deflate, br), decoded as the body arrives.

httpx decodes each network read whole, so a few KB of gzip inside gzip become a GiB in one
call before any size check runs. Here the raw bytes are read (`iter_raw`) and decoded in
pieces of at most `PIECE` bytes (zlib's `max_length`, brotli's `output_buffer_limit`), so
the caller's running size check stops the decoding within one piece of its limit: the
memory a response takes is its limit plus a constant, whatever it claims to expand to.

One coding is read. A response coded twice or more (`gzip, gzip`) is refused, as is a
coding that was not asked for (`ACCEPT_ENCODING`): no server sends those for a page.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable, Iterator
from itertools import chain

import brotli

ACCEPT_ENCODING = "gzip, deflate, br"
PIECE = 65_536  # the most one decoding step produces
GZIP_MAGIC = b"\x1f\x8b"
_NAMES = {"gzip": "gzip", "x-gzip": "gzip", "deflate": "deflate", "br": "br"}


class CodingError(ValueError):
    """A coding that is not read (several layers, an unknown name) or that is broken."""


def coding_of(header: str | None) -> str | None:
    """The one content coding a Content-Encoding header names (None: the body is as sent),
    or CodingError for more than one layer or one not asked for."""
    layers = [part.strip().lower() for part in (header or "").split(",")]
    layers = [layer for layer in layers if layer and layer != "identity"]
    if len(layers) > 1:
        raise CodingError(
            f"the body is coded {len(layers)} times ({', '.join(layers)[:60]}); one content coding is read"
        )
    if layers and layers[0] not in _NAMES:
        raise CodingError(
            f"the body is coded with {layers[0][:30]!r}, which was not asked for ({ACCEPT_ENCODING})"
        )
    return _NAMES[layers[0]] if layers else None


def decoded(raw: Iterable[bytes], coding: str | None) -> Iterator[bytes]:
    """The body of `raw` bytes sent with `coding`, in pieces of at most about PIECE bytes,
    each decoded only when the previous one has been taken."""
    if coding is None:
        return iter(raw)
    decoders: dict[str, Callable[[Iterable[bytes]], Iterator[bytes]]] = {
        "gzip": _gzip,
        "deflate": _deflate,
        "br": _brotli,
    }
    return decoders[coding](raw)


def _gzip(raw: Iterable[bytes]) -> Iterator[bytes]:
    """gzip, with its members one after another (RFC 1952 allows several)."""
    yield from _zlib_stream(raw, zlib.MAX_WBITS | 16, members=True)


def _deflate(raw: Iterable[bytes]) -> Iterator[bytes]:
    """HTTP's deflate is a zlib stream; some servers send raw deflate, read as browsers do
    (told apart by the zlib header's check bits)."""
    chunks = iter(raw)
    head = b""
    for chunk in chunks:
        head += chunk
        if len(head) >= 2:
            break
    zlib_header = len(head) >= 2 and head[0] & 0x0F == 8 and (head[0] << 8 | head[1]) % 31 == 0
    yield from _zlib_stream(chain([head], chunks), zlib.MAX_WBITS if zlib_header else -zlib.MAX_WBITS)


def _zlib_stream(chunks: Iterable[bytes], wbits: int, members: bool = False) -> Iterator[bytes]:
    """A zlib, gzip or raw deflate stream; with `members`, a gzip member after another is
    read on. Bytes after the (last) stream's end are not the body (padding, a trailer)."""
    inflater = zlib.decompressobj(wbits)
    for data in chunks:
        while data:
            if inflater.eof:
                if not (members and data[:2] == GZIP_MAGIC):
                    return
                inflater = zlib.decompressobj(wbits)
            yield from _inflate(inflater, data)
            data = inflater.unused_data if inflater.eof else b""
    if not inflater.eof:
        yield from _flushed(inflater)


def _inflate(inflater: zlib._Decompress, data: bytes) -> Iterator[bytes]:
    """All of `data` through `inflater`, PIECE bytes of output at a time."""
    try:
        while True:
            piece = inflater.decompress(data, PIECE)
            if piece:
                yield piece
            data = inflater.unconsumed_tail
            if inflater.eof or (not data and len(piece) < PIECE):
                return
    except zlib.error as exc:
        raise CodingError(f"the compressed body is broken ({exc})") from exc


def _flushed(inflater: zlib._Decompress) -> Iterator[bytes]:
    """What is left once the input has all gone in: at most a match's length."""
    try:
        rest = inflater.flush()
    except zlib.error as exc:
        raise CodingError(f"the compressed body is broken ({exc})") from exc
    if rest:
        yield rest


def _brotli(raw: Iterable[bytes]) -> Iterator[bytes]:
    decoder = brotli.Decompressor()
    try:
        for data in raw:
            if decoder.is_finished():
                break
            yield decoder.process(data, output_buffer_limit=PIECE)
            while not decoder.can_accept_more_data():
                yield decoder.process(b"", output_buffer_limit=PIECE)
    except brotli.error as exc:
        raise CodingError(f"the compressed body is broken ({exc})") from exc
