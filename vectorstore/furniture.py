"""Page furniture: the lines of a news page that are not its reporting.

An extracted article keeps more than its story: related-link lines ("More: ...",
"READ MORE: ...", USA TODAY's "Kicker:Headline"), newsletter and social promotions ("Sign
up for ...", "Follow ... on Twitter"), editors' notes and corrections, contributor credits
("... contributed to this report", "Contributing: ..."), photo captions with their credits
("... in Sydney, Wednesday. Dean Lewins/AAP"), video-player text, and the short lines
without a full stop that only head or label something: headlines of other articles,
section headings, datelines and bylines alone, list items that only name ("Super Bowl
XLIV: The Who"). None of it answers a question or leads a story.

`furniture(text, spans)` flags the sentences of a chunk's text (their spans as
`split_sentences` gives them): it reads only the text, so the flag a writer stores with
each sentence (the store format, chroma/format.py) is the one any later reading of the
same text gives. The shapes were read from real pages (CNN, USA TODAY, The Week, Wikinews);
tests/vectorstore/test_furniture.py holds team-written lines of each shape.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence

from vectorstore.sentences import split_sentences

# Lines that announce a link, a promotion, a note or a credit, by their opening words.
_OPENING = re.compile(
    r"^[\s•*·▪►>|–—-]*(?:"
    r"(?:more|read more|read|related|related (?:stories|coverage|content|articles?)|see also|also read|"
    r"also see|watch|watch live|listen|previously|in case you missed it|must read|must watch|"
    r"top stories|trending|recommended|sponsored|advertisement|opinion|live updates|photos|gallery|"
    r"video|podcast|subscribe|sign up|newsletter|explore|catch up)\s*[:|]"
    r"|editors?['’]?s?['’]? note|correction\b|clarification\b|update:|updated:"
    r"|this (?:story|article|report|post|page) (?:has been|was|is being|will be) (?:updated|corrected)"
    r"|this (?:story|article) (?:originally |first )?(?:appeared|was (?:originally |first )?published)"
    r"|originally published|ai-assisted summary|copyright\b|©|all rights reserved"
    r"|contributing\s*:|reporting by\b|additional reporting\b|staff and wire reports"
    r"|\(?(?:photo|photograph|image|picture)s?\s*(?:by\b|:|credit\b)"
    r"|video ad feedback|just watched|replay more videos|video player was slow to load"
    r"|(?:sign up|subscribe)\b[^.!?]*\b(?:newsletter|inbox|email|alerts?|updates|podcast)"
    r"|follow\b[^.!?]{0,80}\b(?:coverage|on (?:twitter|x|instagram|facebook|threads|bluesky|tiktok|linkedin)"
    r"|@\w+|newsletter|live updates|updates)"
    r")",
    re.IGNORECASE,
)
# A byline: "By Jane Doe, USA TODAY", "By Jane Doe and John Roe".
_BYLINE = re.compile(r"^(?:By|BY)\s+[A-Z][\w.'’-]+(?:\s+[A-Z][\w.'’-]+){0,3}\s*(?:,|$|\band\b|\|)")
BYLINE_WORDS = 12
PROMOTION_WORDS = 40  # a line holding a promotion and no more than this is all promotion
# A dateline alone on its line: a place and/or the agency, then a dash.
_DATELINE = re.compile(
    r"^(?:(?:[A-Z][\w.,'’-]*\s+){0,5}(?:CNN(?: Business| Sport| Politics)?|\(AP\)|\(Reuters\)|AP|Reuters)"
    r"|[A-Z][A-Z.,'’ -]{2,40}?)\s*[—–-]+$"
)
# A question in capitals before another article's headline ("WHO IS VIKTOR BOUT? Arms ...").
_CAPS_QUESTION = re.compile(r"^[A-Z][A-Z '’.,-]{5,60}\? [A-Z‘“'\"]")
# A label in capitals before a colon ("NEVER MISS A MOMENT:", "USA TODAY ON TELEGRAM:Join").
_CAPS_LABEL = re.compile(r"^[\s•*–—-]*[A-Z][A-Z'’&]+(?:\s+[A-Z'’&]+)+\s*:")
# USA TODAY's related link: a kicker glued to another article's headline ("Study:Dogs' eyes ...").
_KICKER = re.compile(r"^[^\s:][^:\n]{0,80}[^\s\d:]:(?=[\"'‘“A-Z])")
# Promotions anywhere in a line ("What's everyone talking about? Sign up for our ... newsletter").
_PROMOTION = re.compile(
    r"\b(?:sign up|subscribe)\b[^.!?]{0,80}\b(?:newsletter|inbox|alerts?|podcast)\b|\balready a subscriber\b"
    r"|\bcontributed (?:reporting )?to this (?:report|story|article)\b"
    r"|\bfollow (?:us|our|him|her|them) on\b|\bget the latest\b[^.!?]{0,60}\binbox\b"
    r"|\bthis (?:story|article|post) is part of\b|\bhow relevant is this ad\b",
    re.IGNORECASE,
)
# A line that ends like a sentence: a full stop, question or exclamation mark, an
# ellipsis, then closing quotes or brackets (and a reference: ".:12", ".[3]").
_ENDED = re.compile(r"[.!?…][\"'”’)\]]*(?::\d+(?:[–-]\d+)?|\[\d+\])*\s*$")
_LIST_MARK = re.compile(r"^(?:\d{1,3}|[A-Za-z])[.)]\s+")  # "1. ", "B) "
# A sentence end with a reference mark inside a line (".:247 He was ..."): prose.
_REFERENCED = re.compile(r"[.!?][\"'”’)\]]*(?::\d+(?:[–-]\d+)?|\[\d+\])+\s+\S")
# A photo credit after a caption: "Dean Lewins/AAP Image/Reuters", "Courtesy Martin Silva".
_CREDIT_WORDS = re.compile(
    r"\b(?:AP|Reuters|Getty Images|AFP|EPA|Shutterstock|Courtesy|Bloomberg|NurPhoto|Sipa|Anadolu|"
    r"Xinhua|iStock|Adobe Stock|Pool|Handout|File|via|Images?|Photo|Photos|Press)\b|/"
)
HEADING_WORDS = 25  # an unended line this long or shorter heads or labels; a longer one is text
CREDIT_WORDS = 8  # a photo credit is at most this many words


def furniture(text: str, spans: Sequence[tuple[int, int]], base: int = 0) -> list[bool]:
    """For each sentence of `text` (`spans`: its offsets, plus `base`), whether it is page
    furniture: the line it stands on is (`line_is_furniture`), or it is the unended tail
    of its line ("... drinking water. Read more"), or a promotion."""
    lines = _line_flags(text)
    ends = [e for _, e, _ in lines]
    out = []
    for start, end in spans:
        a, b = start - base, end - base
        touched = []
        for s, e, flag in lines[bisect.bisect_right(ends, a) :]:
            if s >= b:
                break
            touched.append((s, e, flag))
        sentence = text[a:b]
        whole = bool(touched) and all(flag for _, _, flag in touched)
        tail = b >= touched[-1][1] and a > touched[-1][0] if touched else False
        out.append(whole or (tail and _tail(sentence)) or bool(_PROMOTION.search(sentence)))
    return out


def _line_flags(text: str) -> list[tuple[int, int, bool]]:
    """(start, end, is furniture) of each line of `text` (without its surrounding blanks).
    A line wrapped inside a paragraph (hard-wrapped text: it or the line after it starts
    in lower case) is prose, whatever its end; bullets after an "AI-assisted summary"
    heading are that summary, not the article's reporting."""
    raws = text.split("\n")
    out = []
    cursor = 0
    summary = False
    above = _dateline_at(raws)  # the lines above the page's own dateline: other stories
    for i, raw in enumerate(raws):
        line = raw.strip()
        at = cursor + (len(raw) - len(raw.lstrip()))
        cursor += len(raw) + 1
        if not line:
            continue
        if line.lower().startswith("ai-assisted summary"):
            summary = True
        elif not re.match(r"[•*·▪-]", line):
            summary = False
        following = raws[i + 1].strip() if i + 1 < len(raws) else ""
        wrapped = line[:1].islower() or following[:1].islower()
        out.append((at, at + len(line), i < above or line_is_furniture(line, wrapped) or summary))
    return out


