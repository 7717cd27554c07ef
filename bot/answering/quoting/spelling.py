"""A name as a member or a reporter may misspell or inflect it: "Chafffee" for "Chaffee",
"Persian" for "Persia". Used where a question's name is looked for in a passage
(anchors.py) and where a story's topic is looked for in its reports (news_time/story_names.py).
"""

from __future__ import annotations

from difflib import SequenceMatcher


def near(token: str, words: frozenset[str]) -> bool:
    """A misspelt or inflected form of a name: "Chafffee"/"Chaffee", "Persian"/"Persia"."""
    if len(token) < 4:
        return False
    for word in words:
        if word[:1] != token[:1] or abs(len(word) - len(token)) > 3 or len(word) < 3:
            continue
        shorter = min(len(word), len(token))
        prefix = len(_common_prefix(word, token))
        if prefix >= 4 and prefix >= shorter - 2:
            return True
        if SequenceMatcher(None, token, word).ratio() >= 0.8:
            return True
    return False


def _common_prefix(a: str, b: str) -> str:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return a[:n]
