"""Bytes -> text: the encoding that can be right, else the one declared, else detected; binary refused.

The order, and which library does what:
1. a byte-order mark (the standard library's codecs);
2. valid UTF-8, whatever the label says: a page labelled iso-8859-1 whose bytes are all
   valid UTF-8 is UTF-8 (legacy text almost never is valid UTF-8 by chance);
3. UTF-8 with a few stray bytes: when the valid multi-byte sequences are at least as many
   as the invalid ones, the stray bytes become U+FFFD and the rest stays UTF-8 (one bad
   byte does not make "Café Müller" something else);
4. the charset declared by the server (the Content-Type header), then the page's own
   `<meta charset>` (a UTF-8 label on bytes that are not UTF-8 is passed over);
5. detection by faust-cchardet (uchardet, Mozilla's detector): it tells Latin-1 French
   from ISO-8859-2 where charset-normalizer, tried first, read "Brûlé" as "Brűlé" and
   Spanish as windows-1250. What it calls ISO-8859-1, ASCII or UTF-8 (bytes that are not
   UTF-8 after step 2), or cannot name, is read as windows-1252, as browsers do.
Bytes no encoding explains, or whose text is mostly control characters, are binary data
and refused with a reason.
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
# Latin charsets a detector may name for Western text, and the letters and marks that
# Western languages write in windows-1252 (not ð þ ý ì, which Turkish and Czech text
# read as windows-1252 would show)
_LATIN_RIVALS = frozenset(
    ["cp1250", "cp1254", "cp1257", "cp1258", "mac-latin2"]
    + [f"iso8859-{n}" for n in (2, 3, 4, 9, 10, 13, 14, 15, 16)]
)
_LOWER_WESTERN = "àáâãäåæçèéêëíîïñòóôõöøùúûüÿœšž"
_WESTERN = frozenset(_LOWER_WESTERN + _LOWER_WESTERN.upper() + "ß‘’“”„‚–—…€«»°§·¡¿ºª©®×•™\xa0")
MAX_CONTROL_SHARE = 0.01  # control characters (not tab or line breaks) per character


def decode(body: bytes, declared: str | None = None, html: bool = False) -> str:
    """The text of a document's bytes (see the module docstring)."""
    for mark, encoding in _BOMS:
        if body.startswith(mark):
            return _checked(body[len(mark) :].decode(encoding, errors="replace"))
    _refuse_magic(body)
    nul = b"\x00" in body[:SNIFF_BYTES]  # UTF-16 without a mark is valid UTF-8 too
    utf8 = None if nul else _utf8(body)
    if utf8 is not None:
        return _checked(utf8)
    for name in (declared, meta_charset(body) if html else None):
        codec = _codec(name)
        if codec and codec != "utf-8":
            return _checked(body.decode(codec, errors="replace"))
    if nul:
        raise SourceError("binary data (NUL bytes), not text")
    return _checked(body.decode(detect(body), errors="replace"))


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


def _utf8(body: bytes) -> str | None:
    """The text of UTF-8 bytes, a few stray bytes replaced; None when they are not UTF-8."""
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    text = body.decode("utf-8", errors="replace")
    stray = text.count("\ufffd")
    multibyte = len(text) - len(text.encode("ascii", "ignore")) - stray  # valid sequences
    return text if multibyte >= max(stray, 1) else None


def detect(body: bytes) -> str:
    """Python's codec for undeclared bytes that are not UTF-8: faust-cchardet's guess, but
    windows-1252 for what it reads as Latin-1, ASCII or UTF-8, or cannot name, and for a
    rival Latin charset's guess when every letter windows-1252 reads is a Western one
    (short text is ambiguous: "Niño año" was guessed ISO-8859-10)."""
    import cchardet

    found = cchardet.detect(body[: SNIFF_BYTES * 4]).get("encoding")
    codec = _codec(str(found)) if found else None
    if codec in (None, "iso8859-1", "ascii", "utf-8") or (codec in _LATIN_RIVALS and _western(body)):
        return "cp1252"
    return codec


def _western(body: bytes) -> bool:
    """True when windows-1252 reads every non-ASCII byte as a Western letter or mark."""
    try:
        text = body[: SNIFF_BYTES * 4].decode("cp1252")
    except UnicodeDecodeError:
        return False
    return {ch for ch in text if ord(ch) > 0x7F} <= _WESTERN


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
