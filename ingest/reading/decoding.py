"""Bytes -> text by the charset the document declares, else by detection; binary refused.

The order is a browser's: a byte-order mark, then the charset declared by the server (the
Content-Type header), then the page's own `<meta charset>`. Undeclared bytes are read as
UTF-8 when they are UTF-8 (a few stray bytes, each replaced by U+FFFD, do not make a
UTF-8 file something else); otherwise charset-normalizer (the detector requests and httpx
use) names the encoding. Bytes no encoding explains, or whose text is mostly control
characters, are binary data and refused with a reason.
"""

from __future__ import annotations

import codecs
import re
import unicodedata

from ingest.errors import SourceError

# UTF-32 before UTF-16: the UTF-32-LE mark starts with the UTF-16-LE one.
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_:.\-]{1,40})""", re.I)
_MAGIC = {
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"PK\x03\x04": "a ZIP archive (or an Office document)",
    b"%PDF-": "a PDF (name it .pdf)",
    b"\x1f\x8b": "gzip-compressed data",
    b"\x7fELF": "a program",
}
SNIFF_BYTES = 65_536
MAX_STRAY_SHARE = 0.2  # of the non-ASCII sequences, the share that may be invalid UTF-8
MAX_CONTROL_SHARE = 0.01  # control characters (not tab or line breaks) per character


def decode(body: bytes, declared: str | None = None, html: bool = False) -> str:
    """The text of a document's bytes (see the module docstring)."""
    for mark, encoding in _BOMS:
        if body.startswith(mark):
            return _checked(body[len(mark) :].decode(encoding, errors="replace"))
    _refuse_magic(body)
    for name in (declared, meta_charset(body) if html else None):
        codec = _codec(name)
        if codec:
            return _checked(body.decode(codec, errors="replace"))
    if b"\x00" in body[:SNIFF_BYTES]:
        raise SourceError("binary data (NUL bytes), not text")
    return _checked(_undeclared(body))


def meta_charset(body: bytes) -> str | None:
    """The charset a page declares in its first few KB (`<meta charset>` or http-equiv)."""
    found = _META_CHARSET.search(body[:4096])
    return found.group(1).decode("ascii") if found else None


def _codec(name: str | None) -> str | None:
    """Python's name for a declared charset, or None when it is unknown."""
    if not name:
        return None
    try:
        return codecs.lookup(name.strip().strip("\"'")).name
    except LookupError:
        return None


def _undeclared(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    text = body.decode("utf-8", errors="replace")
    stray = text.count("\ufffd")
    multibyte = sum(1 for ch in text if ord(ch) > 0x7F) - stray
    if multibyte and stray <= MAX_STRAY_SHARE * (multibyte + stray):
        return text  # UTF-8 with a few stray bytes
    from charset_normalizer import from_bytes

    best = from_bytes(body[: SNIFF_BYTES * 4]).best()
    if best is None or best.encoding is None:
        raise SourceError("binary data (no text encoding explains these bytes), not text")
    return body.decode(best.encoding, errors="replace")


def _refuse_magic(body: bytes) -> None:
    for magic, what in _MAGIC.items():
        if body.startswith(magic):
            raise SourceError(f"binary data ({what}), not text")


def _checked(text: str) -> str:
    """Refuse text that is mostly control characters (binary data read as text)."""
    head = text[:SNIFF_BYTES]
    controls = sum(1 for ch in head if ch not in "\t\n\r\f\v" and unicodedata.category(ch) == "Cc")
    if head and controls > MAX_CONTROL_SHARE * len(head):
        raise SourceError(f"binary data ({controls} control characters in {len(head)}), not text")
    return text