def _dateline_at(lines: Sequence[str]) -> int:
    """The index of the first line that is only a dateline ("New York CNN Business —",
    "WASHINGTON —"); 0 when there is none."""
    return next((i for i, line in enumerate(lines) if _DATELINE.match(line.strip())), 0)


def line_is_furniture(line: str, wrapped: bool = False) -> bool:
    """Whether a line (a paragraph of the page) is furniture (the module docstring); a
    `wrapped` line is part of a paragraph, furniture only by its opening words."""
    if not re.search(r"[^\W\d_]", line):
        return True  # "♦", "___", "—–": no word at all
    if any(rule.match(line) for rule in (_OPENING, _CAPS_LABEL, _KICKER, _CAPS_QUESTION)):
        return True
    if _BYLINE.match(line) and len(line.split()) <= BYLINE_WORDS:
        return True
    if _PROMOTION.search(line) and len(line.split()) <= PROMOTION_WORDS:
        return True  # "What's everyone talking about? Sign up for our ... newsletter"
    if wrapped or _ENDED.search(line):
        return False
    parts = _parts(_LIST_MARK.sub("", line))
    if len(parts) == 1:  # one unended piece: a heading, a label, a list item ("1. Student loans")
        return len(line.split()) <= HEADING_WORDS and not _REFERENCED.search(line)
    return _credit(parts[-1])


def _parts(line: str) -> list[str]:
    return [s.text for s in split_sentences(line)]


def _tail(sentence: str) -> bool:
    """The unended last piece of a line after its sentences: a credit, "Read more"."""
    return not _ENDED.search(sentence) and len(sentence.split()) <= CREDIT_WORDS


def _credit(last: str) -> bool:
    """A photo credit ending a caption: "Dean Lewins/AAP Image/Reuters", "Courtesy M. Silva"."""
    words = last.split()
    return len(words) <= CREDIT_WORDS and (
        bool(_CREDIT_WORDS.search(last)) or all(w[:1].isupper() for w in words)
    )
