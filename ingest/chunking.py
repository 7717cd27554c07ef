"""Sentence-aware, token-bounded chunks with exact character offsets.

LangChain's RecursiveCharacterTextSplitter does the splitting, measured in the embedder's
own tokens, trying paragraph, line and sentence boundaries before words. Each chunk is
located in the article's clean text so that a quote can be traced back to it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from langchain_text_splitters import RecursiveCharacterTextSplitter

from vectorstore import SENTENCE_SEPARATOR, Article, Chunk, split_sentences


class Chunker:
    def __init__(self, count_tokens: Callable[[str], int], chunk_tokens: int, overlap_tokens: int) -> None:
        if overlap_tokens >= chunk_tokens:
            raise ValueError("the chunk overlap must be smaller than the chunk size")
        self._splitter = RecursiveCharacterTextSplitter(
            # the embedder's own tokens; the splitter measures most pieces twice (once to
            # decide whether to split further, once to merge), so the counts are remembered
            length_function=lru_cache(maxsize=16384)(count_tokens),
            chunk_size=chunk_tokens,
            chunk_overlap=overlap_tokens,
            separators=["\n\n", "\n", SENTENCE_SEPARATOR, r"(?<=[;:,])\s+", r"\s+", ""],
            is_separator_regex=True,
            keep_separator="end",
        )

    def split(self, article: Article) -> list[Chunk]:
        chunks: list[Chunk] = []
        previous_start = -1
        for piece in self._splitter.split_text(article.text):
            start = article.text.find(piece, previous_start + 1)
            if start < 0:  # cannot happen for substrings; never store a wrong offset
                raise ValueError(f"chunk not found in the text of {article.id!r}")
            sentences = tuple((s.start, s.end) for s in split_sentences(piece, base=start))
            chunks.append(Chunk(article.id, len(chunks), piece, start, start + len(piece), sentences))
            previous_start = start
        return chunks
